package lib.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import lib.store.IndexRow;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.WorkflowJobEvent;

/**
 * Stores an already verified {@code workflow_job} delivery under its run's correlation: the raw
 * payload in {@code events/} and an index row with {@code "event": "workflow_job"}, idempotent by
 * delivery id. Waiters for a run id ignore these rows; they document the run's jobs beside it.
 */
final class JobFiler {
    private final RunStore store;
    private final Clock clock;

    JobFiler(RunStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    ObjectNode file(CheckedDelivery checked, WorkflowJobEvent job, String correlationId) throws IOException {
        String folder = RunStore.folderFor(correlationId);
        String deliveryId = checked.id();
        return store.withLock(folder, () -> {
            Optional<IndexRow> earlier = store.storedDelivery(folder, deliveryId);
            if (earlier.isPresent()) {
                return summary(earlier.get()).put("duplicate", true);
            }
            Instant received = clock.instant();
            RunStore.EventSlot slot = store.reserveEvent(folder, deliveryId, received);
            store.writeEvent(slot, checked.delivery().body());
            IndexRow row = IndexRow.ofJob(job, folder, deliveryId, received, checked.verifiedBy(),
                    store.webhookDir(folder).relativize(slot.file()).toString());
            store.commitDelivery(folder, deliveryId, slot, row); // last: marks the delivery as stored
            return summary(row);
        });
    }

    private static ObjectNode summary(IndexRow row) {
        ObjectNode s = Json.object();
        for (String f : new String[] {"event", "correlation_id", "run_id", "job_id", "status", "conclusion", "delivery_id"}) {
            s.set(f, row.json().get(f));
        }
        return s;
    }
}
