package lib.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import lib.util.Json;

/**
 * The fields of a {@code workflow_job} delivery that tracking needs: which job of which run, and how it stands.
 * {@code repository} is the run's repository ({@code repository.full_name}), which tells apart the deliveries
 * of an organisation hook; null when the payload has none.
 */
public record WorkflowJobEvent(long jobId, long runId, Long runAttempt, String action, String name, String status,
        String conclusion, String htmlUrl, String repository) {

    /** Reads a workflow_job payload; a missing or non-positive {@code workflow_job.run_id} is a bad delivery. */
    public static WorkflowJobEvent from(JsonNode payload) {
        JsonNode job = payload.get("workflow_job");
        JsonNode runId = job == null ? null : job.get("run_id");
        if (runId == null || !runId.canConvertToLong() || runId.asLong() <= 0) {
            throw new BadDeliveryException("the workflow_job payload has no valid workflow_job.run_id");
        }
        JsonNode attempt = job.get("run_attempt");
        return new WorkflowJobEvent(job.path("id").asLong(), runId.asLong(),
                attempt != null && attempt.canConvertToLong() ? attempt.asLong() : null, Json.text(payload, "action"),
                Json.text(job, "name"), Json.text(job, "status"), Json.text(job, "conclusion"), Json.text(job, "html_url"),
                Json.text(payload.get("repository"), "full_name"));
    }
}
