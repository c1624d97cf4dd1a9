package lib.cli;

/** The value of {@code --until}: what a command waits for besides the run id. */
public enum Until {
    /** The run's newest attempt completed (with any conclusion). */
    completed
}
