import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import lib.store.RunStore;
import lib.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whatever order deliveries arrive in, however often they repeat, and wherever an ingest is
 * interrupted, one more ingest of each delivery leaves every delivery stored exactly once.
 * Each seed is one random history; a failing seed reproduces exactly.
 */
class CrashResumePropertyTest {
    static final String CORR = "3e7c2b1a-9f4d-4c8e-b6a5-0d1e2f3a4b5c";

    @TempDir Path tmp;

    enum Step { COMPLETE, STOPPED_AFTER_EVENT, STOPPED_BEFORE_MARKER }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233})
    void everyDeliveryEndsUpStoredExactlyOnce(long seed) throws Exception {
        Random random = new Random(seed);
        Path runs = tmp.resolve("runs");
        Files.createDirectories(runs);
        Files.writeString(runs.resolve(CORR + ".json"), "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        RunStore store = new RunStore(runs);
        int ids = 6 + random.nextInt(6);
        List<String> history = new ArrayList<>();
        for (int i = 0; i < 3 * ids; i++) {
            String id = "d-" + random.nextInt(ids);
            history.add(id);
            Step step = Step.values()[random.nextInt(Step.values().length)];
            switch (step) {
                case COMPLETE -> assertEquals(0, ingest(runs, id).exitCode());
                case STOPPED_AFTER_EVENT -> {
                    if (store.storedDelivery(CORR, id).isEmpty()) {
                        store.writeEvent(store.reserveEvent(CORR, id, Instant.now()), payload());
                    }
                }
                case STOPPED_BEFORE_MARKER -> {
                    Testing.Run r = ingest(runs, id);
                    if (!r.out().contains("\"duplicate\":true")) rollBackMarker(runs, id, r);
                }
            }
        }
        Set<String> distinct = new HashSet<>(history);
        for (String id : distinct) assertEquals(0, ingest(runs, id).exitCode()); // the recovery pass

        JsonNode index = Json.read(runs.resolve(CORR).resolve("webhook/index.json"));
        List<String> indexed = new ArrayList<>();
        index.forEach(row -> indexed.add(row.get("delivery_id").asText()));
        assertEquals(distinct.size(), indexed.size(), "seed " + seed + ": " + indexed);
        assertEquals(distinct, new HashSet<>(indexed));
        Path webhook = runs.resolve(CORR).resolve("webhook");
        try (Stream<Path> events = Files.list(webhook.resolve("events"))) {
            assertEquals(distinct.size(), events.filter(p -> !p.getFileName().toString().startsWith(".")).count());
        }
        try (Stream<Path> markers = Files.list(webhook.resolve("deliveries"))) {
            List<String> names = markers.map(p -> p.getFileName().toString()).toList();
            assertFalse(names.stream().anyMatch(n -> n.endsWith(".pending")), names.toString());
            assertEquals(distinct.size(), names.size());
        }
        try (Stream<Path> all = Files.walk(runs)) {
            for (Path f : all.filter(p -> p.toString().endsWith(".json")).toList()) {
                Json.parse(Files.readAllBytes(f), f.toString());
            }
        }
        assertEquals(distinct.size(), Json.read(runs.resolve(CORR + ".json")).get("webhook_delivery_count").asLong(),
                "each delivery counted once in the metadata");
    }

    /** The state a crash leaves just before the "stored" marker: the row indexed, the marker missing. */
    @Test
    void aResumeMeetingAnIndexTornByTheCrashRebuildsItFromTheMarkers() throws Exception {
        Path runs = tmp.resolve("runs");
        assertEquals(0, ingest(runs, "d-1").exitCode());
        Testing.Run second = ingest(runs, "d-2");
        rollBackMarker(runs, "d-2", second);
        Path index = runs.resolve(CORR).resolve("webhook/index.json");
        byte[] whole = Files.readAllBytes(index);
        Files.write(index, java.util.Arrays.copyOf(whole, whole.length - 40)); // the crash tore the append

        Testing.Run resumed = ingest(runs, "d-2");
        assertEquals(0, resumed.exitCode(), resumed.err());
        List<String> indexed = new ArrayList<>();
        Json.read(index).forEach(row -> indexed.add(row.get("delivery_id").asText()));
        assertEquals(List.of("d-1", "d-2"), indexed);
    }

    @Test
    void aResumedDeliveryIsCountedOnceInTheMetadataPastTheHundredListed() throws Exception {
        Path runs = tmp.resolve("runs");
        Files.createDirectories(runs);
        Files.writeString(runs.resolve(CORR + ".json"), "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        Testing.Run last = null;
        for (int i = 1; i <= 101; i++) last = ingest(runs, "d-" + i);
        assertEquals(101, Json.read(runs.resolve(CORR + ".json")).get("webhook_delivery_count").asInt());
        rollBackMarker(runs, "d-101", last); // stopped after its row was appended, before its marker

        assertEquals(0, ingest(runs, "d-101").exitCode());
        assertEquals(101, Json.read(runs.resolve(CORR + ".json")).get("webhook_delivery_count").asInt());
    }

    @Test
    void deliveryIdsAreAtMostAHundredCharactersSoTheirFileNamesStaySafe() throws Exception {
        Path runs = tmp.resolve("runs");
        Testing.Run tooLong = ingest(runs, "x".repeat(101));
        assertEquals(2, tooLong.exitCode(), tooLong.err());
        assertFalse(Files.exists(runs.resolve(CORR)), "nothing stored");

        String longest = "y".repeat(100);
        Testing.Run stored = ingest(runs, longest);
        assertEquals(0, stored.exitCode(), stored.err());
        rollBackMarker(runs, longest, stored);
        assertEquals(0, ingest(runs, longest).exitCode());
        try (Stream<Path> events = Files.list(runs.resolve(CORR).resolve("webhook/events"))) {
            assertEquals(1, events.count(), "the resume found the event file it had chosen");
        }
        assertEquals(1, Json.read(runs.resolve(CORR).resolve("webhook/index.json")).size());
    }

    private static void rollBackMarker(Path runs, String id, Testing.Run run) throws Exception {
        Path deliveries = runs.resolve(CORR).resolve("webhook/deliveries");
        Files.delete(deliveries.resolve(id + ".json"));
        String stored = Json.parse(run.out().getBytes(), "stdout").get("stored").asText();
        Files.writeString(deliveries.resolve(id + ".pending"), Path.of(stored).getFileName().toString());
    }

    private static byte[] payload() {
        return Fixtures.workflowRun("in_progress", CORR, 1234567L);
    }

    private static Testing.Run ingest(Path runs, String id) {
        return Testing.ingest(Map.of(), payload(), "--runs-dir", runs.toString(), "--skip-verify", "--delivered", id);
    }
}
