package lib.cli;

import lib.follow.RunOutcome;
import lib.store.DamagedFileException;
import lib.util.BadInputException;
import lib.util.TimedOutException;
import lib.webhook.SignatureException;
import lib.webhook.WrongEventException;
import picocli.CommandLine;

/**
 * The exit codes of all four commands (documented in every --help and the README), and the one place
 * that turns what went wrong into one of them.
 */
public final class ExitCode {
    public static final int OK = 0;
    /** A general failure: ours, or GitHub unreachable or answering with an error. */
    public static final int FAILURE = 1;
    /** Bad usage or bad input (also a damaged file in the runs folder, for the operator to fix); nothing was changed. */
    public static final int USAGE = 2;
    /** Signature missing or invalid. */
    public static final int SIGNATURE = 3;
    /** A delivery of the wrong event type. */
    public static final int WRONG_EVENT = 4;
    /** The followed run completed without success (--until completed): failure, cancelled, timed_out, ... */
    public static final int RUN_UNSUCCESSFUL = 5;
    /** Timed out waiting. */
    public static final int TIMEOUT = 124;

    private ExitCode() {}

    /** The exit code for a failure that reached the command line. */
    public static int of(Throwable failure) {
        if (failure instanceof BadInputException || failure instanceof CommandLine.ParameterException) return USAGE;
        if (failure instanceof DamagedFileException) return USAGE;
        if (failure instanceof SignatureException) return SIGNATURE;
        if (failure instanceof WrongEventException) return WRONG_EVENT;
        if (failure instanceof TimedOutException) return TIMEOUT;
        return FAILURE;
    }

    /** The exit code for a followed run: 0 for success, neutral or skipped, 5 for any other conclusion, 124 when not completed in time. */
    public static int of(RunOutcome outcome) {
        if (!outcome.completed()) return TIMEOUT;
        return outcome.successful() ? OK : RUN_UNSUCCESSFUL;
    }
}
