package lib.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import lib.github.ApiFeatures;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.github.GitHubException;
import lib.github.GitHubUnreachableException;
import lib.store.IndexRow;
import lib.store.RunMetadata;
import lib.store.RunStore;
import lib.util.Json;
import lib.util.Sleeper;
import lib.util.Text;
import lib.util.TimedOutException;
import lib.util.TrackerException;
import lib.wait.DeliveryWatcher;
import lib.wait.WaitCondition;
import lib.webhook.WorkflowRunEvent;

/**
 * trigger-and-track's job: check the workflow, record the dispatch in {@code runs/<uuid>.json} before
 * sending it, dispatch (never retried blindly), then learn the run id: from the dispatch answer
 * (confirmed by GET run), else by polling the runs list, or leave it to the workflow_run webhook.
 */
public final class TrackedDispatch {
    /**
     * What to dispatch and how to learn its run.
     *
     * @param ref            --ref, or null for the current git branch / the default branch
     * @param waitForWebhook with webhookOnly: wait up to {@code timeout} for a verified workflow_run delivery
     */
    public record Request(String workflow, String ref, DispatchInputs inputs, String correlationId,
            Pattern runNamePattern, boolean webhookOnly, boolean waitForWebhook, Duration timeout, Duration interval) {}

    /**
     * How it ended. {@code runId} is null when the run is not known (webhook-only, or timed out);
     * {@code source} says who found it ("api", "poll", "webhook").
     */
    public record Outcome(String correlationId, String workflow, DispatchRef.Choice ref, Long runId, String runUrl,
            String source, Long dispatchRunId, boolean timedOut, Path metadataFile, RunFinder.Outcome poll) {
        /** The JSON line on stdout: run_id, correlation_id, workflow, ref, run_url, source, [dispatch_run_id], [timed_out], metadata. */
        public ObjectNode toJson() {
            ObjectNode s = Json.object();
            if (runId == null) s.putNull("run_id");
            else s.put("run_id", runId);
            s.put("correlation_id", correlationId).put("workflow", workflow).put("ref", ref.ref());
            s.put("run_url", runId == null ? null : runUrl).put("source", runId == null ? null : source);
            if (dispatchRunId != null) s.put("dispatch_run_id", dispatchRunId);
            if (timedOut) s.put("timed_out", true);
            return s.put("metadata", metadataFile.toString());
        }
    }

    /** Where the flow reports: human notes (silenced by --json-only), warnings, and polling progress. */
    public interface Listener {
        void note(String message);

        void warn(String message);

        default void progress(RunFinder.Progress progress) {}

        /** Polling ended (found or not): a progress line on a terminal can be cleared. */
        default void pollingDone() {}
    }

    private final GitHubClient client;
    private final RunStore store;
    private final Path workDir;
    private final Clock clock;
    private final Sleeper sleeper;
    private final LongSupplier nanoTime;
    private final Listener listener;

    public TrackedDispatch(GitHubClient client, RunStore store, Path workDir, Clock clock, Sleeper sleeper,
            LongSupplier nanoTime, Listener listener) {
        this.client = client;
        this.store = store;
        this.workDir = workDir;
        this.clock = clock;
        this.sleeper = sleeper;
        this.nanoTime = nanoTime;
        this.listener = listener;
    }

    public Outcome run(Request request) throws IOException {
        long started = nanoTime.getAsLong(); // --timeout bounds it all: finding the run gets what is left of it
        String corr = request.correlationId();
        // 1. The workflow exists and is active.
        GitHubClient.Reply wf = workflow(request.workflow());
        String state = Json.text(wf.body(), "state");
        if (!"active".equals(state)) {
            throw new TrackerException("the workflow '" + request.workflow() + "' is " + state + ", not active; enable it"
                    + " (gh workflow enable " + request.workflow() + ") and try again");
        }
        DispatchRef.Choice ref = DispatchRef.resolve(request.ref(), client, workDir);

        // 2. Metadata first, so a webhook that arrives during the dispatch call updates it.
        Instant dispatchedAt = clock.instant();
        store.updateMetadata(corr, m -> m.recordPlanned(new RunMetadata.Planned(corr, client.context().repo(),
                client.context().apiUrl(), request.workflow(), wf.body().path("id").asLong(), Json.text(wf.body(), "name"),
                ref.ref(), DispatchRef.branchFilter(ref.ref()), ref.origin(), request.inputs().forRecord(), dispatchedAt,
                request.webhookOnly())));

        // 3. Dispatch, asking for the run id where the server may have it; never retried blindly.
        Dispatcher dispatcher = new Dispatcher(client, new ApiFeatures(store.root()), listener::note);
        Dispatcher.Result result;
        try {
            result = dispatcher.dispatch(request.workflow(), ref.ref(), request.inputs().values(),
                    wf.header("X-GitHub-Enterprise-Version"));
        } catch (GitHubException e) {
            throw dispatchFailed(corr, ref, e);
        } catch (RuntimeException e) {
            store.updateMetadata(corr, m -> m.recordDispatchFailed("failed", Text.describe(e)));
            throw e;
        }
        store.updateMetadata(corr, m -> m.recordAccepted(accepted(result, clock.instant())));
        listener.note("dispatched " + request.workflow() + " on " + ref.ref() + " (" + ref.origin() + ") with correlation id "
                + corr + (result.hasRunId() ? "; the answer names run " + result.runId() : ""));

        Duration left = request.timeout().minusNanos(nanoTime.getAsLong() - started);
        if (left.isNegative()) left = Duration.ZERO;
        if (request.webhookOnly()) return webhookOnly(request, ref, result, left);
        return track(request, ref, result, githubNow(wf), left);
    }

    /**
     * GitHub's clock when it answered {@code reply} (its {@code Date} header), else ours: the runs list's
     * {@code created} filter compares with GitHub's times, and our clock may be ahead by more than its margin.
     */
    private Instant githubNow(GitHubClient.Reply reply) {
        java.util.Date date = reply.headers().getDate("Date");
        return date == null ? clock.instant() : date.toInstant();
    }

    private GitHubClient.Reply workflow(String workflow) {
        try {
            return client.send("GET", client.repoPath("/actions/workflows/" + Text.urlEncode(workflow)), null);
        } catch (GitHubApiException e) {
            if (e.status() != 404) throw e;
            throw e.withMessage("no workflow '" + workflow + "' in " + client.context().repo() + " (GitHub answered 404);"
                    + " pass --workflow with the file name under .github/workflows or its id, and check that the token"
                    + " from " + client.context().tokenOrigin() + " can read Actions");
        }
    }

    private GitHubException dispatchFailed(String corr, DispatchRef.Choice ref, GitHubException e) throws IOException {
        boolean uncertain = Dispatcher.isUncertain(e);
        boolean neverSent = e instanceof GitHubUnreachableException u && u.neverSent();
        String status = uncertain ? "uncertain" : neverSent ? "failed" : "rejected";
        store.updateMetadata(corr, m -> m.recordDispatchFailed(status, e.getMessage()));
        if (neverSent) return e.withMessage(e.getMessage() + "; nothing was dispatched");
        if (uncertain) {
            return e.withMessage("the dispatch may or may not have happened (" + e.getMessage() + "); it was not retried."
                    + " Correlation id " + corr + ": look for a run named 'Dispatch Webhook (" + corr + ")' or wait for its"
                    + " webhook (./jbang wait-for-webhook.java --correlation-id " + corr + ") before dispatching again");
        }
        String hint = ref.fromGit() && e.mentions("No ref found") ? " - the ref is your current git branch; push it or pass --ref" : "";
        return e.withMessage("GitHub refused the dispatch: " + e.getMessage() + hint);
    }

    private static RunMetadata.Accepted accepted(Dispatcher.Result r, Instant at) {
        String details = r.askedForDetails() && !r.fellBack() ? "sent" : r.fellBack() ? "rejected" : "skipped";
        return new RunMetadata.Accepted(r.status(), details, r.runId(), r.htmlUrl(), r.runApiUrl(), at);
    }

    private Outcome webhookOnly(Request request, DispatchRef.Choice ref, Dispatcher.Result result, Duration left)
            throws IOException {
        String corr = request.correlationId();
        Optional<IndexRow> row = Optional.empty();
        if (request.waitForWebhook()) {
            row = awaitWebhook(corr, left);
            if (row.isEmpty()) return new Outcome(corr, request.workflow(), ref, null, null, null, null, true, store.metadataFile(corr), null);
        }
        RunMetadata metadata = store.readMetadata(corr);
        Long runId = metadata.runId().orElse(null); // a webhook was ingested already
        String url = metadata.runUrl();
        String source = metadata.runIdSource();
        if (runId == null && row.isPresent()) { // a receiver writes it into the metadata at its next checkpoint
            runId = row.get().runId();
            url = Json.text(row.get().json(), "html_url");
            source = "webhook";
        }
        return new Outcome(corr, request.workflow(), ref, runId, url, source, result.runId(), false, store.metadataFile(corr), null);
    }

    /**
     * The same wait as wait-for-webhook: the first verified workflow_run delivery for {@code corr} of the dispatched
     * repository (an organisation's hook delivers others too) once it is stored; empty on a timeout.
     */
    private Optional<IndexRow> awaitWebhook(String corr, Duration timeout) throws IOException {
        listener.note("waiting up to " + timeout.toMillis() / 1000.0 + " s for the workflow_run webhook of " + corr);
        String repo = client.context().repo();
        WaitCondition condition = new WaitCondition(false, false);
        try (DeliveryWatcher watcher = new DeliveryWatcher(store, corr, DeliveryWatcher.DEFAULT_FALLBACK_POLL)) {
            return watcher.awaitUnlessDamaged(rows -> condition.match(rows.stream()
                    .filter(r -> WorkflowRunEvent.sameRepository(repo, r.repository())).toList()), timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimedOutException("interrupted while waiting for the webhook of " + corr);
        }
    }

    /** @param before GitHub's time shortly before the dispatch: the runs list is polled from it (less a margin) on */
    private Outcome track(Request request, DispatchRef.Choice ref, Dispatcher.Result result, Instant before, Duration left)
            throws IOException {
        String corr = request.correlationId();
        RunFinder finder = new RunFinder(client, request.runNamePattern(), sleeper, nanoTime, listener::progress,
                listener::warn);
        RunFinder.Found found = result.hasRunId() ? confirm(finder, result, corr) : null;
        String source = found == null ? null : "api";
        RunFinder.Outcome poll = null;
        if (found == null) {
            poll = finder.poll(request.workflow(), DispatchRef.branchFilter(ref.ref()), before, corr,
                    left, request.interval(), () -> recordedByWebhook(corr));
            listener.pollingDone();
            if (poll.timedOut()) {
                store.updateMetadata(corr, m -> m.recordPollTimedOut(clock.instant()));
                return new Outcome(corr, request.workflow(), ref, null, null, null, null, true, store.metadataFile(corr), poll);
            }
            found = poll.found();
            source = poll.source();
        }
        RunFinder.Found run = found;
        String foundBy = source;
        RunMetadata metadata = store.updateMetadata(corr, m -> m.recordFound(run.runId(), run.htmlUrl(), foundBy,
                clock.instant()).ifPresent(listener::warn));
        return new Outcome(corr, request.workflow(), ref, metadata.runId().orElseThrow(), metadata.runUrl(),
                metadata.runIdSource(), null, false, store.metadataFile(corr), poll);
    }

    /** The run named in the dispatch answer, when GET run shows our correlation id; else null (we poll instead). */
    private RunFinder.Found confirm(RunFinder finder, Dispatcher.Result result, String corr) {
        try {
            JsonNode run = finder.getRun(result.runId());
            if (finder.carries(run, corr)) {
                String html = Json.text(run, "html_url");
                return new RunFinder.Found(result.runId(), html != null ? html : result.htmlUrl(), Json.text(run, "url"));
            }
            listener.warn("run " + result.runId() + " from the dispatch answer is titled '" + Text.plain(Json.text(run, "display_title"))
                    + "', without correlation id " + corr + "; looking for the run by polling instead");
        } catch (GitHubException e) {
            if (e.status() == 401 || (e.status() == 403 && !e.mentions("rate limit"))) throw e;
            listener.warn("could not confirm run " + result.runId() + " from the dispatch answer (" + e.getMessage()
                    + "); looking for the run by polling instead");
        }
        return null;
    }

    /** Between polls: did a webhook ingest already fill run_id? A local read, no request. */
    private RunFinder.Found recordedByWebhook(String corr) {
        try {
            RunMetadata m = store.readMetadata(corr);
            if (m.runId().isPresent() && "webhook".equals(m.runIdSource())) {
                return new RunFinder.Found(m.runId().get(), m.runUrl(), null);
            }
        } catch (IOException | RuntimeException e) {
            // unreadable right now: polling goes on
        }
        return null;
    }
}
