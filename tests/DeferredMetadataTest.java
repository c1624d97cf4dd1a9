import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import lib.ingest.DeliveryIntake;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Correlation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A receiver's metadata merges are written by its journal's checkpoints, not by each delivery: what another
 * process writes into the same file meanwhile is kept, and each delivery is merged against what the file holds.
 */
class DeferredMetadataTest {
    @TempDir
    Path tmp;

    /** Both deliveries in one journal segment (no checkpoint between them), the other process's write between them. */
    @Test
    void anotherProcesssChangeMadeMeanwhileIsKeptAndTheNextDeliveryIsCheckedAgainstIt() throws Exception {
        for (int attempt = 1; ; attempt++) {
            Path runs = tmp.resolve("runs-" + attempt);
            String corr = Correlation.newId();
            RunStore otherProcess = new RunStore(runs);
            otherProcess.updateMetadata(corr, m -> m.json().put("correlation_id", corr).putNull("run_id")
                    .put("dispatched_at", "2026-01-01T00:00:00Z"));
            List<String> warnings = new CopyOnWriteArrayList<>();
            boolean oneSegment;
            try (RunStore receiver = RunStore.journaled(runs, warnings::add)) {
                DeliveryIntake intake = new DeliveryIntake(receiver, JournalTest.verifying(), Clock.systemUTC(), warnings::add);
                intake.accept(JournalTest.signed(Fixtures.workflowRun("requested", corr, 85_000_001L), "p-1"));
                List<Path> segment = JournalTest.listJournal(runs);
                // trigger-and-track, meanwhile: GitHub's dispatch answer named another run (the file gets a new inode)
                otherProcess.updateMetadata(corr, m -> m.json().put("run_id", 85_000_999L).put("run_id_source", "api"));
                intake.accept(JournalTest.signed(Fixtures.workflowRun("in_progress", corr, 85_000_001L), "p-2"));
                oneSegment = segment.size() == 1 && segment.equals(JournalTest.listJournal(runs));
            }
            if (oneSegment) {
                checkMerged(runs, corr, warnings);
                return;
            }
            assertTrue(attempt < 5, "a checkpoint came between the two deliveries in every attempt");
        }
    }

    private static void checkMerged(Path runs, String corr, List<String> warnings) throws Exception {
        JsonNode m = Json.read(runs.resolve(corr + ".json"));
        assertEquals(85_000_999L, m.get("run_id").asLong(), "the other process's change is kept");
        assertEquals("api", m.get("run_id_source").asText());
        assertEquals(2, m.get("webhook_delivery_count").asInt());
        assertEquals(List.of("p-1", "p-2"), List.of(m.get("webhook_deliveries").get(0).asText(), m.get("webhook_deliveries").get(1).asText()));
        assertEquals("in_progress", m.get("webhook_status").asText());
        // p-1 was merged (at the checkpoint) into the file as the other process left it: both disagree with its run id
        assertEquals(List.of("p-1", "p-2"), List.of(m.get("webhook_mismatches").get(0).get("delivery_id").asText(),
                m.get("webhook_mismatches").get(1).get("delivery_id").asText()), m.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("run_id 85000999 differs from the webhook's run id 85000001")),
                "the second delivery was checked against the file as the other process left it: " + warnings);
    }

    /** A correlation without a metadata file gets an orphan record, which its deliveries' merges make and fill. */
    @Test
    void anOrphanRecordIsMadeByTheCheckpoint() throws Exception {
        Path runs = tmp.resolve("runs");
        String corr = Correlation.newId();
        try (RunStore receiver = RunStore.journaled(runs, m -> {})) {
            DeliveryIntake intake = new DeliveryIntake(receiver, JournalTest.verifying(), Clock.systemUTC(), m -> {});
            for (int i = 0; i < 3; i++) {
                intake.accept(JournalTest.signed(Fixtures.workflowRun("in_progress", corr, 85_000_004L), "o-" + i));
            }
        }
        JsonNode orphan = Json.read(runs.resolve("webhook_orphans/85000004.json"));
        assertEquals(corr, orphan.get("correlation_id").asText());
        assertEquals(3, orphan.get("webhook_delivery_count").asInt());
        assertEquals(85_000_004L, orphan.get("webhook_run_id").asLong());
    }

    /** A new orphan record that something else wrote (here: garbage) before the checkpoint made it is left as it is. */
    @Test
    void aNewOrphanRecordWrittenByAnotherBeforeTheCheckpointIsNotOverwritten() throws Exception {
        untilNoCheckpointCameFirst(DeferredMetadataTest::orphanWrittenBeforeTheCheckpoint);
    }

    @Test
    void aFileDamagedBeforeTheCheckpointIsLeftAsItIsAndTheCheckpointStillEnds() throws Exception {
        untilNoCheckpointCameFirst(DeferredMetadataTest::damageBeforeTheCheckpoint);
    }

    /** A scenario in a new runs folder; false when a checkpoint (one every 100 ms) came before its write. */
    @FunctionalInterface
    interface Attempt {
        boolean run(Path runs) throws Exception;
    }

    private void untilNoCheckpointCameFirst(Attempt attempt) throws Exception {
        for (int i = 1; i <= 20; i++) {
            if (attempt.run(tmp.resolve("runs-" + i))) return;
        }
        throw new AssertionError("a checkpoint came before the write in 20 attempts");
    }

    private static boolean orphanWrittenBeforeTheCheckpoint(Path runs) throws Exception {
        List<String> warnings = new CopyOnWriteArrayList<>();
        Path orphan = runs.resolve("webhook_orphans/85000005.json");
        boolean first;
        try (RunStore receiver = RunStore.journaled(runs, warnings::add)) {
            DeliveryIntake intake = new DeliveryIntake(receiver, JournalTest.verifying(), Clock.systemUTC(), warnings::add);
            String corr = Correlation.newId();
            intake.accept(JournalTest.signed(Fixtures.workflowRun("in_progress", corr, 85_000_005L), "n-1"));
            // Under the folder's lock no checkpoint writes the record: either one did already, or the next finds this one.
            first = receiver.withLock(RunStore.folderFor(corr), () -> {
                if (Files.exists(orphan)) return false;
                Files.writeString(Files.createDirectories(orphan.getParent()).resolve(orphan.getFileName()), "{");
                return true;
            });
        }
        if (!first) return false;
        assertEquals("{", Files.readString(orphan));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("not recorded in it")), warnings.toString());
        return true;
    }

    private static boolean damageBeforeTheCheckpoint(Path runs) throws Exception {
        String corr = Correlation.newId();
        new RunStore(runs).updateMetadata(corr, m -> m.json().put("correlation_id", corr).putNull("run_id")
                .put("dispatched_at", "2026-01-01T00:00:00Z"));
        List<String> warnings = new CopyOnWriteArrayList<>();
        String other = Correlation.newId();
        new RunStore(runs).updateMetadata(other, m -> m.json().put("correlation_id", other).putNull("run_id")
                .put("dispatched_at", "2026-01-01T00:00:00Z"));
        Path file = runs.resolve(corr + ".json");
        boolean damaged;
        try (RunStore receiver = RunStore.journaled(runs, warnings::add)) {
            DeliveryIntake intake = new DeliveryIntake(receiver, JournalTest.verifying(), Clock.systemUTC(), warnings::add);
            intake.accept(JournalTest.signed(Fixtures.workflowRun("requested", corr, 85_000_002L), "q-1"));
            // Under the folder's lock no checkpoint writes the merge: either one did already, or the next sees the damage.
            damaged = receiver.withLock(RunStore.folderFor(corr), () -> {
                if (Json.read(file).has("webhook_delivery_count")) return false;
                Files.writeString(file, "{\"correlation_id\": "); // damaged by hand, meanwhile
                return true;
            });
            intake.accept(JournalTest.signed(Fixtures.workflowRun("requested", other, 85_000_003L), "q-2"));
        }
        if (!damaged) return false;
        assertEquals("{\"correlation_id\": ", Files.readString(file), "left as it is");
        assertTrue(warnings.stream().anyMatch(w -> w.contains(corr + ".json is not valid JSON") && w.contains("not recorded")),
                warnings.toString());
        assertEquals(1, Json.read(runs.resolve(other + ".json")).get("webhook_delivery_count").asInt(), "the other file is written");
        assertEquals(1, new RunStore(runs).readIndex(corr).size(), "the delivery itself is stored");
        assertEquals(List.of(), JournalTest.listJournal(runs), "the checkpoint ended: no segment left for a replay");
        return true;
    }
}
