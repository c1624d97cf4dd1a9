package lib.hooks;

import lib.util.TrackerException;

/** The recorded hook no longer exists on GitHub (deleted there, or the token cannot see it). */
public final class HookGoneException extends TrackerException {
    public HookGoneException(String message) {
        super(message);
    }
}
