package lib.cli;

import java.nio.file.Path;
import lib.store.RunStore;
import picocli.CommandLine.Option;

/** {@code --runs-dir}: the run storage root shared by every command that stores or reads runs. */
public final class RunsDirOption {
    public static final Path DEFAULT = Path.of("runs");

    @Option(names = "--runs-dir", paramLabel = "DIR", defaultValue = "runs",
            description = "Run storage root (default: ${DEFAULT-VALUE}).")
    public Path runsDir;

    public RunStore store() {
        return new RunStore(runsDir);
    }

    /** " --runs-dir DIR" for follow-up commands in hints, only when the folder is not the default. */
    public String hint() {
        return runsDir.equals(DEFAULT) ? "" : " --runs-dir " + runsDir;
    }
}
