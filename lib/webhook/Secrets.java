package lib.webhook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import lib.util.BadInputException;
import lib.util.InputFiles;
import lib.util.SafeFiles;

/** Finds, generates and stores the webhook secret. Never prints it. */
public final class Secrets {
    /** A secret file longer than this is not a secret file (a device, a log named by mistake). */
    private static final int MAX_FILE_BYTES = 64 * 1024;
    public static final String ENV_VAR = "GITHUB_WEBHOOK_SECRET";
    public static final String FILE_NAME = "webhook-secret";
    /** The origin of a secret that {@link #resolveOrGenerate} created. */
    public static final String GENERATED = "generated";

    private Secrets() {}

    /** The stored secret's place inside the state folder ({@code .webhook/webhook-secret}). */
    public static Path defaultFile(Path stateDir) {
        return stateDir.resolve(FILE_NAME);
    }

    /**
     * The secret from, in order: {@code --secret-file}, {@code GITHUB_WEBHOOK_SECRET},
     * the state folder's secret file. Empty when none is configured.
     */
    public static Optional<Secret> resolve(Path secretFile, Map<String, String> env, Path stateDir) {
        if (secretFile != null) {
            return Optional.of(readFile(secretFile)
                    .orElseThrow(() -> new BadInputException("secret file not found: " + secretFile)));
        }
        String fromEnv = env.get(ENV_VAR);
        if (fromEnv != null && !fromEnv.isBlank()) return Optional.of(new Secret(fromEnv.strip(), ENV_VAR));
        return readFile(defaultFile(stateDir));
    }

    /**
     * The configured secret (as {@link #resolve}); says where it came from on {@code info} and warns about a
     * secret file that others can read. Never shows the value.
     */
    public static Optional<Secret> resolveAndSay(Path secretFile, Map<String, String> env, Path stateDir,
                                                 Consumer<String> info) throws IOException {
        Optional<Secret> found = resolve(secretFile, env, stateDir);
        if (found.isPresent()) {
            info.accept("using the webhook secret from " + found.get().origin());
            warnIfReadableByOthers(found.get().origin(), info);
        }
        return found;
    }

    /**
     * A new secret, stored in the state folder's default file (its origin is {@value #GENERATED}); or, when another
     * process stored one there meanwhile, that one (said on {@code info}), which this process must never delete.
     */
    public static Secret generateInto(Path stateDir, Consumer<String> info) throws IOException {
        Secret secret = generate(GENERATED);
        if (SafeFiles.writeNew(defaultFile(stateDir), (secret.reveal() + "\n").getBytes(StandardCharsets.UTF_8))) {
            return secret;
        }
        Secret theirs = readFile(defaultFile(stateDir)).orElseThrow(() -> new BadInputException(
                defaultFile(stateDir) + " appeared meanwhile without a secret in it; left unchanged"));
        info.accept("using the webhook secret from " + theirs.origin() + " (stored meanwhile by another run)");
        return theirs;
    }

    /** Deletes the default secret file if it still holds {@code generated} (another run may have replaced it). */
    public static void forget(Path stateDir, Secret generated) throws IOException {
        Optional<Secret> stored = readFile(defaultFile(stateDir));
        if (stored.isPresent() && stored.get().reveal().equals(generated.reveal())) Files.deleteIfExists(defaultFile(stateDir));
    }

    /** What the operator must know about a secret {@link #generateInto} stored (never its value). */
    public static String generatedNote(Path stateDir) {
        return "generated a new webhook secret and stored it in " + defaultFile(stateDir) + " (owner-only, mode 600)."
                + " Back it up somewhere safe (a password manager): whatever verifies deliveries needs it,"
                + " and GitHub never shows it again.";
    }

    private static void warnIfReadableByOthers(String origin, Consumer<String> info) {
        Path file = Path.of(origin);
        if (!Files.isRegularFile(file)) return; // an environment variable name
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                info.accept("warning: the secret file " + file + " is readable by others; run: chmod 600 " + file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // no POSIX permissions to check
        }
    }

    /** A new secret: 32 random bytes as 64 lower-case hex digits. */
    public static Secret generate(String origin) {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return new Secret(HexFormat.of().formatHex(raw), origin);
    }

    /** Stores the secret readable by its owner only (mode 600 where POSIX permissions exist), flushed with its folder. */
    public static void store(Secret secret, Path file) throws IOException {
        SafeFiles.writeAtomically(file, (secret.reveal() + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static Optional<Secret> readFile(Path file) {
        if (!Files.exists(file)) return Optional.empty();
        String value = new String(InputFiles.read(file, MAX_FILE_BYTES, "secret file", "is larger than a secret (64 KB)"),
                StandardCharsets.UTF_8).strip();
        if (value.isEmpty()) throw new BadInputException("secret file is empty: " + file);
        return Optional.of(new Secret(value, file.toString()));
    }
}
