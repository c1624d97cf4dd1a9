import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.hooks.Hooks;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.sources.GitHubDeliveriesSource;
import lib.sources.SourcePoller;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.WebhookDelivery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deliveries that never reached their URL, recovered through the simulator's deliveries API. */
class GitHubDeliveriesSourceTest {
    static final String CORR = "c0ffee00-1234-4abc-8def-0123456789ab";
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir Path tmp;
    Path runs;
    GitHubSimulator sim;
    GitHubClient gh;
    long hookId;
    final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void setUp() throws Exception {
        runs = tmp.resolve("runs");
        sim = GitHubSimulator.start();
        GitHubContext ctx = new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test");
        gh = new GitHubClient(ctx, GitHubClient.Policy.defaults().withMaxAttempts(1), d -> {}, null);
        ObjectNode hook = Json.object().put("name", "web").put("active", true);
        hook.putArray("events").add("workflow_run").add("workflow_job");
        // Port 1 on loopback refuses connections: every delivery fails, as with an unreachable endpoint.
        hook.putObject("config").put("url", "http://127.0.0.1:1/hook").put("content_type", "json").put("secret", "s3cret");
        hookId = gh.post(gh.repoPath("/hooks"), hook).get("id").asLong();
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    long dispatchAndAwaitDeliveries() throws Exception {
        long runId = dispatchRun();
        sim.awaitDeliveries(7, WAIT); // ping + 3 workflow_run + 3 workflow_job, all failed to connect
        return runId;
    }

    /** A run of the correlation, dispatched and completed (its deliveries may still be on their way). */
    long dispatchRun() throws Exception {
        long runId = dispatch(CORR);
        sim.awaitRun(runId, "completed", WAIT);
        return runId;
    }

    SourcePoller poller(int pageSize) {
        return poller(new GitHubDeliveriesSource(gh, hookId, Duration.ofMillis(100), pageSize));
    }

    /** Polls {@code source} into runs/ as trusted rows, as wait-for-webhook --from-github does. */
    SourcePoller poller(GitHubDeliveriesSource source) {
        Ingest.Options trusted = Ingest.Options.verifying(Optional.empty()).trustedBy(GitHubDeliveriesSource.TRUSTED_BY);
        DeliveryIntake intake = new DeliveryIntake(new RunStore(runs), trusted, Clock.systemUTC(), m -> log.add("warning: " + m));
        return new SourcePoller(source, intake, log::add);
    }

    /** The state folder wait-for-webhook reads the hook from. */
    Path stateWithTheHook() throws IOException {
        Path state = Files.createDirectories(tmp.resolve("state"));
        Files.writeString(state.resolve("active-hook.json"), Json.compact(Json.object().put("id", hookId)
                .put("repo", sim.repo()).put("api_url", sim.apiUrl())));
        return state;
    }

    /** wait-for-webhook --from-github, in-process. */
    Testing.Run waitFromGitHub(Path state, String... args) {
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = Map.of("GH_TOKEN", sim.token());
        List<String> all = new ArrayList<>(List.of("--runs-dir", runs.toString(), "--state-dir", state.toString(),
                "--from-github", "--poll-interval", "100ms"));
        all.addAll(List.of(args));
        return Testing.run(cmd, all.toArray(String[]::new));
    }

    @Test
    void recoversFailedDeliveriesAcrossPagesAsTrustedRows() throws Exception {
        long runId = dispatchAndAwaitDeliveries();
        SourcePoller poller = poller(2);
        poller.pollOnce();

        JsonNode rows = Json.read(runs.resolve(CORR).resolve("webhook/index.json"));
        assertEquals(6, rows.size(), rows + " " + log);
        long runRows = 0;
        for (JsonNode row : rows) {
            assertEquals(runId, row.get("run_id").asLong());
            assertTrue(row.get("verified").asBoolean());
            assertEquals("github-api", row.get("verified_by").asText());
            assertEquals(sim.repo(), row.get("repository").asText(), "workflow_run and workflow_job rows name the repository");
            if ("workflow_run".equals(row.get("event").asText())) runRows++;
        }
        assertEquals(3, runRows);
        assertTrue(sim.requests().stream().anyMatch(r -> r.contains("cursor=")), "followed the Link cursor");

        long fetchesBefore = sim.requests().stream().filter(r -> r.matches("GET .*/deliveries/\\d+")).count();
        assertEquals(6, fetchesBefore, "one GET per workflow_run/workflow_job delivery, none for the ping");
        poller.pollOnce();
        long fetchesAfter = sim.requests().stream().filter(r -> r.matches("GET .*/deliveries/\\d+")).count();
        assertEquals(fetchesBefore, fetchesAfter, "a second poll fetches nothing already seen");
        assertEquals(6, Json.read(runs.resolve(CORR).resolve("webhook/index.json")).size());
    }

    /**
     * A poller started with empty memory (a restarted receiver) lists back only to the newest delivery the runs folder
     * is known to hold, not through all GitHub keeps; a delivery that could not be stored holds that mark back.
     */
    @Test
    void aRestartedPollerFetchesOnlyWhatTheRunsFolderDoesNotHold() throws Exception {
        dispatchAndAwaitDeliveries();
        Thread.sleep(1100); // GitHub's delivered_at has whole seconds
        Instant between = Instant.now();
        Thread.sleep(1100);
        String second = "0e000000-0000-4000-8000-000000000002";
        sim.awaitRun(dispatch(second), "completed", WAIT);
        sim.awaitDeliveries(1 + 2 * 6, WAIT);
        // A wait bounded by its dispatch passes older deliveries over without storing them: it never moves the mark.
        poller(new GitHubDeliveriesSource(gh, hookId, Duration.ofMillis(100), 5).since(between)
                .keepsProgressIn(runs, Clock.systemUTC())).pollOnce();
        assertEquals(6, fetches(), "the second run's deliveries only");
        assertFalse(Files.exists(runs.resolve(".from-github.json")), "the first run's were passed over, not stored");

        pollerKeepingProgress().pollOnce();
        assertEquals(6 + 12, fetches(), "a start with no mark fetches each wanted delivery");
        assertEquals(6, Json.read(runs.resolve(CORR).resolve("webhook/index.json")).size());
        pollerKeepingProgress().pollOnce(); // restarted: nothing in memory
        assertEquals(18, fetches(), "nothing new: nothing fetched");

        // A third run whose deliveries cannot be stored (a damaged record), nor its jobs' (their run is not stored):
        // the mark stays, so a restart fetches them all again.
        String third = "0e000000-0000-4000-8000-000000000003";
        Files.writeString(runs.resolve(third + ".json"), "{ damaged");
        sim.awaitRun(dispatch(third), "completed", WAIT);
        sim.awaitDeliveries(1 + 3 * 6, WAIT);
        SourcePoller running = pollerKeepingProgress();
        running.pollOnce();
        assertEquals(24, fetches(), "only the deliveries made since were fetched");
        pollerKeepingProgress().pollOnce();
        assertEquals(30, fetches(), "the third run's deliveries were fetched again after a restart");
        // Repaired, the running poller stores the run's deliveries it kept, and then its jobs' it kept with them.
        Files.writeString(runs.resolve(third + ".json"), "{\"correlation_id\":\"" + third + "\",\"run_id\":null}");
        running.pollOnce();
        assertEquals(6, Json.read(runs.resolve(third).resolve("webhook/index.json")).size(), log.toString());
        pollerKeepingProgress().pollOnce();
        assertEquals(30, fetches(), "and are now behind the mark");
    }

    SourcePoller pollerKeepingProgress() {
        return poller(new GitHubDeliveriesSource(gh, hookId, Duration.ofMillis(100), 5).keepsProgressIn(runs, Clock.systemUTC()));
    }

    long fetches() {
        return sim.requests().stream().filter(r -> r.matches("GET .*/deliveries/\\d+")).count();
    }

    @Test
    void waitForWebhookFromGitHubWaitsUntilTheRunCompleted() throws Exception {
        Path state = stateWithTheHook();
        dispatchAndAwaitDeliveries();
        Testing.Run r = waitFromGitHub(state, "--correlation-id", CORR, "--until", "completed", "--timeout", "10");
        assertEquals(0, r.exitCode(), r.all());
        JsonNode out = Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "out");
        assertEquals("success", out.get("conclusion").asText());
        assertEquals(CORR, out.get("correlation_id").asText());
    }

    /** A wait that ends while the poller still stores a backlog stops it cleanly: no failed stores, no warnings. */
    @Test
    void aWaitEndingMidBacklogLeavesNothingHalfStoredAndWarnsOfNothing() throws Exception {
        Path state = stateWithTheHook();
        // The awaited run's deliveries are the oldest: stored first, then the wait ends amid the others.
        long runId = dispatch(CORR);
        sim.awaitRun(runId, "completed", WAIT);
        for (int i = 0; i < 8; i++) sim.awaitRun(dispatch(String.format("0e000000-0000-4000-8000-%012d", i)), "completed", WAIT);
        sim.awaitDeliveries(1 + 9 * 6, WAIT);
        Testing.Run r = waitFromGitHub(state, "--correlation-id", CORR, "--timeout", "10");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals(runId, Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "out").get("run_id").asLong());
        assertFalse(r.err().contains("not stored"), r.err());
        try (Stream<Path> files = Files.walk(runs)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".pending")).toList(), "a store broken off");
        }
    }

    /** A wait for a recorded dispatch fetches nothing GitHub delivered before it (an organisation's hook may hold thousands). */
    @Test
    void aWaitFetchesOnlyTheDeliveriesMadeSinceItsDispatch() throws Exception {
        Path state = stateWithTheHook();
        for (int i = 0; i < 3; i++) sim.awaitRun(dispatch(String.format("0e000000-0000-4000-8000-%012d", i)), "completed", WAIT);
        List<Long> before = sim.awaitDeliveries(1 + 3 * 6, WAIT).stream().map(d -> d.id()).toList();
        Thread.sleep(1100); // GitHub's delivered_at has whole seconds
        Instant between = Instant.now();
        Thread.sleep(1100);
        long runId = dispatchRun();
        sim.awaitDeliveries(1 + 4 * 6, WAIT);
        // trigger-and-track's record, made on a clock that may be ahead of GitHub's by up to the margin
        Files.createDirectories(runs);
        Files.writeString(runs.resolve(CORR + ".json"), Json.compact(Json.object().put("correlation_id", CORR)
                .putNull("run_id").put("dispatched_at", between.plus(Duration.ofHours(1)).toString())));

        Testing.Run r = waitFromGitHub(state, "--correlation-id", CORR, "--timeout", "10");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals(runId, Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "out").get("run_id").asLong());
        List<String> fetched = sim.requests().stream().filter(q -> q.matches("GET .*/deliveries/\\d+")).toList();
        assertFalse(fetched.isEmpty());
        for (String q : fetched) {
            long id = Long.parseLong(q.substring(q.lastIndexOf('/') + 1));
            assertFalse(before.contains(id), "fetched a delivery from before the dispatch: " + q);
        }
    }

    long dispatch(String correlationId) throws Exception {
        ObjectNode body = Json.object().put("ref", "main").put("return_run_details", true);
        body.putObject("inputs").put("correlation_id", correlationId);
        return gh.post(gh.repoPath("/actions/workflows/1001/dispatches"), body).get("workflow_run_id").asLong();
    }

    @Test
    void withoutARegisteredHookItSaysWhatToRun() {
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = Map.of("GH_TOKEN", "t");
        Testing.Run r = Testing.run(cmd, "--runs-dir", runs.toString(), "--state-dir", tmp.resolve("none").toString(),
                "--from-github", "--correlation-id", CORR, "--timeout", "1");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("manage-actions-webhook register"), r.err());
    }

    /**
     * A source running for weeks remembers only the latest delivery ids and GUIDs, yet hands over each new delivery
     * once: a poll lists back to the newest one it handed over. A redelivery of an old delivery, whose GUID it has
     * forgotten, is handed over again and stored as a duplicate; one of a recent delivery is not handed over.
     */
    @Test
    void pastTheIdsItRemembersEachNewDeliveryIsStillHandedOverOnce() throws Exception {
        int remembered = 4;
        GitHubDeliveriesSource source = new GitHubDeliveriesSource(Hooks.ofRepo(gh), hookId, Duration.ofMillis(100), 2,
                remembered);
        Ingest.Options trusted = Ingest.Options.verifying(Optional.empty()).trustedBy(GitHubDeliveriesSource.TRUSTED_BY);
        DeliveryIntake intake = new DeliveryIntake(new RunStore(runs), trusted, Clock.systemUTC(), m -> log.add("warning: " + m));
        List<String> handedOver = new ArrayList<>();
        Map<String, DeliveryIntake.Kind> outcomes = new HashMap<>();
        int rounds = 3;
        for (int round = 1; round <= rounds; round++) {
            dispatchRun();
            sim.awaitDeliveries(1 + 6 * round, WAIT); // the hook's ping, then each run's 3 workflow_run and 3 workflow_job
            for (WebhookDelivery d : source.poll()) {
                handedOver.add(d.deliveryId());
                outcomes.put(d.deliveryId(), intake.accept(d).kind());
            }
            assertTrue(source.remembered() <= remembered, "remembers " + source.remembered());
        }
        List<String> guids = sim.deliveries().stream().filter(d -> !d.event().equals("ping")).map(d -> d.guid()).toList();
        assertEquals(6 * rounds, guids.size());
        assertEquals(guids, handedOver, "each once, oldest first");
        assertTrue(outcomes.values().stream().allMatch(k -> k == DeliveryIntake.Kind.STORED), outcomes.toString());

        List<SimState.Delivery> all = sim.deliveries();
        Hooks.ofRepo(gh).redeliver(hookId, all.get(1).id()); // the first run's first delivery: forgotten long ago
        Hooks.ofRepo(gh).redeliver(hookId, all.get(all.size() - 1).id()); // the newest: remembered
        sim.awaitDeliveries(all.size() + 2, WAIT);
        List<WebhookDelivery> again = source.poll();
        assertEquals(List.of(all.get(1).guid()), again.stream().map(WebhookDelivery::deliveryId).toList());
        assertEquals(DeliveryIntake.Kind.DUPLICATE, intake.accept(again.get(0)).kind(), "stored once");
        assertEquals(6 * rounds, Json.read(runs.resolve(CORR).resolve("webhook/index.json")).size());
        assertTrue(source.remembered() <= remembered, "remembers " + source.remembered());
    }

    @Test
    void aPollWithNothingNewCostsNoQuota() throws Exception {
        dispatchAndAwaitDeliveries();
        SourcePoller poller = poller(100);
        poller.pollOnce();
        int remaining = sim.rateLimitRemaining();
        poller.pollOnce();
        assertEquals(remaining, sim.rateLimitRemaining(), "the unchanged list answered 304");
    }
}
