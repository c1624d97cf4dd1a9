package lib.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lib.util.BadInputException;
import lib.util.Json;
import lib.webhook.WorkflowRunEvent;

/**
 * {@code runs/<uuid>.json} (and {@code runs/webhook_orphans/<run_id>.json}): what is known about one
 * dispatch. The one class that writes and reads its keys. trigger-and-track records the dispatch;
 * webhook ingest only ever adds keys ({@code webhook_run_id}, {@code webhook_deliveries}, ...) and fills
 * {@code run_id} while it is null; keys written by other tools are kept. Changes are applied under the
 * correlation's lock ({@link RunStore#updateMetadata}).
 */
public final class RunMetadata {
    /** How many delivery ids {@code webhook_deliveries} lists; the rest are counted in {@code webhook_delivery_count}. */
    static final int MAX_LISTED_DELIVERIES = 100;
    /** How many deliveries that do not speak for the run {@code webhook_ignored} lists (the first ones). */
    static final int MAX_LISTED_IGNORED = 20;

    /** What is known before the dispatch request is sent. */
    public record Planned(String correlationId, String repo, String apiUrl, String workflow, long workflowId,
            String workflowName, String ref, String branch, String refOrigin, ObjectNode inputs, Instant dispatchedAt,
            boolean webhookOnly) {}

    /**
     * The dispatch's answer: the HTTP status, whether {@code return_run_details} was "sent", "rejected"
     * (the server does not know it) or "skipped", and the run it names (null on a 204).
     */
    public record Accepted(int httpStatus, String returnRunDetails, Long runId, String htmlUrl, String runApiUrl,
            Instant answeredAt) {}

    private final ObjectNode json;

    RunMetadata(ObjectNode json) {
        this.json = json;
    }

    /** The file's content as it will be written. */
    public ObjectNode json() {
        return json;
    }

    // --- the dispatch (trigger-and-track) ---------------------------------------------------------

    /** Written before dispatching, so a webhook arriving during the dispatch call finds it. */
    public void recordPlanned(Planned p) {
        if (json.hasNonNull("dispatched_at")) {
            throw new BadInputException("correlation id " + p.correlationId() + " was dispatched before (at "
                    + Json.text(json, "dispatched_at") + "); use a fresh one");
        }
        if (!json.has("run_id")) json.putNull("run_id");
        json.put("correlation_id", p.correlationId());
        json.put("repo", p.repo());
        json.put("api_url", p.apiUrl());
        json.put("workflow", p.workflow());
        json.put("workflow_id", p.workflowId());
        json.put("workflow_name", p.workflowName());
        json.put("ref", p.ref());
        json.put("branch", p.branch());
        json.put("ref_origin", p.refOrigin());
        json.set("inputs", p.inputs());
        json.put("dispatched_at", p.dispatchedAt().toString());
        json.put("mode", p.webhookOnly() ? "webhook-only" : "track");
        if (!json.has("webhook_pending")) json.put("webhook_pending", p.webhookOnly());
        json.put("dispatch_status", "sending");
    }

    /** The dispatch was accepted. A run id from the answer is {@code dispatch_run_id}. */
    public void recordAccepted(Accepted a) {
        json.put("dispatch_status", "accepted");
        json.put("dispatch_answered_at", a.answeredAt().toString());
        json.put("dispatch_http_status", a.httpStatus());
        json.put("return_run_details", a.returnRunDetails());
        if (a.runId() == null) return;
        json.put("dispatch_run_id", a.runId());
        if (a.htmlUrl() != null) json.put("dispatch_html_url", a.htmlUrl());
        if (a.runApiUrl() != null) json.put("dispatch_run_api_url", a.runApiUrl());
        JsonNode webhook = json.get("webhook_run_id");
        if (webhook != null && !webhook.isNull() && webhook.asLong() != a.runId()) {
            conflict("dispatch", a.runId(), webhook.asLong());
        }
    }

    /** The dispatch failed: "failed" (nothing sent), "rejected" (GitHub said no) or "uncertain" (no answer or 5xx). */
    public void recordDispatchFailed(String status, String message) {
        json.put("dispatch_status", status);
        json.put("dispatch_error", message);
    }

    /**
     * The run was found by {@code source} ("api" or "poll"). Fills {@code run_id} while it is null; a
     * different run id already there (e.g. from a webhook) is kept, the conflict listed in
     * {@code run_id_conflicts}, and a warning returned.
     */
    public Optional<String> recordFound(long runId, String htmlUrl, String source, Instant at) {
        JsonNode known = json.get("run_id");
        // The run GitHub's dispatch answer named (and GET run confirmed) is ours; a webhook only matched a title.
        boolean answerWins = "api".equals(source) && known != null && !known.isNull() && known.asLong() != runId
                && "webhook".equals(Json.text(json, "run_id_source"));
        if (known == null || known.isNull() || answerWins) {
            json.put("run_id", runId);
            json.put("run_id_source", source);
            json.put("run_found_at", at.toString());
            if (htmlUrl != null && (answerWins || !json.hasNonNull("run_url"))) json.put("run_url", htmlUrl);
            if (!answerWins) return Optional.empty();
            conflict("webhook", known.asLong(), runId);
            return Optional.of("run_id " + known.asLong() + " recorded from a webhook differs from run " + runId
                    + " that GitHub's dispatch answer named; took " + runId + ", conflict recorded");
        }
        if (known.asLong() == runId) return Optional.empty();
        conflict(source, runId, known.asLong());
        return Optional.of("the run id " + runId + " found by " + source + " differs from run_id " + known.asLong()
                + " already recorded (" + Json.text(json, "run_id_source") + "); kept it, conflict recorded");
    }

    /** Polling gave up; the webhook may still fill the record. */
    public void recordPollTimedOut(Instant at) {
        json.put("poll_timed_out_at", at.toString());
    }

    /**
     * How following the run ended (trigger-and-track --until completed): its newest attempt's status,
     * conclusion (null unless completed) and completion time, whether time ran out and a cancel was
     * requested, and who saw the completion first ("webhook" or "api").
     */
    public record Outcome(String status, String conclusion, Long attempt, Instant completedAt, boolean timedOut,
            boolean cancelRequested, String seenBy, Instant at) {}

    /** Records (or replaces) the followed outcome: run_status, run_conclusion, run_attempt, run_completed_at, ... */
    public void recordOutcome(Outcome o) {
        json.put("run_status", o.status());
        json.put("run_conclusion", o.conclusion());
        if (o.attempt() == null) json.putNull("run_attempt");
        else json.put("run_attempt", o.attempt());
        json.put("run_completed_at", o.completedAt() == null ? null : o.completedAt().toString());
        json.put("follow_timed_out", o.timedOut());
        json.put("cancel_requested", o.cancelRequested());
        json.put("outcome_source", o.seenBy());
        json.put("followed_at", o.at().toString());
    }

    // --- webhook ingest ------------------------------------------------------------------------------

    /** An orphan record ({@code runs/webhook_orphans/<run_id>.json}) names the correlation it belongs to. */
    public void recordCorrelation(String correlationId) {
        json.put("correlation_id", correlationId);
    }

    /**
     * Adds what a workflow_run delivery says, keeping every key already there; returns warnings about mismatches.
     * Only a verified delivery of the dispatch's repository speaks for the run (run id, status, URL): anyone can post
     * an unverified one, and an organisation's hook delivers other repositories' runs. Others are only counted.
     */
    public List<String> recordWebhook(WorkflowRunEvent run, String deliveryId, Instant received, boolean verified) {
        List<String> warnings = new ArrayList<>();
        String repo = Json.text(json, "repo");
        boolean otherRepository = !WorkflowRunEvent.sameRepository(repo, run.repository());
        if (!verified || otherRepository) {
            ArrayNode ignored = array("webhook_ignored");
            if (ignored.size() < MAX_LISTED_IGNORED) {
                ignored.addObject().put("delivery_id", deliveryId).put("webhook_run_id", run.runId())
                        .put("reason", verified ? "repository " + run.repository() : "unverified");
            }
            recordDelivery(deliveryId);
            json.put("webhook_updated_at", received.toString());
            warnings.add("the delivery " + deliveryId + " (run " + run.runId() + ") is " + (verified ? "of repository "
                    + run.repository() + ", not " + repo + " (renamed? dispatch with its current name)" : "unverified")
                    + ": its run id is not taken");
            return warnings;
        }
        JsonNode known = json.get("webhook_run_id");
        if (known == null || known.isNull()) {
            json.put("webhook_run_id", run.runId());
        } else if (known.asLong() != run.runId()) {
            warnings.add(mismatch("webhook_run_id", known.asLong(), run, deliveryId));
        }
        JsonNode runId = json.get("run_id");
        if (json.has("correlation_id") || json.has("dispatched_at")) { // a dispatch record (or an orphan)
            if (runId == null || runId.isNull()) {
                json.put("run_id", run.runId());
                json.put("run_id_source", "webhook");
                json.put("webhook_pending", false);
            } else if (runId.asLong() != run.runId()) {
                warnings.add(mismatch("run_id", runId.asLong(), run, deliveryId));
            }
        }
        JsonNode dispatchRunId = json.get("dispatch_run_id");
        if (dispatchRunId != null && !dispatchRunId.isNull() && dispatchRunId.asLong() != run.runId()) {
            warnings.add(mismatch("dispatch_run_id", dispatchRunId.asLong(), run, deliveryId));
        }
        recordDelivery(deliveryId);
        if (WorkflowRunEvent.statusRank(run.status()) >= WorkflowRunEvent.statusRank(Json.text(json, "webhook_status"))) {
            json.put("webhook_status", run.status());
            json.put("webhook_conclusion", run.conclusion());
        }
        if (run.htmlUrl() != null && !json.has("run_url")) json.put("run_url", run.htmlUrl());
        json.put("webhook_updated_at", received.toString());
        return warnings;
    }

    // --- reading -------------------------------------------------------------------------------------

    /** The run id, once known (from the dispatch answer, polling or a webhook). */
    public Optional<Long> runId() {
        JsonNode id = json.get("run_id");
        return id == null || id.isNull() ? Optional.empty() : Optional.of(id.asLong());
    }

    public String runUrl() {
        return Json.text(json, "run_url");
    }

    /** Where the run id came from: "api", "poll" or "webhook"; null while unknown. */
    public String runIdSource() {
        return Json.text(json, "run_id_source");
    }

    /** Lists the delivery id, capped so the file does not grow with every delivery (index.json has them all). */
    private void recordDelivery(String deliveryId) {
        ArrayNode deliveries = array("webhook_deliveries");
        for (JsonNode known : deliveries) {
            if (deliveryId.equals(known.asText())) return; // a resumed delivery is counted once
        }
        if (deliveries.size() < MAX_LISTED_DELIVERIES) deliveries.add(deliveryId);
        json.put("webhook_delivery_count", json.path("webhook_delivery_count").asLong(deliveries.size() - 1) + 1);
    }

    private String mismatch(String field, long recorded, WorkflowRunEvent run, String deliveryId) {
        array("webhook_mismatches").addObject().put("field", field).put("recorded", recorded)
                .put("webhook_run_id", run.runId()).put("delivery_id", deliveryId);
        return field + " " + recorded + " differs from the webhook's run id " + run.runId() + "; kept, mismatch recorded";
    }

    private void conflict(String source, long found, long kept) {
        array("run_id_conflicts").addObject().put("source", source).put("run_id", found).put("kept", kept);
    }

    private ArrayNode array(String field) {
        JsonNode existing = json.get(field);
        return existing != null && existing.isArray() ? (ArrayNode) existing : json.putArray(field);
    }
}
