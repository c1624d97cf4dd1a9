package lib.sources;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import lib.util.Json;
import lib.util.SafeFiles;

/**
 * How far a runs folder has caught up with a hook's deliveries on GitHub ({@code runs/.from-github.json}): every
 * delivery up to this id was stored there, or refused for its own fault. A poller that starts with empty memory
 * lists back to it instead of through all GitHub keeps (3 days: on an organisation's hook thousands of deliveries,
 * one request each). Delivery ids only grow (a redelivery gets a new one). A hint: lost or damaged, the next
 * poll reads everything again and the store takes what it has as duplicates; so it is written without a flush.
 */
final class CatchUpMark {
    static final String FILE = ".from-github.json";

    private final Path file;
    private final String deliveriesUrl;
    private final Clock clock;
    private long storedThrough;

    /** The mark of the hook whose deliveries are listed at {@code deliveriesUrl}, kept in {@code runsDir}. */
    CatchUpMark(Path runsDir, String deliveriesUrl, Clock clock) {
        this.file = runsDir.resolve(FILE);
        this.deliveriesUrl = deliveriesUrl;
        this.clock = clock;
        this.storedThrough = read();
    }

    /** The newest delivery id known stored (0: none); a mark of another hook counts for nothing. */
    long storedThrough() {
        return storedThrough;
    }

    /** Records that every delivery up to {@code id} is stored; an older id changes nothing. */
    void advance(long id) throws IOException {
        if (id <= storedThrough) return;
        JsonNode mark = Json.object().put("deliveries_url", deliveriesUrl).put("stored_through_id", id)
                .put("updated_at", clock.instant().toString());
        SafeFiles.writeHint(file, (Json.compact(mark) + "\n").getBytes(StandardCharsets.UTF_8));
        storedThrough = id;
    }

    private long read() {
        try {
            JsonNode mark = Json.read(file);
            boolean ours = mark != null && mark.isObject() && deliveriesUrl.equals(Json.text(mark, "deliveries_url"));
            return ours ? mark.path("stored_through_id").asLong(0) : 0;
        } catch (IOException | RuntimeException absentOrDamaged) {
            return 0; // everything is read again, as without a mark
        }
    }
}
