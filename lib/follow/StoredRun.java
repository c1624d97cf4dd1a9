package lib.follow;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lib.store.IndexRow;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Headers;
import lib.webhook.WebhookDelivery;
import lib.webhook.WorkflowRunEvent;

/**
 * What the stored deliveries of a correlation say about one run: its newest attempt, whether that
 * attempt's completion arrived, and its jobs with their steps (from {@code workflow_job} payloads).
 * Reads local files only. A completed delivery of an older attempt never counts as the completion.
 */
public final class StoredRun {
    /**
     * One look at the rows of a run: the newest attempt they mention, the most advanced
     * {@code workflow_run} row of it (null when none), its completed row (null until it arrives), and the
     * newest {@code workflow_job} row of each of its jobs.
     */
    public record Look(long attempt, IndexRow latest, IndexRow completed, List<IndexRow> jobRows) {}

    private final RunStore store;
    private final String folder;
    private final boolean allowUnverified;
    private final Map<String, Optional<JsonNode>> payloads = new HashMap<>();

    public StoredRun(RunStore store, String correlationId, boolean allowUnverified) {
        this.store = store;
        this.folder = RunStore.folderFor(correlationId);
        this.allowUnverified = allowUnverified;
    }

    /** The index rows of the correlation (empty when none). */
    public List<IndexRow> rows() throws IOException {
        return store.readIndex(folder);
    }

    /** Looks at the rows of run {@code runId}, counting only attempts from {@code minAttempt} on. */
    public Look look(List<IndexRow> rows, long runId, long minAttempt) {
        long attempt = Math.max(1, minAttempt);
        for (IndexRow r : rows) {
            if (r.runId() == runId && (isRun(r) || isJob(r))) attempt = Math.max(attempt, attemptOf(r));
        }
        IndexRow latest = null;
        IndexRow completed = null;
        Map<Long, IndexRow> jobs = new LinkedHashMap<>();
        for (IndexRow r : rows) {
            if (r.runId() != runId || attemptOf(r) != attempt) continue;
            if (isRun(r)) {
                if (latest == null || WorkflowRunEvent.statusRank(r.status()) >= WorkflowRunEvent.statusRank(latest.status())) {
                    latest = r;
                }
                if ("completed".equals(r.status())) completed = r;
            } else if (isJob(r)) {
                long jobId = r.json().path("job_id").asLong();
                IndexRow known = jobs.get(jobId);
                if (known == null || WorkflowRunEvent.statusRank(r.status()) >= WorkflowRunEvent.statusRank(known.status())) {
                    jobs.put(jobId, r);
                }
            }
        }
        return new Look(attempt, latest, completed, List.copyOf(jobs.values()));
    }

    /** The run as a stored workflow_run delivery shows it (its payload), else as its index row summarises it. */
    public RunState state(IndexRow row) {
        JsonNode run = payload(row).map(p -> p.path("workflow_run")).filter(JsonNode::isObject).orElse(null);
        if (run != null) return RunState.of(run);
        return new RunState(row.runId(), attemptOf(row), row.status(), row.conclusion(), Json.text(row.json(), "html_url"),
                Json.text(row.json(), "display_title"), null, null);
    }

    /** The jobs as their newest workflow_job deliveries show them, steps included, ordered by job id. */
    public List<Job> jobs(List<IndexRow> jobRows) {
        List<Job> jobs = new ArrayList<>();
        for (IndexRow r : jobRows) {
            JsonNode job = payload(r).map(p -> p.path("workflow_job")).filter(JsonNode::isObject).orElse(null);
            if (job != null) jobs.add(Job.of(job));
        }
        jobs.sort(Comparator.comparingLong(Job::id));
        return jobs;
    }

    /** The outcome told by a completed workflow_run row: wait-for-webhook's, which asks no API. */
    public RunOutcome outcome(IndexRow completed, List<IndexRow> rows) {
        Look look = look(rows, completed.runId(), attemptOf(completed));
        return new RunOutcome(state(completed), jobs(look.jobRows()), false, false, "webhook", Map.of());
    }

    /**
     * For a wait that timed out: the newest attempt of the last run the rows name, as far as it got, with
     * its jobs; empty when no acceptable workflow_run row is stored.
     */
    public Optional<RunOutcome> unfinished(List<IndexRow> rows) {
        IndexRow last = null;
        for (IndexRow r : rows) {
            if (isRun(r)) last = r;
        }
        if (last == null) return Optional.empty();
        Look look = look(rows, last.runId(), 1);
        RunState state = look.latest() == null ? state(last) : state(look.latest());
        return Optional.of(new RunOutcome(state, jobs(look.jobRows()), true, false, null, Map.of()));
    }

    static long attemptOf(IndexRow r) {
        return Math.max(1, r.runAttempt());
    }

    private boolean isRun(IndexRow r) {
        return r.isRun() && (allowUnverified || r.verified());
    }

    private static boolean isJob(IndexRow r) {
        return "workflow_job".equals(Json.text(r.json(), "event")) && r.verified();
    }

    /** A stored payload, parsed once (a stored event file never changes); empty when unreadable. */
    private Optional<JsonNode> payload(IndexRow row) {
        String id = row.deliveryId();
        Optional<JsonNode> known = id == null ? null : payloads.get(id);
        if (known != null) return known;
        Optional<JsonNode> parsed;
        try {
            parsed = store.readEvent(folder, row).map(bytes -> {
                String text = new WebhookDelivery(bytes, new Headers()).payloadText();
                return Json.parse(text.getBytes(StandardCharsets.UTF_8), "stored delivery");
            });
        } catch (IOException | RuntimeException unreadable) {
            parsed = Optional.empty();
        }
        if (id != null) payloads.put(id, parsed);
        return parsed;
    }
}
