import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.store.IndexRow;
import lib.store.Journal;
import lib.store.JournalEntry;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Correlation;
import lib.webhook.Headers;
import lib.webhook.Secret;
import lib.webhook.WebhookDelivery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A journaled store: one flush makes many deliveries durable, and a receiver that dies loses nothing it answered. */
class JournalTest {
    @TempDir Path tmp;

    static Ingest.Options verifying() {
        return Ingest.Options.verifying(Optional.of(new Secret(Deliveries.SECRET, "test")));
    }

    static WebhookDelivery signed(byte[] body, String deliveryId) {
        return new WebhookDelivery(body, new Headers().set(Headers.EVENT, "workflow_run").set(Headers.DELIVERY, deliveryId)
                .set(Headers.SIGNATURE_256, Deliveries.sign(body)));
    }

    @Test
    void oneFlushMakesEveryEntryAppendedBeforeItDurable() throws Exception {
        try (RunStore store = RunStore.journaled(tmp.resolve("runs"), m -> {})) {
            List<Journal.Ticket> tickets = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                tickets.add(store.journal(new JournalEntry("workflow_run", 1, RunStore.UNKNOWN, "d-" + i,
                        "20260101T000000.000Z-d-" + i + ".json", Instant.now(), "hmac", "workflow_run", new byte[] {'{', '}'})));
            }
            tickets.forEach(store::written);
            store.awaitDurable(tickets.get(2));
            store.awaitDurable(tickets.get(0));
            store.awaitDurable(tickets.get(1));
            assertEquals(1, store.journalFlushes(), "the flush for the last entry covered the two before it");
        }
    }

    @Test
    void aDuplicatesAnswerWaitsUntilItsFirstCopyIsDurable() throws Exception {
        try (RunStore store = RunStore.journaled(tmp.resolve("runs"), m -> {})) {
            Journal.Ticket first = store.journal(new JournalEntry("workflow_run", 1, RunStore.UNKNOWN, "d-1",
                    "20260101T000000.000Z-d-1.json", Instant.now(), "hmac", "workflow_run", new byte[] {'{', '}'}));
            store.written(first); // its marker is written: a duplicate finds it, while its flush is still to come
            assertFalse(store.isDurable(first));
            store.awaitDurable(store.journaledSoFar()); // what the duplicate waits on before its 2xx
            assertTrue(store.isDurable(first), "the duplicate's 2xx never comes before the first copy is durable");
        }
    }

    /** A segment a killed receiver would leave: three small entries, copied before the store checkpoints its own. */
    private Path leftSegment(Path dir) throws Exception {
        return leftSegment(dir, "d-");
    }

    private Path leftSegment(Path dir, String ids) throws Exception {
        for (int round = 0; ; round++) {
            try (RunStore store = RunStore.journaled(tmp.resolve("live-" + ids + round), m -> {})) {
                Journal.Ticket last = null;
                for (int i = 0; i < 3; i++) {
                    last = store.journal(new JournalEntry("workflow_run", 1, RunStore.UNKNOWN, ids + i,
                            "20260101T000000.000Z-" + ids + i + ".json", Instant.now(), "hmac", "workflow_run", new byte[] {'{', '}'}));
                    store.written(last);
                }
                store.awaitDurable(last);
                Optional<Path> copy = copyOfLiveSegment(tmp.resolve("live-" + ids + round), dir);
                if (copy.isPresent() || round == 4) return copy.orElseThrow();
            }
        }
    }

    /** A copy of a live store's journal segment, as a receiver killed now would leave it; empty if a checkpoint took it first. */
    private static Optional<Path> copyOfLiveSegment(Path runs, Path dir) throws Exception {
        Files.createDirectories(dir);
        try (var segments = Files.list(runs.resolve(".journal"))) {
            for (Path live : segments.filter(f -> f.toString().endsWith(".wal")).toList()) {
                return Optional.of(Files.copy(live, dir.resolve(live.getFileName())));
            }
        } catch (java.nio.file.NoSuchFileException checkpointed) {
            // deleted between the listing and the copy
        }
        return Optional.empty();
    }

    @Test
    void aDeliveryAReceiverIndexedButHadNotMarkedWhenKilledIsStoredOnceByAnotherTool() throws Exception {
        String corr = Correlation.newId();
        byte[] body = Fixtures.workflowRun("requested", corr, 42L);
        Path runs = null;
        Path left = null;
        for (int round = 0; left == null && round < 5; round++) {
            runs = tmp.resolve("runs-" + round);
            try (RunStore store = RunStore.journaled(runs, m -> {})) {
                new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {}).accept(signed(body, "g-1"));
                left = copyOfLiveSegment(runs, tmp.resolve("left-" + round)).orElse(null);
            }
        }
        // killed after the row's append, before the marker: its segment is left, the marker missing
        Files.copy(left, runs.resolve(".journal").resolve(left.getFileName()));
        Files.delete(runs.resolve(corr).resolve("webhook/deliveries/g-1.json"));

        Deliveries.storeSigned(runs, Deliveries.secretFile(tmp), body, "g-1"); // process-workflow-webhook, meanwhile
        try (RunStore store = RunStore.journaled(runs, m -> {})) {
            new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {}).recoverJournal(); // the next receiver
        }
        List<String> ids = new ArrayList<>();
        new RunStore(runs).readIndex(corr).forEach(r -> ids.add(r.deliveryId()));
        assertEquals(List.of("g-1"), ids);
        try (var events = Files.list(runs.resolve(corr).resolve("webhook/events"))) {
            assertEquals(1, events.count(), "one event file");
        }
        assertTrue(Files.exists(runs.resolve(corr).resolve("webhook/deliveries/g-1.json")));
    }

    @Test
    void aDamagedRecordInTheMiddleOfASegmentLosesNotTheRecordsAfterIt() throws Exception {
        Path segment = leftSegment(tmp.resolve("left"));
        byte[] bytes = Files.readAllBytes(segment);
        int second = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("\"d-1\"");
        bytes[second + 2] ^= 0x20; // the disk garbled a byte of the second record
        Files.write(segment, bytes);

        List<String> replayed = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Journal.recover(segment.getParent(), (e, merged) -> replayed.add(e.deliveryId()), (n, entries) -> {}, warnings::add);
        assertEquals(List.of("d-0", "d-2"), replayed);
        assertFalse(Files.exists(segment));
        assertTrue(Files.exists(segment.resolveSibling(segment.getFileName() + ".damaged")), "kept for a look: " + warnings);
    }

    @Test
    void segmentsAreReplayedOldestFirstWhateverTheirProcessIds() throws Exception {
        Path dir = tmp.resolve("left");
        Files.move(leftSegment(dir, "older-"), dir.resolve("200-1000-1.wal"));
        Files.move(leftSegment(dir, "newer-"), dir.resolve("1000-2000-1.wal"));
        List<String> replayed = new ArrayList<>();
        Journal.recover(dir, (e, merged) -> replayed.add(e.deliveryId()), (n, entries) -> {}, m -> {});
        assertEquals(List.of("older-0", "older-1", "older-2", "newer-0", "newer-1", "newer-2"), replayed);
    }

    @Test
    void anEntryThatCannotBeReplayedKeepsItsSegmentButNotTheOthersBack() throws Exception {
        Path segment = leftSegment(tmp.resolve("left"));
        List<String> replayed = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Journal.ReplayAction failingFirst = (e, merged) -> {
            if (e.deliveryId().equals("d-0")) throw new java.io.IOException("a damaged metadata file");
            replayed.add(e.deliveryId());
        };
        assertEquals(2, Journal.recover(segment.getParent(), failingFirst, (n, entries) -> {}, warnings::add));
        assertEquals(List.of("d-1", "d-2"), replayed);
        assertTrue(Files.exists(segment), "kept for the next start");
        assertTrue(warnings.toString().contains("could not replay 1 of the 3 deliveries"), warnings.toString());
    }

    @Test
    void aFormEncodedJobDeliveryIsReplayed() throws Exception {
        Path runs = tmp.resolve("runs");
        String corr = Correlation.newId();
        long run = 30433642L; // the job fixture's run
        Deliveries.storeSigned(runs, Deliveries.secretFile(tmp), Fixtures.workflowRun("requested", corr, run), "r-1");
        byte[] form = ("payload=" + java.net.URLEncoder.encode(Fixtures.text("workflow_job.queued.json"), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
        JournalEntry job = new JournalEntry("workflow_job", run, corr, "j-1", "20260101T000000.000Z-j-1.json", Instant.now(),
                "hmac", "workflow_job", form);

        new Ingest(new RunStore(runs), verifying(), Clock.systemUTC(), m -> {}).replay(job, false);
        List<String> ids = new ArrayList<>();
        new RunStore(runs).readIndex(corr).forEach(r -> ids.add(r.deliveryId()));
        assertEquals(List.of("r-1", "j-1"), ids);
    }

    @Test
    void concurrentDeliveriesShareFlushesAndAreAllStoredOnce() throws Exception {
        Path runs = tmp.resolve("runs");
        List<String> corrs = List.of(Correlation.newId(), Correlation.newId(), Correlation.newId());
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (RunStore store = RunStore.journaled(runs, m -> {})) {
            for (String c : corrs) store.updateMetadata(c, m -> m.json().put("correlation_id", c).putNull("run_id")
                    .put("dispatched_at", "2026-01-01T00:00:00Z"));
            DeliveryIntake intake = new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {});
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 96; i++) {
                String corr = corrs.get(i % 3);
                byte[] body = Fixtures.workflowRun("in_progress", corr, 81_000_000L + i % 3);
                String id = "c-" + i;
                done.add(pool.submit(() -> intake.accept(signed(body, id))));
            }
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
            long flushes = store.journalFlushes();
            assertTrue(flushes > 0 && flushes < 96, "each answer waited for a flush, shared: " + flushes + " for 96 deliveries");
            for (String c : corrs) {
                List<IndexRow> rows = store.readIndex(c);
                assertEquals(32, rows.size());
                assertEquals(32, rows.stream().map(IndexRow::deliveryId).distinct().count());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), listJournal(runs), "closing checkpoints and deletes the journal");
        for (String c : corrs) { // the metadata merges are written by the checkpoints, the last one on closing
            assertEquals(32, Json.read(runs.resolve(c + ".json")).get("webhook_delivery_count").asInt());
        }
    }

    /**
     * A receiver stopped (SIGTERM) while a checkpoint is flushing lets that flush finish, then checkpoints
     * the rest: an interrupted flush would fail and leave its segment on disk for the next receiver to replay.
     * The checkpoint's {@code sync} is made slow here, so a stop nearly always lands in one.
     */
    @Test
    void aReceiverStoppedDuringACheckpointLeavesNoSegmentBehind() throws Exception {
        Path runs = tmp.resolve("runs");
        Path bin = Files.createDirectories(tmp.resolve("slow-sync"));
        Path sync = Files.writeString(bin.resolve("sync"), "#!/bin/sh\nsleep 0.4\nexec " + realSync() + " \"$@\"\n");
        sync.toFile().setExecutable(true);
        Process receiver = startReceiver(runs, Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH")));
        URI url = url(receiver);
        ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < 30; i++) { // a second and more of checkpoints, each flush slow
            String id = "t-" + i;
            if (Deliveries.postSigned(url, "workflow_run", id, Fixtures.workflowRun("in_progress", Correlation.newId(),
                    83_000_000L + i)).statusCode() == 200) answered.add(id);
            Thread.sleep(40);
        }
        receiver.destroy(); // SIGTERM: drains, closes the journal
        assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver stopped");
        assertEquals(30, answered.size());
        assertEquals(List.of(), listJournal(runs), "every segment checkpointed and deleted");
    }

    /**
     * A receiver killed while a checkpoint flushes has written that checkpoint's metadata merges but not deleted its
     * segment; the next receiver's replay merges the deliveries of the segments after it, and not that one's again.
     * The metadata already lists 100 deliveries, so a delivery merged twice would be counted twice.
     */
    @Test
    void aReceiverKilledDuringACheckpointHasEachDeliveryMergedIntoTheMetadataOnce() throws Exception {
        Path runs = tmp.resolve("runs");
        String corr = Correlation.newId();
        new RunStore(runs).updateMetadata(corr, m -> {
            m.json().put("correlation_id", corr).putNull("run_id").put("dispatched_at", "2026-01-01T00:00:00Z");
            for (int i = 0; i < 100; i++) m.json().withArray("webhook_deliveries").add("earlier-" + i);
            m.json().put("webhook_delivery_count", 100);
        });
        Path bin = Files.createDirectories(tmp.resolve("stuck-sync"));
        Files.writeString(bin.resolve("sync"), "#!/bin/sh\nsleep 60\n").toFile().setExecutable(true);
        Process receiver = startReceiver(runs, Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH")));
        URI url = url(receiver);
        for (int i = 0; i < 60; i++) {
            assertEquals(200, Deliveries.postSigned(url, "workflow_run", "m-" + i, Fixtures.workflowRun("in_progress", corr,
                    84_000_001L)).statusCode());
            if (i == 20) Thread.sleep(400); // the first checkpoint seals the segment, writes its merges, then stays in its sync
        }
        long merged = 0;
        for (int wait = 0; wait < 200 && merged <= 100; wait++, Thread.sleep(50)) {
            merged = Json.read(runs.resolve(corr + ".json")).path("webhook_delivery_count").asLong();
        }
        receiver.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertTrue(merged > 100 && merged < 160, "the first checkpoint wrote its merges, not all: " + merged);
        assertTrue(listJournal(runs).size() >= 2, "its segment and the next are left: " + listJournal(runs));

        Process next = startReceiver(runs);
        try {
            url(next); // listening: the journal was replayed first
            JsonNode metadata = Json.read(runs.resolve(corr + ".json"));
            assertEquals(160, metadata.get("webhook_delivery_count").asInt(), "each delivery counted once");
            assertEquals(84_000_001L, metadata.get("run_id").asLong());
            assertEquals(60, store(runs).readIndex(corr).size());
            assertEquals(List.of(), listJournal(runs));
        } finally {
            next.destroy();
            next.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static RunStore store(Path runs) {
        return new RunStore(runs);
    }

    /** The payload with a filler field of {@code bytes} characters after its opening brace. */
    private static byte[] padded(byte[] json, int bytes) {
        String text = new String(json, StandardCharsets.UTF_8);
        int at = text.indexOf('{') + 1;
        return (text.substring(0, at) + "\"padding\":\"" + "x".repeat(bytes) + "\"," + text.substring(at))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String realSync() {
        for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "sync"))) return Path.of(dir, "sync").toString();
        }
        throw new org.opentest4j.TestAbortedException("no sync command on PATH");
    }

    /**
     * The receiver's promise: a 2xx means durable. Killed (SIGKILL) right after its last answer, every
     * delivery it answered 2xx is on disk and readable; files the machine might lose before they were
     * flushed come back from the journal when the next receiver starts.
     */
    @Test
    void aReceiverKilledRightAfterItsAnswersLosesNothingItAnswered() throws Exception {
        Path runs = tmp.resolve("runs");
        String corr = Correlation.newId();
        long runId = 82_000_001L;
        new RunStore(runs).updateMetadata(corr, m -> m.json().put("correlation_id", corr).putNull("run_id")
                .put("dispatched_at", "2026-01-01T00:00:00Z"));
        Process receiver = startReceiver(runs);
        URI url = url(receiver);
        ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String id = "k-" + i;
            byte[] small = Fixtures.workflowRun(i % 2 == 0 ? "in_progress" : "completed", corr, runId);
            byte[] body = i % 4 == 3 ? padded(small, 100_000) : small; // large ones: a journal record in two writes
            sent.add(pool.submit(() -> {
                HttpResponse<String> r = Deliveries.postSigned(url, "workflow_run", id, body);
                if (r.statusCode() == 200) answered.add(id);
                return null;
            }));
        }
        for (Future<?> f : sent) f.get(60, TimeUnit.SECONDS);
        receiver.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no shutdown hook, no checkpoint
        pool.shutdown();
        assertEquals(40, answered.size());
        assertFalse(listJournal(runs).isEmpty(), "the killed receiver left its journal");

        RunStore store = new RunStore(runs);
        Map<String, IndexRow> rows = new HashMap<>();
        store.readIndex(corr).forEach(r -> rows.put(r.deliveryId(), r));
        for (String id : answered) {
            IndexRow row = rows.get(id);
            assertTrue(row != null && store.storedDelivery(corr, id).isPresent(), "stored: " + id);
            assertTrue(Files.size(store.webhookDir(corr).resolve(row.file())) > 1000, "event file of " + id);
        }
        assertFalse(Json.read(runs.resolve(corr + ".json")).has("webhook_delivery_count"),
                "the metadata merges wait for a checkpoint, which this receiver never reached");

        // The machine loses what was not flushed, in any order: here every event file and the index,
        // and the "stored" markers of half the deliveries (the others' markers survive their rows).
        Map<String, byte[]> events = new HashMap<>();
        int i = 0;
        for (IndexRow row : rows.values()) {
            Path file = store.webhookDir(corr).resolve(row.file());
            events.put(row.file(), Files.readAllBytes(file));
            Files.delete(file);
            if (i++ % 2 == 0) Files.delete(store.webhookDir(corr).resolve("deliveries").resolve(row.deliveryId() + ".json"));
        }
        Files.delete(store.indexFile(corr));

        Process next = startReceiver(runs);
        try {
            url(next); // listening: the journal was replayed first
            List<IndexRow> restored = store.readIndex(corr);
            assertEquals(40, restored.size(), "every answered delivery is back in the index, once");
            for (IndexRow row : restored) {
                assertArrayEquals(events.get(row.file()), Files.readAllBytes(store.webhookDir(corr).resolve(row.file())),
                        "the same event file, byte for byte: " + row.file());
                assertTrue(store.storedDelivery(corr, row.deliveryId()).isPresent());
            }
            JsonNode metadata = Json.read(runs.resolve(corr + ".json"));
            assertEquals(40, metadata.get("webhook_delivery_count").asInt(), "the replay counted nothing twice");
            assertEquals(runId, metadata.get("run_id").asLong());
            assertEquals(List.of(), listJournal(runs), "the replayed segment is gone once its files are flushed");
        } finally {
            next.destroy();
            next.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A receiver killed between creating its next segment ({@code *.wal.opening}) and renaming it leaves that file:
     * the next receiver's recovery replays what it holds (normally nothing: entries are appended only once it is
     * renamed) and removes it, but leaves alone one that a live receiver holds locked.
     */
    @Test
    void aSegmentLeftWhileBeingOpenedIsReplayedAndRemovedUnlessItsReceiverLives() throws Exception {
        String corr = Correlation.newId();
        Path runs = tmp.resolve("runs");
        Path left = null;
        for (int round = 0; left == null && round < 5; round++) {
            Path live = tmp.resolve("live-" + round);
            try (RunStore store = RunStore.journaled(live, m -> {})) {
                new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {})
                        .accept(signed(Fixtures.workflowRun("requested", corr, 42L), "o-1"));
                left = copyOfLiveSegment(live, tmp.resolve("left-" + round)).orElse(null);
            }
        }
        Path journal = Files.createDirectories(runs.resolve(Journal.DIR));
        Path empty = Files.createFile(journal.resolve("4001-1000-1.wal.opening"));
        Path holding = Files.move(left, journal.resolve("4002-2000-1.wal.opening")); // its rename lost, say
        Path held = journal.resolve("4003-3000-1.wal.opening");
        Process owner = holdLocked(held);
        try {
            List<String> warnings = new ArrayList<>();
            try (RunStore store = RunStore.journaled(runs, warnings::add)) {
                assertEquals(1, new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {}).recoverJournal());
            }
            assertFalse(Files.exists(empty), "removed");
            assertFalse(Files.exists(holding), "replayed and removed");
            assertEquals(List.of("o-1"), new RunStore(runs).readIndex(corr).stream().map(IndexRow::deliveryId).toList());
            assertTrue(Files.exists(held), "its receiver is alive");
            assertEquals(List.of(), warnings);
        } finally {
            owner.getOutputStream().close();
            assertTrue(owner.waitFor(30, TimeUnit.SECONDS));
        }
        Journal.recover(journal, (e, merged) -> {}, (n, entries) -> {}, m -> {});
        assertFalse(Files.exists(held), "removed once its receiver is gone");
    }

    /** A process of its own holding a lock on {@code file} (as a live receiver does its segment) until its stdin closes. */
    static Process holdLocked(Path file) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                file.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start(); // stderr: e.g. "Picked up JAVA_TOOL_OPTIONS"
        String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertEquals("locked", first);
        return p;
    }

    static final class LockHolder {
        public static void main(String[] args) throws Exception {
            try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                System.out.println("locked");
                System.out.flush();
                System.in.read();
            }
        }
    }

    /**
     * A segment's records are flushed before the 2xx, and so must its name be: a new segment is renamed into place,
     * and a rename survives a power loss only once its folder is flushed. That flush comes before the segment's first
     * answer, once per segment (not per delivery); the deliveries' own files and folders are flushed by checkpoints only.
     */
    @Test
    void aSegmentsNameIsFlushedOnceBeforeItsFirstAnswerAndTheDeliveriesFilesAreNot() throws Exception {
        assumeTrue(SyscallTrace.available(), "strace shows a folder's flush");
        Path runs = tmp.resolve("runs");
        Files.createDirectories(runs);
        String corr = Correlation.newId();
        List<SyscallTrace.Call> calls = SyscallTrace.run(tmp, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Dawt.journal.checkpointMillis=600000", "-cp", System.getProperty("java.class.path"),
                JournalingMain.class.getName(), runs.toString(), corr));
        Path journal = runs.resolve(Journal.DIR).toAbsolutePath();
        int renamed = indexOf(calls, c -> c.name().startsWith("rename") && c.path().getParent().equals(journal)
                && c.path().toString().endsWith(".wal"));
        int firstAnswer = indexOf(calls, c -> c.isMkdir() && c.path().endsWith("answered-0"));
        int lastAnswer = indexOf(calls, c -> c.isMkdir() && c.path().endsWith("answered-2"));
        assertTrue(renamed >= 0 && firstAnswer > renamed && lastAnswer > firstAnswer, calls.toString());
        List<SyscallTrace.Call> flushes = calls.subList(0, lastAnswer).stream().filter(SyscallTrace.Call::isFlush).toList();
        List<Integer> journalFlushes = new ArrayList<>();
        for (int i = 0; i < lastAnswer; i++) if (calls.get(i).isFlush() && calls.get(i).path().equals(journal)) journalFlushes.add(i);
        assertEquals(1, journalFlushes.size(), "the journal folder is flushed once for the segment: " + flushes);
        assertTrue(journalFlushes.get(0) > renamed && journalFlushes.get(0) < firstAnswer, calls.toString());
        Path segment = calls.get(renamed).path();
        for (SyscallTrace.Call flush : flushes) {
            assertTrue(flush.path().equals(segment) || flush.path().equals(journal) || flush.path().equals(runs.toAbsolutePath()),
                    "before a checkpoint, only the segment and its folder are flushed (and the runs folder once, where"
                            + " the journal folder was made): " + flushes);
        }
    }

    /**
     * Where {@code sync -f} cannot flush the file system at once, a checkpoint flushes each journaled delivery's files
     * and every folder that gained a name: a new correlation's folders up to {@code runs/} included.
     */
    @Test
    void withoutSyncACheckpointFlushesEachFileAndEveryFolderOfANewCorrelation() throws Exception {
        assumeTrue(SyscallTrace.available(), "strace shows a folder's flush");
        Path runs = Files.createDirectories(tmp.resolve("runs")).toAbsolutePath();
        String corr = Correlation.newId();
        List<SyscallTrace.Call> calls = SyscallTrace.run(tmp, List.of("/usr/bin/env", "PATH=" + tmp.resolve("no-tools"),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-Dawt.journal.checkpointMillis=600000", "-cp", System.getProperty("java.class.path"),
                JournalingMain.class.getName(), runs.toString(), corr));
        int lastAnswer = indexOf(calls, c -> c.isMkdir() && c.path().endsWith("answered-2"));
        assertTrue(lastAnswer > 0, calls.toString());
        Set<Path> flushed = new HashSet<>();
        calls.subList(lastAnswer, calls.size()).stream().filter(SyscallTrace.Call::isFlush).forEach(c -> flushed.add(c.path()));
        Path webhook = runs.resolve(corr).resolve("webhook");
        List<Path> expected = new ArrayList<>(List.of(runs, runs.resolve(corr), webhook, webhook.resolve("events"),
                webhook.resolve("deliveries"), webhook.resolve("index.json"), runs.resolve(".by-run-id")));
        for (int i = 0; i < 3; i++) expected.add(webhook.resolve("deliveries").resolve("a-" + i + ".json"));
        for (Path p : expected) assertTrue(flushed.contains(p), p + " was not flushed at the checkpoint: " + flushed);
        try (var events = Files.list(webhook.resolve("events"))) {
            for (Path event : events.toList()) assertTrue(flushed.contains(event), event + " was not flushed: " + flushed);
        }
    }

    static int indexOf(List<SyscallTrace.Call> calls, java.util.function.Predicate<SyscallTrace.Call> which) {
        for (int i = 0; i < calls.size(); i++) if (which.test(calls.get(i))) return i;
        return -1;
    }

    /** Three deliveries through a journaled store, as a receiver takes them; after each answer, a folder "answered-N". */
    static final class JournalingMain {
        public static void main(String[] args) throws Exception {
            Path runs = Path.of(args[0]);
            try (RunStore store = RunStore.journaled(runs, m -> {})) {
                DeliveryIntake intake = new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {});
                for (int i = 0; i < 3; i++) {
                    intake.accept(signed(Fixtures.workflowRun("in_progress", args[1], 84_000_001L), "a-" + i));
                    Files.createDirectory(runs.resolve("answered-" + i)); // a mark in the trace
                }
            }
        }
    }

    static List<Path> listJournal(Path runs) throws Exception {
        Path dir = runs.resolve(Journal.DIR);
        if (!Files.isDirectory(dir)) return List.of();
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".wal")).toList();
        }
    }

    /** wait-for-webhook --serve --listen in its own JVM, checkpoints stretched so the journal outlives a quick kill. */
    Process startReceiver(Path runs) throws Exception {
        return startReceiver(runs, Map.of(), "-Dawt.journal.checkpointMillis=600000");
    }

    /** wait-for-webhook --serve --listen in its own JVM with these environment variables and JVM options. */
    Process startReceiver(Path runs, Map<String, String> env, String... jvmOptions) throws Exception {
        Files.createDirectories(tmp.resolve("state"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "WaitForWebhook", "--serve", "--listen",
                "127.0.0.1:0", "--runs-dir", runs.toString(), "--state-dir", tmp.resolve("state").toString(),
                "--secret-file", Deliveries.secretFile(tmp).toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The receiver's URL from its "listening on" line (it listens only after replaying the journal). */
    static URI url(Process receiver) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("listening on ")) {
                Thread drain = new Thread(() -> {
                    try {
                        out.lines().forEach(l -> {});
                    } catch (UncheckedIOException closed) {
                        // the test closed the receiver's output when it killed it: nothing left to drain
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return URI.create(line.substring("listening on ".length()).strip());
            }
            seen.add(line);
        }
        throw new AssertionError("the receiver did not start: " + seen);
    }
}
