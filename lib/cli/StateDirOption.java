package lib.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --state-dir}: where the webhook's secret and the registered hook's record live. */
public final class StateDirOption {
    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".webhook",
            description = "Webhook state folder: webhook-secret and active-hook.json (default: ${DEFAULT-VALUE}).")
    public Path stateDir;
}
