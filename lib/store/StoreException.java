package lib.store;

import lib.cli.CommandException;
import lib.cli.ExitCode;

/**
 * A file in the runs folder that cannot be used as it is (not valid JSON, the wrong shape). It is
 * left unchanged; the message names it. A local problem, not the sender's: the receiver answers 500.
 */
public final class StoreException extends CommandException {
    public StoreException(String message) {
        super(ExitCode.USAGE, message);
    }
}
