package lib.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
 * per interval (a 304 costs no rate limit; more pages only when the first is full), backing off on
 * repeated server errors.
 */
public final class RunFinder {
    /** GitHub's clocks and ours may differ; runs created this long before our dispatch time are still listed. */
    public static final Duration CLOCK_SKEW_MARGIN = Duration.ofMinutes(2);
    /** The longest pause between polls after repeated errors. */
    public static final Duration MAX_ERROR_BACKOFF = Duration.ofSeconds(60);
    /** Runs per list page, GitHub's maximum. */
    static final int PER_PAGE = 100;

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
        return client.repoPath("/actions/workflows/" + Text.urlEncode(workflow) + "/runs")
                + "?event=workflow_dispatch&branch=" + Text.urlEncode(branch)
                + "&created=" + Text.urlEncode(">=" + windowStart(dispatchedAt)) + "&per_page=" + PER_PAGE;
    }

    /** The oldest a run of ours can be: {@code dispatchedAt} minus {@link #CLOCK_SKEW_MARGIN}, in whole seconds. */
    private static Instant windowStart(Instant dispatchedAt) {
        return dispatchedAt.minus(CLOCK_SKEW_MARGIN).truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * Polls until exactly one run carries {@code correlationId}, or {@code timeout} passes (then
     * {@link Outcome#timedOut()}). Two or more matches fail (a {@link TrackerException} naming their ids). The first
     * page (the newest 100 runs of the window) is a conditional GET; only when it is full and ours is not on it are
     * the next pages read (plain GETs), until ours is found, a page is not full or its runs are older than the window:
     * a burst of newer dispatches can push ours off the first page.
     * {@code shortcut} is asked before every request (e.g. "did a webhook already record the run id?");
     * a non-null answer ends the poll without spending a request.
     */
    public Outcome poll(String workflow, String branch, Instant dispatchedAt, String correlationId, Duration timeout,
            Duration interval, Supplier<Found> shortcut) {
        String path = listPath(workflow, branch, dispatchedAt);
        Instant since = windowStart(dispatchedAt);
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
                    // by id: a run pushed from one page to the next while we read them is seen twice
                    Map<Long, JsonNode> carrying = new LinkedHashMap<>();
                    while (true) {
                        List<JsonNode> page = runs(reply);
                        for (JsonNode run : page) {
                            if (run.hasNonNull("id")) examined.add(run.get("id").asLong());
                            if (carries(run, correlationId)) carrying.put(run.path("id").asLong(), run);
                        }
                        String next = GitHubClient.nextLink(reply.header("Link"));
                        if (!carrying.isEmpty() || next == null || page.size() < PER_PAGE
                                || olderThan(page.get(page.size() - 1), since) || nanoTime.getAsLong() >= deadline) break;
                        requests++;
                        reply = bounded.send("GET", next, null);
                    }
                    List<JsonNode> matches = List.copyOf(carrying.values());
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

    private static List<JsonNode> runs(GitHubClient.Reply reply) {
        List<JsonNode> runs = new ArrayList<>();
        JsonNode listed = reply.body() == null ? null : reply.body().path("workflow_runs");
        if (listed != null && listed.isArray()) listed.forEach(runs::add);
        return runs;
    }

    /** True when the run was created before {@code since}; a missing or unreadable time counts as inside. */
    private static boolean olderThan(JsonNode run, Instant since) {
        try {
            String created = Json.text(run, "created_at");
            return created != null && Instant.parse(created).isBefore(since);
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
