///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**.java
//DESCRIPTION Dispatch a workflow with a fresh correlation id and learn its run id: from the dispatch answer, by polling, or leave it to the webhook.
//MAIN TriggerAndTrack

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
import lib.cli.RunsDirOption;
import lib.cli.Spinner;
import lib.cli.VerboseOption;
import lib.dispatch.DispatchInputs;
import lib.dispatch.RunFinder;
import lib.dispatch.TrackedDispatch;
import lib.github.GitHubClient;
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
            "0:success (with --webhook-only: dispatched; the run id follows with the webhook)",
            "1:GitHub unreachable or refused (workflow missing or disabled, bad ref or inputs), or several runs matched",
            "2:usage error or bad input (nothing dispatched)",
            "124:timed out: dispatched, but no run with the correlation id was seen in time"},
        description = {
            "Dispatches a workflow_dispatch workflow with a fresh correlation UUID as input 'correlation_id' and "
                + "learns the run id: from the dispatch answer (return_run_details, confirmed by GET run), else "
                + "by polling the runs list for 'Dispatch Webhook (<uuid>)', or, with --webhook-only, leaves it to "
                + "the workflow_run webhook. Writes <runs-dir>/<uuid>.json before dispatching; prints one JSON "
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

    @Mixin RunsDirOption runs;

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

    public static void main(String[] args) {
        Cli.main(new TriggerAndTrack(), args);
    }

    /** The name the seed's scripts used for --runs-dir; kept so existing command lines work. */
    @Option(names = "--store-dir", paramLabel = "DIR", hidden = true)
    Path storeDir;

    @Override
    public Integer call() throws IOException {
        if (storeDir != null) runs.runsDir = storeDir;
        Durations.positive(interval, "--interval");
        if (waitForWebhook && !webhookOnly) throw new BadInputException("--wait goes with --webhook-only");
        String corr = correlationId != null ? Correlation.canonical(correlationId.strip()) : Correlation.newId();
        String hookUrl = webhookUrl != null ? webhookUrl : env.get("WEBHOOK_URL");
        if (hookUrl != null && hookUrl.isBlank()) hookUrl = null;
        var request = new TrackedDispatch.Request(workflow, ref, DispatchInputs.of(inputs, corr, hookUrl), corr,
                runNames.pattern(), webhookOnly, waitForWebhook, timeout, interval);

        PrintWriter err = spec.commandLine().getErr();
        GitHubClient client = github.client(env, workDir, verbose.log(err), policy, sleeper);
        Spinner spinner = new Spinner(err, stderrIsTerminal && !jsonOnly);
        TrackedDispatch.Outcome outcome = new TrackedDispatch(client, runs.store(), workDir, clock, sleeper,
                System::nanoTime, listener(err, spinner, corr)).run(request);

        Output.json(spec.commandLine().getOut(), outcome.toJson());
        Output.githubOutput(env, outcome.toJson(), "run_id", "correlation_id");
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

    private int timedOut(PrintWriter err, TrackedDispatch.Outcome outcome, String waitHint) {
        String waited = Durations.describe(timeout);
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
