package lib.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import lib.util.Json;
import lib.webhook.WorkflowJobEvent;
import lib.webhook.WorkflowRunEvent;

/**
 * One row of {@code runs/<uuid|unknown>/webhook/index.json}: a summary of one stored delivery. The one
 * class that writes the rows' keys and reads them back. Rows of {@code workflow_job} deliveries are
 * filed beside those of {@code workflow_run} ({@code "event"} tells them apart). Both carry the run's
 * {@code "repository"}, which an organisation hook's deliveries need to be told apart.
 */
public final class IndexRow {
    private final ObjectNode json;

    private IndexRow(ObjectNode json) {
        this.json = json;
    }

    /** A row read back from disk (or a marker file). */
    public static IndexRow of(JsonNode json) {
        return new IndexRow(json.isObject() ? (ObjectNode) json : Json.object());
    }

    /** The row of a workflow_run delivery; {@code verifiedBy} is null when it was stored unverified. */
    public static IndexRow ofRun(WorkflowRunEvent run, String correlation, String deliveryId, String headerEvent,
            Instant received, String verifiedBy, String file) {
        ObjectNode row = Json.object();
        row.put("delivery_id", deliveryId);
        row.put("event", headerEvent != null ? headerEvent : "workflow_run");
        row.put("action", run.action());
        row.put("run_id", run.runId());
        row.put("run_number", run.runNumber());
        row.put("run_attempt", run.runAttempt());
        row.put("status", run.status());
        row.put("conclusion", run.conclusion());
        row.put("correlation_id", correlation);
        row.put("display_title", run.displayTitle());
        row.put("run_name", run.name());
        row.put("head_branch", run.headBranch());
        row.put("trigger_event", run.triggerEvent());
        row.put("repository", run.repository());
        row.put("html_url", run.htmlUrl());
        row.put("received_at", received.toString());
        row.put("verified", verifiedBy != null);
        row.put("verified_by", verifiedBy);
        row.put("file", file);
        return new IndexRow(row);
    }

    /** The row of a (verified) workflow_job delivery filed under its run's correlation folder. */
    public static IndexRow ofJob(WorkflowJobEvent job, String folder, String deliveryId, Instant received,
            String verifiedBy, String file) {
        ObjectNode row = Json.object();
        row.put("delivery_id", deliveryId);
        row.put("event", "workflow_job");
        row.put("action", job.action());
        row.put("run_id", job.runId());
        row.put("job_id", job.jobId());
        row.put("job_name", job.name());
        row.put("run_attempt", job.runAttempt() == null ? 0 : job.runAttempt());
        row.put("status", job.status());
        row.put("conclusion", job.conclusion());
        row.put("correlation_id", folder);
        row.put("repository", job.repository());
        row.put("received_at", received.toString());
        row.put("verified", true);
        row.put("verified_by", verifiedBy);
        row.put("file", file);
        return new IndexRow(row);
    }

    /** The row as stored: one compact line of index.json. */
    public ObjectNode json() {
        return json;
    }

    /** The run's repository (OWNER/NAME) as the delivery named it; null in rows written before it was recorded. */
    public String repository() {
        return Json.text(json, "repository");
    }

    public String deliveryId() {
        return Json.text(json, "delivery_id");
    }

    /** True for a workflow_run row with a run id (rows written before the event was recorded count as runs). */
    public boolean isRun() {
        String event = Json.text(json, "event");
        return (event == null || "workflow_run".equals(event)) && json.hasNonNull("run_id");
    }

    public long runId() {
        return json.path("run_id").asLong();
    }

    public long runAttempt() {
        return json.path("run_attempt").asLong(0);
    }

    public String status() {
        return Json.text(json, "status");
    }

    public String conclusion() {
        return Json.text(json, "conclusion");
    }

    public boolean verified() {
        return json.path("verified").asBoolean(false);
    }

    /** The event file's path relative to the folder's {@code webhook/} directory. */
    public String file() {
        return Json.text(json, "file");
    }

    /** When the delivery was stored; empty when the row has no readable time. */
    public Optional<Instant> receivedAt() {
        String at = Json.text(json, "received_at");
        try {
            return at == null ? Optional.empty() : Optional.of(Instant.parse(at));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
