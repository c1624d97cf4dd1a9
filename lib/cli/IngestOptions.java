package lib.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import lib.ingest.Ingest;
import lib.store.RunStore;
import lib.webhook.Correlation;
import lib.webhook.Secret;
import lib.webhook.Secrets;
import picocli.CommandLine.Option;

/** Where deliveries are stored and how they are verified: shared by the commands that ingest. */
public final class IngestOptions {
    @Option(names = "--runs-dir", paramLabel = "DIR", defaultValue = "runs",
            description = "Run storage root (default: ${DEFAULT-VALUE}).")
    public Path runsDir;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".webhook",
            description = "Webhook state folder: webhook-secret, active-hook.json (default: ${DEFAULT-VALUE}).")
    public Path stateDir;

    @Option(names = "--secret-file", paramLabel = "PATH",
            description = "File holding the webhook secret (else GITHUB_WEBHOOK_SECRET, else <state-dir>/webhook-secret).")
    public Path secretFile;

    @Option(names = "--run-name-pattern", paramLabel = "REGEX",
            description = "Regex with one capture group that finds the correlation UUID in the run name "
                    + "(default: 'Dispatch Webhook (<uuid>)').")
    public String runNamePattern;

    public RunStore store() {
        return new RunStore(runsDir);
    }

    /** The configured secret, if any: --secret-file, GITHUB_WEBHOOK_SECRET, then the state folder's file. */
    public Optional<Secret> secret(Map<String, String> env) {
        return Secrets.resolve(secretFile, env, stateDir);
    }

    /** The secret, or a usage error that names every place it could come from. */
    public Secret requireSecret(Map<String, String> env, String purpose) {
        return secret(env).orElseThrow(() -> CommandException.usage(purpose + " needs the webhook secret (--secret-file, "
                + Secrets.ENV_VAR + " or " + Secrets.defaultFile(stateDir) + ")"));
    }

    public Pattern pattern() {
        return runNamePattern == null ? Correlation.DEFAULT_PATTERN : Correlation.compile(runNamePattern);
    }

    /** Verifying options with the configured secret (when there is one) and run-name pattern. */
    public Ingest.Options verifying(Map<String, String> env) {
        return Ingest.Options.verifying(secret(env)).withRunNamePattern(pattern())
                .withSecretFile(Secrets.defaultFile(stateDir).toString());
    }
}
