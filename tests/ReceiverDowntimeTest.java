import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.sources.FailedRedeliveries;
import lib.store.IndexRow;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Correlation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing is lost across a receiver's downtime, on the GitHub simulator: the receiver (wait-for-webhook --serve
 * --listen, on a fixed port the hook points at) stores a run's deliveries as they come, is stopped, deliveries
 * of more runs fail meanwhile (GitHub never retries them by itself), and a restart recovers every one of them,
 * once each: with --from-github from the deliveries API, or with --redeliver-failed from GitHub's signed
 * redeliveries, each asked for once, also across a further restart. Two receivers sharing a runs folder store
 * what both receive once.
 */
class ReceiverDowntimeTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir Path tmp;
    Path runs;
    Path state;
    GitHubSimulator sim;
    GitHubClient gh;
    int port;
    long hookId;
    final List<Served> serving = new ArrayList<>();

    /** One in-process wait-for-webhook --serve and its outcome. */
    record Served(WaitForWebhook cmd, Future<Testing.Run> run, ExecutorService pool) {
        Testing.Run stop() throws Exception {
            cmd.stopServing.countDown();
            Testing.Run r = run.get(30, TimeUnit.SECONDS);
            pool.shutdown();
            return r;
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        runs = tmp.resolve("runs");
        state = tmp.resolve("state");
        Files.createDirectories(state);
        sim = GitHubSimulator.start();
        gh = new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test"),
                GitHubClient.Policy.defaults().withMaxAttempts(1), d -> {}, null);
        try (ServerSocket free = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        ObjectNode hook = Json.object().put("name", "web").put("active", true);
        hook.putArray("events").add("workflow_run").add("workflow_job");
        hook.putObject("config").put("url", "http://127.0.0.1:" + port + "/hook").put("content_type", "json")
                .put("secret", Deliveries.SECRET);
        hookId = gh.post(gh.repoPath("/hooks"), hook).get("id").asLong();
        Files.writeString(state.resolve("active-hook.json"), Json.compact(Json.object().put("id", hookId)
                .put("repo", sim.repo()).put("api_url", sim.apiUrl())));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Served s : serving) s.cmd().stopServing.countDown();
        sim.close();
    }

    Served serve(String... extra) throws Exception {
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = Map.of("GITHUB_WEBHOOK_SECRET", Deliveries.SECRET, "GH_TOKEN", sim.token());
        List<String> args = new ArrayList<>(List.of("--serve", "--listen", "127.0.0.1:" + port, "--path", "/hook",
                "--runs-dir", runs.toString(), "--state-dir", state.toString(), "--poll-interval", "200ms"));
        args.addAll(List.of(extra));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Testing.Run> run = pool.submit(() -> Testing.run(cmd, args.toArray(String[]::new)));
        for (int i = 0; i < 2000 && cmd.listeningUrl == null && !run.isDone(); i++) Thread.sleep(10);
        if (run.isDone()) throw new AssertionError("the receiver stopped: " + run.get().all());
        Served s = new Served(cmd, run, pool);
        serving.add(s);
        return s;
    }

    /** A dispatched run and its correlation. */
    record Dispatched(String corr, long runId) {}

    /** Dispatches a run for a new correlation; returns once all its deliveries were attempted. */
    Dispatched dispatch() throws Exception {
        String corr = Correlation.newId();
        new RunStore(runs).updateMetadata(corr, m -> m.json().put("correlation_id", corr).putNull("run_id"));
        ObjectNode body = Json.object().put("ref", "main").put("return_run_details", true);
        body.putObject("inputs").put("correlation_id", corr);
        long runId = gh.post(gh.repoPath("/actions/workflows/1001/dispatches"), body).get("workflow_run_id").asLong();
        sim.awaitRun(runId, "completed", WAIT);
        sim.awaitDeliveries(6, d -> runOf(d) == runId && !d.redelivery(), WAIT); // 3 workflow_run + 3 workflow_job
        return new Dispatched(corr, runId);
    }

    /** The run a simulator delivery is about (0 for a ping). */
    static long runOf(SimState.Delivery d) {
        JsonNode p = Json.parse(d.payload(), "payload");
        return p.has("workflow_run") ? p.path("workflow_run").path("id").asLong() : p.path("workflow_job").path("run_id").asLong();
    }

    /** The GUIDs the simulator sent (or tried to send) for a dispatched run. */
    Set<String> guidsOf(Dispatched run) {
        Set<String> guids = new TreeSet<>();
        for (SimState.Delivery d : sim.deliveries()) if (runOf(d) == run.runId()) guids.add(d.guid());
        return guids;
    }

    /** Waits until the run's index has {@code n} rows, and returns them. */
    List<IndexRow> awaitRows(Dispatched run, int n) throws Exception {
        String corr = run.corr();
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<IndexRow> rows = List.of();
        while (System.nanoTime() < deadline) {
            rows = new RunStore(runs).readIndex(corr);
            if (rows.size() >= n) break;
            Thread.sleep(50);
        }
        return rows;
    }

    static Set<String> ids(List<IndexRow> rows) {
        Set<String> ids = new TreeSet<>();
        for (IndexRow r : rows) assertTrue(ids.add(r.deliveryId()), "stored twice: " + r.deliveryId());
        return ids;
    }

    long failedAttempts() {
        return sim.deliveries().stream().filter(d -> d.statusCode() == 0).count();
    }

    @Test
    void fromGitHubARestartRecoversWhatFailedWhileTheReceiverWasDownOnceEach() throws Exception {
        Served first = serve("--from-github");
        Dispatched live = dispatch();
        assertEquals(6, ids(awaitRows(live, 6)).size(), "stored as they came");
        first.stop();

        long failedBefore = failedAttempts();
        Dispatched missedA = dispatch();
        Dispatched missedB = dispatch();
        assertEquals(failedBefore + 12, failedAttempts(), "every delivery of the two runs failed to connect");

        long restarted = System.nanoTime();
        Served second = serve("--from-github");
        for (Dispatched missed : List.of(missedA, missedB)) {
            List<IndexRow> rows = awaitRows(missed, 6);
            assertEquals(guidsOf(missed), ids(rows), "every failed delivery, once");
            assertTrue(rows.stream().allMatch(r -> "github-api".equals(r.json().path("verified_by").asText())), rows.toString());
        }
        System.out.println("--from-github: 12 missed deliveries stored " + (System.nanoTime() - restarted) / 1_000_000
                + " ms after the restart");
        Thread.sleep(600); // a few more polls: what came both ways (live, and through the API) stays once
        Testing.Run r = second.stop();
        assertEquals(0, r.exitCode(), r.all());
        assertEquals(guidsOf(live), ids(new RunStore(runs).readIndex(live.corr())));
        assertEquals(6, new RunStore(runs).readIndex(missedA.corr()).size());
    }

    @Test
    void redeliverFailedAsksGitHubOnceForEachFailedDeliveryAndStoresTheSignedRedeliveries() throws Exception {
        Served first = serve("--redeliver-failed");
        Dispatched live = dispatch();
        assertEquals(6, awaitRows(live, 6).size());
        first.stop();

        Dispatched missedA = dispatch();
        Dispatched missedB = dispatch();

        Served second = serve("--redeliver-failed");
        for (Dispatched missed : List.of(missedA, missedB)) {
            List<IndexRow> rows = awaitRows(missed, 6);
            assertEquals(guidsOf(missed), ids(rows), "every failed delivery, once");
            assertTrue(rows.stream().allMatch(r -> "hmac".equals(r.json().path("verified_by").asText())),
                    "stored from the signed redelivery: " + rows);
        }
        Thread.sleep(600); // more rounds: nothing is asked for twice
        second.stop();
        Served third = serve("--redeliver-failed"); // and not after a restart either
        Thread.sleep(600);
        Testing.Run r = third.stop();
        assertEquals(0, r.exitCode(), r.all());

        Map<String, Integer> asked = new HashMap<>();
        for (SimState.Delivery d : sim.deliveries()) if (d.redelivery()) asked.merge(d.guid(), 1, Integer::sum);
        Set<String> missed = new TreeSet<>(guidsOf(missedA));
        missed.addAll(guidsOf(missedB));
        assertEquals(missed, asked.keySet(), "redelivered: exactly the failed workflow_run and workflow_job deliveries");
        assertTrue(asked.values().stream().allMatch(n -> n == 1), "each asked for once: " + asked);
        assertEquals(12, sim.requests().stream().filter(q -> q.startsWith("POST ") && q.endsWith("/attempts")).count(),
                "one POST .../attempts per failed delivery");
        JsonNode remembered = Json.read(state.resolve(FailedRedeliveries.STATE_FILE));
        assertEquals(12, remembered.path("asked").size(), remembered.toString());
        assertEquals(6, new RunStore(runs).readIndex(live.corr()).size(), "the live run's deliveries were not redelivered");
    }

    @Test
    void redeliverFailedNeedsTheReceiverAndIsNotCombinedWithFromGitHub() throws Exception {
        Testing.Run alone = Testing.run(new WaitForWebhook(), "--serve", "--redeliver-failed", "--from-github",
                "--runs-dir", runs.toString(), "--state-dir", state.toString());
        assertEquals(2, alone.exitCode(), alone.all());
        assertTrue(alone.err().contains("--redeliver-failed needs --listen"), alone.err());
        Testing.Run both = Testing.run(new WaitForWebhook(), "--serve", "--listen", "0", "--redeliver-failed", "--from-github",
                "--runs-dir", runs.toString(), "--state-dir", state.toString(), "--secret-file", Deliveries.secretFile(tmp).toString());
        assertEquals(2, both.exitCode(), both.all());
        assertTrue(both.err().contains("choose one"), both.err());
    }

    /**
     * Two receivers for one hook, sharing a runs folder on one host (e.g. behind one load balancer, or one taking
     * over from the other): the same deliveries sent to both are stored once, each receiver with its own journal.
     */
    @Test
    void twoReceiversSharingARunsFolderStoreWhatBothReceiveOnce() throws Exception {
        Served a = serve();
        int portA = port;
        try (ServerSocket free = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Served b = serve();
        String corr = Correlation.newId();
        new RunStore(runs).updateMetadata(corr, m -> m.json().put("correlation_id", corr).putNull("run_id"));
        List<Thread> senders = new ArrayList<>();
        List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int target : new int[] {portA, port}) {
            URI url = URI.create("http://127.0.0.1:" + target + "/hook");
            Thread t = new Thread(() -> {
                for (int i = 0; i < 30; i++) {
                    try {
                        statuses.add(Deliveries.postSigned(url, "workflow_run", "both-" + i,
                                Fixtures.workflowRun(i % 2 == 0 ? "in_progress" : "completed", corr, 91_000_001L)).statusCode());
                    } catch (Exception e) {
                        statuses.add(-1);
                    }
                }
            });
            senders.add(t);
            t.start();
        }
        for (Thread t : senders) t.join();
        a.stop();
        b.stop();
        assertEquals(60, statuses.size());
        assertTrue(statuses.stream().allMatch(s -> s == 200), statuses.toString());
        List<IndexRow> rows = new RunStore(runs).readIndex(corr);
        assertEquals(30, ids(rows).size(), "each delivery once, whichever receiver stored it");
        assertEquals(30, Json.read(runs.resolve(corr + ".json")).get("webhook_delivery_count").asInt());
        assertEquals(List.of(), JournalTest.listJournal(runs), "both journals checkpointed and gone");
    }
}
