package lib.util;

/** What we waited for did not happen in time (or the wait was interrupted). */
public final class TimedOutException extends TrackerException {
    public TimedOutException(String message) {
        super(message);
    }
}
