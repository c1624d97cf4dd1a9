package lib.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Consumer;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.WebhookDelivery;
import lib.webhook.WorkflowJobEvent;

/**
 * What every delivery source (receiver, webhook.site, GitHub's deliveries API) hands its
 * deliveries to: workflow_run deliveries are stored through {@link Ingest}, pings are acknowledged,
 * workflow_job deliveries are filed once their run is known, other events are ignored. A bad
 * signature or a bad delivery is thrown as by {@link Ingest#check}; everything else is an {@link Outcome}.
 */
public final class DeliveryIntake {
    public enum Kind { STORED, DUPLICATE, PING, IGNORED }

    /**
     * {@code summary} always has {@code "stored"}; ignored ones also say {@code "reason"}. {@code beforeItsRun}: a
     * workflow_job delivery ignored because its run's workflow_run delivery is not stored yet (a poller may try it
     * again once that one is).
     */
    public record Outcome(Kind kind, ObjectNode summary, boolean beforeItsRun) {
        Outcome(Kind kind, ObjectNode summary) {
            this(kind, summary, false);
        }
    }

    private final Ingest ingest;
    private final JobFiler jobs;
    private final RunStore store;
    private volatile Runnable afterStore = () -> {};

    /** {@code options} must verify (no skip-verify): a filed delivery is always a verified one. */
    public DeliveryIntake(RunStore store, Ingest.Options options, Clock clock, Consumer<String> warn) {
        if (options.skipVerify()) throw new IllegalArgumentException("delivery sources never skip verification");
        this.ingest = new Ingest(store, options, clock, warn);
        this.jobs = new JobFiler(store, clock);
        this.store = store;
    }

    /**
     * Stores again what a receiver that died left in the store's journal (see {@link lib.store.Journal});
     * returns how many journaled deliveries were replayed. Call before accepting new deliveries.
     */
    public int recoverJournal() {
        return store.recover(ingest::replay);
    }

    /** Called after each newly stored delivery (e.g. to wake a waiter in the same process). */
    public void afterStore(Runnable action) {
        this.afterStore = action;
    }

    public Outcome accept(WebhookDelivery delivery) {
        CheckedDelivery checked = ingest.check(delivery);
        switch (checked.event()) {
            case "workflow_run":
                return stored(ingest.storeRun(checked));
            case "ping":
                return new Outcome(Kind.PING, Ingest.pingSummary(checked).put("stored", false));
            case "workflow_job":
                return fileJob(checked);
            default:
                return ignored("'" + checked.event() + "' deliveries are not stored");
        }
    }

    private Outcome fileJob(CheckedDelivery checked) {
        WorkflowJobEvent job = WorkflowJobEvent.from(checked.payload());
        try {
            Optional<String> correlation = store.correlationOfRun(job.runId());
            if (correlation.isEmpty() && store.isUntrackedRun(job.runId())) {
                return ignored("workflow_job of run " + job.runId() + ", which carries no correlation id");
            }
            if (correlation.isEmpty()) {
                Outcome ignored = ignored("workflow_job of run " + job.runId() + ", whose workflow_run has not been stored yet");
                return new Outcome(ignored.kind(), ignored.summary(), true);
            }
            return stored(jobs.file(checked, job, correlation.get()));
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the workflow_job delivery", e);
        }
    }

    private Outcome stored(ObjectNode summary) {
        boolean duplicate = summary.path("duplicate").asBoolean(false);
        summary.put("stored", true); // Ingest puts the local file path here; callers answer remote senders

        if (!duplicate) afterStore.run();
        return new Outcome(duplicate ? Kind.DUPLICATE : Kind.STORED, summary);
    }

    private static Outcome ignored(String reason) {
        ObjectNode s = Json.object();
        s.put("stored", false);
        s.put("reason", reason);
        return new Outcome(Kind.IGNORED, s);
    }
}
