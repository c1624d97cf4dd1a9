package lib.sources;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.receiver.Health;
import lib.receiver.Receiver;
import lib.receiver.ReceiverLimits;
import lib.store.RunStore;
import lib.util.BadInputException;
import lib.util.Json;
import lib.webhook.Secret;

/**
 * The delivery sources wait-for-webhook runs: the embedded receiver ({@code --listen}), webhook.site and
 * GitHub's deliveries API (polled). All feed the same store through {@link DeliveryIntake}; signed
 * sources verify with the webhook secret, GitHub's API is trusted. Closing stops them newest first, so
 * the receiver drains its in-flight deliveries before anything it relies on goes.
 */
public final class Sources implements AutoCloseable {
    /**
     * Which sources to start. {@code listen} is {@code [HOST:]PORT} or null, with the receiver's {@code limits} and
     * whether to ask GitHub to redeliver the hook's failed deliveries to it ({@link FailedRedeliveries});
     * {@code webhookSiteToken} null for none; {@code pollInterval} null for each source's default; {@code verboseLog}
     * null for silence; {@code awaited} the correlation id a wait is for (null: all deliveries matter).
     */
    public record Config(String listen, String path, ReceiverLimits limits, boolean redeliverFailed, String webhookSiteToken,
            String webhookSiteUrl, boolean fromGitHub, Duration pollInterval, Path stateDir, PrintWriter verboseLog,
            String awaited) {
        public boolean any() {
            return listen != null || webhookSiteToken != null || fromGitHub;
        }

        boolean signed() {
            return listen != null || webhookSiteToken != null;
        }
    }

    /** How far our clock may be ahead of GitHub's for a wait's fetch from GitHub to still see its deliveries. */
    static final Duration CLOCK_MARGIN = Duration.ofHours(1);

    private final Deque<AutoCloseable> open = new ArrayDeque<>();
    private final Health health;
    private volatile URI listeningUrl;

    private Sources(Health health) {
        this.health = health;
    }

    /**
     * Starts every configured source. {@code secret} is asked only when a signed source is configured;
     * {@code afterStore} runs after each newly stored delivery (e.g. to wake a waiter).
     */
    public static Sources start(Config config, RunStore store, Ingest.Options options, Supplier<Secret> secret,
            Map<String, String> env, Clock clock, Runnable afterStore, Consumer<String> log) throws IOException {
        if (config.redeliverFailed() && config.listen() == null) {
            throw new BadInputException("--redeliver-failed needs --listen: GitHub redelivers to the hook's URL, which must"
                    + " reach this receiver");
        }
        if (config.redeliverFailed() && config.fromGitHub()) {
            throw new BadInputException("--redeliver-failed and --from-github both recover what the receiver missed: choose one"
                    + " (docs/production-receiver.md)");
        }
        // Built before anything starts: a bad token or base URL fails at once, with nothing to undo.
        WebhookSiteSource site = config.webhookSiteToken() == null ? null : WebhookSiteSource.fromEnv(
                config.webhookSiteToken(), config.webhookSiteUrl(), env, interval(config, WebhookSiteSource.DEFAULT_INTERVAL));
        Sources sources = new Sources(new Health(clock));
        sources.health.journalFlushes(store::journalFlushes);
        try {
            if (config.signed()) {
                Ingest.Options signed = Ingest.Options.verifying(Optional.of(secret.get()))
                        .withRunNamePattern(options.runNamePattern());
                DeliveryIntake intake = intake(store, signed, clock, afterStore, log);
                if (config.listen() != null) {
                    int replayed = intake.recoverJournal();
                    if (replayed > 0) log.accept("replayed " + replayed + " journaled deliveries left by a receiver that stopped");
                    // The JDK reads its server settings once, as its first server starts: set them first.
                    Map<String, String> jvm = config.limits().applyToJvm();
                    Receiver receiver = sources.push(Receiver.start(Receiver.parseListen(config.listen()), config.path(),
                            intake, config.limits(), sources.health, log));
                    sources.listeningUrl = receiver.url();
                    log.accept("receiver: " + config.limits().describe() + "; health at GET " + Receiver.HEALTH_PATH
                            + " (JDK settings: " + jvm + ")");
                    log.accept("listening on " + receiver.url());
                    if (config.redeliverFailed()) {
                        var redeliveries = FailedRedeliveries.fromState(config.stateDir(), env,
                                interval(config, GitHubDeliveriesSource.DEFAULT_INTERVAL), clock, config.verboseLog(), log);
                        sources.push(new SourcePoller(redeliveries, intake, log).reportTo(sources.health).start());
                    }
                }
                if (site != null) {
                    sources.push(new SourcePoller(site, intake, log).reportTo(sources.health).start());
                }
            }
            if (config.fromGitHub()) {
                var github = GitHubDeliveriesSource.fromState(config.stateDir(), env,
                        interval(config, GitHubDeliveriesSource.DEFAULT_INTERVAL), config.verboseLog())
                        .since(dispatchedBefore(store, config.awaited())).keepsProgressIn(store.root(), clock);
                Ingest.Options trusted = Ingest.Options.verifying(Optional.empty())
                        .withRunNamePattern(options.runNamePattern()).trustedBy(GitHubDeliveriesSource.TRUSTED_BY);
                sources.push(new SourcePoller(github, intake(store, trusted, clock, afterStore, log), log)
                        .reportTo(sources.health).start());
            }
            return sources;
        } catch (IOException | RuntimeException e) {
            sources.close();
            throw e;
        }
    }

    /** What the sources have done since they started ({@code GET /healthz} shows it). */
    public Health health() {
        return health;
    }

    /** The receiver's URL once it listens (null without --listen). */
    public URI listeningUrl() {
        return listeningUrl;
    }

    /** Closes newest first: the receiver drains its in-flight deliveries before the pollers go. Safe to call twice. */
    @Override
    public void close() {
        synchronized (open) {
            while (!open.isEmpty()) {
                try {
                    open.pop().close();
                } catch (Exception ignored) {
                    // closing on the way out; nothing left to report to
                }
            }
        }
    }

    private <T extends AutoCloseable> T push(T resource) {
        synchronized (open) {
            open.push(resource);
        }
        return resource;
    }

    private static DeliveryIntake intake(RunStore store, Ingest.Options options, Clock clock, Runnable afterStore,
            Consumer<String> log) {
        DeliveryIntake intake = new DeliveryIntake(store, options, clock, m -> log.accept("warning: " + m));
        intake.afterStore(afterStore);
        return intake;
    }

    /**
     * For a wait, the time its dispatch was recorded less {@link #CLOCK_MARGIN} (the record has our clock, a
     * delivery GitHub's); null without a correlation or a record of its dispatch.
     */
    private static Instant dispatchedBefore(RunStore store, String correlation) throws IOException {
        if (correlation == null) return null;
        Optional<RunStore.StoredMetadata> record = store.existingMetadata(correlation);
        String at = record.map(r -> Json.text(r.content().json(), "dispatched_at")).orElse(null);
        try {
            return at == null ? null : Instant.parse(at).minus(CLOCK_MARGIN);
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    private static Duration interval(Config config, Duration fallback) {
        return config.pollInterval() != null ? config.pollInterval() : fallback;
    }
}
