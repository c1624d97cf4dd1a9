import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import lib.cli.ExitCode;
import lib.follow.Job;
import lib.follow.RunFollower;
import lib.follow.RunOutcome;
import lib.follow.RunState;
import lib.github.ActionsRuns;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.receiver.Receiver;
import lib.store.RunStore;
import lib.util.Json;
import lib.util.Text;
import lib.webhook.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * trigger-and-track --until completed (and the follower under it) against the simulator over real HTTP:
 * conditional polling, stored deliveries, failed jobs and their logs, progress, cancel, re-runs, Actions
 * step files, and the request counts from the simulator's log.
 */
class FollowRunTest {
    static final String REPO = "/repos/octo-org/octo-repo";

    /** Phase delays that never pass during a test: such runs move on only when a test calls {@code sim.advance}. */
    static final Duration HELD = Duration.ofHours(1);

    @TempDir Path tmp;
    final List<AutoCloseable> closing = new ArrayList<>();
    final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void closeAll() throws Exception {
        pool.shutdownNow();
        for (int i = closing.size() - 1; i >= 0; i--) closing.get(i).close();
    }

    // ---------------------------------------------------------------- helpers

    GitHubSimulator sim() throws IOException {
        GitHubSimulator sim = GitHubSimulator.start();
        closing.add(sim);
        return sim;
    }

    Path runs() {
        return tmp.resolve("runs");
    }

    TriggerAndTrack command(GitHubSimulator sim, Map<String, String> extraEnv, boolean terminal) {
        TriggerAndTrack cmd = new TriggerAndTrack();
        Map<String, String> env = new HashMap<>(Map.of("GH_TOKEN", sim.token()));
        env.putAll(extraEnv);
        cmd.env = env;
        cmd.workDir = tmp;
        cmd.stderrIsTerminal = terminal;
        cmd.policy = GitHubClient.Policy.defaults().withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
        return cmd;
    }

    /** trigger-and-track --until completed on the simulator: --interval 0.02 and --timeout 20 unless given. */
    Testing.Run follow(GitHubSimulator sim, Map<String, String> env, boolean terminal, String... args) {
        return follow(command(sim, env, terminal), sim, args);
    }

    /** The same with a command the test set up (e.g. another policy). */
    Testing.Run follow(TriggerAndTrack cmd, GitHubSimulator sim, String... args) {
        List<String> all = new ArrayList<>(List.of("--repo", sim.repo(), "--api-url", sim.apiUrl(),
                "--runs-dir", runs().toString(), "--ref", "main", "--until", "completed"));
        List<String> given = List.of(args);
        if (!given.contains("--interval")) all.addAll(List.of("--interval", "0.02"));
        if (!given.contains("--timeout")) all.addAll(List.of("--timeout", "20"));
        all.addAll(given);
        return Testing.run(cmd, all.toArray(String[]::new));
    }

    Testing.Run follow(GitHubSimulator sim, String... args) {
        return follow(sim, Map.of(), false, args);
    }

    /** The same in the background, for a test that steps the run through its phases meanwhile. */
    Future<Testing.Run> start(GitHubSimulator sim, Map<String, String> env, boolean terminal, String... args) {
        return pool.submit(() -> follow(sim, env, terminal, args));
    }

    /** A simulator whose runs move on only when a test calls {@code sim.advance}. */
    GitHubSimulator heldSim() throws IOException {
        GitHubSimulator sim = sim();
        sim.phaseDelays(HELD, HELD);
        return sim;
    }

    static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    /** The id of the first run of a fresh simulator, once it is dispatched. */
    static long awaitRunId(GitHubSimulator sim) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (sim.runs().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "nothing was dispatched");
            Thread.sleep(5);
        }
        return sim.runs().get(0).id;
    }

    /** Waits until {@code n} more GETs of the run arrived: the follower has looked at the run's current phase. */
    static void awaitPolls(GitHubSimulator sim, long runId, int n) throws InterruptedException {
        long target = runGets(sim, runId).size() + n;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (runGets(sim, runId).size() < target) {
            assertTrue(System.nanoTime() < deadline, "the follower stopped polling run " + runId);
            Thread.sleep(5);
        }
    }

    /** Lets the follower poll each phase of the held run ({@code polls} GETs), then moves the run on, until it completes. */
    static void stepThroughPhases(GitHubSimulator sim, long runId, int polls) throws InterruptedException {
        awaitPolls(sim, runId, polls);
        sim.advance(runId);                     // in_progress
        awaitPolls(sim, runId, polls);
        sim.advance(runId);                     // completed
    }

    static JsonNode out(Testing.Run r) {
        assertEquals(1, r.out().strip().lines().count(), "one JSON line on stdout: " + r.out());
        return Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "stdout");
    }

    static List<SimState.Request> runGets(GitHubSimulator sim, long runId) {
        return sim.requestDetails("GET", REPO + "/actions/runs/" + runId);
    }

    static long charged(List<SimState.Request> requests) {
        return requests.stream().filter(r -> r.status() != 304).count();
    }

    GitHubClient client(GitHubSimulator sim) {
        return new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test"));
    }

    /** A receiver storing into runs(), and a hook on the simulator for workflow_run and workflow_job pointing at it. */
    void hookIntoRuns(GitHubSimulator sim) throws IOException {
        DeliveryIntake intake = new DeliveryIntake(new RunStore(runs()),
                Ingest.Options.verifying(Optional.of(new Secret(Deliveries.SECRET, "test"))), Clock.systemUTC(), m -> {});
        Receiver receiver = Receiver.start(Receiver.parseListen("0"), "/hook", intake, m -> {});
        closing.add(receiver);
        GitHubClient admin = client(sim);
        ObjectNode hook = Json.object().put("name", "web").put("active", true);
        hook.putArray("events").add("workflow_run").add("workflow_job");
        hook.putObject("config").put("url", receiver.url().toString()).put("content_type", "json").put("secret", Deliveries.SECRET);
        admin.post(admin.repoPath("/hooks"), hook);
    }

    /** Dispatches through the API as trigger-and-track would, returning the run id from the answer. */
    static long dispatch(GitHubClient gh, String correlation) {
        ObjectNode body = Json.object().put("ref", "main").put("return_run_details", true);
        body.putObject("inputs").put("correlation_id", correlation);
        return gh.post(gh.repoPath("/actions/workflows/dispatch-webhook.yml/dispatches"), body).get("workflow_run_id").asLong();
    }

    /** Waits until runs/<corr>/webhook/index.json has a row matching {@code what} (event and status). */
    void awaitRow(String correlation, String event, String status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            boolean found = new RunStore(runs()).readIndex(correlation).stream().anyMatch(r ->
                    event.equals(Json.text(r.json(), "event")) && status.equals(r.status()));
            if (found) return;
            Thread.sleep(10);
        }
        throw new AssertionError("no " + event + " " + status + " row for " + correlation);
    }

    /** A workflow_run payload of the given run, attempt, status and conclusion. */
    static byte[] runPayload(String correlation, long runId, int attempt, String action, String conclusion) {
        String text = new String(action.equals("completed") ? Deliveries.completed(correlation, runId, conclusion)
                : Fixtures.workflowRun(action, correlation, runId), StandardCharsets.UTF_8);
        return text.replace("\"run_attempt\": 1,", "\"run_attempt\": " + attempt + ",").getBytes(StandardCharsets.UTF_8);
    }

    record Seen(RunState run, List<Job> jobs) {}

    RunFollower follower(GitHubSimulator sim, String correlation, List<Seen> seen, RunFollower.Options options) {
        return new RunFollower(new ActionsRuns(client(sim)), new RunStore(runs()), correlation, Clock.systemUTC(), System::nanoTime,
                new RunFollower.Listener() {
                    @Override
                    public void progress(RunState run, List<Job> jobs) {
                        seen.add(new Seen(run, jobs));
                    }
                }, options);
    }

    // ---------------------------------------------------------------- 1, 2, 8: polling to the conclusion

    @Test
    void untilCompletedFollowsTheRunWithOneConditionalGetPerIntervalAndPrintsTheOutcome() throws Exception {
        GitHubSimulator sim = heldSim();
        Future<Testing.Run> running = start(sim, Map.of(), false);
        stepThroughPhases(sim, awaitRunId(sim), 3);
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        JsonNode o = out(r);
        long runId = o.get("run_id").asLong();
        assertEquals("completed", o.get("status").asText());
        assertEquals("success", o.get("conclusion").asText());
        assertEquals(1, o.get("run_attempt").asInt());
        assertEquals("api", o.get("outcome_source").asText());
        assertFalse(o.get("cancel_requested").asBoolean());
        assertTrue(o.get("duration_s").isIntegralNumber(), o.toString());
        assertEquals(sim.run(runId).completedAt.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                o.get("completed_at").asText());
        assertEquals(1, o.get("jobs").size(), o.toString());
        JsonNode job = o.get("jobs").get(0);
        assertEquals("dispatch", job.get("name").asText());
        assertEquals("success", job.get("conclusion").asText());
        assertTrue(job.get("url").asText().endsWith("/actions/runs/" + runId + "/job/" + sim.run(runId).jobs.get(0).id()), job.toString());
        assertEquals(0, job.get("failed_steps").size());

        // 8. Every GET of the run after the confirming one is conditional, and only a change costs quota:
        // queued (the confirming GET), in_progress, completed. The rest were free 304s.
        List<SimState.Request> gets = runGets(sim, runId);
        assertTrue(gets.stream().skip(1).allMatch(g -> g.header("If-None-Match") != null), "conditional GETs");
        assertEquals(3, charged(gets), "charged GETs of the run, one per change: " + gets.size() + " GETs in all");
        assertTrue(gets.size() - charged(gets) >= 4, "the others were free 304s: " + gets.size());
        // the progress view's jobs listings: at most one per interval (here: never more than run GETs), plus the final one
        long listings = sim.requestCount("GET", REPO + "/actions/runs/" + runId + "/jobs");
        assertTrue(listings >= 1 && listings <= gets.size() + 1, listings + " listings, " + gets.size() + " run GETs");
        JsonNode meta = Json.read(runs().resolve(o.get("correlation_id").asText() + ".json"));
        assertEquals("completed", meta.get("run_status").asText());
        assertEquals("success", meta.get("run_conclusion").asText());
        assertEquals("api", meta.get("outcome_source").asText());
    }

    @Test
    void aStoredCompletedDeliveryEndsTheFollowWithoutAnyRequestForTheRunOrItsJobs() throws Exception {
        GitHubSimulator sim = sim();
        hookIntoRuns(sim);
        sim.phaseDelays(Duration.ofMillis(20), Duration.ofMillis(20));
        String corr = lib.webhook.Correlation.newId();
        long runId = dispatch(client(sim), corr);
        awaitRow(corr, "workflow_run", "completed");
        int before = sim.requests().size();

        List<Seen> seen = new CopyOnWriteArrayList<>();
        RunOutcome o = follower(sim, corr, seen, new RunFollower.Options(Duration.ofMillis(20), true, 30, false))
                .follow(runId, Duration.ofSeconds(10));
        assertTrue(o.completed() && o.successful(), o.toString());
        assertEquals("webhook", o.seenBy());
        assertEquals("dispatch", o.jobs().get(0).name());
        assertEquals(3, o.jobs().get(0).steps().size(), "the steps come from the workflow_job payload");
        assertEquals(List.of(), sim.requests().subList(before, sim.requests().size()),
                "no GET of the run once its completion is stored, and no jobs listing: the deliveries tell the jobs");
        assertEquals(ExitCode.OK, ExitCode.of(o));
    }

    @Test
    void workflowJobDeliveriesFeedTheProgressViewSoNoJobsListingIsSent() throws Exception {
        GitHubSimulator sim = sim();
        hookIntoRuns(sim);
        sim.phaseDelays(Duration.ofMillis(20), Duration.ofSeconds(30));
        String corr = lib.webhook.Correlation.newId();
        long runId = dispatch(client(sim), corr);
        awaitRow(corr, "workflow_job", "in_progress");

        List<Seen> seen = new CopyOnWriteArrayList<>();
        RunOutcome o = follower(sim, corr, seen, new RunFollower.Options(Duration.ofMillis(20), true, 30, false))
                .follow(runId, Duration.ofMillis(1000));
        assertTrue(o.timedOut());
        assertEquals("in_progress", o.run().status());
        assertEquals(0, sim.requestCount("GET", REPO + "/actions/runs/" + runId + "/jobs"), sim.requests().toString());
        List<SimState.Request> gets = runGets(sim, runId);
        assertTrue(gets.size() >= 3, "still one conditional GET of the run per interval: " + gets.size());
        assertEquals(1, charged(gets), "the run did not change: every GET but the first was a free 304");
        assertFalse(seen.isEmpty());
        Seen last = seen.get(seen.size() - 1);
        assertEquals("in_progress", last.jobs().get(0).status(), last.toString());
        assertEquals("Set up job", last.jobs().get(0).steps().get(0).name());
    }

    /**
     * The jobs listing showed a job running before any workflow_job delivery was stored; the first stored one may be
     * older (its queued delivery): the view does not take the job back to queued.
     */
    @Test
    void aJobSeenRunningInTheListingIsNotShownQueuedAgainByAnOlderStoredDelivery() throws Exception {
        GitHubSimulator sim = sim();
        GitHubClient admin = client(sim);
        ObjectNode hook = Json.object().put("name", "web").put("active", true);
        hook.putArray("events").add("workflow_run").add("workflow_job");
        // Port 1 refuses: the simulator keeps each delivery's payload, and nothing is stored until this test stores it.
        hook.putObject("config").put("url", "http://127.0.0.1:1/hook").put("content_type", "json").put("secret", Deliveries.SECRET);
        admin.post(admin.repoPath("/hooks"), hook);
        sim.phaseDelays(Duration.ofMillis(20), Duration.ofSeconds(30));
        String corr = lib.webhook.Correlation.newId();
        long runId = dispatch(admin, corr);
        SimState.Delivery runInProgress = sim.awaitDeliveries(1, d -> d.event().equals("workflow_run")
                && "in_progress".equals(d.action()), Duration.ofSeconds(10)).get(0);
        SimState.Delivery jobQueued = sim.awaitDeliveries(1, d -> d.event().equals("workflow_job")
                && "queued".equals(d.action()), Duration.ofSeconds(10)).get(0);

        List<Seen> seen = new CopyOnWriteArrayList<>();
        Future<RunOutcome> following = Executors.newSingleThreadExecutor().submit(() ->
                follower(sim, corr, seen, new RunFollower.Options(Duration.ofMillis(20), true, 30, false))
                        .follow(runId, Duration.ofMillis(2500)));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (seen.stream().noneMatch(x -> !x.jobs().isEmpty() && "in_progress".equals(x.jobs().get(0).status()))) {
            assertTrue(System.nanoTime() < deadline, "the listing never showed the job running: " + seen);
            Thread.sleep(10);
        }
        Deliveries.storeSigned(runs(), Deliveries.secretFile(tmp), runInProgress.payload(), runInProgress.guid());
        Deliveries.storeJob(runs(), jobQueued.payload(), jobQueued.guid());
        assertTrue(following.get(30, TimeUnit.SECONDS).timedOut());

        List<String> shown = seen.stream().filter(x -> !x.jobs().isEmpty()).map(x -> x.jobs().get(0).status()).toList();
        assertEquals("in_progress", shown.get(shown.size() - 1), shown.toString());
        assertFalse(shown.subList(shown.indexOf("in_progress"), shown.size()).contains("queued"), shown.toString());
    }

    // ---------------------------------------------------------------- 2, 3, 9: a failing run

    @Test
    void aFailedRunExitsFiveWithItsFailedJobsStepsAndLogTailsAndTheTokenNeverReachesTheLogHost() throws Exception {
        GitHubSimulator sim = sim();
        sim.phaseDelays(Duration.ofMillis(30), Duration.ofMillis(60)).conclusion("failure")
                .jobs(SimState.JobSpec.of("build", "Set up job", "Run tests", "Complete job").failingAt("Run tests"),
                        SimState.JobSpec.of("lint", "Set up job", "Lint"));
        Testing.Run r = follow(sim, "--log-lines", "4");
        assertEquals(ExitCode.RUN_UNSUCCESSFUL, r.exitCode(), r.all());
        assertEquals(5, r.exitCode());
        JsonNode o = out(r);
        long runId = o.get("run_id").asLong();
        assertEquals("failure", o.get("conclusion").asText());
        assertEquals("build", o.at("/jobs/0/name").asText());
        assertEquals("failure", o.at("/jobs/0/conclusion").asText());
        assertEquals("[\"Run tests\"]", o.at("/jobs/0/failed_steps").toString());
        assertEquals("lint", o.at("/jobs/1/name").asText());
        assertEquals("success", o.at("/jobs/1/conclusion").asText());

        String err = r.err();
        assertTrue(err.contains("error: run " + runId + " (attempt 1) completed: failure"), err);
        assertTrue(err.contains("failed job: build (failure): https://github.com/octo-org/octo-repo/actions/runs/" + runId + "/job/"), err);
        assertTrue(err.contains("  failed step 2: Run tests (failure)"), err);
        assertFalse(err.contains("failed job: lint"), err);
        assertTrue(err.contains("  last 4 lines of its log:\n"), err);
        // the tail, as plain text: timestamps, colour codes, the OSC title and the overwritten progress gone
        assertTrue(err.contains("\n    ##[endgroup]\n    Error: Run tests failed: expected 200, got 500\n    progress 100%\n"
                + "    ##[error]Process completed with exit code 1.\n"), err);
        assertFalse(err.contains("\u001b") || err.contains("\u0007") || err.contains("pwned"), err);

        // one listing for the outcome, one log download for the failed job only, through a 302 to the other origin
        long buildJob = sim.run(runId).jobs.get(0).id();
        List<SimState.Request> logApi = sim.requestDetails("GET", REPO + "/actions/jobs/" + buildJob + "/logs");
        assertEquals(1, logApi.size());
        assertEquals(302, logApi.get(0).status());
        assertEquals("Bearer " + sim.token(), logApi.get(0).header("Authorization"));
        List<SimState.Request> downloads = sim.logRequests();
        assertEquals(1, downloads.size(), downloads.toString());
        assertEquals(200, downloads.get(0).status());
        assertTrue(downloads.get(0).line().startsWith("GET /job-logs/" + buildJob + "?sig="), downloads.get(0).line());
        assertNull(downloads.get(0).header("Authorization"), "the token must not go to the log host");
        assertFalse(downloads.get(0).headers().toString().contains(sim.token()), downloads.get(0).headers().toString());
    }

    @Test
    void aLogDownloadNeverCarriesTheTokenEvenWhenItIsOnTheApiHostItself() throws Exception {
        List<Map<String, String>> downloads = new CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer api = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/repos/o/r/actions/jobs/7/logs", ex -> {
            ex.getResponseHeaders().set("Location", "/storage/7.txt?sig=abc"); // a relative URL: the same origin
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        api.createContext("/storage/", ex -> {
            Map<String, String> h = new HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            downloads.add(h);
            byte[] body = "one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        api.start();
        try {
            String url = "http://127.0.0.1:" + api.getAddress().getPort();
            ActionsRuns runs = new ActionsRuns(new GitHubClient(new GitHubContext(url, "o/r", "secret-token", "test")));
            assertEquals(List.of("two", "three"), runs.logTail(7, 2));
            assertEquals(1, downloads.size());
            assertNull(downloads.get(0).get("authorization"), downloads.toString());
            assertFalse(downloads.toString().contains("secret-token"));
        } finally {
            api.stop(0);
        }
    }

    @Test
    void logLinesZeroSkipsTheLogsAndJsonOnlyStillExplainsTheFailure() throws Exception {
        GitHubSimulator sim = sim();
        sim.phaseDelays(Duration.ofMillis(20), Duration.ofMillis(20)).conclusion("timed_out")
                .jobs(SimState.JobSpec.of("deploy", "Set up job", "Deploy").failingAt("Deploy"));
        Testing.Run r = follow(sim, "--log-lines", "0", "--json-only");
        assertEquals(5, r.exitCode(), r.all());
        assertEquals("timed_out", out(r).get("conclusion").asText());
        assertTrue(r.err().contains("failed job: deploy (failure)"), r.err());
        assertFalse(r.err().contains("lines of its log"), r.err());
        assertFalse(r.err().contains("job deploy:"), "no progress with --json-only: " + r.err());
        assertEquals(0, sim.requests().stream().filter(l -> l.contains("/logs")).count());
        assertTrue(sim.logRequests().isEmpty());
    }

    @Test
    void everyConclusionMapsToItsExitCode() {
        for (String c : List.of("success", "neutral", "skipped", "failure", "cancelled", "timed_out", "action_required",
                "startup_failure", "stale")) {
            RunState run = new RunState(1, 1, "completed", c, null, "t", null, null);
            int expected = List.of("success", "neutral", "skipped").contains(c) ? 0 : 5;
            assertEquals(expected, ExitCode.of(new RunOutcome(run, List.of(), false, false, "api", Map.of())), c);
        }
        RunState running = new RunState(1, 1, "in_progress", null, null, "t", null, null);
        assertEquals(124, ExitCode.of(new RunOutcome(running, List.of(), true, true, null, Map.of())));
    }

    @Test
    void plainTextDropsEscapeSequencesAndControlCharacters() {
        assertEquals("red text", Text.plain("\u001b[1;31mred\u001b[0m text"));
        assertEquals("after", Text.plain("\u001b]0;title\u0007after"));
        assertEquals("link", Text.plain("\u001b]8;;https://x\u001b\\link\u001b]8;;\u001b\\"));
        assertEquals("100%", Text.plain("10%\r50%\r100%\r\n"));
        assertEquals("a\tb c", Text.plain("a\tb\u0000 \u009b31mc\u202e"));
        assertEquals("", Text.plain(null));
    }

    // ---------------------------------------------------------------- 4: progress

    @Test
    void progressIsOneLinePerJobStatusChangeOffATerminalAndNothingWithJsonOnly() throws Exception {
        GitHubSimulator sim = heldSim();
        Future<Testing.Run> running = start(sim, Map.of(), false);
        stepThroughPhases(sim, awaitRunId(sim), 4);
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        List<String> jobLines = r.err().lines().filter(l -> l.startsWith("  job dispatch: ")).toList();
        // one line per change of the job's status, however often its steps changed or it was looked at
        assertEquals(List.of("  job dispatch: queued", "  job dispatch: in_progress", "  job dispatch: success in N s"),
                jobLines.stream().map(l -> l.replaceAll("in \\d s$", "in N s")).toList(), r.err());
        assertTrue(r.err().contains("(attempt 1): completed") || r.err().contains("(attempt 1): success"), r.err());
        assertFalse(r.err().contains("\u001b"), "no escape sequences off a terminal");
        assertFalse(r.out().contains("job dispatch"), "nothing of it on stdout");

        sim.phaseDelays(Duration.ofMillis(20), Duration.ofMillis(20));
        Testing.Run quiet = follow(sim, "--json-only");
        assertEquals(0, quiet.exitCode(), quiet.all());
        assertEquals("", quiet.err(), "nothing on stderr with --json-only for a successful run");
    }

    @Test
    void onATerminalTheViewOfJobsAndStepsIsRedrawnInPlace() throws Exception {
        GitHubSimulator sim = heldSim();
        sim.jobs(SimState.JobSpec.of("build", "Set up job", "Compile", "Test"));
        Future<Testing.Run> running = start(sim, Map.of("COLUMNS", "60"), true);
        stepThroughPhases(sim, awaitRunId(sim), 3);
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        String err = r.err();
        assertTrue(err.contains("\u001b[J"), "frames are erased and redrawn: " + err);
        assertTrue(err.matches("(?s).*\u001b\\[\\d+A\r\u001b\\[J.*"), "cursor up over the last frame: " + err);
        List<String> lastFrame = err.substring(err.lastIndexOf("\u001b[J") + 3).lines()
                .takeWhile(l -> !l.startsWith("run ")).toList(); // the outcome line follows the view
        assertTrue(lastFrame.get(0).startsWith("+ run "), lastFrame.toString());
        assertTrue(lastFrame.stream().anyMatch(l -> l.matches("  \\+ build in \\d s  success")), lastFrame.toString());
        assertTrue(lastFrame.contains("      + Compile"), lastFrame.toString());
        assertTrue(lastFrame.stream().allMatch(l -> l.length() < 60), "lines fit the terminal: " + lastFrame);
        assertFalse(r.out().contains("\u001b"), "nothing of it on stdout");
    }

    @Test
    void aViewTallerThanTheTerminalShowsOnlyRunningAndFailedJobsStepsAndSumsUpTheRest() {
        List<Job.Step> steps = new ArrayList<>();
        for (int i = 1; i <= 6; i++) steps.add(new Job.Step(i, "step " + i, "completed", "success"));
        List<Job> jobs = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            jobs.add(new Job(i, "job " + i, i == 7 ? "in_progress" : "completed", i == 7 ? null : "success", null, 1, null, null, steps));
        }
        RunState run = new RunState(9, 1, "in_progress", null, "https://x/runs/9", "Deploy", null, null);
        java.io.StringWriter out = new java.io.StringWriter();
        lib.cli.RunWatchView view = new lib.cli.RunWatchView(new java.io.PrintWriter(out), lib.cli.RunWatchView.Mode.LIVE,
                "every 3.0 s", 80, 50);
        view.progress(run, jobs.subList(0, 5)); // 3 + 5 x 7 lines: fits, every job with its steps
        assertEquals(38, out.toString().lines().count(), out.toString());
        view.progress(run, jobs);               // 3 + 30 + 6 lines: only job 7 (running) shows its steps
        String second = out.toString().substring(out.toString().lastIndexOf("\u001b[J") + 3);
        assertEquals(39, second.lines().count(), second);
        assertTrue(second.contains("  * job 7  in_progress\n      + step 1\n"), second);
        assertTrue(second.contains("  + job 8  success\n  + job 9  success\n"), second);
        List<Job> twice = new ArrayList<>(jobs);
        twice.addAll(jobs);
        view.progress(run, twice);              // 3 + 60 + 12 lines even compact: cut to the terminal, the rest summed up
        String third = out.toString().substring(out.toString().lastIndexOf("\u001b[J") + 3);
        assertEquals(49, third.lines().count(), third);
        assertTrue(third.strip().endsWith("... 27 more lines (the JSON line at the end lists every job)"), third);
    }

    /** A later job waiting for an environment's approval takes the run back from in_progress to waiting. */
    @Test
    void aRunGoingBackToWaitingIsShownAsWaitingOnceThoughItsInProgressDeliveryIsStored() throws Exception {
        GitHubSimulator sim = sim();
        hookIntoRuns(sim);
        sim.phaseDelays(HELD, HELD);
        Future<Testing.Run> running = start(sim, Map.of(), false);
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 2);
        sim.advance(runId);                     // in_progress, and its delivery is stored
        awaitRow(sim.run(runId).inputs.get("correlation_id"), "workflow_run", "in_progress");
        awaitPolls(sim, runId, 2);
        sim.run(runId).status = "waiting";
        sim.run(runId).updatedAt = java.time.Instant.now();
        awaitPolls(sim, runId, 5);
        sim.run(runId).status = "in_progress";  // approved
        awaitPolls(sim, runId, 2);
        sim.advance(runId);                     // completed
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        List<String> runLines = r.err().lines().filter(l -> l.startsWith("run " + runId + " (attempt 1): ")).toList();
        assertEquals(List.of("queued", "in_progress", "waiting", "in_progress", "success"),
                runLines.stream().map(l -> l.substring(l.indexOf("): ") + 3)).toList(), r.err());
    }

    // ---------------------------------------------------------------- 5: --cancel-on-timeout

    @Test
    void cancelOnTimeoutCancelsTheRunAndSaysSo() throws Exception {
        GitHubSimulator sim = sim();
        sim.phaseDelays(Duration.ofMillis(30), Duration.ofSeconds(60));
        Testing.Run r = follow(sim, "--timeout", "2", "--cancel-on-timeout", "--interval", "0.05");
        assertEquals(124, r.exitCode(), r.all());
        JsonNode o = out(r);
        long runId = o.get("run_id").asLong();
        assertTrue(o.get("timed_out").asBoolean());
        assertTrue(o.get("cancel_requested").asBoolean());
        assertEquals("in_progress", o.get("status").asText());
        assertTrue(o.get("conclusion").isNull());
        assertEquals(1, sim.requestCount("POST", REPO + "/actions/runs/" + runId + "/cancel"));
        assertEquals("cancelled", sim.run(runId).conclusion);
        assertTrue(r.err().contains("did not complete within 2.0 s (last seen in_progress, attempt 1); cancel requested"), r.err());
        assertTrue(Json.read(runs().resolve(o.get("correlation_id").asText() + ".json")).get("cancel_requested").asBoolean());
    }

    @Test
    void aRunThatCompletedBeforeTheCancelIsReportedAsCompleted() throws Exception {
        GitHubSimulator sim = heldSim();
        // one GET at the start, the next only after the timeout: the completion is first heard of from the cancel's 409
        Future<Testing.Run> running = start(sim, Map.of(), false, "--timeout", "5", "--cancel-on-timeout", "--interval", "30",
                "--json-only");
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 2); // the confirming GET and the follower's first
        sim.advance(runId);
        sim.advance(runId);
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        JsonNode o = out(r);
        assertEquals("success", o.get("conclusion").asText());
        assertFalse(o.get("cancel_requested").asBoolean());
        assertFalse(o.has("timed_out"));
        List<SimState.Request> cancels = sim.requestDetails("POST", REPO + "/actions/runs/" + o.get("run_id").asLong() + "/cancel");
        assertEquals(1, cancels.size());
        assertEquals(409, cancels.get(0).status());
    }

    @Test
    void withoutCancelOnTimeoutTheRunGoesOnAndTheTimeoutDefaultsToAnHour() throws Exception {
        GitHubSimulator sim = sim();
        sim.phaseDelays(Duration.ofMillis(30), Duration.ofSeconds(60));
        Testing.Run r = follow(sim, "--timeout", "1");
        assertEquals(124, r.exitCode(), r.all());
        assertFalse(out(r).get("cancel_requested").asBoolean());
        assertEquals(0, sim.requests().stream().filter(l -> l.endsWith("/cancel")).count());
        assertTrue(r.err().contains("it goes on (--cancel-on-timeout would cancel it)"), r.err());
        Testing.Run help = Testing.run(new TriggerAndTrack(), "--help");
        assertTrue(help.out().contains("3600 with --until"), help.out());
        assertTrue(help.out().matches("(?s).*\n  5 +with --until completed: the run completed without success.*"), help.out());
        Testing.Run negative = follow(sim, "--log-lines", "-1");
        assertEquals(2, negative.exitCode(), negative.all());
        assertTrue(negative.err().contains("--log-lines must be 0 or more"), negative.err());
        assertEquals(2, Testing.run(command(sim, Map.of(), false), "--repo", sim.repo(), "--api-url", sim.apiUrl(),
                "--cancel-on-timeout").exitCode(), "--cancel-on-timeout needs --until completed");
    }

    // ---------------------------------------------------------------- 6: re-runs

    @Test
    void aRunReRunWhileFollowedIsFollowedToItsNewestAttempt() throws Exception {
        GitHubSimulator sim = heldSim();
        sim.conclusions("failure", "success").rerunOnCompletion(1);
        Future<Testing.Run> running = start(sim, Map.of(), false);
        long id = awaitRunId(sim);
        stepThroughPhases(sim, id, 3);          // attempt 1 fails and is re-run at once
        stepThroughPhases(sim, id, 3);          // attempt 2 succeeds
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        JsonNode o = out(r);
        long runId = o.get("run_id").asLong();
        assertEquals(2, o.get("run_attempt").asInt());
        assertEquals("success", o.get("conclusion").asText());
        SimState.Run run = sim.run(runId);
        assertEquals(2, run.attempt);
        assertTrue(o.at("/jobs/0/url").asText().endsWith("/job/" + run.jobs.get(0).id()), "the newest attempt's job: " + o);
        assertTrue(r.err().contains("run " + runId + " was re-run: following attempt 2"), r.err());
    }

    @Test
    void aStoredCompletionOfAnOlderAttemptNeverEndsTheFollow() throws Exception {
        GitHubSimulator sim = sim();
        sim.phaseDelays(Duration.ofMillis(10), Duration.ofMillis(10)).conclusions("failure", "success").rerunOnCompletion(1);
        String corr = lib.webhook.Correlation.newId();
        long runId = dispatch(client(sim), corr);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (sim.run(runId).attempt < 2 || !sim.run(runId).status.equals("completed")) {
            assertTrue(System.nanoTime() < deadline, "attempt 2 never completed");
            Thread.sleep(5);
        }
        Path secret = Deliveries.secretFile(tmp);
        // Deliveries as they may arrive: attempt 2 was requested, attempt 1's failure is delivered late.
        Deliveries.storeSigned(runs(), secret, runPayload(corr, runId, 2, "requested", null), "a2-requested");
        Deliveries.storeSigned(runs(), secret, runPayload(corr, runId, 1, "completed", "failure"), "a1-completed");

        RunOutcome o = follower(sim, corr, new ArrayList<>(), new RunFollower.Options(Duration.ofSeconds(30), false, 30, false))
                .follow(runId, Duration.ofSeconds(10));
        assertEquals(2, o.run().attempt(), "the newest attempt, from the API: " + o);
        assertEquals("success", o.run().conclusion());
        assertEquals("api", o.seenBy());

        Deliveries.storeSigned(runs(), secret, runPayload(corr, runId, 2, "completed", "success"), "a2-completed");
        long before = sim.requestCount("GET", REPO + "/actions/runs/" + runId);
        RunOutcome again = follower(sim, corr, new ArrayList<>(), new RunFollower.Options(Duration.ofSeconds(30), false, 30, false))
                .follow(runId, Duration.ofSeconds(10));
        assertEquals("webhook", again.seenBy());
        assertEquals(2, again.run().attempt());
        assertEquals("success", again.run().conclusion());
        assertEquals(before, sim.requestCount("GET", REPO + "/actions/runs/" + runId),
                "no GET of the run: its newest attempt's completion is stored");
    }

    // ---------------------------------------------------------------- 7: in an Actions step

    @Test
    void inAnActionsStepItWritesTheOutcomeToGithubOutputAndAStepSummary() throws Exception {
        GitHubSimulator sim = sim();
        sim.phaseDelays(Duration.ofMillis(20), Duration.ofMillis(40)).conclusion("failure")
                .jobs(SimState.JobSpec.of("build | all", "Set up job", "Run tests").failingAt("Run tests"));
        Path output = tmp.resolve("github_output");
        Path summary = tmp.resolve("step_summary");
        Testing.Run r = follow(sim, Map.of("GITHUB_OUTPUT", output.toString(), "GITHUB_STEP_SUMMARY", summary.toString()),
                false, "--json-only", "--log-lines", "0");
        assertEquals(5, r.exitCode(), r.all());
        JsonNode o = out(r);
        long runId = o.get("run_id").asLong();
        String url = "https://github.com/octo-org/octo-repo/actions/runs/" + runId;
        assertEquals("run_id=" + runId + "\ncorrelation_id=" + o.get("correlation_id").asText() + "\nstatus=completed\n"
                + "conclusion=failure\nrun_url=" + url + "\n", Files.readString(output));
        String md = Files.readString(summary);
        assertTrue(md.startsWith("### ❌ Run " + runId + ": failure\n\n[run " + runId + "](" + url + ")"), md);
        assertTrue(md.contains("conclusion **failure**"), md);
        assertTrue(md.contains("| [build \\| all](" + url + "/job/"), "a cell cannot be broken by a job name: " + md);
        assertTrue(md.contains(" | failure | Run tests |\n"), md);
    }

    @Test
    void withoutUntilTheOutputsKeepTheirShapeAndNoSummaryIsWritten() throws Exception {
        GitHubSimulator sim = sim();
        Path output = tmp.resolve("github_output");
        Path summary = tmp.resolve("step_summary");
        TriggerAndTrack cmd = command(sim, Map.of("GITHUB_OUTPUT", output.toString(), "GITHUB_STEP_SUMMARY", summary.toString()), false);
        Testing.Run r = Testing.run(cmd, "--repo", sim.repo(), "--api-url", sim.apiUrl(), "--runs-dir", runs().toString(),
                "--ref", "main", "--json-only");
        assertEquals(0, r.exitCode(), r.all());
        JsonNode o = out(r);
        assertFalse(o.has("conclusion"));
        assertTrue(Files.readString(output).endsWith("\nstatus=\nconclusion=\nrun_url=" + o.get("run_url").asText() + "\n"));
        assertFalse(Files.exists(summary));
    }

    // ---------------------------------------------------------------- --webhook-only --until completed

    @Test
    void webhookOnlyUntilCompletedAwaitsTheRunIdFromTheWebhookThenFollowsIt() throws Exception {
        GitHubSimulator sim = sim();
        hookIntoRuns(sim);
        sim.phaseDelays(HELD, HELD);
        Future<Testing.Run> running = start(sim, Map.of(), false, "--webhook-only", "--interval", "30");
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 1); // the follower's first GET; the next would come in 30 s
        sim.advance(runId);
        sim.advance(runId);
        Testing.Run r = running.get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        JsonNode o = out(r);
        assertEquals("webhook", o.get("source").asText());
        assertEquals("webhook", o.get("outcome_source").asText(), "the completed delivery, not a poll every 30 s");
        assertEquals("success", o.get("conclusion").asText());
        assertNotNull(o.get("dispatch_run_id"));
    }

    // ---------------------------------------------------------------- while GitHub fails: rate limits, 5xx, a failing cancel

    @Test
    void aPrimaryRateLimitResettingAfterTheTimeoutIsNotWaitedFor() throws Exception {
        GitHubSimulator sim = heldSim();
        long started = System.nanoTime();
        Future<Testing.Run> running = start(sim, Map.of(), false, "--timeout", "3", "--interval", "0.1");
        awaitPolls(sim, awaitRunId(sim), 2);
        sim.exhaustRateLimit(Duration.ofSeconds(20));
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(seconds(started) < 7, "--timeout 3 held, not the 20 s to the reset: " + seconds(started) + " s");
        assertTrue(r.err().contains("rate limit is used up") && r.err().contains("more than the time left"), r.err());
        assertTrue(r.err().contains("did not complete within 3.0 s (last seen queued, attempt 1)"), r.err());
    }

    @Test
    void aSecondaryRateLimitLongerThanTheTimeLeftIsNotWaitedForAndTheRunIsStillCancelled() throws Exception {
        GitHubSimulator sim = heldSim();
        long started = System.nanoTime();
        Future<Testing.Run> running = start(sim, Map.of(), false, "--timeout", "3", "--interval", "0.1", "--cancel-on-timeout");
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 2);
        sim.secondaryRateLimit(1, 15);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(seconds(started) < 7, "--timeout 3 held, not Retry-After 15: " + seconds(started) + " s");
        assertTrue(r.err().contains("secondary rate limit hit") && r.err().contains("more than the time left"), r.err());
        JsonNode o = out(r);
        assertTrue(o.get("cancel_requested").asBoolean(), o.toString());
        assertEquals("cancelled", sim.run(runId).conclusion);
    }

    @Test
    void aRateLimitWaitThatFitsIsWaitedAndSaidSo() throws Exception {
        GitHubSimulator sim = heldSim();
        Future<Testing.Run> running = start(sim, Map.of(), false, "--timeout", "20", "--interval", "0.05", "--json-only");
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 2);
        sim.secondaryRateLimit(1, 1);
        awaitPolls(sim, runId, 2); // the limited GET, and after the wait
        sim.advance(runId);
        sim.advance(runId);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.err().contains("warning: GitHub's secondary rate limit hit (GET /repos/octo-org/octo-repo/actions/runs/"
                + runId), r.err());
        assertTrue(r.err().contains("it asks us to wait 1 s; waiting"), r.err());
    }

    /** Still limited at the client's last try: no request until the limit lifts, then the run is followed on. */
    @Test
    void aSecondaryRateLimitOutlastingTheClientsTriesIsWaitedOut() throws Exception {
        GitHubSimulator sim = heldSim();
        TriggerAndTrack cmd = command(sim, Map.of(), false);
        cmd.policy = cmd.policy.withRateLimitWaits(Duration.ofMinutes(15), Duration.ofMillis(50));
        Future<Testing.Run> running = pool.submit(() -> follow(cmd, sim, "--interval", "0.05", "--json-only"));
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 2);
        sim.secondaryRateLimit(4, null); // waits of 50, 100 and 200 ms, then thrown: lifts in 400 ms
        long target = runGets(sim, runId).size() + 5; // the four limited GETs, and one after the limit lifted
        while (runGets(sim, runId).size() < target && !running.isDone()) Thread.sleep(5);
        sim.advance(runId);
        sim.advance(runId);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.err().contains("reading run " + runId + " failed (GitHub's secondary rate limit hit")
                && r.err().contains("still limited after 4 tries"), r.err());
        assertEquals("success", out(r).get("conclusion").asText());
    }

    @Test
    void whileTheRunCannotBeReadItsJobsAreNotListedEither() throws Exception {
        GitHubSimulator sim = heldSim();
        Future<Testing.Run> running = start(sim, Map.of(), false, "--timeout", "2", "--interval", "0.05");
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 2);
        int before = sim.requests().size();
        sim.failNext(1_000_000, 502);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        List<String> failing = sim.requests().subList(before, sim.requests().size());
        long runGets = failing.stream().filter(l -> l.matches("GET .*/actions/runs/" + runId)).count();
        long jobGets = failing.stream().filter(l -> l.contains("/actions/runs/" + runId + "/jobs")).count();
        // at most one listing (with the client's 4 tries) may have been under way when the errors began
        assertTrue(jobGets <= 4 && runGets >= 8, runGets + " GETs of the run, " + jobGets + " of its jobs: " + failing);
        assertTrue(r.err().lines().filter(l -> l.contains("listing the jobs")).count() <= 1, r.err());
    }

    /** The cancel is the first request after the timeout: --interval 30 sends no GET of the run in between. */
    @Test
    void aCancelAnsweredWithA502IsSentAgain() throws Exception {
        GitHubSimulator sim = heldSim();
        Future<Testing.Run> running = start(sim, Map.of(), false, "--timeout", "2", "--interval", "30", "--cancel-on-timeout", "--json-only");
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 2);
        sim.failNext(1, 502);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(out(r).get("cancel_requested").asBoolean(), r.all());
        List<SimState.Request> cancels = sim.requestDetails("POST", REPO + "/actions/runs/" + runId + "/cancel");
        assertEquals(List.of(502, 202), cancels.stream().map(SimState.Request::status).toList());
        assertEquals("cancelled", sim.run(runId).conclusion);
    }

    @Test
    void aCancelThatKeepsFailingIsReportedAsFailedNotAsAHint() throws Exception {
        GitHubSimulator sim = heldSim();
        Path summary = tmp.resolve("step_summary");
        Future<Testing.Run> running = start(sim, Map.of("GITHUB_STEP_SUMMARY", summary.toString()), false,
                "--timeout", "2", "--interval", "30", "--cancel-on-timeout", "--json-only");
        long runId = awaitRunId(sim);
        awaitPolls(sim, runId, 2);
        sim.failNext(1_000, 503);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertEquals(false, out(r).get("cancel_requested").asBoolean());
        assertEquals(4, sim.requestCount("POST", REPO + "/actions/runs/" + runId + "/cancel"), "the client's 4 tries");
        String cancelFailed = "cancel failed: GitHub answered 503 on POST /repos/octo-org/octo-repo/actions/runs/" + runId + "/cancel";
        assertTrue(r.err().contains("; " + cancelFailed), r.err());
        assertFalse(r.err().contains("--cancel-on-timeout would cancel it"), r.err());
        String md = Files.readString(summary);
        assertTrue(md.contains(" · " + cancelFailed), md);
    }
}
