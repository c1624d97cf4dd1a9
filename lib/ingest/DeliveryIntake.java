package lib.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.function.Consumer;
import lib.cli.CommandException;
import lib.cli.ExitCode;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.WebhookDelivery;

/**
 * What every delivery source (receiver, webhook.site, GitHub's deliveries API) hands its
 * deliveries to: {@link Ingest} for workflow_run and ping, plus {@code workflow_job} filing once
 * the job's run is known. Signature and input problems stay {@link CommandException}s
 * (exit codes 3 and 2); everything else becomes an {@link Outcome}.
 */
public final class DeliveryIntake {
    public enum Kind { STORED, DUPLICATE, PING, IGNORED }

    /** {@code summary} always has {@code "stored"}; ignored ones also say {@code "reason"}. */
    public record Outcome(Kind kind, ObjectNode summary) {}

    private final Ingest ingest;
    private final JobFiler jobs;
    private final RunStore store;
    private final String verifiedBy;
    private volatile Runnable afterStore = () -> {};

    /** {@code options} must verify (no skip-verify): a filed delivery is always a verified one. */
    public DeliveryIntake(RunStore store, Ingest.Options options, Clock clock, Consumer<String> warn) {
        if (options.skipVerify()) throw new IllegalArgumentException("delivery sources never skip verification");
        this.ingest = new Ingest(store, options, clock, warn);
        this.jobs = new JobFiler(store, clock);
        this.store = store;
        this.verifiedBy = options.trustedBy() != null ? options.trustedBy() : "hmac";
    }

    /** Called after each newly stored delivery (e.g. to wake a waiter in the same process). */
    public void afterStore(Runnable action) {
        this.afterStore = action;
    }

    public Outcome accept(WebhookDelivery delivery) {
        ObjectNode summary;
        try {
            summary = ingest.process(delivery);
        } catch (CommandException e) {
            if (e.exitCode() != ExitCode.WRONG_EVENT) throw e;
            // Ingest checks the signature before it looks at the event, so this delivery is verified.
            return otherEvent(delivery);
        }
        if ("ping".equals(Json.text(summary, "event"))) return new Outcome(Kind.PING, summary.put("stored", false));
        return stored(summary);
    }

    private Outcome otherEvent(WebhookDelivery delivery) {
        JsonNode payload = Json.parse(delivery.payloadText().getBytes(StandardCharsets.UTF_8), "the payload");
        String event = delivery.event() != null ? delivery.event() : Ingest.eventFromShape(payload);
        if (!"workflow_job".equals(event)) {
            return ignored("'" + event + "' deliveries are not stored");
        }
        long runId = JobFiler.runIdOf(payload);
        try {
            var correlation = store.correlationOfRun(runId);
            if (correlation.isEmpty()) {
                return ignored("workflow_job of run " + runId + ", whose workflow_run has not been stored yet");
            }
            return stored(jobs.file(delivery, payload, correlation.get(), verifiedBy));
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
