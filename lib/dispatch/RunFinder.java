package lib.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.github.GitHubException;
import lib.util.Json;
import lib.util.Sleeper;
import lib.util.Text;
import lib.util.TrackerException;
import lib.webhook.Correlation;

/**
 * Finds the run a dispatch started by the correlation id in its run name: confirms a run id
 * ({@code GET /actions/runs/{id}}), or polls the workflow's runs list with one conditional request
 * per interval (a 304 costs no rate limit), backing off on repeated server errors.
 */
public final class RunFinder {
    /** GitHub's clocks and ours may differ; runs created this long before our dispatch time are still listed. */
    public static final Duration CLOCK_SKEW_MARGIN = Duration.ofMinutes(2);
    /** The longest pause between polls after repeated errors. */
    public static final Duration MAX_ERROR_BACKOFF = Duration.ofSeconds(60);

    /** Reported after every list request. */
    public record Progress(Duration elapsed, int listRequests, int runsExamined) {}

    /** A matching run: id, web URL, API URL. */
    public record Found(long runId, String htmlUrl, String apiUrl) {
        static Found of(JsonNode run) {
            return new Found(run.get("id").asLong(), Json.text(run, "html_url"), Json.text(run, "url"));
        }
    }

    /** How a poll ended: {@code found} is null on timeout; {@code source} is "poll", or "webhook" when the shortcut answered. */
    public record Outcome(Found found, String source, int listRequests, int runsExamined) {
        public boolean timedOut() {
            return found == null;
        }
    }

    private final GitHubClient client;
    private final Pattern runNamePattern;
    private final Sleeper sleeper;
    private final LongSupplier nanoTime;
    private final Consumer<Progress> progress;
    private final Consumer<String> warn;

    public RunFinder(GitHubClient client, Pattern runNamePattern, Sleeper sleeper, LongSupplier nanoTime,
            Consumer<Progress> progress, Consumer<String> warn) {
        this.client = client;
        this.runNamePattern = runNamePattern;
        this.sleeper = sleeper;
        this.nanoTime = nanoTime;
        this.progress = progress;
        this.warn = warn;
    }

    /** True when the run's {@code display_title} (first) or {@code name} carries {@code correlationId}. */
    public boolean carries(JsonNode run, String correlationId) {
        return Correlation.find(runNamePattern, Json.text(run, "display_title"), Json.text(run, "name"))
                .map(correlationId::equals).orElse(false);
    }

    /**
     * {@code GET /actions/runs/{id}}: the run as GitHub shows it. Throws {@link GitHubException}. Sent as a
     * conditional GET, so that following the run afterwards starts with its ETag (an unchanged run is a free 304).
     */
    public JsonNode getRun(long runId) {
        return client.getConditional(client.repoPath("/actions/runs/" + runId)).body();
    }

    /**
     * The runs-list path we poll: this workflow, {@code event=workflow_dispatch}, the branch, runs created
     * since {@code dispatchedAt} minus {@link #CLOCK_SKEW_MARGIN}, 100 per page (newest first).
     */
    public String listPath(String workflow, String branch, Instant dispatchedAt) {
        String since = dispatchedAt.minus(CLOCK_SKEW_MARGIN).truncatedTo(ChronoUnit.SECONDS).toString();
        return client.repoPath("/actions/workflows/" + Text.urlEncode(workflow) + "/runs")
                + "?event=workflow_dispatch&branch=" + Text.urlEncode(branch) + "&created=" + Text.urlEncode(">=" + since)
                + "&per_page=100";
    }

    /**
     * Polls until exactly one run carries {@code correlationId}, or {@code timeout} passes (then
     * {@link Outcome#timedOut()}). Two or more matches fail (a {@link TrackerException} naming their ids). Only the first page
     * is read: it holds the newest 100 runs of the window, and ours is among the newest.
     * {@code shortcut} is asked before every request (e.g. "did a webhook already record the run id?");
     * a non-null answer ends the poll without spending a request.
     */
    public Outcome poll(String workflow, String branch, Instant dispatchedAt, String correlationId, Duration timeout,
            Duration interval, Supplier<Found> shortcut) {
        String path = listPath(workflow, branch, dispatchedAt);
        long start = nanoTime.getAsLong();
        long deadline = start + timeout.toNanos();
        GitHubClient bounded = client.until(nanoTime, deadline, warn);
        Set<Long> examined = new LinkedHashSet<>();
        int requests = 0;
        int errorsInARow = 0;
        long rateLimitedUntil = Long.MIN_VALUE;
        while (true) {
            Found known = shortcut.get();
            if (known != null) {
                return new Outcome(known, "webhook", requests, examined.size());
            }
            // while a rate limit that lifts too late to wait for holds, only the shortcut is asked
            if (nanoTime.getAsLong() >= rateLimitedUntil) {
                try {
                    requests++;
                    GitHubClient.Reply reply = bounded.getConditional(path);
                    errorsInARow = 0;
                    List<JsonNode> matches = new ArrayList<>();
                    for (JsonNode run : reply.body() == null ? List.<JsonNode>of() : iterable(reply.body().path("workflow_runs"))) {
                        if (run.hasNonNull("id")) examined.add(run.get("id").asLong());
                        if (carries(run, correlationId)) matches.add(run);
                    }
                    if (matches.size() > 1) {
                        List<String> ids = matches.stream().map(r -> r.get("id").asText()).toList();
                        throw new TrackerException(matches.size() + " runs carry correlation id "
                                + correlationId + " (run ids " + String.join(", ", ids)
                                + "); cannot tell which one this dispatch started - look at them on GitHub");
                    }
                    if (matches.size() == 1) {
                        Duration elapsed = Duration.ofNanos(nanoTime.getAsLong() - start);
                        progress.accept(new Progress(elapsed, requests, examined.size()));
                        return new Outcome(Found.of(matches.get(0)), "poll", requests, examined.size());
                    }
                } catch (GitHubException e) {
                    if (e instanceof GitHubApiException a && a.retryIn() != null) {
                        rateLimitedUntil = nanoTime.getAsLong() + a.retryIn().toNanos();
                        warn.accept("listing runs failed (" + e.getMessage() + ")");
                    } else {
                        if (!(e.status() == 0 || e.status() >= 500)) throw e;
                        errorsInARow++;
                        warn.accept("listing runs failed (" + e.getMessage() + "); trying again");
                    }
                }
            }
            long now = nanoTime.getAsLong();
            progress.accept(new Progress(Duration.ofNanos(now - start), requests, examined.size()));
            if (now >= deadline) return new Outcome(null, null, requests, examined.size());
            Duration wait = interval;
            for (int i = 0; i < errorsInARow && wait.compareTo(MAX_ERROR_BACKOFF) < 0; i++) wait = wait.multipliedBy(2);
            if (wait.compareTo(MAX_ERROR_BACKOFF) > 0) wait = MAX_ERROR_BACKOFF;
            Duration left = Duration.ofNanos(deadline - now);
            if (wait.compareTo(left) > 0) wait = left;
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TrackerException("interrupted while waiting for the run of correlation id "
                        + correlationId);
            }
        }
    }

    private static Iterable<JsonNode> iterable(JsonNode array) {
        return array.isArray() ? array : List.of();
    }
}
