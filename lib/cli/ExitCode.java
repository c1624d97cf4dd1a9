package lib.cli;

/** Exit codes shared by all four commands (documented in every --help and the README). */
public final class ExitCode {
    public static final int OK = 0;
    /** Could not reach GitHub, or GitHub answered with an error. */
    public static final int GITHUB = 1;
    /** Bad usage or bad input. */
    public static final int USAGE = 2;
    /** Signature missing or invalid. */
    public static final int SIGNATURE = 3;
    /** A delivery of the wrong event type. */
    public static final int WRONG_EVENT = 4;
    /** Timed out waiting. */
    public static final int TIMEOUT = 124;

    private ExitCode() {}
}
