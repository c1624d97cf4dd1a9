package lib.webhook;

import lib.util.BadInputException;

/** A delivery that cannot be processed as it is: empty, not JSON, no run id, an unsafe delivery id, too large. */
public final class BadDeliveryException extends BadInputException {
    public BadDeliveryException(String message) {
        super(message);
    }
}
