import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import lib.util.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WaitForWebhookTest {
    static final String CORR = "3d6f0a52-8b1e-4c7d-9f20-6a5b4c3d2e1f";
    static final String OTHER = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
    static final long RUN = 7000000001L;

    @TempDir Path tmp;
    Path runs;
    Path secret;
    ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws Exception {
        runs = tmp.resolve("runs"); // not created: the waiter must cope with a missing runs folder
        secret = Deliveries.secretFile(tmp);
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    Testing.Run waitFor(Map<String, String> env, String... args) {
        return waitIn(runs, env, args);
    }

    Testing.Run waitIn(Path runsDir, Map<String, String> env, String... args) {
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = env;
        List<String> all = new ArrayList<>(List.of("--runs-dir", runsDir.toString(), "--state-dir", tmp.resolve("state").toString()));
        all.addAll(Arrays.asList(args));
        return Testing.run(cmd, all.toArray(String[]::new));
    }

    Testing.Run waitFor(String... args) {
        return waitFor(Map.of(), args);
    }

    /**
     * Waits until a waiter started on a missing runs folder is watching: it creates the folder just
     * before its first look, after it noted its start time and started its timeout.
     */
    static void awaitWatching(Path runsDir, Future<?> waiter) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.isDirectory(runsDir)) {
            if (waiter.isDone()) waiter.get();
            if (System.nanoTime() > deadline) throw new AssertionError("the waiter never created " + runsDir);
            Thread.sleep(5);
        }
    }

    static JsonNode out(Testing.Run r) {
        return Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "stdout");
    }

    @Test
    void aDeliveryStoredBeforeTheStartAnswersAtOnce() {
        Deliveries.storeSigned(runs, secret, Fixtures.workflowRun("requested", CORR, RUN), "before-1");
        Testing.Run r = waitFor("--correlation-id", CORR.toUpperCase(), "--timeout", "5");
        assertEquals(0, r.exitCode(), r.all());
        JsonNode o = out(r);
        assertEquals(CORR, o.get("correlation_id").asText());
        assertEquals(RUN, o.get("run_id").asLong());
        assertEquals("queued", o.get("status").asText());
        assertEquals("before-1", o.get("delivery_id").asText());
        assertTrue(o.get("waited_ms").asLong() < 1000, r.out());
        assertFalse(o.has("conclusion"));
    }

    @Test
    void aDeliveryStoredAfterTheStartAnswersWithinASecond() throws Exception {
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String corr = String.format("3d6f0a52-8b1e-4c7d-9f20-%012d", i);
            long run = RUN + i;
            Path runsDir = tmp.resolve("runs-" + i);   // a fresh folder shows when this waiter is watching
            Future<long[]> waiter = pool.submit(() -> {
                Testing.Run r = waitIn(runsDir, Map.of(), "--correlation-id", corr, "--timeout", "20");
                long answered = System.nanoTime();
                assertEquals(0, r.exitCode(), r.all());
                assertEquals(run, out(r).get("run_id").asLong());
                return new long[] {answered};
            });
            awaitWatching(runsDir, waiter); // the delivery arrives after the waiter's start
            Deliveries.storeSigned(runsDir, secret, Fixtures.workflowRun("in_progress", corr, run), "after-" + i);
            long stored = System.nanoTime();
            long answered = waiter.get(25, TimeUnit.SECONDS)[0];
            latencies.add(Math.max(0, (answered - stored) / 1_000_000));
        }
        List<Long> sorted = latencies.stream().sorted().toList();
        System.out.println("wait-for-webhook latency from stored to answer (ms): median "
                + sorted.get(sorted.size() / 2) + ", max " + sorted.get(sorted.size() - 1) + ", all " + latencies);
        assertTrue(sorted.get(sorted.size() - 1) < 1000, "latencies " + latencies);
    }

    @Test
    void writesGithubOutputLines() throws Exception {
        Deliveries.storeSigned(runs, secret, Fixtures.workflowRun("requested", CORR, RUN), "gho-1");
        Path output = tmp.resolve("github_output");
        Testing.Run r = waitFor(Map.of("GITHUB_OUTPUT", output.toString()), "--correlation-id", CORR, "--timeout", "5");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("run_id=" + RUN + "\ncorrelation_id=" + CORR + "\n", Files.readString(output));
    }

    @Test
    void unverifiedDeliveriesCountOnlyWithAllowUnverified() {
        Deliveries.storeUnverified(runs, Fixtures.workflowRun("requested", CORR, RUN), "unv-1");
        Deliveries.storeUnverified(runs, Fixtures.workflowRun("in_progress", CORR, RUN), "unv-2");

        Testing.Run strict = waitFor("--correlation-id", CORR, "--timeout", "1");
        assertEquals(124, strict.exitCode(), strict.all());
        assertTrue(strict.err().contains("only unverified deliveries (2); pass --allow-unverified"), strict.err());
        assertTrue(strict.err().contains(CORR), strict.err());
        assertEquals(CORR, out(strict).get("correlation_id").asText());
        assertTrue(out(strict).get("timed_out").asBoolean());

        Testing.Run lenient = waitFor("--correlation-id", CORR, "--timeout", "1", "--allow-unverified");
        assertEquals(0, lenient.exitCode(), lenient.all());
        assertEquals(RUN, out(lenient).get("run_id").asLong());
        assertEquals("in_progress", out(lenient).get("status").asText());
        assertFalse(out(lenient).get("verified").asBoolean());
    }

    @Test
    void untilCompletedWaitsForTheConclusionAndExitsZeroOnSuccess() throws Exception {
        Future<Testing.Run> waiter = pool.submit(() -> waitFor("--correlation-id", CORR, "--until", "completed", "--timeout", "30"));
        awaitWatching(runs, waiter);
        Deliveries.storeSigned(runs, secret, Fixtures.workflowRun("in_progress", CORR, RUN), "c-1");
        // The watching waiter sees c-1 at once (a watch event, else its 250 ms poll): it must keep waiting.
        assertThrows(TimeoutException.class, () -> waiter.get(1500, TimeUnit.MILLISECONDS),
                "an in_progress delivery must not end --until completed");
        Deliveries.storeSigned(runs, secret, Deliveries.completed(CORR, RUN, "success"), "c-2");
        Testing.Run r = waiter.get(10, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("completed", out(r).get("status").asText());
        assertEquals("success", out(r).get("conclusion").asText());
        assertEquals("c-2", out(r).get("delivery_id").asText());
    }

    @Test
    void untilCompletedExitsFiveWhenTheRunCompletedWithoutSuccess() {
        Deliveries.storeSigned(runs, secret, Deliveries.completed(CORR, RUN, "failure"), "f-1");
        Testing.Run r = waitFor("--correlation-id", CORR, "--until", "completed", "--timeout", "1");
        assertEquals(5, r.exitCode(), r.all());
        JsonNode o = out(r);
        assertEquals("failure", o.get("conclusion").asText());
        assertEquals(1, o.get("run_attempt").asInt());
        assertEquals("2020-10-05T16:33:49Z", o.get("completed_at").asText()); // the payload's updated_at
        assertEquals(0, o.get("duration_s").asInt());
        assertEquals("https://github.com/octo-org/octo-repo/actions/runs/" + RUN, o.get("run_url").asText());
        assertTrue(r.err().contains("error: run " + RUN + " (attempt 1) completed: failure"), r.err());

        for (String c : new String[] {"neutral", "skipped", "cancelled", "timed_out", "startup_failure"}) {
            Path dir = tmp.resolve("runs-" + c);
            Deliveries.storeSigned(dir, secret, Deliveries.completed(CORR, RUN, c), "c-" + c);
            int code = waitIn(dir, Map.of(), "--correlation-id", CORR, "--until", "completed", "--timeout", "1").exitCode();
            assertEquals(c.equals("neutral") || c.equals("skipped") ? 0 : 5, code, c);
        }
    }

    @Test
    void untilCompletedWaitsForTheNewestAttemptWhenTheRunIsReRun() throws Exception {
        // attempt 2 was requested; attempt 1's failure is delivered late: it must not end the wait
        Deliveries.storeSigned(runs, secret, attempt(Fixtures.workflowRun("requested", CORR, RUN), 2), "a2-req");
        Deliveries.storeSigned(runs, secret, attempt(Deliveries.completed(CORR, RUN, "failure"), 1), "a1-done");
        Testing.Run early = waitFor("--correlation-id", CORR, "--until", "completed", "--timeout", "0.5");
        assertEquals(124, early.exitCode(), early.all());
        assertTrue(early.err().contains("run " + RUN + " is requested") || early.err().contains("run " + RUN + " is queued"),
                early.err());

        Deliveries.storeSigned(runs, secret, attempt(Deliveries.completed(CORR, RUN, "success"), 2), "a2-done");
        Testing.Run r = waitFor("--correlation-id", CORR, "--until", "completed", "--timeout", "5");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals(2, out(r).get("run_attempt").asInt());
        assertEquals("a2-done", out(r).get("delivery_id").asText());
    }

    @Test
    void untilCompletedWritesTheOutcomeToGithubOutputAndAStepSummary() throws Exception {
        Deliveries.storeSigned(runs, secret, Deliveries.completed(CORR, RUN, "cancelled"), "s-1");
        Path output = tmp.resolve("github_output");
        Path summary = tmp.resolve("summary.md");
        Testing.Run r = waitFor(Map.of("GITHUB_OUTPUT", output.toString(), "GITHUB_STEP_SUMMARY", summary.toString()),
                "--correlation-id", CORR, "--until", "completed", "--timeout", "5");
        assertEquals(5, r.exitCode(), r.all());
        assertEquals("run_id=" + RUN + "\ncorrelation_id=" + CORR + "\nstatus=completed\nconclusion=cancelled\n"
                + "run_url=https://github.com/octo-org/octo-repo/actions/runs/" + RUN + "\n", Files.readString(output));
        String md = Files.readString(summary);
        assertTrue(md.startsWith("### ❌ Run " + RUN + ": cancelled\n"), md);
        assertTrue(md.contains("[run " + RUN + "](https://github.com/octo-org/octo-repo/actions/runs/" + RUN + ")"), md);
    }

    @Test
    void untilCompletedListsTheFailedJobsAndStepsThatWorkflowJobDeliveriesName() throws Exception {
        Deliveries.storeSigned(runs, secret, Fixtures.workflowRun("requested", CORR, RUN), "j-run"); // files job deliveries
        Deliveries.storeJob(runs, failedJob(RUN, "build", "Run tests"), "j-1");
        Deliveries.storeSigned(runs, secret, Deliveries.completed(CORR, RUN, "failure"), "j-done");
        Testing.Run r = waitFor("--correlation-id", CORR, "--until", "completed", "--timeout", "5");
        assertEquals(5, r.exitCode(), r.all());
        assertEquals("[\"Run tests\"]", out(r).at("/jobs/0/failed_steps").toString());
        assertTrue(r.err().contains("failed job: build (failure)"), r.err());
        assertTrue(r.err().contains("  failed step 2: Run tests (failure)"), r.err());
    }

    static byte[] attempt(byte[] payload, int attempt) {
        return new String(payload, StandardCharsets.UTF_8).replace("\"run_attempt\": 1,", "\"run_attempt\": " + attempt + ",")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A completed, failed workflow_job delivery of the run, failing at the second of three steps. */
    static byte[] failedJob(long runId, String name, String failedStep) {
        com.fasterxml.jackson.databind.node.ObjectNode p = (com.fasterxml.jackson.databind.node.ObjectNode)
                Json.parse(Fixtures.bytes("workflow_job.queued.json"), "fixture");
        com.fasterxml.jackson.databind.node.ObjectNode job = (com.fasterxml.jackson.databind.node.ObjectNode) p.get("workflow_job");
        p.put("action", "completed");
        job.put("run_id", runId).put("name", name).put("status", "completed").put("conclusion", "failure");
        com.fasterxml.jackson.databind.node.ArrayNode steps = job.putArray("steps");
        String[][] all = {{"Set up job", "success"}, {failedStep, "failure"}, {"Complete job", "success"}};
        for (int i = 0; i < all.length; i++) {
            steps.addObject().put("name", all[i][0]).put("status", "completed").put("conclusion", all[i][1]).put("number", i + 1);
        }
        return Json.compact(p).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void timeoutSaysTheRunIsStillInProgress() {
        Deliveries.storeSigned(runs, secret, Fixtures.workflowRun("in_progress", CORR, RUN), "p-1");
        Testing.Run r = waitFor("--correlation-id", CORR, "--until", "completed", "--timeout", "1");
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(r.err().contains("run " + RUN + " is in_progress"), r.err());
    }

    @Test
    void timeoutCountsDeliveriesOfOtherCorrelations() throws Exception {
        Future<Testing.Run> waiter = pool.submit(() -> waitFor("--correlation-id", CORR, "--timeout", "3"));
        awaitWatching(runs, waiter);   // so the delivery comes after the waiter's start, well before its timeout
        Deliveries.storeSigned(runs, secret, Fixtures.workflowRun("requested", OTHER, RUN), "o-1");
        Testing.Run r = waiter.get(20, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(r.err().contains("timed out after 3.0 s"), r.err());
        assertTrue(r.err().contains("no delivery for this correlation; 1 deliveries of other correlations arrived"), r.err());
        assertTrue(r.err().contains(CORR), r.err());
    }

    /** A correlation's index.json cut off mid-row, as a crash or a bad edit might leave it. */
    Path damagedIndex(String corr) throws Exception {
        Path index = runs.resolve(corr).resolve("webhook/index.json");
        Files.createDirectories(index.getParent());
        Files.writeString(index, "[{\"delivery_id\": \"d-1\", \"run_id\": ");
        return index;
    }

    @Test
    void anIndexStillDamagedWhenTheWaitEndsIsReportedNotATimeout() throws Exception {
        Path index = damagedIndex(CORR);
        String damaged = Files.readString(index);
        Testing.Run r = waitFor("--correlation-id", CORR, "--timeout", "1");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains(index + " is not valid JSON; left unchanged"), r.err());
        assertFalse(r.err().contains("timed out") || r.err().contains("no delivery for this correlation"), r.err());
        assertEquals(damaged, Files.readString(index));
    }

    @Test
    void anIndexDamagedOnlyForAWhileIsNoFailure() throws Exception {
        Path index = damagedIndex(CORR);
        Future<Testing.Run> waiter = pool.submit(() -> waitFor("--correlation-id", CORR, "--timeout", "3"));
        Thread.sleep(500); // the waiter meets the damaged index a few times first
        assertFalse(waiter.isDone());
        Files.writeString(index, "[]"); // fixed, by hand, with nothing in it
        Testing.Run r = waiter.get(20, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(r.err().contains("no delivery for this correlation"), r.err());
    }

    @Test
    void badUsageExitsTwo() {
        assertEquals(2, waitFor("--correlation-id", "not-a-uuid", "--timeout", "1").exitCode());
        assertEquals(2, waitFor("--timeout", "1").exitCode());
        assertEquals(2, waitFor("--correlation-id", CORR, "--timeout", "soon").exitCode());
        assertEquals(2, waitFor("--serve").exitCode());
        Testing.Run noSecret = waitFor("--correlation-id", CORR, "--listen", "0", "--timeout", "1");
        assertEquals(2, noSecret.exitCode(), noSecret.all());
        assertTrue(noSecret.err().contains("needs the webhook secret"), noSecret.err());
    }

    @Test
    void helpListsTheExitCodes() {
        Testing.Run r = waitFor("--help");
        assertEquals(0, r.exitCode());
        for (String code : new String[] {"0 ", "1 ", "2 ", "5 ", "124 "}) assertTrue(r.out().contains("\n  " + code), r.out());
    }
}
