package lib.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import lib.cli.CommandException;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.WebhookDelivery;

/**
 * Stores an already verified {@code workflow_job} delivery under its run's correlation: the raw
 * payload in {@code events/} and an index row with {@code "event": "workflow_job"}, idempotent by
 * delivery id. Waiters ignore these rows; they document the run's jobs beside it.
 */
public final class JobFiler {
    private final RunStore store;
    private final Clock clock;

    public JobFiler(RunStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** The run id a workflow_job payload belongs to; bad input when it has none. */
    public static long runIdOf(JsonNode payload) {
        JsonNode job = payload.get("workflow_job");
        JsonNode runId = job == null ? null : job.get("run_id");
        if (runId == null || !runId.canConvertToLong() || runId.asLong() <= 0) {
            throw CommandException.usage("the workflow_job payload has no valid workflow_job.run_id");
        }
        return runId.asLong();
    }

    public ObjectNode file(WebhookDelivery delivery, JsonNode payload, String correlationId, String verifiedBy)
            throws IOException {
        String folder = RunStore.folderFor(correlationId);
        String deliveryId = delivery.deliveryId() != null ? delivery.deliveryId() : delivery.payloadHashId();
        JsonNode job = payload.get("workflow_job");
        return store.withLock(folder, () -> {
            Optional<JsonNode> earlier = store.storedDelivery(folder, deliveryId);
            if (earlier.isPresent()) {
                return summary(earlier.get()).put("duplicate", true);
            }
            Instant received = clock.instant();
            RunStore.EventSlot slot = store.reserveEvent(folder, deliveryId, received);
            store.writeEvent(slot, delivery.body());
            ObjectNode row = Json.object();
            row.put("delivery_id", deliveryId);
            row.put("event", "workflow_job");
            row.put("action", Json.text(payload, "action"));
            row.put("run_id", runIdOf(payload));
            row.put("job_id", job.path("id").asLong());
            row.put("job_name", Json.text(job, "name"));
            row.put("run_attempt", job.path("run_attempt").asLong());
            row.put("status", Json.text(job, "status"));
            row.put("conclusion", Json.text(job, "conclusion"));
            row.put("correlation_id", folder);
            row.put("received_at", received.toString());
            row.put("verified", true);
            row.put("verified_by", verifiedBy);
            row.put("file", store.webhookDir(folder).relativize(slot.file()).toString());
            store.commitDelivery(folder, deliveryId, slot, row); // last: marks the delivery as stored
            return summary(row);
        });
    }

    private static ObjectNode summary(JsonNode row) {
        ObjectNode s = Json.object();
        for (String f : new String[] {"event", "correlation_id", "run_id", "job_id", "status", "conclusion", "delivery_id"}) {
            s.set(f, row.get(f));
        }
        return s;
    }
}
