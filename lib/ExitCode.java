package lib;

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

    /** Lines for picocli's exitCodeList, so --help shows them. */
    public static final String[] HELP = {
        "0:success",
        "1:GitHub unreachable or answered with an error",
        "2:usage error or bad input",
        "3:signature missing or invalid",
        "4:wrong event type",
        "124:timed out",
    };

    private ExitCode() {}
}
