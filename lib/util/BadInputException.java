package lib.util;

/** The operator's input cannot be used: a bad option value, file or argument. Nothing was changed. */
public class BadInputException extends TrackerException {
    public BadInputException(String message) {
        super(message);
    }
}
