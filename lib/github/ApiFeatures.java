package lib.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import lib.util.FileLocks;
import lib.util.Json;
import lib.util.SafeFiles;

/**
 * What we learned about an API server's features, so later runs skip a request that is known to fail.
 * Kept in {@code <runs-dir>/.api-features.json}, keyed by API URL:
 * <pre>
 * {"https://ghe.example.com/api/v3": {"return_run_details": false, "server_version": "3.20.0",
 *                                      "recorded_at": "2026-03-01T10:00:00Z"}}
 * </pre>
 * An entry is forgotten when the server reports another version ({@code X-GitHub-Enterprise-Version})
 * or after {@link #MAX_AGE}, so an upgraded server gets asked again. A missing or unreadable file
 * means "nothing known" (it is only an optimisation); writes hold a file lock and are atomic.
 */
public final class ApiFeatures {
    public static final String FILE_NAME = ".api-features.json";
    public static final String RETURN_RUN_DETAILS = "return_run_details";
    public static final Duration MAX_AGE = Duration.ofDays(7);
    /** A record this far ahead of our clock is not believed. */
    static final Duration FUTURE_TOLERANCE = Duration.ofMinutes(5);

    private final Path file;
    private final Clock clock;

    public ApiFeatures(Path storeDir) {
        this(storeDir, Clock.systemUTC());
    }

    public ApiFeatures(Path storeDir, Clock clock) {
        this.file = storeDir.resolve(FILE_NAME);
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /**
     * False only when we recorded that {@code apiUrl} rejects {@code feature}, for the same server version
     * and not longer ago than {@link #MAX_AGE} (nor in the future); true otherwise (worth trying).
     */
    public boolean mayHave(String apiUrl, String feature, String serverVersion) {
        JsonNode entry = read().path(apiUrl);
        JsonNode value = entry.get(feature);
        if (value == null || !value.isBoolean() || value.asBoolean()) return true;
        if (!Objects.equals(Json.text(entry, "server_version"), serverVersion)) return true;
        try {
            Instant recorded = Instant.parse(Json.text(entry, "recorded_at"));
            Instant now = clock.instant();
            // a time ahead of ours (a clock that was ahead, an edited file) would otherwise hold for longer than MAX_AGE
            return recorded.plus(MAX_AGE).isBefore(now) || recorded.isAfter(now.plus(FUTURE_TOLERANCE));
        } catch (RuntimeException e) {
            return true;
        }
    }

    /**
     * Records that {@code apiUrl} (at {@code serverVersion}, null when unknown) rejects {@code feature}.
     * Best effort: false when the file could not be written (later runs will just ask again).
     */
    public boolean recordMissing(String apiUrl, String feature, String serverVersion) {
        try {
            withLock(() -> {
                ObjectNode all = read();
                ObjectNode entry = all.has(apiUrl) && all.get(apiUrl).isObject()
                        ? (ObjectNode) all.get(apiUrl) : all.putObject(apiUrl);
                entry.put(feature, false);
                if (serverVersion == null) entry.putNull("server_version");
                else entry.put("server_version", serverVersion);
                entry.put("recorded_at", clock.instant().toString());
                SafeFiles.writeAtomically(file, Json.pretty(all));
                return null;
            });
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private ObjectNode read() {
        try {
            JsonNode node = Json.tree(Files.readAllBytes(file));
            return node != null && node.isObject() ? (ObjectNode) node : Json.object();
        } catch (NoSuchFileException e) {
            return Json.object();
        } catch (IOException e) {
            return Json.object(); // a damaged cache is the same as no cache
        }
    }

    private <T> T withLock(FileLocks.IoWork<T> work) throws IOException {
        return FileLocks.withLock(file.resolveSibling(".locks").resolve("api-features.lock"), work);
    }
}
