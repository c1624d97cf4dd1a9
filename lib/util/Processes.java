package lib.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Short helper commands ({@code git}, {@code gh}) with a timeout that fires even when the command hangs. */
public final class Processes {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private Processes() {}

    /**
     * Stdout of {@code command} run in {@code dir} (null: ours) with exactly {@code env} (null: ours inherited),
     * when it exits 0 within {@code timeout}; empty when it fails, cannot start or takes longer (then it is
     * killed). Stdin is closed, stderr discarded; stdout is read on a thread, never written to disk.
     */
    public static Optional<String> run(List<String> command, Path dir, Map<String, String> env, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        if (dir != null) pb.directory(dir.toFile());
        if (env != null) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        Process p = null;
        try {
            p = pb.start();
            p.getOutputStream().close();
            FutureTask<byte[]> stdout = new FutureTask<>(p.getInputStream()::readAllBytes);
            Thread reader = new Thread(stdout, "read-" + command.get(0));
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) return Optional.empty();
            return Optional.of(new String(stdout.get(timeout.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8));
        } catch (IOException | ExecutionException | TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (p != null && p.isAlive()) p.destroyForcibly();
        }
    }
}
