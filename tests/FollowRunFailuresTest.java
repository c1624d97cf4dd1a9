import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import lib.github.GitHubClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * trigger-and-track --until completed while GitHub fails: rate limits that lift after --timeout, and
 * their waits that fit. The simulator over real HTTP, as in {@link FollowRunTest}.
 */
class FollowRunFailuresTest {
    @TempDir Path tmp;
    final List<AutoCloseable> closing = new ArrayList<>();
    final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void closeAll() throws Exception {
        pool.shutdownNow();
        for (int i = closing.size() - 1; i >= 0; i--) closing.get(i).close();
    }

    GitHubSimulator sim() throws IOException {
        GitHubSimulator sim = GitHubSimulator.start();
        closing.add(sim);
        sim.phaseDelays(FollowRunTest.HELD, FollowRunTest.HELD);
        return sim;
    }

    /** trigger-and-track --until completed in the background, with the test's tiny retry pauses and the given options. */
    Future<Testing.Run> start(GitHubSimulator sim, String... args) {
        return start(sim, Map.of(), args);
    }

    Future<Testing.Run> start(GitHubSimulator sim, Map<String, String> env, String... args) {
        TriggerAndTrack cmd = new TriggerAndTrack();
        cmd.env = new java.util.HashMap<>(env);
        cmd.env.put("GH_TOKEN", sim.token());
        cmd.workDir = tmp;
        cmd.stderrIsTerminal = false;
        cmd.policy = GitHubClient.Policy.defaults().withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
        List<String> all = new ArrayList<>(List.of("--repo", sim.repo(), "--api-url", sim.apiUrl(),
                "--runs-dir", tmp.resolve("runs").toString(), "--ref", "main", "--until", "completed"));
        all.addAll(List.of(args));
        return pool.submit(() -> Testing.run(cmd, all.toArray(String[]::new)));
    }

    static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    @Test
    void aPrimaryRateLimitResettingAfterTheTimeoutIsNotWaitedFor() throws Exception {
        GitHubSimulator sim = sim();
        long started = System.nanoTime();
        Future<Testing.Run> running = start(sim, "--timeout", "3", "--interval", "0.1");
        FollowRunTest.awaitPolls(sim, FollowRunTest.awaitRunId(sim), 2);
        sim.exhaustRateLimit(Duration.ofSeconds(20));
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(seconds(started) < 7, "--timeout 3 held, not the 20 s to the reset: " + seconds(started) + " s");
        assertTrue(r.err().contains("rate limit is used up") && r.err().contains("more than the time left"), r.err());
        assertTrue(r.err().contains("did not complete within 3.0 s (last seen queued, attempt 1)"), r.err());
    }

    @Test
    void aSecondaryRateLimitLongerThanTheTimeLeftIsNotWaitedForAndTheRunIsStillCancelled() throws Exception {
        GitHubSimulator sim = sim();
        long started = System.nanoTime();
        Future<Testing.Run> running = start(sim, "--timeout", "3", "--interval", "0.1", "--cancel-on-timeout");
        long runId = FollowRunTest.awaitRunId(sim);
        FollowRunTest.awaitPolls(sim, runId, 2);
        sim.secondaryRateLimit(1, 15);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(seconds(started) < 7, "--timeout 3 held, not Retry-After 15: " + seconds(started) + " s");
        assertTrue(r.err().contains("secondary rate limit hit") && r.err().contains("more than the time left"), r.err());
        JsonNode o = FollowRunTest.out(r);
        assertTrue(o.get("cancel_requested").asBoolean(), o.toString());
        assertEquals("cancelled", sim.run(runId).conclusion);
    }

    @Test
    void aRateLimitWaitThatFitsIsWaitedAndSaidSo() throws Exception {
        GitHubSimulator sim = sim();
        Future<Testing.Run> running = start(sim, "--timeout", "20", "--interval", "0.05", "--json-only");
        long runId = FollowRunTest.awaitRunId(sim);
        FollowRunTest.awaitPolls(sim, runId, 2);
        sim.secondaryRateLimit(1, 1);
        FollowRunTest.awaitPolls(sim, runId, 2); // the limited GET, and after the wait
        sim.advance(runId);
        sim.advance(runId);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.err().contains("warning: GitHub's secondary rate limit hit (GET /repos/octo-org/octo-repo/actions/runs/"
                + runId), r.err());
        assertTrue(r.err().contains("it asks us to wait 1 s; waiting"), r.err());
    }

    @Test
    void whileTheRunCannotBeReadItsJobsAreNotListedEither() throws Exception {
        GitHubSimulator sim = sim();
        Future<Testing.Run> running = start(sim, "--timeout", "2", "--interval", "0.05");
        long runId = FollowRunTest.awaitRunId(sim);
        FollowRunTest.awaitPolls(sim, runId, 2);
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
        GitHubSimulator sim = sim();
        Future<Testing.Run> running = start(sim, "--timeout", "2", "--interval", "30", "--cancel-on-timeout", "--json-only");
        long runId = FollowRunTest.awaitRunId(sim);
        FollowRunTest.awaitPolls(sim, runId, 2);
        sim.failNext(1, 502);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertTrue(FollowRunTest.out(r).get("cancel_requested").asBoolean(), r.all());
        List<SimState.Request> cancels = sim.requestDetails("POST", FollowRunTest.REPO + "/actions/runs/" + runId + "/cancel");
        assertEquals(List.of(502, 202), cancels.stream().map(SimState.Request::status).toList());
        assertEquals("cancelled", sim.run(runId).conclusion);
    }

    @Test
    void aCancelThatKeepsFailingIsReportedAsFailedNotAsAHint() throws Exception {
        GitHubSimulator sim = sim();
        Path summary = tmp.resolve("step_summary");
        Future<Testing.Run> running = start(sim, Map.of("GITHUB_STEP_SUMMARY", summary.toString()),
                "--timeout", "2", "--interval", "30", "--cancel-on-timeout", "--json-only");
        long runId = FollowRunTest.awaitRunId(sim);
        FollowRunTest.awaitPolls(sim, runId, 2);
        sim.failNext(1_000, 503);
        Testing.Run r = running.get(60, TimeUnit.SECONDS);
        assertEquals(124, r.exitCode(), r.all());
        assertEquals(false, FollowRunTest.out(r).get("cancel_requested").asBoolean());
        assertEquals(4, sim.requestCount("POST", FollowRunTest.REPO + "/actions/runs/" + runId + "/cancel"), "the client's 4 tries");
        String cancelFailed = "cancel failed: GitHub answered 503 on POST /repos/octo-org/octo-repo/actions/runs/" + runId + "/cancel";
        assertTrue(r.err().contains("; " + cancelFailed), r.err());
        assertFalse(r.err().contains("--cancel-on-timeout would cancel it"), r.err());
        String md = Files.readString(summary);
        assertTrue(md.contains(" · " + cancelFailed), md);
    }
}
