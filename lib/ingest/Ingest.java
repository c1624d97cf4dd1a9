package lib.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import lib.store.IndexRow;
import lib.store.Journal;
import lib.store.JournalEntry;
import lib.store.RunMetadata;
import lib.store.RunStore;
import lib.util.Json;
import lib.util.SafeFiles;
import lib.util.Text;
import lib.webhook.BadDeliveryException;
import lib.webhook.Correlation;
import lib.webhook.Headers;
import lib.webhook.Hmac;
import lib.webhook.PayloadFields;
import lib.webhook.Secret;
import lib.webhook.Secrets;
import lib.webhook.SignatureException;
import lib.webhook.WebhookDelivery;
import lib.webhook.WorkflowRunEvent;
import lib.webhook.WrongEventException;

/**
 * The one ingest pipeline behind every delivery source (file, stdin, receiver, API fetchers):
 * {@link #check} verifies and parses a delivery, {@link #storeRun} files a workflow_run delivery
 * (event file, index row, metadata), and {@link #process} does both for the one-delivery command.
 * Rejections are {@link SignatureException}, {@link BadDeliveryException} and {@link WrongEventException}.
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

    /** GitHub's are 36-character GUIDs; the event file name adds 26 characters to it, within a file name's 128. */
    static final int MAX_DELIVERY_ID = 100;

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

    public Options options() {
        return options;
    }

    /** Processes one delivery of any event and returns the summary printed on stdout; only workflow_run (and ping) pass. */
    public ObjectNode process(WebhookDelivery delivery) {
        CheckedDelivery checked = check(delivery);
        switch (checked.event()) {
            case "workflow_run":
                return storeRun(checked);
            case "ping":
                return pingSummary(checked);
            case "workflow_job":
                throw new WrongEventException(checked.event(), jobGuidance(checked.payload()));
            case UNKNOWN_EVENT:
                throw new WrongEventException(checked.event(), "no X-GitHub-Event header, and the payload is not a"
                        + " workflow_run delivery (no workflow_run object); only workflow_run deliveries are processed");
            default:
                throw new WrongEventException(checked.event(),
                        "this is a '" + checked.event() + "' delivery; only workflow_run deliveries are processed");
        }
    }

    /**
     * Checks what arrived before anything is stored: size, a safe delivery id, the signature over the
     * exact bytes (before parsing), then the JSON. Names the event from the header, else the payload's shape.
     */
    public CheckedDelivery check(WebhookDelivery delivery) {
        if (delivery.body().length == 0) throw new BadDeliveryException("the payload is empty");
        if (delivery.body().length > WebhookDelivery.MAX_BYTES) {
            throw new BadDeliveryException("the payload exceeds GitHub's 25 MB cap");
        }
        String deliveryId = delivery.deliveryId();
        if (deliveryId != null && deliveryId.length() > MAX_DELIVERY_ID) {
            throw new BadDeliveryException("the delivery id is longer than " + MAX_DELIVERY_ID + " characters: "
                    + Text.printable(deliveryId, MAX_DELIVERY_ID));
        }
        if (deliveryId != null && !SafeFiles.isSafeName(deliveryId)) {
            throw new BadDeliveryException("the delivery id is not a safe file name (letters, digits, '.', '_', '-'): "
                    + Text.printable(deliveryId, 100));
        }
        String verifiedBy = null;
        String problem;
        if (options.trustedBy() != null) {
            verifiedBy = options.trustedBy();
            problem = null;
        } else if (options.secret().isEmpty()) {
            problem = "no webhook secret is configured (--secret-file, " + Secrets.ENV_VAR + " or " + options.secretFile() + ")";
        } else {
            Hmac.Result result = Hmac.verify(options.secret().get().bytes(), delivery.body(), delivery.signature256());
            verifiedBy = result == Hmac.Result.VALID ? "hmac" : null;
            problem = result == Hmac.Result.VALID ? null : result.describe();
        }
        if (verifiedBy == null && !options.skipVerify()) {
            throw new SignatureException("signature check failed: " + problem
                    + "; nothing was stored (use --skip-verify to store it unverified)");
        }
        JsonNode payload = PayloadFields.read(delivery.payloadBytes(), "the payload");
        if (!payload.isObject()) throw new BadDeliveryException("the payload is not a JSON object");
        String event = delivery.event() != null ? delivery.event() : eventFromShape(payload);
        String id = deliveryId != null ? deliveryId : delivery.payloadHashId();
        return new CheckedDelivery(delivery, payload, event, id, verifiedBy, problem);
    }

    /** Files a checked workflow_run delivery under its correlation (or unknown/) and returns the summary. */
    public ObjectNode storeRun(CheckedDelivery checked) {
        WorkflowRunEvent run = WorkflowRunEvent.from(checked.payload());
        Optional<String> correlation = Correlation.find(options.runNamePattern(), run.displayTitle(), run.name());
        if (correlation.isEmpty()) {
            warn.accept("no correlation id in the run name '" + Text.oneLine(firstNonEmpty(run.displayTitle(), run.name()))
                    + "'; filing under " + RunStore.UNKNOWN + "/");
        }
        if (!checked.verified()) {
            warn.accept("signature not verified (" + checked.problem() + "); storing with \"verified\": false");
        }
        try {
            return store(checked, run, correlation.orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the delivery under " + store.root(), e);
        }
    }

    private ObjectNode store(CheckedDelivery checked, WorkflowRunEvent run, String correlation) throws IOException {
        String folder = RunStore.folderFor(correlation);
        String deliveryId = checked.id();
        Stored stored = store.withLock(folder, () -> {
            Optional<IndexRow> earlier = store.storedDelivery(folder, deliveryId);
            if (earlier.isPresent()) {
                return new Stored(summary(correlation, run, checked, store.webhookDir(folder).resolve(earlier.get().file()))
                        .put("duplicate", true), store.journaledSoFar());
            }
            RunRecord record = RunRecord.read(store, correlation, run.runId()); // validated before anything is written
            Instant received = clock.instant();
            RunStore.EventSlot slot = store.reserveEvent(folder, deliveryId, received);
            JournalEntry entry = new JournalEntry("workflow_run", run.runId(), folder, deliveryId,
                    slot.file().getFileName().toString(), received, checked.verifiedBy(), checked.delivery().event(),
                    checked.delivery().body());
            Journal.Ticket ticket = writeRun(entry, run, correlation, record, slot, true, false);
            return new Stored(summary(correlation, run, checked, slot.file()), ticket);
        });
        store.awaitDurable(stored.ticket()); // before the caller (a receiver) says 2xx
        return stored.summary();
    }

    private record Stored(ObjectNode summary, Journal.Ticket ticket) {}

    /**
     * Stores a journaled delivery again where anything of it is missing (a receiver died before its journal
     * was checkpointed, and the machine may have lost files it had not flushed): the same event file
     * bytes, its index row unless the index has it, the metadata merge unless its segment's checkpoint had
     * written it ({@code metadataMerged}), the marker. Idempotent.
     */
    public void replay(JournalEntry entry, boolean metadataMerged) throws IOException {
        if ("workflow_job".equals(entry.kind())) {
            new JobFiler(store, clock).replay(entry);
            return;
        }
        WorkflowRunEvent run = WorkflowRunEvent.from(journaledPayload(entry));
        String correlation = RunStore.UNKNOWN.equals(entry.folder()) ? null : entry.folder();
        store.withLock(entry.folder(), () ->
                writeRun(entry, run, correlation, RunRecord.read(store, correlation, run.runId()), store.journaledSlot(entry), false,
                        metadataMerged));
    }

    /** A journaled delivery's JSON: the body as received, which a form-encoded hook sent as {@code payload=...}. */
    static JsonNode journaledPayload(JournalEntry entry) {
        return PayloadFields.read(new WebhookDelivery(entry.body(), new Headers()).payloadBytes(), "the journaled payload");
    }

    /**
     * Where a correlated run is recorded: the correlation's metadata file, or, when it has none, the run's orphan
     * record. Read (and so validated) before anything of the delivery is written; null without a correlation.
     */
    private record RunRecord(Path file, RunMetadata content, boolean orphan) {
        static RunRecord read(RunStore store, String correlation, long runId) throws IOException {
            if (correlation == null) return null;
            Optional<RunStore.StoredMetadata> metadata = store.existingMetadata(correlation);
            if (metadata.isPresent()) return new RunRecord(metadata.get().file(), metadata.get().content(), false);
            Path orphan = store.orphanFile(runId);
            return new RunRecord(orphan, store.orphanRecord(orphan), true);
        }
    }

    /**
     * Under the folder's lock: journals the delivery (when asked, in a journaled store) and writes its event
     * file, run pointer, metadata (or orphan record; a journaled one at the checkpoint) and index row, the
     * delivery marker last. A replay says whether the metadata had the delivery merged ({@code replayMerged}).
     */
    private Journal.Ticket writeRun(JournalEntry entry, WorkflowRunEvent run, String correlation, RunRecord record,
            RunStore.EventSlot slot, boolean journal, boolean replayMerged) throws IOException {
        Journal.Ticket ticket = journal ? store.journal(entry) : null;
        try {
            String deliveryId = entry.deliveryId();
            store.writeEvent(slot, entry.body());
            if (correlation != null) store.rememberRun(run.runId(), correlation);
            else store.rememberUntrackedRun(run.runId());
            // A resumed delivery already in the index had its metadata merged before its row was appended (a plain
            // store's order; a journaled store's merges are written at checkpoints, which its journal notes).
            boolean merged = journal ? slot.resumed() && store.indexHolds(entry.folder(), deliveryId) : replayMerged;
            if (record != null && !merged) {
                // the change waits for a journaled store's checkpoint: it keeps the delivery's id, not its body
                boolean orphan = record.orphan();
                Instant received = entry.receivedAt();
                boolean verified = entry.verifiedBy() != null;
                Consumer<RunMetadata> change = m -> merge(m, orphan, correlation, run, deliveryId, received, verified);
                merge(record.content(), orphan, correlation, run, deliveryId, received, verified).forEach(warn);
                store.mergeMetadata(record.file(), entry.folder(), record.content(), ticket, change);
                if (record.orphan()) {
                    warn.accept("no metadata file for correlation " + correlation + "; recorded as orphan " + record.file());
                }
            }
            IndexRow row = IndexRow.ofRun(run, correlation, deliveryId, entry.headerEvent(), entry.receivedAt(),
                    entry.verifiedBy(), store.webhookDir(entry.folder()).relativize(slot.file()).toString());
            store.commitDelivery(entry.folder(), deliveryId, slot, row); // last: marks the delivery as stored
            return ticket;
        } finally {
            store.written(ticket);
        }
    }

    /** Merges a delivery into a run's record (an orphan record names its correlation); returns warnings about mismatches. */
    private static List<String> merge(RunMetadata metadata, boolean orphan, String correlation, WorkflowRunEvent run,
            String deliveryId, Instant received, boolean verified) {
        if (orphan) metadata.recordCorrelation(correlation);
        return metadata.recordWebhook(run, deliveryId, received, verified);
    }

    private static ObjectNode summary(String correlation, WorkflowRunEvent run, CheckedDelivery checked, Path stored) {
        ObjectNode s = Json.object();
        s.put("correlation_id", correlation);
        s.put("run_id", run.runId());
        s.put("status", run.status());
        s.put("conclusion", run.conclusion());
        s.put("action", run.action());
        s.put("verified", checked.verified());
        s.put("event", "workflow_run");
        s.put("delivery_id", checked.id());
        s.put("stored", stored.toString());
        return s;
    }

    /** What a ping says: GitHub's hook id and zen line; nothing is stored. */
    public static ObjectNode pingSummary(CheckedDelivery checked) {
        ObjectNode s = Json.object();
        s.put("event", "ping");
        s.put("verified", checked.verified());
        s.put("delivery_id", checked.delivery().deliveryId());
        JsonNode hookId = checked.payload().get("hook_id");
        if (hookId != null) s.set("hook_id", hookId);
        s.put("zen", Json.text(checked.payload(), "zen"));
        return s;
    }

    private static String jobGuidance(JsonNode payload) {
        JsonNode job = payload.get("workflow_job");
        String which = job == null ? "" : " (job " + Json.text(job, "id") + " of run " + Json.text(job, "run_id") + ")";
        return "this is a workflow_job delivery" + which + "; run ids are taken from workflow_run deliveries. "
                + "Re-run with the workflow_run delivery of the same dispatch (the hook sends both events).";
    }

    /** The event of a delivery without an X-GitHub-Event header whose payload has no known shape. */
    private static final String UNKNOWN_EVENT = "unknown";

    /** Names the event when no X-GitHub-Event header was captured. */
    static String eventFromShape(JsonNode payload) {
        if (payload.has("workflow_run")) return "workflow_run";
        if (payload.has("workflow_job")) return "workflow_job";
        if (payload.has("zen") && payload.has("hook_id")) return "ping";
        return UNKNOWN_EVENT;
    }

    private static String firstNonEmpty(String a, String b) {
        return a != null && !a.isEmpty() ? a : b == null ? "" : b;
    }
}
