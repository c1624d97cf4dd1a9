package lib.webhook;

import lib.util.TrackerException;

/** The delivery's X-Hub-Signature-256 is missing, malformed or does not match; nothing was stored. */
public final class SignatureException extends TrackerException {
    public SignatureException(String message) {
        super(message);
    }
}
