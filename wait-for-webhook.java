///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**.java
//DESCRIPTION Wait until a verified workflow_run delivery for a correlation id is stored; print its run id. Optionally receive or fetch deliveries.
//MAIN WaitForWebhook

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import lib.cli.Cli;
import lib.cli.Durations;
import lib.cli.ExitCode;
import lib.cli.IngestOptions;
import lib.cli.Output;
import lib.cli.ReceiverOptions;
import lib.cli.RunReport;
import lib.cli.Until;
import lib.cli.VerboseOption;
import lib.follow.RunOutcome;
import lib.follow.StoredRun;
import lib.sources.Sources;
import lib.store.IndexRow;
import lib.store.RunStore;
import lib.util.BadInputException;
import lib.util.Json;
import lib.wait.DeliveryWatcher;
import lib.wait.WaitCondition;
import lib.webhook.Correlation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "wait-for-webhook", mixinStandardHelpOptions = true, version = "wait-for-webhook 1.0.0",
        sortOptions = false, exitCodeList = {
            "0:a matching delivery is stored (with --until completed: the run concluded success, neutral or skipped)",
            "1:a failure of ours (e.g. the runs folder cannot be read, GITHUB_OUTPUT cannot be appended to)",
            "2:usage error or bad input (e.g. not a UUID, no webhook secret for a source), or the correlation's "
                + "index.json still damaged when the wait ends",
            "5:with --until completed: the run completed without success (failure, cancelled, timed_out, ...)",
            "124:timed out; stderr says what arrived instead, stdout still names the correlation id"},
        description = {
            "Waits until a verified workflow_run delivery for --correlation-id is stored under "
                + "<runs-dir>/<uuid>/webhook/ (one stored earlier counts) and prints its run id. It watches the "
                + "files that process-workflow-webhook or any source below stores.",
            "Sources: --listen receives deliveries; --from-webhook-site and --from-github fetch them. All go "
                + "through the same ingest and storage. --serve only receives. A production receiver: --serve --listen "
                + "with --from-github (docs/production-receiver.md); GET /healthz reports on it.",
            ""})
class WaitForWebhook implements Callable<Integer> {
    @Option(names = "--correlation-id", paramLabel = "UUID", description = "The correlation id to wait for (required unless --serve).")
    String correlationId;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "300", converter = Durations.class,
            description = "How long to wait: seconds, or 500ms / 30s / 5m (default: ${DEFAULT-VALUE} s).")
    Duration timeout;

    @Option(names = "--allow-unverified", description = "Also accept deliveries stored with \"verified\": false.")
    boolean allowUnverified;

    @Option(names = "--until", paramLabel = "completed",
            description = "Wait for the run's newest attempt to complete; exit 0 for success, neutral or skipped, 5 for any "
                    + "other conclusion (stderr lists the failed jobs and steps its workflow_job deliveries name).")
    Until until;

    @Option(names = "--listen", paramLabel = "[HOST:]PORT",
            description = "Receive deliveries on an embedded endpoint (loopback unless a host is given; 0 = any free port).")
    String listen;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "/", description = "The receiver's URL path (default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--serve", description = "Only receive (with --listen) until interrupted; no correlation id.")
    boolean serve;

    @Option(names = "--from-webhook-site", paramLabel = "TOKEN",
            description = "Fetch deliveries captured by this webhook.site token (Api-Key from WEBHOOK_SITE_API_KEY).")
    String webhookSiteToken;

    @Option(names = "--webhook-site-url", paramLabel = "URL",
            description = "webhook.site base URL, http(s) (else WEBHOOK_SITE_URL, else https://webhook.site).")
    String webhookSiteUrl;

    @Option(names = "--from-github",
            description = "Fetch the registered hook's deliveries (<state-dir>/active-hook.json) through GitHub's deliveries API.")
    boolean fromGitHub;

    @Option(names = "--poll-interval", paramLabel = "DURATION", converter = Durations.class,
            description = "Pause between polls (default: 2 s for webhook.site, whose limit is 120 requests/min; 10 s for GitHub).")
    Duration pollInterval;

    @Mixin ReceiverOptions receiver;

    @Mixin IngestOptions storage;

    @Mixin VerboseOption verbose;

    @Spec CommandSpec spec;

    Map<String, String> env = System.getenv();
    Clock clock = Clock.systemUTC();
    /** Counted down to end --serve (the shutdown hook does it on SIGINT/SIGTERM; tests do it directly). */
    final CountDownLatch stopServing = new CountDownLatch(1);
    /** The receiver's URL once it listens (tests read it when they pass --listen 0). */
    volatile URI listeningUrl;

    public static void main(String[] args) {
        Cli.main(new WaitForWebhook(), args);
    }

    @Override
    public Integer call() throws Exception {
        String correlation = checkUsage();
        PrintWriter err = spec.commandLine().getErr();
        Consumer<String> log = line -> {
            synchronized (err) {
                err.println(line);
                err.flush();
            }
        };
        // A receiver journals its deliveries: one flush makes many durable (lib/store/Journal).
        // Watch before any source starts, so nothing stored from here on can be missed.
        try (RunStore store = listen != null ? RunStore.journaled(storage.runs.runsDir, m -> log.accept("warning: " + m)) : storage.store();
                DeliveryWatcher watcher = correlation == null ? null
                : new DeliveryWatcher(store, correlation, DeliveryWatcher.DEFAULT_FALLBACK_POLL);
                Sources sources = Sources.start(new Sources.Config(listen, path, receiver.limits(), receiver.redeliverFailed,
                        webhookSiteToken, webhookSiteUrl, fromGitHub, pollInterval, storage.state.stateDir, verbose.log(err),
                        correlation),
                        store, storage.verifying(env),
                        () -> storage.requireSecret(env, "receiving or fetching signed deliveries"), env, clock,
                        watcher == null ? () -> {} : watcher::wake, log)) {
            listeningUrl = sources.listeningUrl();
            Thread hook = new Thread(() -> {
                sources.close(); // SIGINT/SIGTERM: finish in-flight deliveries first
                store.close(); // then the journal's last checkpoint, here: the JVM halts once its hooks are done
                stopServing.countDown();
            }, "wait-for-webhook-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                if (serve) {
                    stopServing.await();
                    return ExitCode.OK;
                }
                return waitFor(correlation, watcher, log);
            } finally {
                removeHook(hook);
            }
        }
    }

    private String checkUsage() {
        if (pollInterval != null) Durations.positive(pollInterval, "--poll-interval");
        boolean hasSource = listen != null || webhookSiteToken != null || fromGitHub;
        if (serve) {
            if (!hasSource) throw new BadInputException("--serve needs a source: --listen [HOST:]PORT, --from-webhook-site or --from-github");
            if (correlationId != null) throw new BadInputException("--serve only receives; drop --correlation-id");
            return null;
        }
        if (correlationId == null) {
            throw new BadInputException("--correlation-id UUID is required (or use --serve with --listen to only receive)");
        }
        return Correlation.canonical(correlationId);
    }

    private int waitFor(String correlation, DeliveryWatcher watcher, Consumer<String> log) throws Exception {
        WaitCondition condition = new WaitCondition(allowUnverified, until == Until.completed);
        Instant started = clock.instant();
        long t0 = System.nanoTime();
        Optional<IndexRow> match = watcher.awaitUnlessDamaged(condition::match, timeout);
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;

        ObjectNode result = Json.object();
        result.put("correlation_id", correlation);
        if (match.isEmpty()) {
            log.accept("timed out after " + Durations.describe(timeout) + " waiting for correlation " + correlation + ": "
                    + condition.describeUnmet(watcher.lastRows(), watcher.otherDeliveriesSince(started)));
            result.putNull("run_id");
            result.put("timed_out", true);
            result.put("waited_ms", waitedMs);
            print(result);
            if (until == Until.completed) stored(correlation).unfinished(watcher.lastRows()).ifPresent(o -> Output.stepSummary(
                    env, RunReport.markdown(o, o.run().runId(), null, Durations.describe(timeout))));
            return ExitCode.TIMEOUT;
        }
        IndexRow row = match.get();
        result.put("run_id", row.runId());
        result.put("status", row.status());
        result.put("delivery_id", row.deliveryId());
        result.put("verified", row.verified());
        result.put("waited_ms", waitedMs);
        if (until != Until.completed) {
            print(result);
            return ExitCode.OK;
        }
        // The outcome as the stored deliveries tell it: the run's, and its jobs' from workflow_job deliveries.
        RunOutcome outcome = stored(correlation).outcome(row, watcher.lastRows());
        result.put("run_url", outcome.run().htmlUrl());
        print(outcome.addTo(result));
        PrintWriter err = spec.commandLine().getErr();
        synchronized (err) {
            RunReport.explain(err, outcome, row.runId(), Durations.describe(timeout), true);
        }
        Output.stepSummary(env, RunReport.markdown(outcome, row.runId(), null, Durations.describe(timeout)));
        return ExitCode.of(outcome);
    }

    private StoredRun stored(String correlation) {
        return new StoredRun(storage.store(), correlation, allowUnverified);
    }

    private void print(ObjectNode result) {
        Output.json(spec.commandLine().getOut(), result);
        if (until == Until.completed) {
            Output.githubOutput(env, result, "run_id", "correlation_id", "status", "conclusion", "run_url");
        } else {
            Output.githubOutput(env, result, "run_id", "correlation_id");
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException alreadyShuttingDownOrNeverAdded) {
            // nothing to undo
        }
    }
}
