///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**.java
//DESCRIPTION Dispatch a workflow with a fresh correlation id and learn its run id: from the dispatch answer, by polling, or leave it to the webhook.
//MAIN TriggerAndTrack

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import lib.cli.Cli;
import lib.cli.CommandException;
import lib.cli.Durations;
import lib.cli.ExitCode;
import lib.cli.GitHubOptions;
import lib.cli.Output;
import lib.cli.Spinner;
import lib.dispatch.DispatchInputs;
import lib.dispatch.DispatchRecord;
import lib.dispatch.DispatchRef;
import lib.dispatch.Dispatcher;
import lib.dispatch.RunFinder;
import lib.github.ApiFeatures;
import lib.github.GitHubClient;
import lib.github.GitHubException;
import lib.store.RunStore;
import lib.util.Json;
import lib.wait.DeliveryWatcher;
import lib.wait.WaitCondition;
import lib.webhook.Correlation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "trigger-and-track", mixinStandardHelpOptions = true, version = "trigger-and-track 1.0.0",
        sortOptions = false, exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
            "0:success (with --webhook-only: dispatched; the run id follows with the webhook)",
            "1:GitHub unreachable or refused (workflow missing or disabled, bad ref or inputs), or several runs matched",
            "2:usage error or bad input (nothing dispatched)",
            "124:timed out: dispatched, but no run with the correlation id was seen in time"},
        description = {
            "Dispatches a workflow_dispatch workflow with a fresh correlation UUID as input 'correlation_id' and "
                + "learns the run id: from the dispatch answer (return_run_details, confirmed by GET run), else "
                + "by polling the runs list for 'Dispatch Webhook (<uuid>)', or, with --webhook-only, leaves it to "
                + "the workflow_run webhook. Writes <store-dir>/<uuid>.json before dispatching; prints one JSON "
                + "line on stdout.",
            ""})
class TriggerAndTrack implements Callable<Integer> {
    @Option(names = "--workflow", paramLabel = "FILE|ID", defaultValue = "dispatch-webhook.yml",
            description = "Workflow file name or id (default: ${DEFAULT-VALUE}).")
    String workflow;

    @Option(names = "--ref", paramLabel = "REF",
            description = "Branch or tag to run on (default: the current branch when this is a checkout of the "
                    + "repository, else its default branch).")
    String ref;

    @Option(names = "--input", paramLabel = "KEY=VALUE",
            description = "A workflow input; repeatable. At most 25 inputs in all, correlation_id and webhook_url included.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--webhook-url", paramLabel = "URL",
            description = "Sent as input webhook_url (default: WEBHOOK_URL; not sent when unset).")
    String webhookUrl;

    @Option(names = "--store-dir", paramLabel = "DIR", defaultValue = "runs",
            description = "Run storage root (default: ${DEFAULT-VALUE}).")
    Path storeDir;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300", converter = Durations.class,
            description = "How long to look for the run; 500ms, 30s, 5m work too (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "3", converter = Durations.class,
            description = "Pause between runs-list requests; fractions allowed (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--correlation-id", paramLabel = "UUID",
            description = "Use this correlation id instead of a fresh one (validated, lower-cased).")
    String correlationId;

    @Option(names = "--webhook-only",
            description = "Do not look for the run: record the dispatch and leave run_id to the workflow_run webhook.")
    boolean webhookOnly;

    @Option(names = "--wait",
            description = "With --webhook-only: after the dispatch, wait (up to --timeout) until a verified workflow_run "
                    + "delivery for the correlation is stored by any ingest (a wait-for-webhook receiver, "
                    + "process-workflow-webhook, ...) and print its run id.")
    boolean waitForWebhook;

    @Option(names = "--json-only", description = "No human text on stderr, only warnings and errors.")
    boolean jsonOnly;

    @Option(names = "--run-name-pattern", paramLabel = "REGEX",
            description = "Regex with one capture group that finds the correlation UUID in the run name.")
    String runNamePattern;

    @Mixin
    GitHubOptions github;

    @Spec
    CommandSpec spec;

    Map<String, String> env = System.getenv();
    Path workDir = Path.of("").toAbsolutePath();
    GitHubClient.Policy policy = GitHubClient.Policy.defaults();
    GitHubClient.Sleeper sleeper = GitHubClient.Sleeper.REAL;
    Clock clock = Clock.systemUTC();
    boolean terminal = System.console() != null;

    public static void main(String[] args) {
        Cli.main(new TriggerAndTrack(), args);
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Durations.positive(interval, "--interval");
        if (waitForWebhook && !webhookOnly) throw CommandException.usage("--wait goes with --webhook-only");
        String corr = correlationId != null ? Correlation.canonical(correlationId.strip()) : Correlation.newId();
        String hookUrl = webhookUrl != null ? webhookUrl : env.get("WEBHOOK_URL");
        if (hookUrl != null && hookUrl.isBlank()) hookUrl = null;
        DispatchInputs dispatchInputs = DispatchInputs.of(inputs, corr, hookUrl);
        Pattern pattern = runNamePattern == null ? Correlation.DEFAULT_PATTERN : Correlation.compile(runNamePattern);

        GitHubClient client = github.client(env, workDir, err, policy, sleeper);
        RunStore store = new RunStore(storeDir);

        // 1. The workflow exists and is active.
        GitHubClient.Reply wf = workflow(client);
        String state = Json.text(wf.body(), "state");
        if (!"active".equals(state)) {
            throw new CommandException(ExitCode.GITHUB, "the workflow '" + workflow + "' is " + state
                    + ", not active; enable it (gh workflow enable " + workflow + ") and try again");
        }
        DispatchRef.Choice refChoice = DispatchRef.resolve(ref, client, workDir);

        // 2. Metadata first, so a webhook that arrives during the dispatch call updates it.
        Instant dispatchedAt = clock.instant();
        store.updateMetadata(corr, DispatchRecord.before(new DispatchRecord.Planned(corr, client.context().repo(),
                client.context().apiUrl(), workflow, wf.body().path("id").asLong(), Json.text(wf.body(), "name"),
                refChoice.ref(), refChoice.origin(), dispatchInputs.forRecord(), dispatchedAt, webhookOnly)));

        // 3. Dispatch, asking for the run id where the server may have it; never retried blindly.
        Dispatcher dispatcher = new Dispatcher(client, new ApiFeatures(storeDir), this::note);
        Dispatcher.Result result;
        try {
            result = dispatcher.dispatch(workflow, refChoice.ref(), dispatchInputs.values(),
                    wf.header("X-GitHub-Enterprise-Version"));
        } catch (GitHubException e) {
            throw dispatchFailed(store, corr, refChoice, e);
        } catch (RuntimeException e) {
            store.updateMetadata(corr, DispatchRecord.failed("failed", Cli.messageOf(e)));
            throw e;
        }
        store.updateMetadata(corr, DispatchRecord.accepted(result, clock.instant()));
        note("dispatched " + workflow + " on " + refChoice.ref() + " (" + refChoice.origin() + ") with correlation id "
                + corr + (result.hasRunId() ? "; the answer names run " + result.runId() : ""));

        if (webhookOnly) return webhookOnly(out, store, corr, refChoice, result, timeout);
        return track(out, err, client, store, corr, refChoice, result, pattern, dispatchedAt, timeout, interval);
    }

    private GitHubClient.Reply workflow(GitHubClient client) {
        try {
            return client.send("GET", client.repoPath("/actions/workflows/" + encode(workflow)), null);
        } catch (GitHubException e) {
            if (e.status() != 404) throw e;
            throw new GitHubException(404, e.body(), "no workflow '" + workflow + "' in " + client.context().repo()
                    + " (GitHub answered 404); pass --workflow with the file name under .github/workflows or its id,"
                    + " and check that the token from " + client.context().tokenOrigin() + " can read Actions");
        }
    }

    private GitHubException dispatchFailed(RunStore store, String corr, DispatchRef.Choice refChoice, GitHubException e)
            throws IOException {
        boolean uncertain = Dispatcher.isUncertain(e);
        String status = uncertain ? "uncertain" : e.neverSent() ? "failed" : "rejected";
        store.updateMetadata(corr, DispatchRecord.failed(status, e.getMessage()));
        if (e.neverSent()) return new GitHubException(0, e.body(), e.getMessage() + "; nothing was dispatched");
        if (uncertain) {
            return new GitHubException(e.status(), e.body(), "the dispatch may or may not have happened (" + e.getMessage()
                    + "); it was not retried. Correlation id " + corr + ": look for a run named 'Dispatch Webhook ("
                    + corr + ")' or wait for its webhook (./jbang wait-for-webhook.java --correlation-id " + corr
                    + ") before dispatching again");
        }
        String hint = refChoice.fromGit() && e.mentions("No ref found")
                ? " - the ref is your current git branch; push it or pass --ref" : "";
        return new GitHubException(e.status(), e.body(), "GitHub refused the dispatch: " + e.getMessage() + hint);
    }

    private int webhookOnly(PrintWriter out, RunStore store, String corr, DispatchRef.Choice refChoice,
            Dispatcher.Result result, Duration timeout) throws IOException {
        if (waitForWebhook && !awaitWebhook(store, corr, timeout)) {
            printTimedOut(out, store, corr, refChoice);
            throw new CommandException(ExitCode.TIMEOUT, "no verified workflow_run delivery for " + corr + " within "
                    + timeout.toMillis() / 1000.0 + " s; keep waiting with: ./jbang wait-for-webhook.java --correlation-id "
                    + corr + runsDirArg());
        }
        ObjectNode metadata = store.readObject(store.metadataFile(corr));
        ObjectNode summary = summary(corr, refChoice);
        boolean known = metadata.hasNonNull("run_id"); // a webhook was ingested already
        copyRun(summary, metadata, known);
        if (result.hasRunId()) summary.put("dispatch_run_id", result.runId());
        summary.put("metadata", store.metadataFile(corr).toString());
        Output.json(out, summary);
        Output.githubOutput(env, summary, "run_id", "correlation_id");
        if (!known) {
            note("run_id stays null until the workflow_run webhook arrives. Next:\n"
                    + "  ./jbang wait-for-webhook.java --correlation-id " + corr + runsDirArg() + "\n"
                    + "  or, with a delivery saved from WEBHOOK_URL: ./jbang process-workflow-webhook.java --file payload.json"
                    + " --headers headers.txt" + runsDirArg());
        }
        return ExitCode.OK;
    }

    /** The same wait as wait-for-webhook: true once a verified workflow_run delivery for {@code corr} is stored. */
    private boolean awaitWebhook(RunStore store, String corr, Duration timeout) throws IOException {
        note("waiting up to " + timeout.toMillis() / 1000.0 + " s for the workflow_run webhook of " + corr);
        try (DeliveryWatcher watcher = new DeliveryWatcher(store, corr, DeliveryWatcher.DEFAULT_FALLBACK_POLL)) {
            return watcher.await(new WaitCondition(false, false)::match, timeout).isPresent();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandException(ExitCode.TIMEOUT, "interrupted while waiting for the webhook of " + corr);
        }
    }

    private int track(PrintWriter out, PrintWriter err, GitHubClient client, RunStore store, String corr,
            DispatchRef.Choice refChoice, Dispatcher.Result result, Pattern pattern, Instant dispatchedAt,
            Duration timeout, Duration interval) throws IOException {
        Spinner spinner = new Spinner(err, terminal && !jsonOnly);
        RunFinder finder = new RunFinder(client, pattern, sleeper, System::nanoTime,
                p -> spinner.update(String.format("waiting for the run of %s: %.1f s, %d list requests, %d runs examined",
                        corr, p.elapsed().toMillis() / 1000.0, p.listRequests(), p.runsExamined())),
                m -> {
                    spinner.clear();
                    err.println("warning: " + m);
                    err.flush();
                });
        RunFinder.Found found = null;
        String source = null;
        if (result.hasRunId()) {
            found = confirm(finder, result, corr);
            source = found == null ? null : "api";
        }
        if (found == null) {
            RunFinder.Outcome outcome = finder.poll(workflow, DispatchRef.branchFilter(refChoice.ref()),
                    dispatchedAt, corr, timeout, interval, () -> recordedByWebhook(store, corr));
            spinner.clear();
            if (outcome.timedOut()) return timedOut(out, err, store, corr, refChoice, timeout, outcome);
            found = outcome.found();
            source = outcome.source();
        }
        ObjectNode metadata = store.updateMetadata(corr, DispatchRecord.found(found.runId(), found.htmlUrl(), source,
                clock.instant(), m -> err.println("warning: " + m)));
        ObjectNode summary = summary(corr, refChoice);
        copyRun(summary, metadata, true);
        summary.put("metadata", store.metadataFile(corr).toString());
        Output.json(out, summary);
        Output.githubOutput(env, summary, "run_id", "correlation_id");
        note("run " + Json.text(summary, "run_id") + " (" + Json.text(summary, "source") + ")"
                + (summary.hasNonNull("run_url") ? ": " + Json.text(summary, "run_url") : ""));
        return ExitCode.OK;
    }

    /** The run named in the dispatch answer, when GET run shows our correlation id; else null (we poll instead). */
    private RunFinder.Found confirm(RunFinder finder, Dispatcher.Result result, String corr) {
        try {
            JsonNode run = finder.getRun(result.runId());
            if (finder.carries(run, corr)) {
                String html = Json.text(run, "html_url");
                return new RunFinder.Found(result.runId(), html != null ? html : result.htmlUrl(), Json.text(run, "url"));
            }
            warn("run " + result.runId() + " from the dispatch answer is titled '" + Json.text(run, "display_title")
                    + "', without correlation id " + corr + "; looking for the run by polling instead");
        } catch (GitHubException e) {
            if (e.status() == 401 || (e.status() == 403 && !e.mentions("rate limit"))) throw e;
            warn("could not confirm run " + result.runId() + " from the dispatch answer (" + e.getMessage()
                    + "); looking for the run by polling instead");
        }
        return null;
    }

    /** Between polls: did a webhook ingest already fill run_id? A local read, no request. */
    private static RunFinder.Found recordedByWebhook(RunStore store, String corr) {
        try {
            ObjectNode m = store.readObject(store.metadataFile(corr));
            if (m.hasNonNull("run_id") && "webhook".equals(Json.text(m, "run_id_source"))) {
                return new RunFinder.Found(m.get("run_id").asLong(), Json.text(m, "run_url"), null);
            }
        } catch (IOException | RuntimeException e) {
            // unreadable right now: polling goes on
        }
        return null;
    }

    private int timedOut(PrintWriter out, PrintWriter err, RunStore store, String corr, DispatchRef.Choice refChoice,
            Duration timeout, RunFinder.Outcome outcome) throws IOException {
        store.updateMetadata(corr, DispatchRecord.timedOut(clock.instant()));
        printTimedOut(out, store, corr, refChoice);
        err.println("error: dispatched, but no run with correlation id " + corr + " appeared within "
                + timeout.toMillis() / 1000.0 + " s (" + outcome.listRequests() + " list requests, "
                + outcome.runsExamined() + " runs examined). Continue with: ./jbang wait-for-webhook.java --correlation-id "
                + corr + runsDirArg());
        err.flush();
        return ExitCode.TIMEOUT;
    }

    /** The same answer for both timeouts: no run id, timed_out true; in GITHUB_OUTPUT an empty run_id. */
    private void printTimedOut(PrintWriter out, RunStore store, String corr, DispatchRef.Choice refChoice) {
        ObjectNode summary = summary(corr, refChoice);
        copyRun(summary, Json.object(), false);
        summary.put("timed_out", true);
        summary.put("metadata", store.metadataFile(corr).toString());
        Output.json(out, summary);
        Output.githubOutput(env, summary, "run_id", "correlation_id");
    }

    private ObjectNode summary(String corr, DispatchRef.Choice refChoice) {
        ObjectNode s = Json.object();
        s.putNull("run_id");
        s.put("correlation_id", corr);
        return s.put("workflow", workflow).put("ref", refChoice.ref());
    }

    /** run_id, run_url and source from the metadata (null when not known). */
    private static void copyRun(ObjectNode summary, ObjectNode metadata, boolean known) {
        if (known && metadata.hasNonNull("run_id")) {
            summary.put("run_id", metadata.get("run_id").asLong());
            summary.put("run_url", Json.text(metadata, "run_url"));
            summary.put("source", Json.text(metadata, "run_id_source"));
        } else {
            summary.putNull("run_url");
            summary.putNull("source");
        }
    }

    private void note(String message) {
        if (jsonOnly) return;
        PrintWriter err = spec.commandLine().getErr();
        err.println(message);
        err.flush();
    }

    private void warn(String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("warning: " + message);
        err.flush();
    }

    /** " --runs-dir DIR" for the follow-up commands, only when the store is not the default "runs". */
    private String runsDirArg() {
        return storeDir.equals(Path.of("runs")) ? "" : " --runs-dir " + storeDir;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
