package lib.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.function.Consumer;
import lib.cli.CommandException;
import lib.util.Json;

/**
 * How trigger-and-track writes {@code runs/<uuid>.json}. Every change is a merge applied under the
 * correlation's lock ({@link RunStore#updateMetadata}), so keys written by webhook ingest ({@code run_id}
 * when it was null, {@code webhook_run_id}, {@code webhook_deliveries}, {@code webhook_pending}, ...) survive.
 */
public final class DispatchRecord {
    private DispatchRecord() {}

    /** What is known before the dispatch request is sent. */
    public record Planned(String correlationId, String repo, String apiUrl, String workflow, long workflowId,
            String workflowName, String ref, String refOrigin, ObjectNode inputs, Instant dispatchedAt,
            boolean webhookOnly) {}

    /** The record written before dispatching, so a webhook arriving during the dispatch call finds it. */
    public static Consumer<ObjectNode> before(Planned p) {
        return m -> {
            if (m.hasNonNull("dispatched_at")) {
                throw CommandException.usage("correlation id " + p.correlationId() + " was dispatched before (at "
                        + Json.text(m, "dispatched_at") + "); use a fresh one");
            }
            if (!m.has("run_id")) m.putNull("run_id");
            m.put("correlation_id", p.correlationId());
            m.put("repo", p.repo());
            m.put("api_url", p.apiUrl());
            m.put("workflow", p.workflow());
            m.put("workflow_id", p.workflowId());
            m.put("workflow_name", p.workflowName());
            m.put("ref", p.ref());
            m.put("branch", DispatchRef.branchFilter(p.ref()));
            m.put("ref_origin", p.refOrigin());
            m.set("inputs", p.inputs());
            m.put("dispatched_at", p.dispatchedAt().toString());
            m.put("mode", p.webhookOnly() ? "webhook-only" : "track");
            if (!m.has("webhook_pending")) m.put("webhook_pending", p.webhookOnly());
            m.put("dispatch_status", "sending");
        };
    }

    /** The dispatch was accepted: record its answer. An id from the answer is {@code dispatch_run_id}. */
    public static Consumer<ObjectNode> accepted(Dispatcher.Result r, Instant at) {
        return m -> {
            m.put("dispatch_status", "accepted");
            m.put("dispatch_answered_at", at.toString());
            m.put("dispatch_http_status", r.status());
            m.put("return_run_details", r.askedForDetails() && !r.fellBack() ? "sent" : r.fellBack() ? "rejected" : "skipped");
            if (r.hasRunId()) {
                m.put("dispatch_run_id", r.runId());
                if (r.htmlUrl() != null) m.put("dispatch_html_url", r.htmlUrl());
                if (r.runApiUrl() != null) m.put("dispatch_run_api_url", r.runApiUrl());
                JsonNode webhook = m.get("webhook_run_id");
                if (webhook != null && !webhook.isNull() && webhook.asLong() != r.runId()) {
                    conflict(m, "dispatch", r.runId(), webhook.asLong());
                }
            }
        };
    }

    /** The dispatch failed: "rejected" (GitHub said no) or "uncertain" (no answer or 5xx). */
    public static Consumer<ObjectNode> failed(String status, String message) {
        return m -> {
            m.put("dispatch_status", status);
            m.put("dispatch_error", message);
        };
    }

    /**
     * The run was found by {@code source} ("api" or "poll"). Fills {@code run_id} when it is still null;
     * a different run id already there (e.g. from a webhook) is kept and the conflict listed in
     * {@code run_id_conflicts}.
     */
    public static Consumer<ObjectNode> found(long runId, String htmlUrl, String source, Instant at,
            Consumer<String> warn) {
        return m -> {
            JsonNode known = m.get("run_id");
            if (known == null || known.isNull()) {
                m.put("run_id", runId);
                m.put("run_id_source", source);
                m.put("run_found_at", at.toString());
                if (htmlUrl != null && !m.hasNonNull("run_url")) m.put("run_url", htmlUrl);
            } else if (known.asLong() != runId) {
                conflict(m, source, runId, known.asLong());
                warn.accept("the run id " + runId + " found by " + source + " differs from run_id " + known.asLong()
                        + " already recorded (" + Json.text(m, "run_id_source") + "); kept it, conflict recorded");
            }
        };
    }

    /** Polling gave up; the webhook may still fill the record. */
    public static Consumer<ObjectNode> timedOut(Instant at) {
        return m -> m.put("poll_timed_out_at", at.toString());
    }

    private static void conflict(ObjectNode m, String source, long found, long kept) {
        ArrayNode list = m.has("run_id_conflicts") && m.get("run_id_conflicts").isArray()
                ? (ArrayNode) m.get("run_id_conflicts") : m.putArray("run_id_conflicts");
        list.addObject().put("source", source).put("run_id", found).put("kept", kept);
    }
}
