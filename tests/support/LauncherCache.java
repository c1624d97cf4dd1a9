import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The ./jbang launcher's cache folder, as the launcher finds it, and a wait for its background work. */
final class LauncherCache {
    private LauncherCache() {}

    /** The cache folder for this environment: JBANG_LAUNCHER_CACHE, else XDG_CACHE_HOME's or ~/.cache's jbang-launcher. */
    static Path dir(Map<String, String> env) {
        String cache = env.get("JBANG_LAUNCHER_CACHE");
        if (cache != null && !cache.isEmpty()) return Path.of(cache);
        String xdg = env.get("XDG_CACHE_HOME");
        return Path.of(xdg != null && !xdg.isEmpty() ? xdg : env.get("HOME") + "/.cache", "jbang-launcher");
    }

    /**
     * Waits, at most {@code max}, for the launcher's background work in {@code cache} (archives, records, other
     * scripts' builds): it holds {@code fastpath/.busy} shared while it works, so an exclusive lock waits for all of
     * it. False when the wait timed out; true when it ended, or when there is nothing to wait on (no file, no flock).
     */
    static boolean awaitBackground(Path cache, Duration max) throws IOException, InterruptedException {
        Path busy = cache.resolve("fastpath/.busy");
        if (!Files.exists(busy)) return true;
        Process flock;
        try {
            flock = new ProcessBuilder("flock", "-x", "-w", Long.toString(max.toSeconds()), busy.toString(), "true")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException noFlock) {
            return true; // without flock the launcher's background work holds no lock to wait on
        }
        if (!flock.waitFor(max.toSeconds() + 10, TimeUnit.SECONDS)) {
            flock.destroyForcibly();
            return false;
        }
        return flock.exitValue() == 0;
    }
}
