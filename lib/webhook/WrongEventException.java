package lib.webhook;

import lib.util.TrackerException;

/** A delivery of an event this command does not process (it only takes workflow_run); nothing was stored. */
public final class WrongEventException extends TrackerException {
    private final String event;

    public WrongEventException(String event, String message) {
        super(message);
        this.event = event;
    }

    /** The delivery's event name, e.g. "workflow_job". */
    public String event() {
        return event;
    }
}
