package lib;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which correlation a run id belongs to, so a {@code workflow_job} delivery (which carries only the
 * run id) can be filed beside its run. An in-memory map fed as workflow_run deliveries are stored;
 * on a miss it scans the stored index files once, so runs stored by other processes are found too.
 * No extra file format on disk.
 */
public final class RunIdLookup {
    private final RunStore store;
    private final Map<Long, String> known = new ConcurrentHashMap<>();

    public RunIdLookup(RunStore store) {
        this.store = store;
    }

    public void remember(long runId, String correlationId) {
        if (correlationId != null) known.put(runId, Correlation.canonical(correlationId));
    }

    public Optional<String> find(long runId) throws IOException {
        String hit = known.get(runId);
        if (hit != null) return Optional.of(hit);
        Optional<String> scanned = scan(runId);
        scanned.ifPresent(c -> known.put(runId, c));
        return scanned;
    }

    private Optional<String> scan(long runId) throws IOException {
        if (!Files.isDirectory(store.root())) return Optional.empty();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(store.root(), Files::isDirectory)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (!Correlation.isValid(name)) continue;
                try {
                    for (JsonNode row : store.readIndex(name)) {
                        boolean runRow = !"workflow_job".equals(Json.text(row, "event"));
                        if (runRow && row.path("run_id").asLong(-1) == runId) return Optional.of(name.toLowerCase());
                    }
                } catch (CommandException unreadable) {
                    // a damaged index elsewhere must not stop the search
                }
            }
        }
        return Optional.empty();
    }
}
