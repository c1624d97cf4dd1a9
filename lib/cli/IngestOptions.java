package lib.cli;

import java.util.Map;
import java.util.Optional;
import lib.ingest.Ingest;
import lib.store.RunStore;
import lib.util.BadInputException;
import lib.webhook.Secret;
import lib.webhook.Secrets;
import picocli.CommandLine.Mixin;

/** Where deliveries are stored and how they are verified: the options of the commands that ingest. */
public final class IngestOptions {
    @Mixin
    public RunsDirOption runs;

    @Mixin
    public StateDirOption state;

    @Mixin
    public SecretFileOption secret;

    @Mixin
    public RunNamePatternOption runNames;

    public RunStore store() {
        return runs.store();
    }

    /** The configured secret, if any: --secret-file, GITHUB_WEBHOOK_SECRET, then the state folder's file. */
    public Optional<Secret> secret(Map<String, String> env) {
        return Secrets.resolve(secret.secretFile, env, state.stateDir);
    }

    /** The secret, or a usage error that names every place it could come from. */
    public Secret requireSecret(Map<String, String> env, String purpose) {
        return secret(env).orElseThrow(() -> new BadInputException(purpose + " needs the webhook secret (--secret-file, "
                + Secrets.ENV_VAR + " or " + Secrets.defaultFile(state.stateDir) + ")"));
    }

    /** Verifying options with the configured secret (when there is one) and run-name pattern. */
    public Ingest.Options verifying(Map<String, String> env) {
        return Ingest.Options.verifying(secret(env)).withRunNamePattern(runNames.pattern())
                .withSecretFile(Secrets.defaultFile(state.stateDir).toString());
    }
}
