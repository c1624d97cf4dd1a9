package lib.sources;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import lib.ingest.DeliveryIntake;
import lib.receiver.Health;
import lib.util.BadInputException;
import lib.util.Json;
import lib.util.Text;
import lib.webhook.SignatureException;
import lib.webhook.WebhookDelivery;

/**
 * Polls one {@link DeliverySource} on a background thread and hands every delivery to the intake.
 * A failed poll or a rejected delivery is logged as one line and polling goes on; a delivery that could not be
 * stored for another reason (an I/O error) is tried again at the next poll.
 */
public final class SourcePoller implements AutoCloseable {
    /** How much of a delivery id, and of the reason a delivery was refused (which may quote it), a log line shows. */
    private static final int MAX_ID = 100;
    private static final int MAX_REASON = 300;

    private final DeliverySource source;
    private final DeliveryIntake intake;
    private final Consumer<String> log;
    private final ScheduledExecutorService scheduler;
    /**
     * How many polls a workflow_job delivery is kept for while its run's workflow_run delivery is not stored (that one
     * may be waiting to be tried again, or come later); then it is given up, as a receiver would not store it either.
     */
    public static final int POLLS_BEFORE_ITS_RUN = 30;

    private final List<WebhookDelivery> retry = new ArrayList<>();
    /** Delivery id -> polls a job delivery waited for its run so far. */
    private final Map<String, Integer> waitingForRun = new HashMap<>();
    private String lastProblem;
    private Health health;
    /** Set by close; checked before each delivery is stored. */
    private volatile boolean closing;
    /** Set while the poller thread stores deliveries, which an interrupt would break off. */
    private volatile boolean storing;

    public SourcePoller(DeliverySource source, DeliveryIntake intake, Consumer<String> log) {
        this.source = source;
        this.intake = intake;
        this.log = log;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "poll-" + source.name());
            t.setDaemon(true);
            return t;
        });
    }

    /** Counts what each poll stores, and reports each poll as a catch-up, to {@code health}. */
    public SourcePoller reportTo(Health health) {
        this.health = health;
        return this;
    }

    public SourcePoller start() {
        long every = source.interval().toMillis();
        scheduler.scheduleWithFixedDelay(this::pollOnce, 0, every, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * One poll: the deliveries whose ingest failed last time (oldest), then the new ones, each ingested on its own.
     * Runs on the poller thread (tests may call it directly).
     */
    public void pollOnce() {
        List<WebhookDelivery> batch = new ArrayList<>(retry);
        int retries = retry.size();
        retry.clear();
        Instant at = Instant.now();
        boolean ok = false;
        try {
            batch.addAll(source.poll());
            lastProblem = null;
            ok = true;
        } catch (IOException | RuntimeException e) {
            String problem = source.name() + ": " + Text.describe(e);
            if (!problem.equals(lastProblem)) log.accept("warning: " + problem); // once per distinct problem
            lastProblem = problem;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int stored = 0;
        boolean whole = true;
        storing = true;
        try {
            for (int i = 0; i < batch.size(); i++) {
                if (closing) {
                    whole = false;
                    break;
                }
                if (ingest(batch.get(i), i < retries)) stored++;
            }
        } finally {
            storing = false;
        }
        if (whole && retry.isEmpty()) recordProgress();
        if (health != null) health.caughtUp(new Health.CatchUp(source.name(), at, ok && retry.isEmpty(), stored));
    }

    private void recordProgress() {
        try {
            source.allStored();
        } catch (IOException | RuntimeException e) {
            // a hint only (the next start reads more again); said once per distinct problem
            String problem = source.name() + ": could not record how far it caught up: " + Text.describe(e);
            if (!problem.equals(lastProblem)) log.accept("warning: " + problem);
            lastProblem = problem;
        }
    }

    /** True when the delivery was newly stored. */
    private boolean ingest(WebhookDelivery delivery, boolean retried) {
        String id = shown(delivery.deliveryId());
        try {
            DeliveryIntake.Outcome outcome = intake.accept(delivery);
            if (outcome.beforeItsRun() && keptForItsRun(delivery, id)) return false;
            waitingForRun.remove(key(delivery));
            if (health != null && outcome.kind() == DeliveryIntake.Kind.DUPLICATE) health.duplicate();
            if (outcome.kind() == DeliveryIntake.Kind.STORED) {
                if (health != null) health.stored(source.name());
                log.accept(source.name() + ": stored delivery " + id + " (run " + Json.text(outcome.summary(), "run_id") + ")");
                return true;
            }
        } catch (SignatureException e) {
            log.accept(source.name() + ": delivery " + id + " not stored: signature missing or invalid");
        } catch (BadInputException e) {
            log.accept(source.name() + ": delivery " + id + " not stored: " + bounded(e.getMessage(), MAX_REASON));
        } catch (RuntimeException e) {
            // Not the delivery's fault (e.g. the store could not be written, a damaged file): try it again next poll.
            retry.add(delivery);
            if (!retried && !closing) log.accept("warning: " + source.name() + ": delivery " + id + " not stored yet, retrying: " + Text.describe(e));
        }
        return false;
    }

    /**
     * Keeps a job delivery that came before its run for the next poll (unless it waited long enough): until then,
     * the poll is not one whose deliveries were all stored.
     */
    private boolean keptForItsRun(WebhookDelivery delivery, String shownId) {
        int polls = waitingForRun.merge(key(delivery), 1, Integer::sum);
        if (polls < POLLS_BEFORE_ITS_RUN) {
            retry.add(delivery);
            return true;
        }
        log.accept(source.name() + ": delivery " + shownId + " not stored: its run's workflow_run delivery did not come"
                + " within " + POLLS_BEFORE_ITS_RUN + " polls");
        return false;
    }

    /** The delivery id, or for a delivery without one (anyone can post to webhook.site) a hash of its payload. */
    private static String key(WebhookDelivery delivery) {
        return delivery.deliveryId() != null ? delivery.deliveryId() : delivery.payloadHashId();
    }

    /**
     * A delivery id as logged: anyone can post to a webhook.site URL, so the id may hold line breaks or terminal
     * escapes (shown as '?') and be of any length.
     */
    static String shown(String deliveryId) {
        return Text.printable(deliveryId, MAX_ID);
    }

    private static String bounded(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "...";
    }

    /**
     * Stops polling at once, but storing only after the delivery being stored: an interrupt would break off its
     * file writes (left for a later run to finish) and fail each delivery still in the batch with a warning.
     */
    @Override
    public void close() {
        closing = true;
        scheduler.shutdown();
        if (!storing) scheduler.shutdownNow(); // a poll waiting for GitHub
        try {
            if (!scheduler.awaitTermination(2, TimeUnit.SECONDS)) {
                scheduler.shutdownNow();
                scheduler.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            scheduler.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
