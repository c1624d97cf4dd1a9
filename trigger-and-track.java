///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**.java
//DESCRIPTION Dispatch a workflow with a fresh correlation id and learn its run id (dispatch answer, polling or webhook); optionally follow the run to its conclusion.
//MAIN TriggerAndTrack

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import lib.cli.Cli;
import lib.cli.Durations;
import lib.cli.ExitCode;
import lib.cli.GitHubOptions;
import lib.cli.Output;
import lib.cli.RunNamePatternOption;
import lib.cli.RunReport;
import lib.cli.RunWatchView;
import lib.cli.RunsDirOption;
import lib.cli.Spinner;
import lib.cli.Until;
import lib.cli.VerboseOption;
import lib.dispatch.DispatchInputs;
import lib.dispatch.RunFinder;
import lib.dispatch.TrackedDispatch;
import lib.follow.RunFollower;
import lib.follow.RunOutcome;
import lib.github.ActionsRuns;
import lib.github.GitHubClient;
import lib.github.GitHubException;
import lib.util.BadInputException;
import lib.util.Sleeper;
import lib.util.TimedOutException;
import lib.webhook.Correlation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "trigger-and-track", mixinStandardHelpOptions = true, version = "trigger-and-track 1.0.0",
        sortOptions = false, exitCodeList = {
            "0:success (with --webhook-only: dispatched; with --until completed: the run concluded success, neutral or skipped)",
            "1:GitHub unreachable or refused (workflow missing or disabled, bad ref or inputs), or several runs matched",
            "2:usage error or bad input (nothing dispatched); with --webhook-only --wait, also the correlation's "
                + "index.json still damaged when the wait ends",
            "5:with --until completed: the run completed without success (failure, cancelled, timed_out, ...); stderr says why",
            "124:timed out: no run with the correlation id was seen in time, or (--until completed) it did not complete"},
        description = {
            "Dispatches a workflow_dispatch workflow with a fresh correlation UUID as input 'correlation_id' and "
                + "learns the run id: from the dispatch answer (return_run_details, confirmed by GET run), else "
                + "by polling the runs list for 'Dispatch Webhook (<uuid>)', or, with --webhook-only, leaves it to "
                + "the workflow_run webhook. Writes <runs-dir>/<uuid>.json before dispatching; prints one JSON "
                + "line on stdout.",
            "With --until completed it then follows the run to its conclusion, like gh run watch: a stored workflow_run "
                + "delivery ends the wait at once, else one conditional GET of the run per --interval (304s are free). "
                + "Progress goes to stderr; the JSON line gains status, conclusion, run_attempt, completed_at, duration_s and jobs.",
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

    @Mixin RunsDirOption runs;

    @Option(names = "--timeout", paramLabel = "SECONDS", converter = Durations.class,
            description = "How long the whole command may take; 500ms, 30s, 5m work too (default: 300, 3600 with --until).")
    Duration timeout;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "3", converter = Durations.class,
            description = "Pause between requests (the runs list, the run); fractions allowed (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--until", paramLabel = "completed",
            description = "Follow the run until it completes: exit 0 for success, neutral or skipped, 5 otherwise. With "
                    + "--webhook-only, the run id is awaited from the webhook first (as --wait).")
    Until until;

    @Option(names = "--log-lines", paramLabel = "N", defaultValue = "30",
            description = "With --until: show the last N lines of each failed job's log; 0: none (default: ${DEFAULT-VALUE}).")
    int logLines;

    @Option(names = "--cancel-on-timeout",
            description = "With --until completed: cancel the run when --timeout passes (cancel_requested: true).")
    boolean cancelOnTimeout;

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

    @Mixin RunNamePatternOption runNames;

    @Mixin GitHubOptions github;

    @Mixin VerboseOption verbose;

    @Spec CommandSpec spec;

    Map<String, String> env = System.getenv();
    Path workDir = Path.of("").toAbsolutePath();
    GitHubClient.Policy policy = GitHubClient.Policy.defaults();
    Sleeper sleeper = Sleeper.REAL;
    Clock clock = Clock.systemUTC();
    boolean stderrIsTerminal = System.console() != null;
    /** --timeout, or its default: 300 s, with --until completed 1 h. */
    private Duration budget;

    public static void main(String[] args) {
        Cli.main(new TriggerAndTrack(), args);
    }

    /** The name the seed's scripts used for --runs-dir; kept so existing command lines work. */
    @Option(names = "--store-dir", paramLabel = "DIR", hidden = true)
    Path storeDir;

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        if (storeDir != null) runs.runsDir = storeDir;
        Durations.positive(interval, "--interval");
        if (waitForWebhook && !webhookOnly) throw new BadInputException("--wait goes with --webhook-only");
        if (cancelOnTimeout && until == null) throw new BadInputException("--cancel-on-timeout goes with --until completed");
        if (logLines < 0) throw new BadInputException("--log-lines must be 0 or more, not " + logLines);
        budget = timeout != null ? timeout : Duration.ofSeconds(until != null ? 3600 : 300);
        String corr = correlationId != null ? Correlation.canonical(correlationId.strip()) : Correlation.newId();
        String hookUrl = webhookUrl != null ? webhookUrl : env.get("WEBHOOK_URL");
        if (hookUrl != null && hookUrl.isBlank()) hookUrl = null;
        var request = new TrackedDispatch.Request(workflow, ref, DispatchInputs.of(inputs, corr, hookUrl), corr,
                runNames.pattern(), webhookOnly, waitForWebhook || webhookOnly && until != null, budget, interval);

        PrintWriter err = spec.commandLine().getErr();
        Spinner spinner = new Spinner(err, stderrIsTerminal && !jsonOnly);
        TrackedDispatch.Listener listener = listener(err, spinner, corr);
        // --timeout bounds the whole command: no retry or rate-limit wait of any request outlasts it
        GitHubClient client = github.client(env, workDir, verbose.log(err), policy, sleeper)
                .until(System::nanoTime, started + budget.toNanos(), listener::warn);
        TrackedDispatch.Outcome outcome;
        try {
            outcome = new TrackedDispatch(client, runs.store(), workDir, clock, sleeper, System::nanoTime, listener)
                    .run(request);
        } catch (GitHubException e) {
            throw hookUrl != null && e.status() == 422 && e.mentions(DispatchInputs.WEBHOOK_URL)
                    ? e.withMessage(e.getMessage() + " (" + DispatchInputs.WEBHOOK_URL + " came from "
                            + (webhookUrl != null ? "--webhook-url" : "WEBHOOK_URL") + "; a workflow that does not"
                            + " declare that input takes --webhook-url '')")
                    : e;
        }

        if (until != null && outcome.runId() != null && !outcome.timedOut()) {
            return follow(client, outcome, budget.minusNanos(System.nanoTime() - started), err);
        }
        print(outcome.toJson());
        String waitHint = "./jbang wait-for-webhook.java --correlation-id " + corr + runs.hint();
        if (outcome.timedOut()) return timedOut(err, outcome, waitHint);
        if (!webhookOnly) {
            note("run " + outcome.runId() + " (" + outcome.source() + ")" + (outcome.runUrl() != null ? ": " + outcome.runUrl() : ""));
        } else if (outcome.runId() == null) {
            note("run_id stays null until the workflow_run webhook arrives. Next:\n  " + waitHint + "\n"
                    + "  or, with a delivery saved from WEBHOOK_URL: ./jbang process-workflow-webhook.java --file payload.json"
                    + " --headers headers.txt" + runs.hint());
        }
        return ExitCode.OK;
    }

    /** --until completed: follows the run, then prints the outcome; the exit code says how it ended. */
    private int follow(GitHubClient client, TrackedDispatch.Outcome dispatched, Duration left, PrintWriter err)
            throws IOException {
        long runId = dispatched.runId();
        note("run " + runId + " (" + dispatched.source() + "): " + dispatched.runUrl() + "; following it until it completes");
        RunWatchView view = RunWatchView.forStderr(err, stderrIsTerminal, jsonOnly, interval, env);
        RunOutcome followed = new RunFollower(new ActionsRuns(client), runs.store(), dispatched.correlationId(), clock,
                System::nanoTime, view, new RunFollower.Options(interval, !jsonOnly, logLines, cancelOnTimeout))
                .follow(runId, left.isNegative() ? Duration.ZERO : left);
        print(followed.addTo(dispatched.toJson()));
        RunReport.explain(err, followed, runId, Durations.describe(budget), jsonOnly);
        Output.stepSummary(env, RunReport.markdown(followed, runId, dispatched.runUrl(), Durations.describe(budget)));
        return ExitCode.of(followed);
    }

    private void print(ObjectNode json) {
        Output.json(spec.commandLine().getOut(), json);
        Output.githubOutput(env, json, "run_id", "correlation_id", "status", "conclusion", "run_url");
    }

    private int timedOut(PrintWriter err, TrackedDispatch.Outcome outcome, String waitHint) {
        String waited = Durations.describe(budget);
        if (outcome.poll() == null) { // --webhook-only --wait
            throw new TimedOutException("no verified workflow_run delivery for " + outcome.correlationId() + " within "
                    + waited + "; keep waiting with: " + waitHint);
        }
        err.println("error: dispatched, but no run with correlation id " + outcome.correlationId() + " appeared within "
                + waited + " (" + outcome.poll().listRequests() + " list requests, " + outcome.poll().runsExamined()
                + " runs examined). Continue with: " + waitHint);
        err.flush();
        return ExitCode.TIMEOUT;
    }

    private TrackedDispatch.Listener listener(PrintWriter err, Spinner spinner, String corr) {
        return new TrackedDispatch.Listener() {
            @Override
            public void note(String message) {
                TriggerAndTrack.this.note(message);
            }

            @Override
            public void warn(String message) {
                spinner.clear();
                err.println("warning: " + message);
                err.flush();
            }

            @Override
            public void progress(RunFinder.Progress p) {
                spinner.update(String.format("waiting for the run of %s: %.1f s, %d list requests, %d runs examined",
                        corr, p.elapsed().toMillis() / 1000.0, p.listRequests(), p.runsExamined()));
            }

            @Override
            public void pollingDone() {
                spinner.clear();
            }
        };
    }

    private void note(String message) {
        if (jsonOnly) return;
        PrintWriter err = spec.commandLine().getErr();
        err.println(message);
        err.flush();
    }
}
