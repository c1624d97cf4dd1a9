import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lib.util.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real scripts, run as users run them ({@code ./jbang X.java ...} as subprocesses, environment
 * per process, a temporary working folder), against the GitHub simulator started in this JVM.
 */
@Order(4) // one of the slowest classes: started first (see run-tests.java)
class EndToEndTest {
    static Path root;

    @TempDir Path tmp;

    @BeforeAll
    static void buildEachScriptOnce() throws Exception {
        root = SandboxFlow.repoRoot();
        SandboxFlow.ensureBuilt(root); // serially: JBang must never build one script in two processes
    }

    private SandboxFlow flow(GitHubSimulator sim, ByteArrayOutputStream log) throws Exception {
        return new SandboxFlow(root, tmp.resolve("work"), sim, new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    @Test
    void webhookFlowFindsTheDispatchedRunThroughTheReceiver() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (GitHubSimulator sim = GitHubSimulator.start(); SandboxFlow flow = flow(sim, log)) {
            SandboxFlow.Result r;
            try {
                r = flow.runWebhookFlow();
            } catch (SandboxFlow.StepFailed e) {
                throw new AssertionError(e.getMessage() + "\n" + log.toString(StandardCharsets.UTF_8), e);
            }
            assertEquals(r.simulatorRunId(), r.runId());
            assertEquals(r.dispatchRunId(), r.runId());
            assertEquals(6, r.storedDeliveries(), "3 workflow_run + 3 workflow_job deliveries");
            String out = log.toString(StandardCharsets.UTF_8);
            assertTrue(out.contains("[8/8] unregister"), out);
            assertTrue(out.contains("$REPO/jbang $REPO/trigger-and-track.java --webhook-only"), out);
            assertTrue(sim.hooks().isEmpty());
            assertFalse(Files.exists(tmp.resolve("work/.webhook/active-hook.json")));
            assertTrue(Files.exists(tmp.resolve("work/runs/" + r.correlationId() + ".json")));
        }
    }

    @Test
    void aFailingRunIsFollowedToExitFiveWithItsFailedStepAndLogTail() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (GitHubSimulator sim = GitHubSimulator.start(); SandboxFlow flow = flow(sim, log)) {
            SandboxFlow.failingRuns(sim);
            sim.phaseDelays(Duration.ofMillis(100), Duration.ofMillis(300));
            SandboxFlow.FailureResult r;
            try {
                r = flow.runFailureScenario();
            } catch (SandboxFlow.StepFailed e) {
                throw new AssertionError(e.getMessage() + "\n" + log.toString(StandardCharsets.UTF_8), e);
            }
            assertEquals(5, r.exitCode());
            assertEquals("failure", sim.run(r.runId()).conclusion);
            assertEquals("failure", Json.text(r.json(), "conclusion"));
            assertTrue(r.stderr().contains("  failed step 3: Run tests (failure)\n  last 5 lines of its log:\n"), r.stderr());
            assertTrue(sim.logRequests().stream().noneMatch(d -> d.header("Authorization") != null), "no token on the log host");
            JsonNode meta = Json.read(tmp.resolve("work/runs/" + r.correlationId() + ".json"));
            assertEquals("failure", meta.path("run_conclusion").asText(), meta.toString());
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("[2/2] check what it reported"));
        }
    }

    @Test
    void pollingFindsTheRunWhenTheServerCannotAnswerWithRunDetails() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (GitHubSimulator sim = GitHubSimulator.start(GitHubSimulator.Config.defaults().enterprise("3.20.0"));
                SandboxFlow flow = flow(sim, log)) {
            sim.visibilityDelay(Duration.ofMillis(700));
            SandboxFlow.Proc p = flow.jbang("trigger-and-track.java", "--interval", "0.1", "--timeout", "30", "--json-only");
            assertEquals(0, p.exitCode(), p.err());
            JsonNode out = p.json();
            assertEquals("poll", Json.text(out, "source"));
            String correlation = Json.text(out, "correlation_id");
            assertEquals(flow.simulatorRun(correlation).id, out.path("run_id").asLong());
            JsonNode features = Json.read(tmp.resolve("work/runs/.api-features.json"));
            assertFalse(features.path(sim.apiUrl()).path("return_run_details").asBoolean(true), features.toString());
            assertEquals(out.path("run_id").asLong(), Json.read(tmp.resolve("work/runs/" + correlation + ".json")).path("run_id").asLong());
        }
    }

    @Test
    void theDispatchAnswerGivesTheRunIdAtOnce() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (GitHubSimulator sim = GitHubSimulator.start(); SandboxFlow flow = flow(sim, log)) {
            SandboxFlow.Proc p = flow.jbang("trigger-and-track.java", "--ref", "main", "--json-only");
            assertEquals(0, p.exitCode(), p.err());
            JsonNode out = p.json();
            assertEquals("api", Json.text(out, "source"));
            assertEquals(flow.simulatorRun(Json.text(out, "correlation_id")).id, out.path("run_id").asLong());
            assertEquals(1, sim.requestCount("POST", "/repos/" + sim.repo() + "/actions/workflows/dispatch-webhook.yml/dispatches"),
                    sim.requests().toString());
            assertEquals(0, sim.requestCount("GET", "/repos/" + sim.repo() + "/actions/workflows/dispatch-webhook.yml/runs"));
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS) // a dozen JVMs at once: minutes when the machine is loaded
    void tenDispatchesAtOnceEachGetTheirOwnRunAndExactlyTheirDeliveries() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (GitHubSimulator sim = GitHubSimulator.start(); SandboxFlow flow = flow(sim, log)) {
            sim.duplicateDeliveries(true).reorderDeliveries(true);
            flow.createSecret();
            flow.startReceiver("127.0.0.1:0");
            SandboxFlow.Proc reg = flow.jbang("manage-actions-webhook.java", "register");
            assertEquals(0, reg.exitCode(), reg.err());

            int n = 10;
            List<SandboxFlow.Background> started = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                started.add(flow.start("trigger-and-track.java", "--webhook-only", "--ref", "main", "--json-only"));
            }
            List<String> correlations = new ArrayList<>();
            for (SandboxFlow.Background b : started) {
                assertTrue(b.process().waitFor(60, TimeUnit.SECONDS), "trigger-and-track did not finish");
                assertEquals(0, b.process().exitValue(), Files.readString(b.err()));
                JsonNode out = Json.parse(Files.readAllBytes(b.out()), "stdout");
                correlations.add(Json.text(out, "correlation_id"));
            }
            assertEquals(n, new HashSet<>(correlations).size(), "ten distinct correlation ids");

            for (String correlation : correlations) {
                SimState.Run run = flow.simulatorRun(correlation);
                // 3 workflow_run + 3 workflow_job events, each sent twice, held until the run completes, newest first
                sim.awaitDeliveries(12, d -> SandboxFlow.runIdOf(d) == run.id, Duration.ofSeconds(60));
            }
            Set<Long> runIds = new HashSet<>();
            for (String correlation : correlations) {
                SimState.Run run = flow.simulatorRun(correlation);
                runIds.add(run.id);
                // the receiver writes its metadata merges at its journal's checkpoints, every 100 ms
                JsonNode meta = awaitMetadata(tmp.resolve("work/runs/" + correlation + ".json"), m -> m.has("webhook_run_id"));
                assertEquals(run.id, meta.path("webhook_run_id").asLong(), meta.toString());
                assertEquals(run.id, meta.path("dispatch_run_id").asLong(), meta.toString());
                assertEquals(run.id, meta.path("run_id").asLong(), meta.toString());
                assertFalse(meta.has("webhook_mismatches"), meta.toString());

                JsonNode index = Json.read(tmp.resolve("work/runs/" + correlation + "/webhook/index.json"));
                List<String> ids = new ArrayList<>();
                index.forEach(row -> {
                    ids.add(Json.text(row, "delivery_id"));
                    assertEquals(run.id, row.path("run_id").asLong(), row.toString());
                });
                Set<String> sent = flow.simulatorGuids(run.id);
                assertEquals(sent.size(), ids.size(), "one row per distinct delivery: " + ids);
                assertEquals(sent, new LinkedHashSet<>(ids));
                assertEquals(6, sent.size());
            }
            assertEquals(n, runIds.size());
            assertTrue(sim.deliveries().stream().allMatch(d -> d.statusCode() == 200),
                    "the receiver accepted every delivery, duplicates included");

            // What an operator runs next, for one of them: the run id comes back through ./jbang too.
            String first = correlations.get(0);
            SandboxFlow.Proc waited = flow.jbang("wait-for-webhook.java", "--correlation-id", first, "--until", "completed",
                    "--timeout", "10");
            assertEquals(0, waited.exitCode(), waited.err());
            assertEquals(flow.simulatorRun(first).id, waited.json().path("run_id").asLong());
            int stopped = flow.stopReceiver();
            assertTrue(stopped == 0 || stopped == 143, "the receiver ends on SIGTERM, got exit " + stopped);
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS) // a dozen JVMs at once: minutes when the machine is loaded
    void aProcessKilledWhileIngestingLeavesOnlyValidJsonAndTheSameIngestCompletesIt() throws Exception {
        String correlation = "0d6f3b8e-2a44-4b7e-9d1c-5f2e8a7c6b10";
        long runId = 77_000_000_001L;
        Path runs = Files.createDirectories(tmp.resolve("runs"));
        Files.writeString(runs.resolve(correlation + ".json"), "{\"correlation_id\":\"" + correlation + "\",\"run_id\":null}");
        // a 20 MB payload: the fixture plus a large field (many strings: Jackson refuses one over 20 M chars)
        String fixture = new String(Fixtures.workflowRun("completed", correlation, runId), StandardCharsets.UTF_8);
        String chunk = "\"" + "x".repeat(1022) + "\"";
        String big = "{\"padding\":[" + String.join(",", java.util.Collections.nCopies(20 * 1024, chunk)) + "],"
                + fixture.strip().substring(1);
        Path payload = Files.writeString(tmp.resolve("big.json"), big);

        assertEquals(0, ingest(runs, payload, "whole").waitFor());

        // Kills at varied moments: after the ingest noted its delivery as pending (so mid-way through
        // storing 20 MB), plus two while the JVM may still be starting.
        long[] afterPendingMillis = {0, 2, 5, 10, 20, 40, 80};
        long[] afterStartMillis = {150, 300};
        List<String> killed = new ArrayList<>();
        int midway = 0;
        for (int i = 0; i < afterPendingMillis.length + afterStartMillis.length; i++) {
            String id = "killed-" + i;
            Process p = ingest(runs, payload, id);
            if (i < afterPendingMillis.length) {
                Path pending = runs.resolve(correlation + "/webhook/deliveries/" + id + ".pending");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (p.isAlive() && !Files.exists(pending) && System.nanoTime() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
                if (afterPendingMillis[i] > 0) Thread.sleep(afterPendingMillis[i]);
            } else {
                Thread.sleep(afterStartMillis[i - afterPendingMillis.length]);
            }
            boolean wasAlive = p.isAlive();
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            killed.add(id);
            if (wasAlive && !Files.exists(deliveryMarker(runs, correlation, id))
                    && Files.exists(runs.resolve(correlation + "/webhook/deliveries/" + id + ".pending"))) {
                midway++;
            }
        }
        assertEveryJsonFileParses(runs);
        assertTrue(midway > 0, "no kill landed in the middle of an ingest");

        for (String id : killed) assertEquals(0, ingest(runs, payload, id).waitFor(), "re-running " + id);
        assertEveryJsonFileParses(runs);

        JsonNode index = Json.read(runs.resolve(correlation + "/webhook/index.json"));
        List<String> ids = new ArrayList<>();
        index.forEach(row -> ids.add(Json.text(row, "delivery_id")));
        List<String> expected = new ArrayList<>(killed);
        expected.add("whole");
        assertEquals(expected.size(), ids.size(), "each delivery exactly once: " + ids);
        assertEquals(new HashSet<>(expected), new HashSet<>(ids));
        try (Stream<Path> events = Files.list(runs.resolve(correlation + "/webhook/events"))) {
            List<Path> stored = events.filter(f -> f.toString().endsWith(".json")).toList();
            assertEquals(expected.size(), stored.size(), "one event file per delivery: " + stored);
            for (Path f : stored) assertEquals(Files.size(payload), Files.size(f), "byte for byte: " + f);
        }
        try (Stream<Path> all = Files.walk(runs)) {
            assertEquals(List.of(), all.filter(f -> f.toString().endsWith(".pending")).toList(), "no pending marker left");
        }
        JsonNode meta = Json.read(runs.resolve(correlation + ".json"));
        // unverified (--skip-verify keeps these 20 MB ingests cheap): they are counted once each, and name no run
        assertEquals(expected.size(), meta.path("webhook_delivery_count").asInt(), meta.toString());
        assertEquals(expected.size(), meta.path("webhook_deliveries").size(), meta.toString());
        assertTrue(meta.path("run_id").isNull(), meta.toString());
    }

    private Process ingest(Path runs, Path payload, String deliveryId) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "ProcessWorkflowWebhook", "--runs-dir", runs.toString(), "--file", payload.toString(), "--skip-verify",
                "--delivered", deliveryId)
                .redirectErrorStream(true).redirectOutput(new File(tmp.resolve("ingest-" + deliveryId + ".log").toString()))
                .start();
    }

    private static Path deliveryMarker(Path runs, String correlation, String deliveryId) {
        return runs.resolve(correlation + "/webhook/deliveries/" + deliveryId + ".json");
    }

    private static void assertEveryJsonFileParses(Path runs) throws Exception {
        try (Stream<Path> files = SandboxFlow.jsonFiles(runs)) {
            for (Path f : (Iterable<Path>) files::iterator) Json.parse(Files.readAllBytes(f), f.toString());
        }
    }

    @Test
    void everyScriptAnswersHelpAndVersionThroughTheLauncher() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (GitHubSimulator sim = GitHubSimulator.start(); SandboxFlow flow = flow(sim, log)) {
            for (String script : SandboxFlow.SCRIPTS) {
                String name = script.replace(".java", "");
                SandboxFlow.Proc version = flow.jbang(script, "--version");
                assertEquals(0, version.exitCode(), version.err());
                assertEquals(name + " 1.0.0", version.out().strip());
                SandboxFlow.Proc help = flow.jbang(script, "--help");
                assertEquals(0, help.exitCode(), help.err());
                assertTrue(help.out().startsWith("Usage: " + name), help.out());
                assertTrue(help.out().contains("Exit codes:"), help.out());
            }
        }
    }

    /** The metadata file once it satisfies {@code ready} (a receiver writes it at its checkpoints), or as it is after 10 s. */
    static JsonNode awaitMetadata(Path file, java.util.function.Predicate<JsonNode> ready) throws Exception {
        JsonNode meta = Json.read(file);
        for (int i = 0; i < 100 && !ready.test(meta); i++) {
            Thread.sleep(100);
            meta = Json.read(file);
        }
        return meta;
    }
}
