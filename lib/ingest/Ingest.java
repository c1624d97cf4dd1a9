package lib.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import lib.cli.CommandException;
import lib.cli.ExitCode;
import lib.store.RunStore;
import lib.util.Json;
import lib.util.SafeFiles;
import lib.webhook.Correlation;
import lib.webhook.Hmac;
import lib.webhook.Secret;
import lib.webhook.Secrets;
import lib.webhook.WebhookDelivery;
import lib.webhook.WorkflowRunEvent;

/**
 * The one ingest pipeline behind every delivery source (file, stdin, receiver, API fetchers):
 * verify, parse, find the correlation, store, update metadata, and summarise.
 * Rejections are {@link CommandException}s carrying the shared exit codes.
 */
public final class Ingest {
    /**
     * How to trust deliveries. {@code trustedBy} non-null means the source itself is trusted
     * (e.g. "github-api": fetched over an authenticated API call whose payload cannot be re-signed).
     * {@code secretFile} names the state folder's secret file in the message when no secret is configured.
     */
    public record Options(Optional<Secret> secret, boolean skipVerify, Pattern runNamePattern, String trustedBy,
            String secretFile) {
        public static Options verifying(Optional<Secret> secret) {
            return new Options(secret, false, Correlation.DEFAULT_PATTERN, null, "<state-dir>/" + Secrets.FILE_NAME);
        }

        public Options withSkipVerify(boolean skip) {
            return new Options(secret, skip, runNamePattern, trustedBy, secretFile);
        }

        public Options withRunNamePattern(Pattern pattern) {
            return new Options(secret, skipVerify, pattern, trustedBy, secretFile);
        }

        public Options trustedBy(String source) {
            return new Options(secret, skipVerify, runNamePattern, source, secretFile);
        }

        public Options withSecretFile(String file) {
            return new Options(secret, skipVerify, runNamePattern, trustedBy, file);
        }
    }

    /** {@code problem} says why an unverified delivery could not be verified. */
    private record Verification(boolean verified, String by, String problem) {}

    /** How many delivery ids the metadata file lists; the rest are counted. */
    static final int MAX_LISTED_DELIVERIES = 100;

    private final RunStore store;
    private final Options options;
    private final Clock clock;
    private final Consumer<String> warn;

    public Ingest(RunStore store, Options options, Clock clock, Consumer<String> warn) {
        this.store = store;
        this.options = options;
        this.clock = clock;
        this.warn = warn;
    }

    /** Processes one delivery and returns the summary printed on stdout. */
    public ObjectNode process(WebhookDelivery delivery) {
        if (delivery.body().length == 0) throw CommandException.usage("the payload is empty");
        if (delivery.body().length > WebhookDelivery.MAX_BYTES) {
            throw CommandException.usage("the payload exceeds GitHub's 25 MB cap");
        }
        String deliveryId = delivery.deliveryId();
        if (deliveryId != null && !SafeFiles.isSafeName(deliveryId)) {
            throw CommandException.usage("the delivery id is not a safe file name (letters, digits, '.', '_', '-'): "
                    + printable(deliveryId));
        }
        Verification verification = verify(delivery);

        JsonNode payload = Json.parse(delivery.payloadText().getBytes(StandardCharsets.UTF_8), "the payload");
        if (!payload.isObject()) throw CommandException.usage("the payload is not a JSON object");
        String event = delivery.event() != null ? delivery.event() : eventFromShape(payload);

        switch (event) {
            case "workflow_run":
                break;
            case "ping":
                return pingSummary(payload, deliveryId, verification);
            case "workflow_job":
                throw new CommandException(ExitCode.WRONG_EVENT, jobGuidance(payload));
            default:
                throw new CommandException(ExitCode.WRONG_EVENT,
                        "this is a '" + event + "' delivery; only workflow_run deliveries are processed");
        }

        WorkflowRunEvent run = WorkflowRunEvent.from(payload);
        Optional<String> correlation =
                Correlation.find(options.runNamePattern(), run.displayTitle(), run.name());
        if (correlation.isEmpty()) {
            warn.accept("no correlation id in the run name '" + firstNonEmpty(run.displayTitle(), run.name())
                    + "'; filing under " + RunStore.UNKNOWN + "/");
        }
        if (!verification.verified()) {
            warn.accept("signature not verified (" + verification.problem() + "); storing with \"verified\": false");
        }
        String id = deliveryId != null ? deliveryId : delivery.payloadHashId();
        try {
            return store(delivery, run, correlation.orElse(null), id, verification);
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the delivery under " + store.root(), e);
        }
    }

    private Verification verify(WebhookDelivery delivery) {
        if (options.trustedBy() != null) return new Verification(true, options.trustedBy(), null);
        String problem;
        if (options.secret().isEmpty()) {
            problem = "no webhook secret is configured (--secret-file, " + Secrets.ENV_VAR
                    + " or " + options.secretFile() + ")";
        } else {
            Hmac.Result result = Hmac.verify(options.secret().get().bytes(), delivery.body(), delivery.signature256());
            if (result == Hmac.Result.VALID) return new Verification(true, "hmac", null);
            problem = result.describe();
        }
        if (!options.skipVerify()) {
            throw new CommandException(ExitCode.SIGNATURE, "signature check failed: " + problem
                    + "; nothing was stored (use --skip-verify to store it unverified)");
        }
        return new Verification(false, null, problem);
    }

    private ObjectNode store(WebhookDelivery delivery, WorkflowRunEvent run, String correlation,
                             String deliveryId, Verification verification) throws IOException {
        String folder = RunStore.folderFor(correlation);
        return store.withLock(folder, () -> {
            Optional<JsonNode> earlier = store.storedDelivery(folder, deliveryId);
            if (earlier.isPresent()) {
                ObjectNode summary = summary(correlation, run, verification, deliveryId,
                        store.webhookDir(folder).resolve(Json.text(earlier.get(), "file")));
                summary.put("duplicate", true);
                return summary;
            }
            // Read (and so validate) the metadata before writing anything, so a bad file stops us early.
            Optional<Path> metadataFile = correlation == null ? Optional.empty() : store.findMetadata(correlation);
            ObjectNode metadata = metadataFile.isPresent() ? store.readObject(metadataFile.get()) : null;

            Instant received = clock.instant();
            RunStore.EventSlot slot = store.reserveEvent(folder, deliveryId, received);
            store.writeEvent(slot, delivery.body());
            if (correlation != null) store.rememberRun(run.runId(), correlation);
            if (metadata != null) {
                mergeIntoMetadata(metadata, run, deliveryId, received);
                store.writeObject(metadataFile.get(), metadata);
            } else if (correlation != null) {
                Path orphan = store.orphanFile(run.runId());
                ObjectNode record = store.readObject(orphan);
                record.put("correlation_id", correlation);
                mergeIntoMetadata(record, run, deliveryId, received);
                store.writeObject(orphan, record);
                warn.accept("no metadata file for correlation " + correlation + "; recorded as orphan " + orphan);
            }
            ObjectNode row = indexRow(run, deliveryId, delivery.event(), received, verification,
                    store.webhookDir(folder).relativize(slot.file()).toString(), correlation);
            store.commitDelivery(folder, deliveryId, slot, row); // last: marks the delivery as stored
            return summary(correlation, run, verification, deliveryId, slot.file());
        });
    }

    /** Adds what the webhook says to metadata, keeping every key already there. */
    private void mergeIntoMetadata(ObjectNode metadata, WorkflowRunEvent run, String deliveryId, Instant received) {
        JsonNode known = metadata.get("webhook_run_id");
        if (known == null || known.isNull()) {
            metadata.put("webhook_run_id", run.runId());
        } else if (known.asLong() != run.runId()) {
            mismatch(metadata, "webhook_run_id", known.asLong(), run, deliveryId);
        }
        JsonNode runId = metadata.get("run_id");
        if (metadata.has("correlation_id") || metadata.has("dispatched_at")) { // a dispatch metadata file
            if (runId == null || runId.isNull()) {
                metadata.put("run_id", run.runId());
                metadata.put("run_id_source", "webhook");
                metadata.put("webhook_pending", false);
            } else if (runId.asLong() != run.runId()) {
                mismatch(metadata, "run_id", runId.asLong(), run, deliveryId);
            }
        }
        JsonNode dispatchRunId = metadata.get("dispatch_run_id");
        if (dispatchRunId != null && !dispatchRunId.isNull() && dispatchRunId.asLong() != run.runId()) {
            mismatch(metadata, "dispatch_run_id", dispatchRunId.asLong(), run, deliveryId);
        }
        recordDelivery(metadata, deliveryId);
        if (WorkflowRunEvent.statusRank(run.status()) >= WorkflowRunEvent.statusRank(Json.text(metadata, "webhook_status"))) {
            metadata.put("webhook_status", run.status());
            metadata.put("webhook_conclusion", run.conclusion());
        }
        if (run.htmlUrl() != null && !metadata.has("run_url")) metadata.put("run_url", run.htmlUrl());
        metadata.put("webhook_updated_at", received.toString());
    }

    /**
     * Lists the delivery id in {@code webhook_deliveries}, capped so the metadata file does not
     * grow with every delivery (index.json has them all); {@code webhook_delivery_count} counts them.
     */
    private static void recordDelivery(ObjectNode metadata, String deliveryId) {
        ArrayNode deliveries = metadata.has("webhook_deliveries") && metadata.get("webhook_deliveries").isArray()
                ? (ArrayNode) metadata.get("webhook_deliveries")
                : metadata.putArray("webhook_deliveries");
        for (JsonNode known : deliveries) {
            if (deliveryId.equals(known.asText())) return; // a resumed delivery is counted once
        }
        if (deliveries.size() < MAX_LISTED_DELIVERIES) deliveries.add(deliveryId);
        metadata.put("webhook_delivery_count", metadata.path("webhook_delivery_count").asLong(deliveries.size() - 1) + 1);
    }

    private void mismatch(ObjectNode metadata, String field, long recorded, WorkflowRunEvent run, String deliveryId) {
        ObjectNode m = (metadata.has("webhook_mismatches") && metadata.get("webhook_mismatches").isArray()
                ? (ArrayNode) metadata.get("webhook_mismatches") : metadata.putArray("webhook_mismatches")).addObject();
        m.put("field", field).put("recorded", recorded).put("webhook_run_id", run.runId()).put("delivery_id", deliveryId);
        warn.accept(field + " " + recorded + " differs from the webhook's run id " + run.runId() + "; kept, mismatch recorded");
    }

    private static ObjectNode indexRow(WorkflowRunEvent run, String deliveryId, String headerEvent, Instant received,
                                       Verification v, String file, String correlation) {
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
        row.put("verified", v.verified());
        row.put("verified_by", v.by());
        row.put("file", file);
        return row;
    }

    private static ObjectNode summary(String correlation, WorkflowRunEvent run, Verification v, String deliveryId, Path stored) {
        ObjectNode s = Json.object();
        s.put("correlation_id", correlation);
        s.put("run_id", run.runId());
        s.put("status", run.status());
        s.put("conclusion", run.conclusion());
        s.put("action", run.action());
        s.put("verified", v.verified());
        s.put("event", "workflow_run");
        s.put("delivery_id", deliveryId);
        s.put("stored", stored.toString());
        return s;
    }

    private static ObjectNode pingSummary(JsonNode payload, String deliveryId, Verification v) {
        ObjectNode s = Json.object();
        s.put("event", "ping");
        s.put("verified", v.verified());
        s.put("delivery_id", deliveryId);
        JsonNode hookId = payload.get("hook_id");
        if (hookId != null) s.set("hook_id", hookId);
        s.put("zen", Json.text(payload, "zen"));
        return s;
    }

    private static String jobGuidance(JsonNode payload) {
        JsonNode job = payload.get("workflow_job");
        String which = job == null ? "" : " (job " + Json.text(job, "id") + " of run " + Json.text(job, "run_id") + ")";
        return "this is a workflow_job delivery" + which + "; run ids are taken from workflow_run deliveries. "
                + "Re-run with the workflow_run delivery of the same dispatch (the hook sends both events).";
    }

    /** Names the event when no X-GitHub-Event header was captured. */
    static String eventFromShape(JsonNode payload) {
        if (payload.has("workflow_run")) return "workflow_run";
        if (payload.has("workflow_job")) return "workflow_job";
        if (payload.has("zen") && payload.has("hook_id")) return "ping";
        return "unknown";
    }

    private static String firstNonEmpty(String a, String b) {
        return a != null && !a.isEmpty() ? a : b == null ? "" : b;
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
