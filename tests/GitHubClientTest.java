import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import lib.cli.ExitCode;
import lib.cli.GitHubOptions;
import lib.cli.VerboseOption;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.github.GitHubException;
import lib.util.Json;
import lib.util.Sleeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GitHubClientTest {
    private static final GitHubClient.Policy FAST = GitHubClient.Policy.defaults()
            .withBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
            .withRateLimitWaits(Duration.ofSeconds(5), Duration.ofMillis(10))
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10));

    private GitHubSimulator sim;
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    private final StringWriter log = new StringWriter();
    private final List<String> warnings = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        sim = GitHubSimulator.start();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    /** Pauses long enough that a test would notice waiting them; the sleeper only records them. */
    private static final GitHubClient.Policy PATIENT = GitHubClient.Policy.defaults()
            .withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1))
            .withRateLimitWaits(Duration.ofMinutes(15), Duration.ofSeconds(60));

    /** A client bound to a deadline {@code left} from now ({@link GitHubClient#until}): no pause, wait or request outlasts it. */
    private GitHubClient clientUntil(GitHubClient.Policy policy, Duration left) {
        GitHubContext ctx = GitHubContext.resolve(sim.repo(), sim.apiUrl(), Testing.env("GH_TOKEN", sim.token()), Path.of("."));
        return new GitHubClient(ctx, policy, d -> sleeps.add(d), null)
                .until(System::nanoTime, System.nanoTime() + left.toNanos(), warnings::add);
    }

    private GitHubClient client(String token) {
        return client(token, sim.apiUrl(), d -> sleeps.add(d));
    }

    private GitHubClient client(String token, String apiUrl, Sleeper sleeper) {
        GitHubContext ctx = GitHubContext.resolve(sim.repo(), apiUrl, Testing.env("GH_TOKEN", token), Path.of("."));
        return new GitHubClient(ctx, FAST, sleeper, new PrintWriter(log, true));
    }

    @Test
    void sendsGitHubsHeadersAndReadsTheRepository() {
        GitHubClient gh = client(sim.token());
        JsonNode repo = gh.get(gh.repoPath(""));
        assertEquals("main", repo.get("default_branch").asText());
        assertEquals("/repos/octo-org/octo-repo/hooks", gh.repoPath("/hooks"));
        assertEquals(1, gh.requestCount());
        assertGitHubHeaders(sim.lastRequestHeaders());

        gh.post(gh.repoPath("/actions/workflows/1001/dispatches"), Json.object().put("ref", "main"));
        assertGitHubHeaders(sim.lastRequestHeaders());
        assertEquals(2, sim.requestDetails().size());
    }

    private void assertGitHubHeaders(Map<String, String> headers) {
        assertEquals("application/vnd.github+json", headers.get("Accept"), headers.toString());
        assertEquals("Bearer " + sim.token(), headers.get("Authorization"));
        assertEquals("2022-11-28", headers.get("X-GitHub-Api-Version"), headers.toString());
        assertTrue(String.valueOf(headers.get("User-Agent")).startsWith("actions-webhook-tracker"), headers.toString());
    }

    /** The simulator takes only the Bearer scheme (GitHub also takes "token X"), so every test checks the scheme. */
    @Test
    void theSimulatorRefusesAnyOtherAuthorizationScheme() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        for (String auth : List.of("token " + sim.token(), "Bearer wrong", "bearer " + sim.token())) {
            var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(sim.apiUrl() + "/repos/" + sim.repo()))
                    .header("Authorization", auth).build();
            assertEquals(401, http.send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode(), auth);
        }
    }

    @Test
    void badTokenSaysTheTokenIsInvalidWithoutShowingIt() {
        GitHubClient gh = client("ghp_wrongtoken123");
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(401, e.status());
        assertEquals(ExitCode.FAILURE, ExitCode.of(e));
        assertTrue(e.getMessage().startsWith("GitHub answered 401 on GET /repos/octo-org/octo-repo: Bad credentials"), e.getMessage());
        assertTrue(e.getMessage().contains("invalid or expired"), e.getMessage());
        assertFalse(e.getMessage().contains("ghp_wrongtoken123"));
        assertFalse(log.toString().contains("ghp_wrongtoken123"));
        assertFalse(gh.context().toString().contains("ghp_wrongtoken123"));
    }

    @Test
    void notFoundSaysMissingOrNoAccess() {
        GitHubClient gh = client(sim.token());
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("/hooks/12345")));
        assertEquals(404, e.status());
        assertTrue(e.getMessage().contains("does not exist, or the token from GH_TOKEN has no access"), e.getMessage());
    }

    @Test
    void validationErrorBecomesOneLineWithTheDetail() {
        GitHubClient gh = client(sim.token());
        var hook = Json.object().putArray("events").add("workflow_run");
        var body = Json.object();
        body.set("events", hook);
        body.putObject("config").put("url", "http://127.0.0.1:9/hook").put("content_type", "json");
        gh.post(gh.repoPath("/hooks"), body);
        GitHubException e = assertThrows(GitHubException.class, () -> gh.post(gh.repoPath("/hooks"), body));
        assertEquals(422, e.status());
        assertEquals("GitHub answered 422 on POST /repos/octo-org/octo-repo/hooks: Validation Failed: Hook already exists"
                + " on this repository (https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook)", e.getMessage());
        assertTrue(e.mentions("already exists"));
    }

    @Test
    void multiLineGitHubMessagesAreFlattened() {
        GitHubClient gh = client(sim.token());
        var body = Json.object().put("ref", "main").put("bogus", true);
        GitHubException e = assertThrows(GitHubException.class,
                () -> gh.post(gh.repoPath("/actions/workflows/1001/dispatches"), body));
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(e.getMessage().contains("Invalid request. \"bogus\" is not a permitted key."), e.getMessage());
    }

    @Test
    void getIsRetriedAfterServerErrors() {
        GitHubClient gh = client(sim.token());
        sim.failNext(2, 502);
        assertEquals("octo-repo", gh.get(gh.repoPath("")).get("name").asText());
        assertEquals(3, gh.requestCount());
        assertEquals(2, sleeps.size());
    }

    @Test
    void getGivesUpAfterTheConfiguredAttempts() {
        GitHubClient gh = client(sim.token());
        sim.failNext(10, 503);
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(503, e.status());
        assertEquals(4, gh.requestCount());
    }

    @Test
    void postIsNotRetriedOnServerErrors() {
        GitHubClient gh = client(sim.token());
        sim.failNext(1, 502);
        GitHubException e = assertThrows(GitHubException.class,
                () -> gh.post(gh.repoPath("/actions/workflows/1001/dispatches"), Json.object().put("ref", "main")));
        assertEquals(502, e.status());
        assertEquals(1, gh.requestCount());
        assertEquals(1, sim.requestCount("POST", "/repos/octo-org/octo-repo/actions/workflows/1001/dispatches"));
        assertTrue(sim.runs().isEmpty());
    }

    @Test
    void secondaryLimitRetryAfterIsHonouredForAPost() {
        GitHubClient gh = client(sim.token(), sim.apiUrl(), Sleeper.REAL);
        sim.secondaryRateLimit(1, 1);
        long start = System.nanoTime();
        gh.post(gh.repoPath("/actions/workflows/1001/dispatches"), Json.object().put("ref", "main"));
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMs >= 1000, "waited " + waitedMs + " ms");
        assertEquals(2, gh.requestCount());
        assertEquals(1, sim.runs().size());
    }

    @Test
    void secondaryLimitWithoutRetryAfterWaitsTheDefault() {
        GitHubClient gh = client(sim.token());
        sim.secondaryRateLimit(1, null);
        gh.get(gh.repoPath(""));
        assertEquals(List.of(Duration.ofMillis(10)), sleeps);
    }

    /**
     * A used-up primary limit is slept out for real (reset - the server's Date + 1 s, at most 3 s here),
     * and the one retry after it succeeds. The window resets 1-2 s after it is used up (the simulator
     * rounds the reset up to a whole second), so a first request that a loaded machine delays past the
     * reset finds a fresh window and is not refused at all: that round set nothing up and is tried again.
     */
    @Test
    void primaryLimitIsWaitedOutMeasuredOnTheServerClock() {
        GitHubClient gh = client(sim.token(), sim.apiUrl(), d -> {
            sleeps.add(d);
            Thread.sleep(d.toMillis());
        });
        String repoPath = "/repos/" + sim.repo();
        List<SimState.Request> mine = List.of();
        for (int round = 1; round <= 5; round++) {
            sleeps.clear();
            int before = sim.requestDetails("GET", repoPath).size();
            sim.exhaustRateLimit(Duration.ofSeconds(1));
            assertEquals("octo-repo", gh.get(gh.repoPath("")).get("name").asText());
            List<SimState.Request> all = sim.requestDetails("GET", repoPath);
            mine = all.subList(before, all.size());
            if (mine.get(0).status() == 403) break; // the limit was in force when the request arrived
        }
        assertEquals(List.of(403, 200), mine.stream().map(SimState.Request::status).toList(),
                "refused once, then answered after the wait");
        assertEquals(1, sleeps.size(), sleeps.toString());
        Duration wait = sleeps.get(0);
        assertTrue(wait.compareTo(Duration.ofSeconds(1)) >= 0 && wait.compareTo(Duration.ofSeconds(3)) <= 0, sleeps.toString());
        long apartMs = (mine.get(1).atNanos() - mine.get(0).atNanos()) / 1_000_000;
        assertTrue(apartMs >= wait.toMillis(), "the retry came " + apartMs + " ms after the refusal, before the " + wait + " wait ended");
    }

    /**
     * The server's clock is an hour off the local one: the wait must come from its Date header
     * (reset = server now + 2 s, so about 3 s), not ~1 h (clock ahead) nor the 1 s floor (clock behind).
     * The sleeper moves the server's clock on instead of sleeping.
     */
    @Test
    void primaryLimitWaitIsMeasuredOnTheServersDateNotTheLocalClock() throws Exception {
        sim.close();
        sim = GitHubSimulator.start(GitHubSimulator.Config.defaults().skewableClock());
        for (Duration skew : List.of(Duration.ofHours(1), Duration.ofHours(-1))) {
            sleeps.clear();
            sim.clockSkew(skew);
            GitHubClient gh = client(sim.token(), sim.apiUrl(), d -> {
                sleeps.add(d);
                sim.clockSkew(sim.clockSkew().plus(d));
            });
            sim.exhaustRateLimit(Duration.ofSeconds(2));
            assertEquals("octo-repo", gh.get(gh.repoPath("")).get("name").asText(), "skew " + skew);
            assertEquals(1, sleeps.size(), "skew " + skew + ": " + sleeps);
            Duration wait = sleeps.get(0);
            assertTrue(wait.compareTo(Duration.ofSeconds(2)) >= 0 && wait.compareTo(Duration.ofSeconds(5)) <= 0,
                    "skew " + skew + ": waited " + wait);
        }
    }

    @Test
    void primaryLimitResettingTooLateFailsClearly() {
        GitHubClient gh = client(sim.token());
        sim.exhaustRateLimit(Duration.ofMinutes(30));
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(403, e.status());
        assertTrue(e.getMessage().contains("rate limit is used up"), e.getMessage());
        assertTrue(sleeps.isEmpty());
    }

    /** A server slower than the read timeout: bounded retries, then one line naming the timeout, exit code 1. */
    @Test
    void aGetToAServerSlowerThanTheTimeoutFailsAfterBoundedRetries() {
        GitHubClient.Policy impatient = FAST.withMaxAttempts(3)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofMillis(400));
        GitHubContext ctx = GitHubContext.resolve(sim.repo(), sim.apiUrl(), Testing.env("GH_TOKEN", sim.token()), Path.of("."));
        GitHubClient gh = new GitHubClient(ctx, impatient, d -> sleeps.add(d), null);
        sim.slowAnswers(Duration.ofSeconds(2));
        long start = System.nanoTime();
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(0, e.status());
        assertEquals(ExitCode.FAILURE, ExitCode.of(e));
        assertEquals(1, ExitCode.of(e));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("no answer from GitHub to GET /repos/octo-org/octo-repo"), e.getMessage());
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("timeout")
                || e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("timed out"), e.getMessage());
        assertEquals(3, gh.requestCount());
        assertEquals(2, sleeps.size());
        assertTrue(tookMs < 3 * 2000, "each attempt gave up at its timeout, not the server's 2 s: " + tookMs + " ms");
    }

    /** Retry-After beyond what we wait for a rate limit: a clear failure at once, not a long sleep. */
    @Test
    void aSecondaryLimitAskingForTooLongAWaitFailsClearly() {
        GitHubClient gh = client(sim.token());
        sim.secondaryRateLimit(1, 3600);
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(403, e.status());
        assertEquals(ExitCode.FAILURE, ExitCode.of(e));
        assertEquals("GitHub's secondary rate limit hit (GET /repos/octo-org/octo-repo); it asks us to wait 3600 s,"
                + " longer than we wait (5 s); slow down and try again later", e.getMessage());
        assertTrue(sleeps.isEmpty(), sleeps.toString());
        assertEquals(1, gh.requestCount());
    }

    /**
     * Still limited at the last try: thrown with when to retry (for a poller to wait it out). Without
     * Retry-After the wait starts at the policy's and doubles with each limit in a row, across requests too.
     */
    @Test
    void aSecondaryLimitOutlastingTheTriesIsThrownWithWhenToRetry() {
        GitHubClient gh = client(sim.token());
        sim.secondaryRateLimit(5, null);
        GitHubApiException e = assertThrows(GitHubApiException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(403, e.status());
        assertEquals(ExitCode.FAILURE, ExitCode.of(e));
        assertEquals(List.of(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40)), sleeps);
        assertEquals(Duration.ofMillis(80), e.retryIn());
        assertTrue(e.getMessage().startsWith("GitHub's secondary rate limit hit (GET /repos/octo-org/octo-repo); ")
                && e.getMessage().contains("; still limited after 4 tries, try again in "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(4, gh.requestCount());

        sleeps.clear();
        assertEquals("main", gh.get(gh.repoPath("")).get("default_branch").asText());
        assertEquals(List.of(Duration.ofMillis(160)), sleeps, "the 5th limit in a row");
        sleeps.clear();
        sim.secondaryRateLimit(1, null);
        gh.get(gh.repoPath(""));
        assertEquals(List.of(Duration.ofMillis(10)), sleeps, "an answer in between starts the waits over");
    }

    @Test
    void aSecondaryLimitWithRetryAfterOutlastingTheTriesIsThrownWithIt() {
        GitHubClient gh = client(sim.token());
        sim.secondaryRateLimit(4, 2);
        GitHubApiException e = assertThrows(GitHubApiException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(List.of(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2)), sleeps);
        assertEquals(Duration.ofSeconds(2), e.retryIn());
        assertEquals("GitHub's secondary rate limit hit (GET /repos/octo-org/octo-repo); it asks us to wait 2 s;"
                + " still limited after 4 tries, try again in 2 s", e.getMessage());
    }

    /** The sleeper only records, so the limit is still in force at each try. */
    @Test
    void aPrimaryLimitOutlastingTheTriesIsThrownWithWhenItResets() {
        GitHubClient gh = client(sim.token());
        sim.exhaustRateLimit(Duration.ofSeconds(2));
        GitHubApiException e = assertThrows(GitHubApiException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(3, sleeps.size(), sleeps.toString());
        assertTrue(e.retryIn().compareTo(Duration.ofSeconds(1)) >= 0 && e.retryIn().compareTo(Duration.ofSeconds(5)) <= 0,
                String.valueOf(e.retryIn()));
        assertTrue(e.getMessage().startsWith("GitHub's API rate limit is used up (GET /repos/octo-org/octo-repo); it resets at ")
                && e.getMessage().contains("; still limited after 4 tries, try again in "), e.getMessage());
    }

    /** Exponential backoff with jitter: each pause within [half, full] of initial * 2^(n-1), capped at the max. */
    @Test
    void backoffGrowsBetweenAttemptsAndStaysUnderTheMax() {
        GitHubClient.Policy policy = FAST.withMaxAttempts(6).withBackoff(Duration.ofMillis(100), Duration.ofMillis(800));
        GitHubContext ctx = GitHubContext.resolve(sim.repo(), sim.apiUrl(), Testing.env("GH_TOKEN", sim.token()), Path.of("."));
        GitHubClient gh = new GitHubClient(ctx, policy, d -> sleeps.add(d), null);
        sim.failNext(10, 503);
        assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(5, sleeps.size(), sleeps.toString());
        long[] full = {100, 200, 400, 800, 800};
        for (int i = 0; i < full.length; i++) {
            long ms = sleeps.get(i).toMillis();
            assertTrue(ms >= full[i] / 2 && ms <= full[i], "pause " + (i + 1) + " of " + sleeps);
        }
        // The ranges of pauses 1, 2 and 3 do not overlap, so these grow whatever the jitter.
        assertTrue(sleeps.get(0).compareTo(sleeps.get(2)) < 0 && sleeps.get(1).compareTo(sleeps.get(3)) < 0, sleeps.toString());
    }

    @Test
    void paginatesPageLinks() {
        GitHubClient gh = client(sim.token());
        for (int i = 0; i < 5; i++) {
            gh.post(gh.repoPath("/actions/workflows/dispatch-webhook.yml/dispatches"), Json.object().put("ref", "main"));
        }
        List<JsonNode> runs = gh.paginate(gh.repoPath("/actions/runs?per_page=2"), 0);
        assertEquals(5, runs.size());
        assertEquals(5 + 3, gh.requestCount());
        assertTrue(runs.get(0).get("id").asLong() > runs.get(4).get("id").asLong(), "newest first");
        assertEquals(3, gh.paginate(gh.repoPath("/actions/runs?per_page=2"), 3).size());
    }

    @Test
    void paginatesOpaqueCursorLinks() throws Exception {
        GitHubClient gh = client(sim.token());
        var body = Json.object();
        body.putArray("events").add("workflow_run");
        body.putObject("config").put("url", "http://127.0.0.1:9/unreachable").put("content_type", "json");
        long hookId = gh.post(gh.repoPath("/hooks"), body).get("id").asLong();
        for (int i = 0; i < 4; i++) gh.send("POST", gh.repoPath("/hooks/" + hookId + "/pings"), null);
        sim.awaitDeliveries(5, Duration.ofSeconds(5));
        List<JsonNode> deliveries = gh.paginate(gh.repoPath("/hooks/" + hookId + "/deliveries?per_page=2"), 0);
        assertEquals(5, deliveries.size());
        assertTrue(sim.requests().stream().anyMatch(r -> r.contains("cursor=v1_")), sim.requests().toString());
    }

    @Test
    void conditionalGetServesTheCachedBodyOn304() {
        GitHubClient gh = client(sim.token());
        GitHubClient.Reply first = gh.getConditional(gh.repoPath("/actions/runs"));
        assertFalse(first.notModified());
        int remaining = sim.rateLimitRemaining();
        GitHubClient.Reply second = gh.getConditional(gh.repoPath("/actions/runs"));
        assertTrue(second.notModified());
        assertEquals(304, second.status());
        assertEquals(first.body(), second.body());
        assertEquals(remaining, sim.rateLimitRemaining(), "a 304 is free");
        gh.post(gh.repoPath("/actions/workflows/1001/dispatches"), Json.object().put("ref", "main"));
        GitHubClient.Reply third = gh.getConditional(gh.repoPath("/actions/runs"));
        assertFalse(third.notModified());
        assertEquals(1, third.body().get("total_count").asInt());
    }

    @Test
    void verboseLogShowsMethodUrlStatusAndQuotaButNoToken() {
        GitHubClient gh = client(sim.token());
        gh.get(gh.repoPath(""));
        String line = log.toString();
        assertTrue(line.contains("GET " + sim.apiUrl() + "/repos/octo-org/octo-repo -> 200 (x-ratelimit-remaining 4999)"), line);
        assertFalse(line.contains(sim.token()));
    }

    @Test
    void enterpriseApiPrefixIsKept() throws Exception {
        try (GitHubSimulator ghes = GitHubSimulator.start(GitHubSimulator.Config.defaults().enterprise("3.20.0"))) {
            assertTrue(ghes.apiUrl().endsWith("/api/v3"));
            GitHubContext ctx = GitHubContext.resolve(null, null,
                    Testing.env("GITHUB_API_URL", ghes.apiUrl(), "GH_ENTERPRISE_TOKEN", ghes.token(), "GH_REPO", ghes.repo()),
                    Path.of("."));
            GitHubClient gh = new GitHubClient(ctx, FAST, d -> {}, null);
            assertEquals("octo-repo", gh.get(gh.repoPath("")).get("name").asText());
            assertEquals(List.of("GET /api/v3/repos/octo-org/octo-repo"), ghes.requests());
            GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("/hooks/1")));
            assertTrue(e.getMessage().contains("on GET /repos/octo-org/octo-repo/hooks/1"), e.getMessage());
        }
    }

    @Test
    void unreachableServerIsAGitHubFailureAfterRetries() {
        GitHubClient gh = client(sim.token(), "http://127.0.0.1:9", d -> sleeps.add(d));
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get("/repos/o/r"));
        assertEquals(0, e.status());
        assertTrue(e.getMessage().startsWith("could not reach GitHub at GET /repos/o/r"), e.getMessage());
        assertEquals(4, gh.requestCount());
    }

    @Test
    void authorizationIsNotSentToAnotherHostOnRedirect() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/", ex -> {
            seen.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            ex.sendResponseHeaders(200, 2);
            ex.getResponseBody().write("{}".getBytes());
            ex.close();
        });
        other.start();
        HttpServer redirector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        redirector.createContext("/", ex -> {
            ex.getResponseHeaders().set("Location", "http://localhost:" + other.getAddress().getPort() + "/elsewhere");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        redirector.start();
        try {
            GitHubClient gh = client("tok", "http://127.0.0.1:" + redirector.getAddress().getPort(), d -> {});
            gh.get("/repos/o/r");
            assertEquals(List.of("null"), seen);
        } finally {
            redirector.stop(0);
            other.stop(0);
        }
    }

    @Test
    void optionsMixinBuildsAClientFromFlagsAndEnvironment() {
        GitHubOptions options = new GitHubOptions();
        options.apiUrl = sim.apiUrl();
        VerboseOption verbose = new VerboseOption();
        verbose.verbose = true;
        Map<String, String> env = Testing.env("GITHUB_TOKEN", sim.token(), "GITHUB_REPOSITORY", sim.repo());
        StringWriter err = new StringWriter();
        GitHubClient gh = options.client(env, Path.of("."), verbose.log(new PrintWriter(err, true)),
                GitHubClient.Policy.defaults(), Sleeper.REAL);
        assertEquals("octo-org/octo-repo", gh.context().repo());
        assertNull(gh.get(gh.repoPath("/hooks")).get(0));
        assertTrue(err.toString().contains("GET "), err.toString());
    }

    // ---------------------------------------------------------------- bound to a deadline

    @Test
    void aRetryPauseThatWouldPassTheDeadlineIsNotWaited() {
        GitHubClient gh = clientUntil(PATIENT, Duration.ofMillis(500));
        sim.failNext(10, 502);
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(502, e.status());
        assertEquals(1, gh.requestCount(), "no retry: its 0.5-1 s pause ends after the deadline");
        assertTrue(sleeps.isEmpty(), sleeps.toString());
    }

    @Test
    void aRateLimitLiftingAfterTheDeadlineIsThrownAtOnceWithWhenItLifts() {
        GitHubClient gh = clientUntil(PATIENT, Duration.ofSeconds(2));
        sim.exhaustRateLimit(Duration.ofSeconds(20));
        GitHubApiException e = assertThrows(GitHubApiException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(403, e.status());
        assertTrue(e.getMessage().startsWith("GitHub's API rate limit is used up (GET /repos/octo-org/octo-repo); it resets at "),
                e.getMessage());
        assertTrue(e.getMessage().matches(".*, in 2\\d s, more than the time left \\([0-2] s\\)"), e.getMessage());
        assertTrue(e.retryIn().compareTo(Duration.ofSeconds(19)) > 0, String.valueOf(e.retryIn()));
        assertTrue(sleeps.isEmpty(), sleeps.toString());
        assertTrue(warnings.isEmpty(), warnings.toString());
        assertNull(new GitHubApiException(404, null, "not a rate limit").retryIn());
    }

    @Test
    void aRateLimitWaitThatFitsIsWaitedAndAnnounced() {
        GitHubClient gh = clientUntil(PATIENT, Duration.ofSeconds(30));
        sim.secondaryRateLimit(1, 3);
        assertEquals("main", gh.get(gh.repoPath("")).get("default_branch").asText());
        assertEquals(List.of(Duration.ofSeconds(3)), sleeps);
        assertEquals(List.of("GitHub's secondary rate limit hit (GET /repos/octo-org/octo-repo); it asks us to wait 3 s; waiting"),
                warnings);
    }

    /** The policy's 60 s call timeout is cut to the time left, here the floor a request past the deadline still gets. */
    @Test
    void aRequestPastTheDeadlineGetsOnlyTheShortestCallTimeout() {
        GitHubClient gh = clientUntil(PATIENT, Duration.ZERO);
        sim.slowAnswers(GitHubClient.MIN_CALL_TIMEOUT.plusSeconds(3));
        long start = System.nanoTime();
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        double took = (System.nanoTime() - start) / 1e9;
        assertEquals(0, e.status(), e.getMessage());
        assertTrue(took >= 4.5 && took < 7.5, "gave up after about " + GitHubClient.MIN_CALL_TIMEOUT + ": " + took + " s");
        assertEquals(1, gh.requestCount());
    }
}
