package lib.follow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import lib.util.Json;
import lib.webhook.WorkflowRunEvent;

/**
 * One job of a run and its steps, as the jobs listing ({@code GET .../runs/{id}/jobs}) or a
 * {@code workflow_job} delivery shows it.
 */
public record Job(long id, String name, String status, String conclusion, String htmlUrl, long runAttempt,
        Instant startedAt, Instant completedAt, List<Step> steps) {

    /** One step: its number, name, status and conclusion. */
    public record Step(int number, String name, String status, String conclusion) {
        public boolean failed() {
            return "failure".equals(conclusion) || "timed_out".equals(conclusion);
        }
    }

    public static Job of(JsonNode job) {
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : job.path("steps")) {
            steps.add(new Step(s.path("number").asInt(steps.size() + 1), Json.text(s, "name"), Json.text(s, "status"),
                    Json.text(s, "conclusion")));
        }
        return new Job(job.path("id").asLong(), Json.text(job, "name"), Json.text(job, "status"), Json.text(job, "conclusion"),
                Json.text(job, "html_url"), job.path("run_attempt").asLong(0), RunState.time(job, "started_at"),
                RunState.time(job, "completed_at"), List.copyOf(steps));
    }

    /**
     * The jobs of one attempt as {@code delivered} shows them, except where {@code known} (e.g. an earlier jobs
     * listing) saw a job further on: deliveries arrive out of order, and the first one stored may be a job's older
     * one. Jobs only {@code known} are kept. Ordered by job id.
     */
    public static List<Job> furthest(List<Job> known, List<Job> delivered) {
        Map<Long, Job> byId = new TreeMap<>();
        for (Job k : known) byId.put(k.id, k);
        for (Job d : delivered) {
            Job k = byId.get(d.id);
            if (k == null || k.runAttempt != d.runAttempt
                    || WorkflowRunEvent.statusRank(d.status) >= WorkflowRunEvent.statusRank(k.status)) {
                byId.put(d.id, d);
            }
        }
        return List.copyOf(byId.values());
    }

    /** Completed without success: failure, cancelled, timed_out, startup_failure, action_required. */
    public boolean failed() {
        return "completed".equals(status) && conclusion != null && !RunOutcome.isSuccessful(conclusion);
    }

    public List<Step> failedSteps() {
        return steps.stream().filter(Step::failed).toList();
    }

    /** Seconds from start to completion, when both are known. */
    public Long durationSeconds() {
        if (startedAt == null || completedAt == null || completedAt.isBefore(startedAt)) return null;
        return Duration.between(startedAt, completedAt).toSeconds();
    }

    /** Same status and conclusion, for itself and each step: what a progress view shows did not change. */
    public boolean sameAs(Job other) {
        return other != null && id == other.id && Objects.equals(status, other.status)
                && Objects.equals(conclusion, other.conclusion) && steps.equals(other.steps);
    }

    /** In the outcome's {@code jobs}: name, conclusion, url and the failed steps' names. */
    public ObjectNode toJson() {
        ObjectNode j = Json.object().put("name", name).put("conclusion", conclusion).put("url", htmlUrl);
        ArrayNode failed = j.putArray("failed_steps");
        failedSteps().forEach(s -> failed.add(s.name()));
        return j;
    }
}
