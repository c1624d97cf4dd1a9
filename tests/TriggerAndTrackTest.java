import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.receiver.Receiver;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Headers;
import lib.webhook.Secret;
import lib.webhook.WebhookDelivery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** trigger-and-track against the simulator over real HTTP: the three strategies, failures, counts, concurrency. */
class TriggerAndTrackTest {
    static final String SECRET = "trigger-test-secret-never-printed";
    static final String DISPATCHES = "/repos/octo-org/octo-repo/actions/workflows/dispatch-webhook.yml/dispatches";
    static final String WORKFLOW = "/repos/octo-org/octo-repo/actions/workflows/dispatch-webhook.yml";
    static final String RUNS_LIST = WORKFLOW + "/runs";

    @TempDir Path tmp;
    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) closing.get(i).close();
    }

    // ---------------------------------------------------------------- helpers

    GitHubSimulator sim(GitHubSimulator.Config config) throws IOException {
        GitHubSimulator sim = GitHubSimulator.start(config);
        closing.add(sim);
        return sim;
    }

    GitHubSimulator ghes() throws IOException {
        return sim(GitHubSimulator.Config.defaults().enterprise("3.20.0"));
    }

    Path runs() {
        return tmp.resolve("runs");
    }

    TriggerAndTrack command(GitHubSimulator sim, Map<String, String> extraEnv) {
        TriggerAndTrack cmd = new TriggerAndTrack();
        Map<String, String> env = new HashMap<>(Map.of("GH_TOKEN", sim.token()));
        env.putAll(extraEnv);
        cmd.env = env;
        cmd.workDir = tmp;
        cmd.stderrIsTerminal = false;
        cmd.policy = GitHubClient.Policy.defaults().withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
        return cmd;
    }

    interface Step {
        void run() throws Exception;
    }

    /** Runs {@code command} on another thread; once {@code ready} holds (10 s at most), does {@code step}; returns the run. */
    static Testing.Run meanwhile(Callable<Testing.Run> command, BooleanSupplier ready, Step step) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Testing.Run> running = pool.submit(command);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!ready.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(5);
            step.run();
            return running.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdown();
        }
    }

    /** Ready once the command listed runs (it is polling). */
    static BooleanSupplier polling(GitHubSimulator sim) {
        return () -> count(sim, "GET", RUNS_LIST) > 0;
    }

    Testing.Run trigger(GitHubSimulator sim, String... args) {
        return triggerVia(sim, sim.apiUrl(), Map.of(), args);
    }

    Testing.Run triggerVia(GitHubSimulator sim, String apiUrl, Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of("--repo", sim.repo(), "--api-url", apiUrl,
                "--store-dir", runs().toString()));
        List<String> given = List.of(args);
        if (!given.contains("--interval")) all.addAll(List.of("--interval", "0.05"));
        if (!given.contains("--timeout")) all.addAll(List.of("--timeout", "10"));
        all.addAll(given);
        return Testing.run(command(sim, env), all.toArray(String[]::new));
    }

    static JsonNode out(Testing.Run r) {
        return Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "stdout");
    }

    JsonNode metadata(String correlationId) throws IOException {
        return Json.read(runs().resolve(correlationId + ".json"));
    }

    /** The simulator's run whose display title carries the correlation id. */
    static long runOf(GitHubSimulator sim, String correlationId) {
        List<Long> ids = sim.runs().stream().filter(r -> r.displayTitle.contains(correlationId)).map(r -> r.id).toList();
        assertEquals(1, ids.size(), "one run for " + correlationId);
        return ids.get(0);
    }

    static long count(GitHubSimulator sim, String method, String path) {
        return sim.requestCount(method, path);
    }

    /** GETs of the runs list, every page (a Link header names the workflow by id, not by file name). */
    static List<SimState.Request> runsListRequests(GitHubSimulator sim) {
        return sim.requestDetails().stream().filter(q -> q.line().startsWith("GET ") && q.line().contains("/runs?")).toList();
    }

    /** The runs-list GETs as "page status", e.g. [1 200, 2 200, 1 304, 2 200]. */
    static String pages(GitHubSimulator sim) {
        return runsListRequests(sim).stream().map(q -> (q.line().contains("&page=") ? q.line().replaceAll(".*&page=(\\d+).*", "$1")
                : "1") + " " + q.status()).toList().toString();
    }

    /** {@code n} dispatches of the workflow by someone else, each with its own correlation id, 8 at a time. */
    static void dispatchOthers(GitHubSimulator sim, int n) throws Exception {
        GitHubClient admin = new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<JsonNode>> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ObjectNode body = Json.object().put("ref", "main");
            body.putObject("inputs").put("correlation_id", java.util.UUID.randomUUID().toString());
            sent.add(pool.submit(() -> admin.post(admin.repoPath("/actions/workflows/dispatch-webhook.yml/dispatches"), body)));
        }
        for (Future<JsonNode> f : sent) f.get(30, TimeUnit.SECONDS);
        pool.shutdown();
    }

    // ---------------------------------------------------------------- --webhook-only --wait

    @Test
    void webhookOnlyWaitReturnsTheRunIdOnceAReceiverStoredItsDelivery() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        // the same receiver as wait-for-webhook --serve --listen (a journaled store), storing into runs()
        RunStore journaled = RunStore.journaled(runs(), m -> {});
        closing.add(journaled);
        DeliveryIntake intake = new DeliveryIntake(journaled,
                Ingest.Options.verifying(Optional.of(new Secret(SECRET, "test"))), Clock.systemUTC(), m -> {});
        Receiver receiver = Receiver.start(Receiver.parseListen("0"), "/hook", intake, m -> {});
        closing.add(receiver);
        GitHubClient admin = new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test"));
        ObjectNode hook = Json.object().put("name", "web").put("active", true);
        hook.putArray("events").add("workflow_run");
        hook.putObject("config").put("url", receiver.url().toString()).put("content_type", "json").put("secret", SECRET);
        admin.post(admin.repoPath("/hooks"), hook);

        Testing.Run r = trigger(sim, "--webhook-only", "--wait", "--ref", "main");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode result = out(r);
        String corr = result.get("correlation_id").asText();
        assertEquals(runOf(sim, corr), result.get("run_id").asLong());
        assertEquals("webhook", result.get("source").asText());
        assertEquals(result.get("run_id").asLong(), result.get("dispatch_run_id").asLong());
    }

    @Test
    void webhookOnlyWaitTimesOutWithExit124WhenNoDeliveryComes() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        Testing.Run r = trigger(sim, "--webhook-only", "--wait", "--ref", "main", "--timeout", "0.5");
        assertEquals(124, r.exitCode(), r.err());
        assertTrue(out(r).get("timed_out").asBoolean());
        assertTrue(r.err().contains("wait-for-webhook.java --correlation-id " + out(r).get("correlation_id").asText()), r.err());
    }

    @Test
    void aWorkflowFileNameIsOnePathSegmentWithSpacesAsPercentTwenty() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        Testing.Run r = trigger(sim, "--ref", "main", "--workflow", "deploy prod+eu.yml");
        assertTrue(sim.requests().stream().anyMatch(q -> q.equals(
                "GET /repos/octo-org/octo-repo/actions/workflows/deploy%20prod%2Beu.yml")), r.err() + sim.requests());
    }

    @Test
    void webhookOnlyWaitReportsAnIndexStillDamagedWhenTheWaitEnds() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        String corr = "5b4a3928-1706-4f5e-8d4c-3b2a19087f6e";
        Path index = runs().resolve(corr).resolve("webhook/index.json");
        Files.createDirectories(index.getParent());
        Files.writeString(index, "[{\"delivery_id\": ");
        Testing.Run r = trigger(sim, "--webhook-only", "--wait", "--ref", "main", "--timeout", "0.5",
                "--correlation-id", corr);
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, sim.requestCount("POST", DISPATCHES), "dispatched, then waited");
        assertTrue(r.err().contains(index + " is not valid JSON; left unchanged"), r.err());
        assertEquals("[{\"delivery_id\": ", Files.readString(index));
    }

    @Test
    void waitWithoutWebhookOnlyIsAUsageError() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        assertEquals(2, trigger(sim, "--wait").exitCode());
        assertEquals(0, sim.requestCount("POST", DISPATCHES));
    }

    // ---------------------------------------------------------------- strategy 1: the dispatch answer

    @Test
    void runIdFromTheDispatchAnswerIsConfirmedByGetRun() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        Testing.Run r = trigger(sim, "--ref", "main");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode o = out(r);
        String corr = o.get("correlation_id").asText();
        long runId = runOf(sim, corr);
        assertEquals(runId, o.get("run_id").asLong());
        assertEquals("api", o.get("source").asText());
        assertEquals("https://github.com/octo-org/octo-repo/actions/runs/" + runId, o.get("run_url").asText());
        assertEquals("dispatch-webhook.yml", o.get("workflow").asText());
        assertEquals("main", o.get("ref").asText());
        // 3 requests: workflow, dispatch (200 with the id), GET run to confirm; no list request
        assertEquals(3, sim.requests().size(), sim.requests().toString());
        assertEquals(1, count(sim, "GET", "/repos/octo-org/octo-repo/actions/runs/" + runId));
        assertEquals(0, count(sim, "GET", RUNS_LIST));
        assertTrue(sim.requests().get(1).startsWith("POST " + DISPATCHES));

        JsonNode m = metadata(corr);
        assertEquals(runId, m.get("run_id").asLong());
        assertEquals("api", m.get("run_id_source").asText());
        assertEquals(runId, m.get("dispatch_run_id").asLong());
        assertEquals(corr, m.get("correlation_id").asText());
        assertEquals(corr, m.at("/inputs/correlation_id").asText());
        assertEquals(1001, m.get("workflow_id").asLong());
        assertEquals("octo-org/octo-repo", m.get("repo").asText());
        assertEquals(sim.apiUrl(), m.get("api_url").asText());
        assertEquals("main", m.get("branch").asText());
        assertEquals("accepted", m.get("dispatch_status").asText());
        assertFalse(m.get("webhook_pending").asBoolean());
        assertNotNull(m.get("dispatched_at").asText());
        assertFalse(m.toString().contains(sim.token()), "no token in metadata");
    }

    @Test
    void defaultRefIsTheCheckedOutBranchOfACheckoutElseTheDefaultBranch() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults().branches("trunk", "feature"));
        // not a checkout: the repository's default branch, one GET /repos
        Testing.Run r = trigger(sim, "--json-only");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("trunk", out(r).get("ref").asText());
        assertEquals(1, count(sim, "GET", "/repos/octo-org/octo-repo"));
        assertEquals("", r.err(), "--json-only prints nothing else");

        // a checkout of this repository on branch 'feature'
        Path checkout = git("checkout", "feature", "https://github.com/octo-org/octo-repo.git");
        TriggerAndTrack cmd = command(sim, Map.of());
        cmd.workDir = checkout;
        Testing.Run fromGit = Testing.run(cmd, "--repo", sim.repo(), "--api-url", sim.apiUrl(), "--store-dir",
                runs().toString());
        assertEquals(0, fromGit.exitCode(), fromGit.err());
        assertEquals("feature", out(fromGit).get("ref").asText());
        assertEquals(1, count(sim, "GET", "/repos/octo-org/octo-repo"), "no repository lookup");
        assertEquals("the current git branch", metadata(out(fromGit).get("correlation_id").asText()).get("ref_origin").asText());

        // a checkout of another repository: the default branch again
        Path other = git("other", "feature", "git@github.com:someone/else.git");
        cmd = command(sim, Map.of());
        cmd.workDir = other;
        Testing.Run fromOther = Testing.run(cmd, "--repo", sim.repo(), "--api-url", sim.apiUrl(), "--store-dir",
                runs().toString());
        assertEquals("trunk", out(fromOther).get("ref").asText(), fromOther.err());
    }

    private Path git(String dir, String branch, String origin) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(dir));
        for (String[] c : new String[][] {{"git", "init", "-q", "-b", branch}, {"git", "remote", "add", "origin", origin}}) {
            Process p = new ProcessBuilder(c).directory(d.toFile()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertEquals(0, p.waitFor(), String.join(" ", c));
        }
        return d;
    }

    // ---------------------------------------------------------------- GHES fallback and its memory

    @Test
    void ghesRejectionFallsBackOnceAndIsRememberedForLaterRuns() throws Exception {
        GitHubSimulator sim = ghes();
        Testing.Run first = trigger(sim, "--ref", "main");
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(2, count(sim, "POST", DISPATCHES), "rejected try, then one without the field");
        assertEquals(1, sim.runs().size(), "one run: the rejected try dispatched nothing");
        assertEquals("poll", out(first).get("source").asText());
        assertEquals(runOf(sim, out(first).get("correlation_id").asText()), out(first).get("run_id").asLong());
        assertTrue(first.err().contains("return_run_details"), first.err());
        JsonNode features = Json.read(runs().resolve(".api-features.json"));
        assertFalse(features.path(sim.apiUrl()).path("return_run_details").asBoolean(true), features.toString());
        assertEquals("3.20.0", features.path(sim.apiUrl()).path("server_version").asText());
        assertEquals("rejected", metadata(out(first).get("correlation_id").asText()).get("return_run_details").asText());

        Testing.Run second = trigger(sim, "--ref", "main");
        assertEquals(0, second.exitCode(), second.err());
        assertEquals(3, count(sim, "POST", DISPATCHES), "the later run skips the failed try");
        assertFalse(second.err().contains("does not know return_run_details"), second.err());
        assertEquals(runOf(sim, out(second).get("correlation_id").asText()), out(second).get("run_id").asLong());
    }

    // ---------------------------------------------------------------- strategy 2: polling

    @Test
    void pollingFindsALateRunWithOneListRequestPerIntervalAnd304sForFree() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofMillis(1500));
        int before = sim.rateLimitRemaining();
        long start = System.nanoTime();
        Testing.Run r = trigger(sim, "--ref", "main", "--interval", "0.1");
        double elapsed = (System.nanoTime() - start) / 1e9;
        assertEquals(0, r.exitCode(), r.err());
        JsonNode o = out(r);
        assertEquals("poll", o.get("source").asText());
        assertEquals(runOf(sim, o.get("correlation_id").asText()), o.get("run_id").asLong());

        List<SimState.Request> lists = sim.requestDetails("GET", RUNS_LIST);
        assertTrue(lists.size() <= elapsed / 0.1 + 1, lists.size() + " list requests in " + elapsed + " s");
        // Conditional GETs: only a changed list is answered 200 (the first, without the run, and the one with
        // it; just one if a stalled machine first listed after the run appeared); every repeat is a free 304.
        long changed = lists.stream().filter(q -> q.status() == 200).count();
        long unchanged = lists.stream().filter(q -> q.status() == 304).count();
        assertTrue(changed >= 1 && changed <= 2, "list answers: " + lists.stream().map(SimState.Request::status).toList());
        assertEquals(lists.size(), changed + unchanged, "every list answer was a 200 or a 304");
        assertTrue(unchanged >= 1, "the run stayed invisible for several polls, answered 304: " + lists.size());
        // charged: workflow GET, 2 dispatch POSTs (GHES refuses return_run_details once), the changed lists
        assertEquals(1, count(sim, "GET", WORKFLOW));
        assertEquals(2, count(sim, "POST", DISPATCHES));
        int charged = before - sim.rateLimitRemaining();
        assertEquals(3 + changed, charged, sim.requests().toString());
        String list = sim.requests().stream().filter(q -> q.contains("/runs?")).findFirst().orElseThrow();
        assertTrue(list.contains("event=workflow_dispatch") && list.contains("branch=main") && list.contains("per_page=100")
                && list.contains("created=%3E%3D"), list);
    }

    /** The runs list's created filter is in GitHub's time (its Date header), so a clock running ahead still finds the run. */
    @Test
    void pollingFindsTheRunWhenTheLocalClockIsMinutesAhead() throws Exception {
        GitHubSimulator sim = ghes();
        TriggerAndTrack cmd = command(sim, Map.of());
        cmd.clock = java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofMinutes(10));
        Testing.Run r = Testing.run(cmd, "--repo", sim.repo(), "--api-url", sim.apiUrl(), "--store-dir", runs().toString(),
                "--ref", "main", "--interval", "0.05", "--timeout", "3");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("poll", out(r).get("source").asText());
    }

    /** A burst of 100 newer dispatches pushes our run to page 2 of the runs list: the page after a full first one is read too. */
    @Test
    void pollingFindsARunThatNewerDispatchesPushedToPageTwo() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofHours(1)); // nothing is listed until the burst is in place
        String corr = "4f0c6a2e-8b1d-4c3a-9e57-1d2b3c4a5e6f";
        Testing.Run r = meanwhile(() -> trigger(sim, "--ref", "main", "--correlation-id", corr), polling(sim), () -> {
            dispatchOthers(sim, 100);
            sim.visibilityDelay(Duration.ZERO);
        });
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("poll", out(r).get("source").asText());
        assertEquals(runOf(sim, corr), out(r).get("run_id").asLong());
        // while the first page was empty no other page was asked for; then one plain GET of page 2 found ours
        List<SimState.Request> pageTwo = runsListRequests(sim).stream().filter(q -> q.line().contains("&page=2")).toList();
        assertEquals(1, pageTwo.size(), pages(sim));
        assertEquals(null, pageTwo.get(0).header("If-None-Match"));
        assertTrue(runsListRequests(sim).stream().noneMatch(q -> q.line().contains("&page=3")), pages(sim));
    }

    /** Each poll reads page 1 (a 304 once unchanged) and page 2 while page 1 is full; the timeout message counts both. */
    @Test
    void timeoutCountsEveryPageOfTheRunsListRead() throws Exception {
        GitHubSimulator sim = ghes().phaseDelays(Duration.ofHours(1), Duration.ofHours(1)); // page 1 stays unchanged
        dispatchOthers(sim, 101);
        // a pattern no run title matches: our run is listed on page 1 but never recognised
        Testing.Run r = trigger(sim, "--ref", "main", "--run-name-pattern", "Never Titled \\(([0-9a-f-]{36})\\)",
                "--timeout", "0.5", "--interval", "0.1");
        assertEquals(124, r.exitCode(), r.all());
        List<SimState.Request> lists = runsListRequests(sim);
        List<SimState.Request> pageTwo = lists.stream().filter(q -> q.line().contains("&page=2")).toList();
        long pageOne = lists.size() - pageTwo.size();
        // a first page answered after the deadline is not followed
        assertTrue(pageTwo.size() >= 1 && pageOne - pageTwo.size() <= 1, pages(sim));
        assertTrue(pageTwo.stream().allMatch(q -> q.header("If-None-Match") == null), "later pages are plain GETs");
        // so a page 1 answered 304 (unchanged, free) is followed as well
        assertTrue(lists.stream().filter(q -> !pageTwo.contains(q)).skip(1).allMatch(q -> q.status() == 304), pages(sim));
        assertTrue(r.err().contains("(" + lists.size() + " list requests, 102 runs examined)"), r.err());
    }

    @Test
    void secondaryRateLimitDuringPollingIsWaitedOutAndTheRunIsFound() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofMillis(1500));
        Testing.Run r = meanwhile(() -> trigger(sim, "--ref", "main", "--verbose"), polling(sim), () -> {
            sim.secondaryRateLimit(1, 1);
        });
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("/runs?") && r.err().contains("-> 403"), r.err());
        assertEquals("poll", out(r).get("source").asText());
        assertEquals(runOf(sim, out(r).get("correlation_id").asText()), out(r).get("run_id").asLong());
    }

    /**
     * Only a verified delivery of the dispatch's own repository names the run: an unverified one (anyone can post to
     * a webhook.site URL) or a run of another repository (an organisation's hook) carrying our id does not end polling.
     */
    @Test
    void anUnverifiedOrOtherRepositorysDeliveryNeverNamesTheRun() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofMillis(1500));
        String corr = "2c4a3928-1706-4f5e-8d4c-3b2a19087f6e";
        Testing.Run r = meanwhile(() -> trigger(sim, "--ref", "main", "--correlation-id", corr, "--interval", "0.1"),
                polling(sim), () -> {
            Deliveries.storeUnverified(runs(), Fixtures.workflowRun("requested", corr, 999L), "forged-1");
            Deliveries.storeSigned(runs(), Deliveries.secretFile(tmp), otherRepositorysRun(corr), "other-repo-1");
        });
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(runOf(sim, corr), out(r).get("run_id").asLong(), r.all());
        assertEquals("poll", out(r).get("source").asText());
        JsonNode m = metadata(corr);
        assertFalse(m.has("webhook_run_id"), m.toString());
        assertEquals(List.of("unverified", "repository octo-org/octo-api"),
                m.get("webhook_ignored").findValuesAsText("reason"), m.toString());
    }

    /** A verified workflow_run delivery carrying {@code corr} of another repository (run 777), as an organisation's hook sends. */
    static byte[] otherRepositorysRun(String corr) {
        return new String(Fixtures.workflowRun("requested", corr, 777L), StandardCharsets.UTF_8)
                .replace("octo-org/octo-repo", "octo-org/octo-api").getBytes(StandardCharsets.UTF_8);
    }

    /** The run GitHub's dispatch answer names (and GET run confirms) wins over one a webhook recorded first by its title. */
    @Test
    void theRunTheDispatchAnswerNamesWinsOverOneAWebhookRecordedFirst() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        sim.slowAnswers(Duration.ofMillis(700));
        String corr = "5f4a3928-1706-4f5e-8d4c-3b2a19087f6e";
        Testing.Run r = meanwhile(() -> trigger(sim, "--ref", "main", "--correlation-id", corr),
                () -> Files.exists(runs().resolve(corr + ".json")), () -> {
            // e.g. another tool dispatched with the same id: a verified delivery of this repository, another run
            Deliveries.storeSigned(runs(), Deliveries.secretFile(tmp), Fixtures.workflowRun("requested", corr, 999L), "same-title-1");
        });
        assertEquals(0, r.exitCode(), r.err());
        long ours = runOf(sim, corr);
        assertEquals(ours, out(r).get("run_id").asLong(), r.all());
        assertTrue(r.err().contains("run_id 999 recorded from a webhook differs from run " + ours), r.err());
        JsonNode m = metadata(corr);
        assertEquals("api", m.get("run_id_source").asText());
        JsonNode conflicts = m.get("run_id_conflicts");
        assertEquals("webhook", conflicts.get(conflicts.size() - 1).get("source").asText(), m.toString());
        assertEquals(999L, conflicts.get(conflicts.size() - 1).get("run_id").asLong(), m.toString());
    }

    /**
     * --webhook-only --wait prints the run of the verified delivery of its repository it waited for, not an earlier
     * unverified one's, nor that of another repository (an organisation's hook) carrying the same id.
     */
    @Test
    void webhookOnlyWaitPrintsTheVerifiedDeliverysRun() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        String corr = "3d4a3928-1706-4f5e-8d4c-3b2a19087f6e";
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Testing.Run> running = pool.submit(() -> trigger(sim, "--ref", "main", "--correlation-id", corr,
                "--webhook-only", "--wait"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sim.runs().isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
        long ours = sim.runs().get(0).id;
        Deliveries.storeUnverified(runs(), Fixtures.workflowRun("requested", corr, 999L), "forged-1");
        Deliveries.storeSigned(runs(), Deliveries.secretFile(tmp), otherRepositorysRun(corr), "other-repo-1");
        Thread.sleep(300); // a wait that took the other repository's delivery would have ended by now
        Deliveries.storeSigned(runs(), Deliveries.secretFile(tmp), Fixtures.workflowRun("requested", corr, ours), "real-1");
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        pool.shutdown();
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(ours, out(r).get("run_id").asLong(), r.all());
    }

    /** Still limited at the client's last try: the poll waits for the limit to lift (it is no 403 to exit on). */
    @Test
    void aSecondaryRateLimitOutlastingTheClientsTriesDuringPollingIsWaitedOut() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofMillis(1000));
        TriggerAndTrack cmd = command(sim, Map.of());
        cmd.policy = cmd.policy.withRateLimitWaits(Duration.ofMinutes(15), Duration.ofMillis(50));
        Testing.Run r = meanwhile(() -> Testing.run(cmd, "--repo", sim.repo(), "--api-url", sim.apiUrl(),
                "--store-dir", runs().toString(), "--ref", "main", "--interval", "0.05", "--timeout", "20"), polling(sim), () -> {
            sim.secondaryRateLimit(4, null); // waits of 50, 100 and 200 ms, then thrown: lifts in 400 ms
        });
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("listing runs failed (GitHub's secondary rate limit hit")
                && r.err().contains("still limited after 4 tries"), r.err());
        assertEquals("poll", out(r).get("source").asText());
        assertEquals(runOf(sim, out(r).get("correlation_id").asText()), out(r).get("run_id").asLong());
    }

    /** --timeout bounds the whole command: polling, and --webhook-only --wait, get what is left of it, not all of it again. */
    @Test
    void timeSpentBeforeFindingTheRunCountsAgainstTheTimeout() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofHours(1));
        sim.secondaryRateLimit(1, 2); // the workflow GET waits 2 s of the 3
        long t0 = System.nanoTime();
        Testing.Run polled = trigger(sim, "--ref", "main", "--timeout", "3", "--interval", "0.2");
        double took = (System.nanoTime() - t0) / 1e9;
        assertEquals(124, polled.exitCode(), polled.err());
        assertTrue(took < 4.5, "--timeout 3 took " + took + " s"); // it took 5 s: 2 s, then 3 s of polling

        sim.secondaryRateLimit(1, 2);
        t0 = System.nanoTime();
        Testing.Run waited = trigger(sim, "--ref", "main", "--webhook-only", "--wait", "--timeout", "3");
        took = (System.nanoTime() - t0) / 1e9;
        assertEquals(124, waited.exitCode(), waited.err());
        assertTrue(took < 4.5, "--webhook-only --wait --timeout 3 took " + took + " s");
    }

    @Test
    void timeoutExits124WithTheCorrelationIdAndAHint() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofHours(1));
        Testing.Run r = trigger(sim, "--ref", "main", "--timeout", "0.4", "--interval", "0.1");
        assertEquals(124, r.exitCode(), r.err());
        JsonNode o = out(r);
        String corr = o.get("correlation_id").asText();
        assertTrue(o.get("run_id").isNull());
        assertTrue(o.get("timed_out").asBoolean());
        assertTrue(r.err().contains("wait-for-webhook.java --correlation-id " + corr), r.err());
        JsonNode m = metadata(corr);
        assertTrue(m.get("run_id").isNull());
        assertTrue(m.has("poll_timed_out_at"));
        assertTrue(count(sim, "GET", RUNS_LIST) <= 6, sim.requests().toString());
    }

    @Test
    void pollingStopsWhenAWebhookAlreadyRecordedTheRunId() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofHours(1));
        String corr = "0b5c2f0e-9d3a-4e51-8f6c-2a7b1d9e4c30";
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Testing.Run> running = pool.submit(() -> trigger(sim, "--ref", "main", "--correlation-id", corr));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count(sim, "GET", RUNS_LIST) == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        long runId = runOf(sim, corr);
        // what webhook ingest does to the metadata file, under the same lock
        new RunStore(runs()).updateMetadata(corr, m -> m.json().put("run_id", runId).put("run_id_source", "webhook")
                .put("webhook_run_id", runId).put("webhook_pending", false));
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        pool.shutdown();
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("webhook", out(r).get("source").asText());
        assertEquals(runId, out(r).get("run_id").asLong());
    }

    @Test
    void twoRunsWithTheSameCorrelationIdAreAnErrorListingBoth() throws Exception {
        GitHubSimulator sim = ghes();
        String corr = "6e2d9c41-3b7a-4f15-9a08-d1c2b3a49f57";
        GitHubClient admin = new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test"));
        ObjectNode body = Json.object().put("ref", "main");
        body.putObject("inputs").put("correlation_id", corr);
        admin.post(admin.repoPath("/actions/workflows/dispatch-webhook.yml/dispatches"), body);
        Testing.Run r = trigger(sim, "--ref", "main", "--correlation-id", corr);
        assertEquals(1, r.exitCode(), r.err());
        for (var run : sim.runs()) assertTrue(r.err().contains(String.valueOf(run.id)), r.err());
        assertTrue(r.err().contains("2 runs carry correlation id " + corr), r.err());
    }

    @Test
    void repeatedServerErrorsWhilePollingBackOffAndPollingGoesOn() throws Exception {
        GitHubSimulator sim = ghes();
        // long enough that the first listing never shows the run, even when a busy machine slows the dispatch
        sim.visibilityDelay(Duration.ofSeconds(3));
        List<Duration> pauses = new CopyOnWriteArrayList<>();
        Testing.Run r = meanwhile(() -> {
            TriggerAndTrack cmd = command(sim, Map.of());
            cmd.sleeper = d -> {
                pauses.add(d);
                Thread.sleep(d.toMillis());
            };
            return Testing.run(cmd, "--repo", sim.repo(), "--api-url", sim.apiUrl(), "--store-dir", runs().toString(),
                    "--timeout", "10", "--ref", "main", "--interval", "0.1");
        }, polling(sim), () -> {
            sim.failNext(10, 502); // two listings fail after the client's own 4 attempts each; the third gets through
        });
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(2, r.err().split("warning: listing runs failed", -1).length - 1, r.err());
        assertEquals(runOf(sim, out(r).get("correlation_id").asText()), out(r).get("run_id").asLong());

        // The client's retries (10 ms doubling, capped at 50 ms, jittered to [half, full]) are the short pauses;
        // the poller's waits are its interval, doubled after each failed listing in a row.
        List<Long> client = pauses.stream().map(Duration::toMillis).filter(ms -> ms <= 50).toList();
        List<Long> poller = pauses.stream().map(Duration::toMillis).filter(ms -> ms >= 100).toList();
        assertEquals(pauses.size(), client.size() + poller.size(), pauses.toString());
        assertEquals(3 + 3 + 2, client.size(), "3 retries per failed listing, 2 before the good one: " + pauses);
        long[][] range = {{5, 10}, {10, 20}, {20, 40}};   // each listing's retries grow
        for (int i = 0; i < client.size(); i++) {
            long ms = client.get(i);
            assertTrue(ms >= range[i % 3][0] && ms <= range[i % 3][1], "retry pause " + (i % 3 + 1) + ": " + client);
        }
        int firstLong = poller.indexOf(200L);
        assertTrue(firstLong >= 0, "poller waits " + poller);
        assertEquals(List.of(200L, 400L), poller.subList(firstLong, Math.min(poller.size(), firstLong + 2)),
                "the interval doubles after each failed listing in a row: " + poller);
        assertTrue(poller.subList(0, firstLong).stream().allMatch(ms -> ms == 100), "before the failures: " + poller);
        assertTrue(poller.subList(firstLong + 2, poller.size()).stream().allMatch(ms -> ms == 100), "after: " + poller);
    }

    @Test
    void aRunFromTheAnswerWithoutOurCorrelationIdIsNotTrusted() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        // a pattern that never matches this workflow's run name: confirmation fails, polling finds nothing
        Testing.Run r = trigger(sim, "--ref", "main", "--run-name-pattern", "Other \\(([0-9a-f-]{36})\\)",
                "--timeout", "0.2");
        assertEquals(124, r.exitCode(), r.err());
        assertTrue(r.err().contains("without correlation id") && r.err().contains("polling instead"), r.err());
        assertTrue(out(r).get("run_id").isNull());
    }

    /** A run's title is anyone's text: its escape sequences must not reach the terminal. */
    @Test
    void theTitleOfAnUntrustedRunIsWarnedAboutAsPlainText() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        sim.addWorkflow("Evil", "evil.yml", List.of("correlation_id"), "\u001b]0;pwned\u0007Deploy \u001b[31mred", true);
        Testing.Run r = trigger(sim, "--workflow", "evil.yml", "--ref", "main", "--timeout", "0.2");
        assertEquals(124, r.exitCode(), r.err());
        assertTrue(r.err().contains("is titled 'Deploy red', without correlation id"), r.err());
        assertFalse(r.err().contains("\u001b") || r.err().contains("\u0007") || r.err().contains("pwned"), r.err());
    }

    // ---------------------------------------------------------------- strategy 3: --webhook-only

    @Test
    void webhookOnlySpendsTwoRequestsAndLeavesRunIdToTheWebhook() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        Testing.Run r = triggerVia(sim, sim.apiUrl(), Map.of("WEBHOOK_URL", "https://webhook.example/abc"),
                "--ref", "main", "--webhook-only");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode o = out(r);
        String corr = o.get("correlation_id").asText();
        long runId = runOf(sim, corr);
        assertTrue(o.get("run_id").isNull());
        assertEquals(runId, o.get("dispatch_run_id").asLong());
        assertEquals(2, sim.requests().size(), "workflow GET + dispatch POST: " + sim.requests());
        assertTrue(r.err().contains("./jbang wait-for-webhook.java --correlation-id " + corr), r.err());
        assertTrue(r.err().contains("process-workflow-webhook.java --file"), r.err());
        JsonNode m = metadata(corr);
        assertTrue(m.get("run_id").isNull());
        assertTrue(m.get("webhook_pending").asBoolean());
        assertEquals(runId, m.get("dispatch_run_id").asLong());
        assertEquals("https://webhook.example/abc", m.at("/inputs/webhook_url").asText());
        assertEquals("webhook-only", m.get("mode").asText());

        // GHES: no id in the answer, still two requests once the feature memory knows the server
        GitHubSimulator old = ghes();
        trigger(old, "--ref", "main", "--webhook-only", "--json-only");
        int before = old.requests().size();
        Testing.Run again = trigger(old, "--ref", "main", "--webhook-only", "--json-only");
        assertEquals(0, again.exitCode(), again.err());
        assertEquals(2, old.requests().size() - before, old.requests().toString());
        assertFalse(out(again).has("dispatch_run_id"));
        assertEquals("", again.err());
    }

    @Test
    void webhookOnlyWritesMetadataBeforeDispatchingSoADeliveryDuringTheCallIsNoOrphan() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        sim.phaseDelays(Duration.ofSeconds(30), Duration.ofSeconds(30)); // only the 'requested' delivery in this test
        CountDownLatch ingested = new CountDownLatch(1);
        List<String> problems = new CopyOnWriteArrayList<>();
        AtomicReference<JsonNode> seenDuringCall = new AtomicReference<>();
        Ingest ingest = new Ingest(new RunStore(runs()), Ingest.Options.verifying(Optional.of(new Secret(SECRET, "test"))),
                Clock.systemUTC(), problems::add);
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", ex -> {
            try (ex) {
                byte[] body = ex.getRequestBody().readAllBytes();
                Headers headers = new Headers();
                ex.getRequestHeaders().forEach((k, v) -> headers.set(k, v.get(0)));
                int status = 200;
                try {
                    ObjectNode summary = ingest.process(new WebhookDelivery(body, headers));
                    if ("workflow_run".equals(headers.get(Headers.EVENT))) {
                        seenDuringCall.set(summary);
                        ingested.countDown();
                    }
                } catch (RuntimeException e) {
                    problems.add(e.toString());
                    status = 500;
                }
                ex.sendResponseHeaders(status, -1);
            }
        });
        receiver.start();
        closing.add(() -> receiver.stop(0));
        GitHubClient admin = new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test"));
        ObjectNode hook = Json.object().put("name", "web").put("active", true);
        hook.putArray("events").add("workflow_run");
        hook.putObject("config").put("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook")
                .put("content_type", "json").put("secret", SECRET);
        admin.post(admin.repoPath("/hooks"), hook);
        // the dispatch answer reaches trigger-and-track only after the delivery was ingested
        SimProxy proxy = new SimProxy(sim.apiUrl(), (method, path, status) -> {
            if (method.equals("POST") && path.endsWith("/dispatches")) {
                assertTrue(ingested.await(10, TimeUnit.SECONDS), "the delivery arrived during the dispatch call");
            }
            return status;
        });
        closing.add(proxy);

        Testing.Run r = triggerVia(sim, proxy.url(), Map.of(), "--ref", "main", "--webhook-only");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode o = out(r);
        String corr = o.get("correlation_id").asText();
        long runId = runOf(sim, corr);
        assertEquals(corr, seenDuringCall.get().get("correlation_id").asText());
        assertEquals(List.of(), problems);
        assertFalse(Files.exists(runs().resolve("webhook_orphans")), "no orphan");
        JsonNode m = metadata(corr);
        assertEquals(runId, m.get("webhook_run_id").asLong());
        assertEquals(runId, m.get("run_id").asLong(), "set by ingest, not clobbered");
        assertEquals("webhook", m.get("run_id_source").asText());
        assertFalse(m.get("webhook_pending").asBoolean());
        assertEquals(runId, m.get("dispatch_run_id").asLong());
        assertEquals("accepted", m.get("dispatch_status").asText());
        assertEquals(1, m.get("webhook_deliveries").size());
        assertFalse(m.has("webhook_mismatches") || m.has("run_id_conflicts"), m.toString());
        // the webhook was first, so the answer already carries its run id
        assertEquals(runId, o.get("run_id").asLong());
        assertEquals("webhook", o.get("source").asText());
    }

    // ---------------------------------------------------------------- failures

    @Test
    void missingWorkflowIsOneLineExit1AndNothingIsWritten() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        Testing.Run r = trigger(sim, "--ref", "main", "--workflow", "nope.yml");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("no workflow 'nope.yml'"), r.err());
        assertEquals(0, count(sim, "POST", "/repos/octo-org/octo-repo/actions/workflows/nope.yml/dispatches"));
        assertFalse(Files.exists(runs()));
    }

    @Test
    void disabledWorkflowNamesItsState() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        sim.workflow(1001).state("disabled_manually");
        Testing.Run r = trigger(sim, "--ref", "main");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("disabled_manually"), r.err());
        assertEquals(0, count(sim, "POST", DISPATCHES));
    }

    @Test
    void githubsReasonForARefusedDispatchIsShownInOneLine() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        sim.addWorkflow("Build", "build.yml", List.of(), null, false);
        Map<String[], String> cases = Map.of(
                new String[] {"--ref", "nope"}, "No ref found for: nope",
                new String[] {"--ref", "main", "--input", "x=1"}, "Unexpected inputs provided: [\"x\"]",
                new String[] {"--ref", "main", "--workflow", "build.yml"}, "Workflow does not have 'workflow_dispatch' trigger");
        for (var c : cases.entrySet()) {
            Testing.Run r = trigger(sim, c.getKey());
            assertEquals(1, r.exitCode(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(c.getValue()), r.err());
        }
        assertEquals(0, sim.runs().size());
        // the metadata written before the dispatch says what happened
        try (var files = Files.list(runs())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json") && !p.getFileName().toString().startsWith(".")).toList()) {
                assertEquals("rejected", Json.read(f).get("dispatch_status").asText());
            }
        }
    }

    /** WEBHOOK_URL, exported for the hook's commands, adds an input that a workflow may not declare: the error says so. */
    @Test
    void aRefusedWebhookUrlInputNamesWhereItCameFrom() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        sim.addWorkflow("Plain", "plain.yml", List.of("correlation_id"), "Dispatch Webhook (${{ inputs.correlation_id }})", true);
        Testing.Run fromEnv = triggerVia(sim, sim.apiUrl(), Map.of("WEBHOOK_URL", "https://webhook.example/abc"),
                "--ref", "main", "--workflow", "plain.yml");
        assertEquals(1, fromEnv.exitCode(), fromEnv.err());
        assertEquals(1, fromEnv.err().strip().lines().count(), fromEnv.err());
        assertTrue(fromEnv.err().contains("Unexpected inputs provided: [\"webhook_url\"]"), fromEnv.err());
        assertTrue(fromEnv.err().strip().endsWith("(webhook_url came from WEBHOOK_URL; a workflow that does not declare that"
                + " input takes --webhook-url '')"), fromEnv.err());
        Testing.Run fromFlag = trigger(sim, "--ref", "main", "--workflow", "plain.yml", "--webhook-url", "https://h.example/");
        assertTrue(fromFlag.err().contains("(webhook_url came from --webhook-url;"), fromFlag.err());

        Testing.Run without = triggerVia(sim, sim.apiUrl(), Map.of("WEBHOOK_URL", "https://webhook.example/abc"),
                "--ref", "main", "--workflow", "plain.yml", "--webhook-url", "");
        assertEquals(0, without.exitCode(), without.err());
        assertEquals(1, sim.runs().size());
    }

    /** A 422 that only names return_run_details (an input of that name) is no sign that the server lacks the field. */
    @Test
    void aRefusedInputNamedLikeTheFieldIsNotRememberedAsTheServerLackingIt() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        Testing.Run refused = trigger(sim, "--ref", "main", "--input", "return_run_details=true");
        assertEquals(1, refused.exitCode(), refused.err());
        assertTrue(refused.err().contains("Unexpected inputs provided: [\"return_run_details\"]"), refused.err());
        assertFalse(refused.err().contains("does not know return_run_details"), refused.err());
        assertEquals(1, count(sim, "POST", DISPATCHES), "no second dispatch without the field");
        Testing.Run next = trigger(sim, "--ref", "main");
        assertEquals(0, next.exitCode(), next.err());
        assertEquals("api", out(next).get("source").asText());
    }

    /** Inputs named like secrets reach the workflow as given but are recorded as ***; other inputs as they are. */
    @Test
    void secretLikeInputsAreMaskedInTheRecord() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        List<String> secretLike = List.of("api_token", "DEPLOY_KEY", "ssh-key", "passphrase", "db_password", "pat", "gh_pat",
                "client_cert", "auth_header", "session_cookie");
        List<String> plain = List.of("environment", "path", "patch", "version");
        List<String> declared = new ArrayList<>(List.of("correlation_id"));
        declared.addAll(secretLike);
        declared.addAll(plain);
        sim.addWorkflow("Deploy", "deploy.yml", declared, "Dispatch Webhook (${{ inputs.correlation_id }})", true);
        List<String> args = new ArrayList<>(List.of("--ref", "main", "--workflow", "deploy.yml"));
        for (String name : declared.subList(1, declared.size())) args.addAll(List.of("--input", name + "=value-of-" + name));
        Testing.Run r = trigger(sim, args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        JsonNode recorded = metadata(out(r).get("correlation_id").asText()).get("inputs");
        for (String name : secretLike) assertEquals("***", recorded.get(name).asText(), name);
        for (String name : plain) assertEquals("value-of-" + name, recorded.get(name).asText(), name);
        assertEquals("value-of-pat", sim.runs().get(0).inputs.get("pat"), "the workflow gets the value");
    }

    @Test
    void tooManyInputsIsAUsageErrorBeforeAnyRequest() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        List<String> args = new ArrayList<>(List.of("--ref", "main"));
        for (int i = 0; i < 24; i++) args.addAll(List.of("--input", "k" + i + "=v"));
        // 24 + correlation_id = 25: allowed by us (the simulator's workflow then refuses the unknown names)
        assertEquals(1, trigger(sim, args.toArray(String[]::new)).exitCode());
        int sent = sim.requests().size();
        args.addAll(List.of("--webhook-url", "https://webhook.example/x"));
        Testing.Run r = trigger(sim, args.toArray(String[]::new));
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("at most 25 inputs"), r.err());
        assertEquals(sent, sim.requests().size(), "nothing sent");
        assertEquals(2, trigger(sim, "--input", "novalue").exitCode());
        assertEquals(2, trigger(sim, "--input", "correlation_id=x").exitCode());
        assertEquals(2, trigger(sim, "--interval", "0").exitCode());
        assertEquals(2, trigger(sim, "--correlation-id", "not-a-uuid").exitCode());
    }

    @Test
    void anUnansweredDispatchIsNotRetriedAndSaysItMayHaveHappened() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        SimProxy proxy = new SimProxy(sim.apiUrl(),
                (method, path, status) -> method.equals("POST") && path.endsWith("/dispatches") ? 502 : status);
        closing.add(proxy);
        Testing.Run r = triggerVia(sim, proxy.url(), Map.of(), "--ref", "main");
        assertEquals(1, r.exitCode(), r.err());
        assertEquals(1, count(sim, "POST", DISPATCHES), "never retried");
        assertEquals(1, sim.runs().size(), "the run did start");
        String corr = sim.runs().get(0).displayTitle.replaceAll(".*\\((.*)\\)", "$1");
        assertTrue(r.err().contains("may or may not have happened") && r.err().contains(corr), r.err());
        assertEquals("uncertain", metadata(corr).get("dispatch_status").asText());
    }

    // ---------------------------------------------------------------- correlation id, outputs

    @Test
    void givenCorrelationIdIsLowerCasedAndCannotBeDispatchedTwice() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        String corr = "5D3F1A2B-8C9E-4F70-A1B2-C3D4E5F60718";
        Testing.Run r = trigger(sim, "--ref", "main", "--correlation-id", corr);
        assertEquals(0, r.exitCode(), r.err());
        String lower = corr.toLowerCase();
        assertEquals(lower, out(r).get("correlation_id").asText());
        assertTrue(Files.exists(runs().resolve(lower + ".json")));
        assertEquals(runOf(sim, lower), out(r).get("run_id").asLong());

        Testing.Run again = trigger(sim, "--ref", "main", "--correlation-id", lower);
        assertEquals(2, again.exitCode());
        assertTrue(again.err().contains("dispatched before"), again.err());
        assertEquals(1, sim.runs().size());
    }

    @Test
    void writesRunIdCorrelationIdAndRunUrlToGithubOutput() throws Exception {
        GitHubSimulator sim = sim(GitHubSimulator.Config.defaults());
        Path githubOutput = tmp.resolve("github-output");
        Files.writeString(githubOutput, "earlier=step\n");   // the runner's file may already hold lines: append
        Testing.Run r = triggerVia(sim, sim.apiUrl(), Map.of("GITHUB_OUTPUT", githubOutput.toString()), "--ref", "main");
        assertEquals(0, r.exitCode(), r.err());
        String corr = out(r).get("correlation_id").asText();
        long runId = runOf(sim, corr);
        // status and conclusion stay empty unless the run is followed (--until completed)
        assertEquals("earlier=step\nrun_id=" + runId + "\ncorrelation_id=" + corr + "\nstatus=\nconclusion=\n"
                + "run_url=https://github.com/octo-org/octo-repo/actions/runs/" + runId + "\n", Files.readString(githubOutput));
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void twentyParallelDispatchesEachFindTheirOwnRunByPolling() throws Exception {
        GitHubSimulator sim = ghes();
        int n = 20;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<Testing.Run>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(pool.submit(() -> trigger(sim, "--ref", "main", "--interval", "0.1", "--timeout", "20",
                    "--json-only")));
        }
        Set<Long> ids = new HashSet<>();
        for (Future<Testing.Run> f : futures) {
            Testing.Run r = f.get(60, TimeUnit.SECONDS);
            assertEquals(0, r.exitCode(), r.err());
            JsonNode o = out(r);
            assertEquals(runOf(sim, o.get("correlation_id").asText()), o.get("run_id").asLong());
            assertEquals(o.get("run_id").asLong(), metadata(o.get("correlation_id").asText()).get("run_id").asLong());
            ids.add(o.get("run_id").asLong());
        }
        pool.shutdown();
        assertEquals(n, ids.size());
        assertEquals(n, sim.runs().size());
        assertTrue(count(sim, "POST", DISPATCHES) <= 2L * n);
    }

    @Test
    void threeSeparateProcessesEachFindTheirOwnRun() throws Exception {
        GitHubSimulator sim = ghes();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp",
                    System.getProperty("java.class.path"), "TriggerAndTrack", "--repo", sim.repo(), "--api-url",
                    sim.apiUrl(), "--store-dir", runs().toString(), "--ref", "main", "--interval", "0.1",
                    "--timeout", "30", "--json-only");
            pb.environment().put("GH_TOKEN", sim.token());
            pb.environment().remove("GITHUB_OUTPUT");
            pb.redirectError(tmp.resolve("proc" + i + ".err").toFile());
            processes.add(pb.start());
        }
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            Process p = processes.get(i);
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("proc" + i + ".err")));
            JsonNode o = Json.parse(stdout.getBytes(StandardCharsets.UTF_8), "stdout");
            assertEquals(runOf(sim, o.get("correlation_id").asText()), o.get("run_id").asLong());
            ids.add(o.get("run_id").asLong());
        }
        assertEquals(3, ids.size());
    }

    @Test
    void theFallbackDispatchIsSentWhenTheFeatureMemoryCannotBeWritten() throws Exception {
        GitHubSimulator sim = ghes();
        Files.createDirectories(runs().resolve(".api-features.json").resolve("blocker")); // a folder in its place
        Testing.Run r = trigger(sim, "--ref", "main");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals(2, count(sim, "POST", DISPATCHES), "the rejected try, then the fallback");
        assertEquals("accepted", metadata(out(r).get("correlation_id").asText()).get("dispatch_status").asText());
        assertTrue(r.err().contains("could not remember"), r.err());
    }

    @Test
    void bothTimeoutsPrintTheSameShapeAndWriteGithubOutput() throws Exception {
        GitHubSimulator sim = ghes();
        sim.visibilityDelay(Duration.ofSeconds(30));
        Path pollOutput = tmp.resolve("poll-output");
        Testing.Run polled = triggerVia(sim, sim.apiUrl(), Map.of("GITHUB_OUTPUT", pollOutput.toString()),
                "--ref", "main", "--timeout", "0.3");
        Path waitOutput = tmp.resolve("wait-output");
        Testing.Run waited = triggerVia(sim, sim.apiUrl(), Map.of("GITHUB_OUTPUT", waitOutput.toString()),
                "--webhook-only", "--wait", "--ref", "main", "--timeout", "0.3");
        assertEquals(124, polled.exitCode(), polled.all());
        assertEquals(124, waited.exitCode(), waited.all());
        List<String> pollFields = new ArrayList<>();
        out(polled).fieldNames().forEachRemaining(pollFields::add);
        List<String> waitFields = new ArrayList<>();
        out(waited).fieldNames().forEachRemaining(waitFields::add);
        assertEquals(pollFields, waitFields);
        assertTrue(waitFields.containsAll(List.of("run_url", "source", "metadata")), waitFields.toString());
        assertTrue(Files.readString(waitOutput).startsWith("run_id=\ncorrelation_id="), Files.readString(waitOutput));
    }
}
