package lib.util;

/**
 * A failure this tool describes itself: the message is one line for the operator, says what to do
 * next where it can, and never holds a secret or a token. Subclasses say what happened; one that
 * is not more specific is a general failure (exit 1 at the command line, 500 at the receiver).
 */
public class TrackerException extends RuntimeException {
    public TrackerException(String message) {
        super(message);
    }

    public TrackerException(String message, Throwable cause) {
        super(message, cause);
    }
}
