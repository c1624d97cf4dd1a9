import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import lib.store.RunStore;
import lib.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's promise: storing a delivery costs the same however many are already stored. */
class RunStoreTest {
    static final String CORR = "0f8fad5b-d9cb-469f-a165-70867728950e";
    static final long RUN = 777000111L;

    @TempDir Path tmp;

    Testing.Run ingest(Path runs, String deliveryId, String action) {
        return Testing.ingest(Map.of(), Fixtures.workflowRun(action, CORR, RUN),
                "--runs-dir", runs.toString(), "--skip-verify", "--delivered", deliveryId);
    }

    @Test
    void theIndexGrowsByAnInPlaceAppendAndStaysAJsonArray() throws Exception {
        Path runs = tmp.resolve("runs");
        assertEquals(0, ingest(runs, "a-1", "requested").exitCode());
        Path index = runs.resolve(CORR).resolve("webhook/index.json");
        Object inode = Files.getAttribute(index, "unix:ino");
        byte[] before = Files.readAllBytes(index);

        for (int i = 2; i <= 5; i++) assertEquals(0, ingest(runs, "a-" + i, "in_progress").exitCode());

        byte[] after = Files.readAllBytes(index);
        assertEquals(inode, Files.getAttribute(index, "unix:ino"), "appended, not replaced by a new file");
        int kept = before.length - 3; // everything but the closing "\n]\n"
        assertArrayEquals(Arrays.copyOf(before, kept), Arrays.copyOf(after, kept), "earlier rows untouched");
        JsonNode rows = Json.read(index);
        assertEquals(5, rows.size());
        assertEquals("a-5", rows.get(4).get("delivery_id").asText());
        assertEquals(6 + 1, Files.readAllLines(index).size(), "one row per line between the brackets");
    }

    @Test
    void anIndexInAnotherLayoutIsRewrittenOnceAndKeepsItsRows() throws Exception {
        Path runs = tmp.resolve("runs");
        Path index = Files.createDirectories(runs.resolve(CORR).resolve("webhook")).resolve("index.json");
        Files.writeString(index, "[ {\n  \"delivery_id\" : \"old-1\",\n  \"run_id\" : 1\n} ]");
        assertEquals(0, ingest(runs, "new-1", "completed").exitCode());
        assertEquals(0, ingest(runs, "new-2", "completed").exitCode());
        JsonNode rows = Json.read(index);
        assertEquals(3, rows.size());
        assertEquals("old-1", rows.get(0).get("delivery_id").asText());
        assertEquals("new-2", rows.get(2).get("delivery_id").asText());
    }

    @Test
    void aTornIndexIsRebuiltFromTheDeliveryMarkersByTheNextIngest() throws Exception {
        Path runs = tmp.resolve("runs");
        for (int i = 1; i <= 3; i++) assertEquals(0, ingest(runs, "t-" + i, "in_progress").exitCode());
        Path index = runs.resolve(CORR).resolve("webhook/index.json");
        byte[] whole = Files.readAllBytes(index);
        Files.write(index, Arrays.copyOf(whole, whole.length - 40)); // as an OS crash mid-append could leave it

        Testing.Run next = ingest(runs, "t-4", "completed");
        assertEquals(0, next.exitCode(), next.err());
        JsonNode rows = Json.read(index);
        assertEquals(4, rows.size());
        for (int i = 0; i < 4; i++) assertEquals("t-" + (i + 1), rows.get(i).get("delivery_id").asText());
    }

    /** What a damaged index's error suggests: deleted, it is rebuilt, every row kept, by the next ingest. */
    @Test
    void aDeletedIndexIsRebuiltFromTheDeliveryMarkersByTheNextIngest() throws Exception {
        Path runs = tmp.resolve("runs");
        for (int i = 1; i <= 3; i++) assertEquals(0, ingest(runs, "d-" + i, "in_progress").exitCode());
        Path index = runs.resolve(CORR).resolve("webhook/index.json");
        Files.writeString(index, "[\n{\"delivery_id\": damaged},\n]\n"); // damaged inside, its end intact
        Testing.Run refused = Testing.run(new WaitForWebhook(), "--runs-dir", runs.toString(), "--correlation-id", CORR,
                "--timeout", "1");
        assertEquals(2, refused.exitCode(), refused.all());
        assertTrue(refused.err().contains("or delete it: the next delivery stored here rebuilds it"), refused.err());

        Files.delete(index);
        assertEquals(0, ingest(runs, "d-4", "completed").exitCode());
        JsonNode rows = Json.read(index);
        assertEquals(4, rows.size(), rows.toString());
        for (int i = 0; i < 4; i++) assertEquals("d-" + (i + 1), rows.get(i).get("delivery_id").asText());
    }

    @Test
    void theMetadataListsAtMostAHundredDeliveriesAndCountsThemAll() throws Exception {
        Path runs = Files.createDirectories(tmp.resolve("runs"));
        Files.writeString(runs.resolve(CORR + ".json"), "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        for (int i = 0; i < 103; i++) assertEquals(0, ingest(runs, "m-" + i, "in_progress").exitCode());
        assertEquals(0, ingest(runs, "m-0", "in_progress").exitCode()); // a duplicate counts nothing
        JsonNode meta = Json.read(runs.resolve(CORR + ".json"));
        assertEquals(100, meta.get("webhook_deliveries").size());
        assertEquals(103, meta.get("webhook_delivery_count").asLong());
        // unverified (--skip-verify): they never name the run, and the list of them is capped too
        assertTrue(meta.get("run_id").isNull(), meta.toString());
        assertEquals(20, meta.get("webhook_ignored").size());
        assertEquals(103, Json.read(runs.resolve(CORR).resolve("webhook/index.json")).size());
    }

    @Test
    void aDeliveryResumedAfterOthersWereStoredIsIndexedOnce() throws Exception {
        Path runs = tmp.resolve("runs");
        assertEquals(0, ingest(runs, "crashed", "requested").exitCode());
        // what a crash between the index append and the stored marker leaves behind
        Path deliveries = runs.resolve(CORR).resolve("webhook/deliveries");
        String eventFile = Json.text(Json.read(deliveries.resolve("crashed.json")), "file");
        Files.delete(deliveries.resolve("crashed.json"));
        Files.writeString(deliveries.resolve("crashed.pending"), Path.of(eventFile).getFileName() + "\n");
        // other deliveries for the same correlation arrive before the crashed one is run again
        assertEquals(0, ingest(runs, "later-1", "in_progress").exitCode());
        assertEquals(0, ingest(runs, "later-2", "completed").exitCode());
        assertEquals(0, ingest(runs, "crashed", "requested").exitCode());

        JsonNode index = Json.read(runs.resolve(CORR).resolve("webhook/index.json"));
        assertEquals(3, index.size(), index.toString());
        assertTrue(Files.exists(deliveries.resolve("crashed.json")));
        assertFalse(Files.exists(deliveries.resolve("crashed.pending")));
    }

    /**
     * A reader (a follower, wait-for-webhook) does not take the folder's lock, so it can read the index
     * while a row is being appended and see the write half done: it reads again rather than calling the
     * file damaged. Readers in a loop beside a writer never fail and never see rows go missing.
     */
    @Test
    void readersBesideAWriterNeverSeeAHalfAppendedRow() throws Exception {
        Path runs = tmp.resolve("runs");
        assertEquals(0, ingest(runs, "c-0", "requested").exitCode());
        RunStore reader = new RunStore(runs);
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Future<?> readers = java.util.concurrent.Executors.newSingleThreadExecutor().submit(() -> {
            int seen = 1;
            while (writing.get()) {
                int rows = reader.readIndex(CORR).size();
                assertTrue(rows >= seen, "rows went missing: " + rows + " after " + seen);
                seen = rows;
                reads.incrementAndGet();
            }
            return null;
        });
        for (int i = 1; i <= 400; i++) assertEquals(0, ingest(runs, "c-" + i, "in_progress").exitCode());
        writing.set(false);
        readers.get(); // rethrows a reader's failure
        assertTrue(reads.get() > 400, "the reader kept up: " + reads.get() + " reads");
        assertEquals(401, reader.readIndex(CORR).size());
    }

    @Test
    void aStoredRunIdPointsBackToItsCorrelation() throws Exception {
        Path runs = tmp.resolve("runs");
        RunStore store = new RunStore(runs);
        assertEquals(Optional.empty(), store.correlationOfRun(RUN));
        assertEquals(0, ingest(runs, "r-1", "requested").exitCode());
        assertEquals(Optional.of(CORR), store.correlationOfRun(RUN));
        assertTrue(store.storedDelivery(CORR, "r-1").isPresent());
        assertFalse(store.storedDelivery(CORR, "r-2").isPresent());
    }
}
