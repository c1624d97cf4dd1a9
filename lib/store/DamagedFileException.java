package lib.store;

import lib.util.TrackerException;

/**
 * A file in the runs folder that cannot be used as it is (not valid JSON, the wrong shape). It is
 * left unchanged and the message names it. A local problem, not the sender's: the receiver answers
 * 500 without the path.
 */
public final class DamagedFileException extends TrackerException {
    public DamagedFileException(String message) {
        super(message);
    }
}
