package lib.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --secret-file}: the webhook secret, before GITHUB_WEBHOOK_SECRET and the state folder's file. */
public final class SecretFileOption {
    @Option(names = "--secret-file", paramLabel = "PATH",
            description = "File holding the webhook secret (else GITHUB_WEBHOOK_SECRET, else <state-dir>/webhook-secret).")
    public Path secretFile;
}
