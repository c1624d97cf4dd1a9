import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.github.GitHubException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A client bound to a deadline ({@link GitHubClient#until}): no pause, wait or request outlasts it. */
class GitHubClientDeadlineTest {
    /** Pauses long enough that a test would notice waiting them; the sleeper only records them. */
    private static final GitHubClient.Policy PATIENT = GitHubClient.Policy.defaults()
            .withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1))
            .withRateLimitWaits(Duration.ofMinutes(15), Duration.ofSeconds(60));

    private GitHubSimulator sim;
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        sim = GitHubSimulator.start();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private GitHubClient client(GitHubClient.Policy policy, Duration left) {
        GitHubContext ctx = GitHubContext.resolve(sim.repo(), sim.apiUrl(), Testing.env("GH_TOKEN", sim.token()), Path.of("."));
        return new GitHubClient(ctx, policy, d -> sleeps.add(d), null)
                .until(System::nanoTime, System.nanoTime() + left.toNanos(), warnings::add);
    }

    @Test
    void aRetryPauseThatWouldPassTheDeadlineIsNotWaited() {
        GitHubClient gh = client(PATIENT, Duration.ofMillis(500));
        sim.failNext(10, 502);
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        assertEquals(502, e.status());
        assertEquals(1, gh.requestCount(), "no retry: its 0.5-1 s pause ends after the deadline");
        assertTrue(sleeps.isEmpty(), sleeps.toString());
    }

    @Test
    void aRateLimitLiftingAfterTheDeadlineIsThrownAtOnceWithWhenItLifts() {
        GitHubClient gh = client(PATIENT, Duration.ofSeconds(2));
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
        GitHubClient gh = client(PATIENT, Duration.ofSeconds(30));
        sim.secondaryRateLimit(1, 3);
        assertEquals("main", gh.get(gh.repoPath("")).get("default_branch").asText());
        assertEquals(List.of(Duration.ofSeconds(3)), sleeps);
        assertEquals(List.of("GitHub's secondary rate limit hit (GET /repos/octo-org/octo-repo); it asks us to wait 3 s; waiting"),
                warnings);
    }

    /** The policy's 60 s call timeout is cut to the time left, here the floor a request past the deadline still gets. */
    @Test
    void aRequestPastTheDeadlineGetsOnlyTheShortestCallTimeout() {
        GitHubClient gh = client(PATIENT, Duration.ZERO);
        sim.slowAnswers(GitHubClient.MIN_CALL_TIMEOUT.plusSeconds(3));
        long start = System.nanoTime();
        GitHubException e = assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        double took = (System.nanoTime() - start) / 1e9;
        assertEquals(0, e.status(), e.getMessage());
        assertTrue(took >= 4.5 && took < 7.5, "gave up after about " + GitHubClient.MIN_CALL_TIMEOUT + ": " + took + " s");
        assertEquals(1, gh.requestCount());
    }
}
