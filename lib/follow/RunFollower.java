package lib.follow;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import lib.github.ActionsRuns;
import lib.github.GitHubApiException;
import lib.github.GitHubException;
import lib.store.DamagedFileException;
import lib.store.IndexRow;
import lib.store.RunMetadata;
import lib.store.RunStore;
import lib.util.TimedOutException;
import lib.wait.DeliveryWatcher;
import lib.webhook.WorkflowRunEvent;

/**
 * Follows a run until its newest attempt completes. Two sources race, and whichever sees completion
 * first wins: stored {@code workflow_run} deliveries of the run (watched like wait-for-webhook does,
 * so one stored by any ingest is seen at once), and one conditional {@code GET} of the run per
 * interval (unchanged answers are free 304s). Once a completed delivery of the newest attempt is
 * stored, the run is not fetched again. A re-run (a higher {@code run_attempt}, from either source)
 * is followed instead; a completed older attempt never ends the wait.
 *
 * <p>For the progress view, the jobs come from stored {@code workflow_job} deliveries when there are
 * any for the newest attempt, else from one conditional jobs listing per interval. At the end, one
 * jobs listing gives the outcome's jobs (on success it is skipped when deliveries already listed
 * them), and for a run without success the tails of the failed jobs' logs are read.
 */
public final class RunFollower {
    /** At most this many failed jobs get their log read. */
    public static final int MAX_LOGGED_JOBS = 10;
    /** How long a cancel on timeout may take, retries included. */
    public static final Duration CANCEL_GRACE = Duration.ofSeconds(10);
    /** The longest pause between run requests after repeated server errors. */
    public static final Duration MAX_ERROR_BACKOFF = Duration.ofSeconds(60);

    /** How to follow: the pause between requests, whether a progress view wants the jobs, log lines, cancel. */
    public record Options(Duration interval, boolean wantJobs, int logLines, boolean cancelOnTimeout) {}

    /** Where the follower reports: each visible change of the run or its jobs, and warnings. */
    public interface Listener {
        default void progress(RunState run, List<Job> jobs) {}

        default void warn(String message) {}
    }

    private final ActionsRuns runs;
    private final RunStore store;
    private final String correlationId;
    private final StoredRun stored;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Listener listener;
    private final Options options;

    private long attempt = 1;
    private RunState current;
    /** The run as stored deliveries last showed it: a delivery is taken once, not over each later API answer. */
    private RunState fromDeliveries;
    private List<Job> jobs = List.of();
    private RunState shownRun;
    private List<Job> shownJobs = List.of();
    /** {@code runs} bound to the follow's deadline: no retry or rate-limit wait outlasts the timeout. */
    private ActionsRuns api;
    /** Until then (a nanoTime) no request: GitHub's rate limit is used up, and lifts too late to wait for it. */
    private long rateLimitedUntil = Long.MIN_VALUE;

    public RunFollower(ActionsRuns api, RunStore store, String correlationId, Clock clock, LongSupplier nanoTime,
            Listener listener, Options options) {
        this.runs = api;
        this.store = store;
        this.correlationId = correlationId;
        this.stored = new StoredRun(store, correlationId, false);
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.listener = listener;
        this.options = options;
    }

    /**
     * Follows run {@code runId} for at most {@code timeout}; the outcome is also recorded in
     * {@code runs/<uuid>.json} ({@code run_status}, {@code run_conclusion}, ...).
     */
    public RunOutcome follow(long runId, Duration timeout) throws IOException {
        RunOutcome outcome = followUnrecorded(runId, timeout);
        RunState r = outcome.run();
        store.updateMetadata(correlationId, m -> m.recordOutcome(new RunMetadata.Outcome(
                r == null ? null : r.status(), outcome.completed() ? r.conclusion() : null, r == null ? null : r.attempt(),
                outcome.completed() ? r.completedAt() : null, outcome.timedOut(), outcome.cancelRequested(),
                outcome.seenBy(), clock.instant())));
        return outcome;
    }

    private RunOutcome followUnrecorded(long runId, Duration timeout) throws IOException {
        long deadline = nanoTime.getAsLong() + timeout.toNanos();
        api = runs == null ? null : runs.until(nanoTime, deadline, listener::warn);
        long nextRunPoll = nanoTime.getAsLong();
        long nextJobsPoll = nextRunPoll;
        int errorsInARow = 0;
        int jobErrorsInARow = 0;
        try (DeliveryWatcher watcher = new DeliveryWatcher(store, correlationId, DeliveryWatcher.DEFAULT_FALLBACK_POLL)) {
            while (true) {
                List<IndexRow> rows = rows();
                StoredRun.Look look = stored.look(rows, runId, attempt);
                attempt = look.attempt();
                if (look.completed() != null) return finish(runId, stored.state(look.completed()), look, "webhook");
                if (look.latest() != null && !stored.state(look.latest()).equals(fromDeliveries)) {
                    fromDeliveries = stored.state(look.latest());
                    advance(fromDeliveries, false);
                }

                long now = nanoTime.getAsLong();
                if (api != null && now >= nextRunPoll) {
                    Optional<RunState> polled = poll(runId);
                    errorsInARow = polled.isPresent() ? 0 : errorsInARow + 1;
                    if (polled.isPresent() && polled.get().attempt() >= attempt) {
                        attempt = polled.get().attempt();
                        advance(polled.get(), true);
                        if (polled.get().completed()) return finish(runId, polled.get(), stored.look(rows(), runId, attempt), "api");
                    }
                    nextRunPoll = Math.max(now + backoff(errorsInARow).toNanos(), rateLimitedUntil);
                }
                // while reading the run fails, so would listing its jobs: they wait for the run to answer again
                boolean jobsFromApi = options.wantJobs() && look.jobRows().isEmpty() && api != null && errorsInARow == 0;
                if (options.wantJobs() && !look.jobRows().isEmpty()) {
                    jobs = Job.furthest(jobs, stored.jobs(look.jobRows()));
                } else if (jobsFromApi && now >= nextJobsPoll && now >= rateLimitedUntil) {
                    Optional<List<Job>> listed = listJobs(runId, false);
                    listed.ifPresent(j -> jobs = j);
                    jobErrorsInARow = listed.isPresent() ? 0 : jobErrorsInARow + 1;
                    nextJobsPoll = Math.max(now + backoff(jobErrorsInARow).toNanos(), rateLimitedUntil);
                }
                show();

                now = nanoTime.getAsLong();
                if (now >= deadline) return timedOut(runId);
                long wake = Math.min(deadline, api == null ? deadline : nextRunPoll);
                if (jobsFromApi) wake = Math.min(wake, Math.max(nextJobsPoll, rateLimitedUntil));
                int seen = rows.size();
                watcher.await(r -> r.size() != seen ? Optional.of(r) : Optional.empty(), Duration.ofNanos(Math.max(0, wake - now)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimedOutException("interrupted while following run " + runId);
        }
    }

    /**
     * Takes {@code seen} when it is newer than what we knew: a higher attempt, else for the same attempt an
     * API answer as it is (a run can go back, e.g. from in_progress to waiting when a later job awaits an
     * environment's approval), and a stored delivery only with a status at least as advanced (deliveries
     * may arrive out of order).
     */
    private void advance(RunState seen, boolean fromApi) {
        if (current == null || seen.attempt() > current.attempt() || seen.attempt() == current.attempt() && (fromApi
                || WorkflowRunEvent.statusRank(seen.status()) >= WorkflowRunEvent.statusRank(current.status()))) {
            if (current != null && seen.attempt() > current.attempt()) jobs = List.of(); // the old attempt's jobs
            current = seen;
        }
    }

    private List<IndexRow> rows() throws IOException {
        try {
            return stored.rows();
        } catch (DamagedFileException notNow) {
            return List.of(); // replaced by rename, so rarely seen half-written; the API still answers
        }
    }

    /**
     * One conditional GET of the run; empty after a server error or no answer (warned, retried later), or
     * a rate limit that lifts too late to wait for it (warned; no request until it lifts).
     */
    private Optional<RunState> poll(long runId) {
        try {
            JsonNode body = api.run(runId).body();
            return body == null ? Optional.empty() : Optional.of(RunState.of(body));
        } catch (GitHubException e) {
            if (rateLimited(e)) {
                listener.warn("reading run " + runId + " failed (" + e.getMessage() + "); stored deliveries are still watched");
                return Optional.empty();
            }
            if (!(e.status() == 0 || e.status() >= 500)) throw e;
            listener.warn("reading run " + runId + " failed (" + e.getMessage() + "); trying again");
            return Optional.empty();
        }
    }

    private Optional<List<Job>> listJobs(long runId, boolean allPages) {
        try {
            List<Job> listed = new ArrayList<>();
            for (JsonNode j : api.jobs(runId, allPages)) listed.add(Job.of(j));
            return Optional.of(listed);
        } catch (GitHubException e) {
            rateLimited(e);
            listener.warn("listing the jobs of run " + runId + " failed (" + e.getMessage() + ")");
            return Optional.empty();
        }
    }

    /** True for a rate limit the client did not wait out; no request is sent before it lifts. */
    private boolean rateLimited(GitHubException e) {
        if (!(e instanceof GitHubApiException a) || a.retryIn() == null) return false;
        rateLimitedUntil = Math.max(rateLimitedUntil, nanoTime.getAsLong() + a.retryIn().toNanos());
        return true;
    }

    private Duration backoff(int errorsInARow) {
        Duration wait = options.interval();
        for (int i = 0; i < errorsInARow && wait.compareTo(MAX_ERROR_BACKOFF) < 0; i++) wait = wait.multipliedBy(2);
        return wait.compareTo(MAX_ERROR_BACKOFF) > 0 ? MAX_ERROR_BACKOFF : wait;
    }

    /** Shows the run and its jobs when either changed since last shown. */
    private void show() {
        if (current == null) return;
        boolean same = current.sameAs(shownRun) && jobs.size() == shownJobs.size();
        for (int i = 0; same && i < jobs.size(); i++) same = jobs.get(i).sameAs(shownJobs.get(i));
        if (same) return;
        shownRun = current;
        shownJobs = jobs;
        listener.progress(current, jobs);
    }

    /** The completed newest attempt: its jobs (one listing), and for a run without success the failed jobs' log tails. */
    private RunOutcome finish(long runId, RunState run, StoredRun.Look look, String seenBy) {
        current = run;
        boolean successful = RunOutcome.isSuccessful(run.conclusion());
        List<Job> fromHooks = stored.jobs(look.jobRows());
        List<Job> finalJobs = fromHooks.isEmpty() ? jobs : fromHooks;
        if (api != null && (!successful || fromHooks.isEmpty())) {
            List<Job> listed = listJobs(runId, true).orElse(List.of()).stream()
                    .filter(j -> j.runAttempt() == 0 || j.runAttempt() == run.attempt()).toList();
            if (!listed.isEmpty()) finalJobs = listed;
        }
        jobs = finalJobs;
        show();
        Map<Long, RunOutcome.LogTail> logs = new LinkedHashMap<>();
        if (!successful && api != null && options.logLines() > 0) {
            for (Job job : finalJobs.stream().filter(Job::failed).limit(MAX_LOGGED_JOBS).toList()) {
                try {
                    logs.put(job.id(), new RunOutcome.LogTail(api.logTail(job.id(), options.logLines()), null));
                } catch (GitHubException e) {
                    logs.put(job.id(), new RunOutcome.LogTail(List.of(), e.getMessage()));
                }
            }
        }
        return new RunOutcome(run, finalJobs, false, false, seenBy, logs);
    }

    /**
     * Time is up. With cancel-on-timeout the run is cancelled; when GitHub answers that it can no longer
     * be (409: it completed meanwhile), the completed run is reported as such.
     */
    private RunOutcome timedOut(long runId) {
        boolean cancelled = false;
        String cancelError = null;
        if (options.cancelOnTimeout() && api != null) {
            try {
                cancelled = runs.until(nanoTime, nanoTime.getAsLong() + CANCEL_GRACE.toNanos(), listener::warn).cancel(runId);
                if (!cancelled) {
                    Optional<RunState> now = poll(runId);
                    if (now.isPresent() && now.get().completed() && now.get().attempt() >= attempt) {
                        return finish(runId, now.get(), stored.look(rows(), runId, now.get().attempt()), "api");
                    }
                }
            } catch (GitHubException | IOException e) {
                cancelError = e.getMessage();
            }
        }
        return new RunOutcome(current, jobs, true, cancelled, null, Map.of(), cancelError);
    }
}
