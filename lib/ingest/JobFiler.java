package lib.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import lib.store.IndexRow;
import lib.store.Journal;
import lib.store.JournalEntry;
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
        Filed filed = store.withLock(folder, () -> {
            Optional<IndexRow> earlier = store.storedDelivery(folder, deliveryId);
            if (earlier.isPresent()) {
                return new Filed(summary(earlier.get()).put("duplicate", true), store.journaledSoFar());
            }
            Instant received = clock.instant();
            RunStore.EventSlot slot = store.reserveEvent(folder, deliveryId, received);
            JournalEntry entry = new JournalEntry("workflow_job", job.runId(), folder, deliveryId,
                    slot.file().getFileName().toString(), received, checked.verifiedBy(), checked.delivery().event(),
                    checked.delivery().body());
            Journal.Ticket ticket = store.journal(entry);
            try {
                return new Filed(summary(write(entry, job, slot)), ticket);
            } finally {
                store.written(ticket);
            }
        });
        store.awaitDurable(filed.ticket()); // before the caller (a receiver) says 2xx
        return filed.summary();
    }

    private record Filed(ObjectNode summary, Journal.Ticket ticket) {}

    /** Stores a journaled workflow_job delivery again where it is missing (see {@link Ingest#replay}). */
    void replay(JournalEntry entry) throws IOException {
        WorkflowJobEvent job = WorkflowJobEvent.from(Ingest.journaledPayload(entry));
        store.withLock(entry.folder(), () -> write(entry, job, store.journaledSlot(entry)));
    }

    private IndexRow write(JournalEntry entry, WorkflowJobEvent job, RunStore.EventSlot slot) throws IOException {
        store.writeEvent(slot, entry.body());
        IndexRow row = IndexRow.ofJob(job, entry.folder(), entry.deliveryId(), entry.receivedAt(), entry.verifiedBy(),
                store.webhookDir(entry.folder()).relativize(slot.file()).toString());
        store.commitDelivery(entry.folder(), entry.deliveryId(), slot, row); // last: marks the delivery as stored
        return row;
    }

    private static ObjectNode summary(IndexRow row) {
        ObjectNode s = Json.object();
        for (String f : new String[] {"event", "correlation_id", "run_id", "job_id", "status", "conclusion", "delivery_id"}) {
            s.set(f, row.json().get(f));
        }
        return s;
    }
}
