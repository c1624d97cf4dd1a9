///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../lib/**.java
//SOURCES support/GitHubSimulator.java
//SOURCES support/Sim*.java
//SOURCES support/SandboxFlow.java
//SOURCES support/LauncherCache.java
//DESCRIPTION Offline sandbox: a GitHub simulator on loopback, and the four scripts run through ./jbang against it, step by step.
//MAIN Sandbox

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Usage: ./jbang tests/sandbox.java [--keep-running|serve] [--no-receiver] [--scenario webhook|failure] [--workdir DIR]
 * Without options: runs the whole webhook flow once and exits 0 when every step worked.
 */
class Sandbox {
    static final String USAGE = """
            Usage: ./jbang tests/sandbox.java [--keep-running | serve] [--no-receiver]
                                              [--scenario webhook|failure] [--workdir DIR]

            Starts a GitHub simulator on loopback (nothing reaches the internet) and runs the four
            scripts through ./jbang as an operator would, in a fresh working folder (kept):
              1. wait-for-webhook --serve --listen 127.0.0.1:0   (the receiver, in the background)
              2. manage-actions-webhook register                 (the hook points at the receiver)
              3. trigger-and-track --webhook-only --until completed
                                     (dispatch; the run id from the webhook; follow the run to its conclusion)
              4. the simulator delivers signed workflow_run/workflow_job webhooks
              5. wait-for-webhook --correlation-id <uuid> --until completed
              6. cross-check: webhook run id == the dispatch answer's run id
              7. manage-actions-webhook status, deliveries
              8. manage-actions-webhook unregister; stop the receiver
            Exit 0 when every step worked, 1 naming the failed step otherwise.

            --scenario failure shows a run that fails instead, without any webhook: job "build" fails at
            its step "Run tests"; trigger-and-track --until completed follows the run, lists the failed
            job, its failed step and the tail of its log on stderr, and exits 5. The sandbox checks that
            (and that the log download never carried the token) and exits 0 when it all held.

              --keep-running, serve  start the simulator (and a receiver), print the lines to export,
                                     and wait for Ctrl-C, so you can try the commands by hand
              --no-receiver          with --keep-running: no receiver (bring your own WEBHOOK_URL)
              --scenario NAME        webhook (the default: the flow above) or failure (a failing run)
              --workdir DIR          use DIR (created if missing) instead of a new temporary folder
              -h, --help             this text
            """;

    public static void main(String[] args) throws Exception {
        boolean keepRunning = false;
        boolean receiver = true;
        boolean failure = false;
        Path workDir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keep-running", "serve" -> keepRunning = true;
                case "--no-receiver" -> receiver = false;
                case "--scenario" -> {
                    if (i + 1 == args.length) usage("--scenario needs webhook or failure");
                    String name = args[++i];
                    if (!name.equals("webhook") && !name.equals("failure")) usage("unknown scenario: " + name);
                    failure = name.equals("failure");
                }
                case "--workdir" -> {
                    if (i + 1 == args.length) usage("--workdir needs a folder");
                    workDir = Path.of(args[++i]);
                }
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    return;
                }
                default -> usage("unknown argument: " + args[i]);
            }
        }
        Path root;
        try {
            root = SandboxFlow.repoRoot();
        } catch (IllegalStateException e) {
            System.err.println("sandbox: " + e.getMessage());
            System.exit(2);
            return;
        }
        workDir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("awt-sandbox-");
        if (keepRunning && failure) usage("--scenario failure runs once; it does not go with --keep-running");
        System.exit(keepRunning ? keepRunning(root, workDir, receiver) : failure ? runFailure(root, workDir) : runOnce(root, workDir));
    }

    static void usage(String message) {
        System.err.println("sandbox: " + message + "\n");
        System.err.print(USAGE);
        System.exit(2);
    }

    static int runOnce(Path root, Path workDir) throws IOException {
        long t0 = System.nanoTime();
        try (GitHubSimulator sim = GitHubSimulator.start();
                SandboxFlow flow = new SandboxFlow(root, workDir, sim, System.out)) {
            sim.phaseDelays(Duration.ofMillis(300), Duration.ofMillis(1000)); // long enough to be followed
            header(flow);
            try {
                flow.prime();
                SandboxFlow.Result r = flow.runWebhookFlow();
                System.out.printf("%nAll %d steps worked in %.1f s. Run id %d (correlation %s)%n", SandboxFlow.STEPS,
                        (System.nanoTime() - t0) / 1e9, r.runId(), r.correlationId());
                System.out.println("Everything is stored in " + workDir + ":");
                System.out.println("  .webhook/       the secret and active-hook.json (removed by unregister)");
                System.out.println("  runs/" + r.correlationId() + ".json   dispatch metadata + webhook_run_id");
                System.out.println("  runs/" + r.correlationId() + "/webhook/   " + r.storedDeliveries() + " deliveries (index.json, events/)");
                System.out.println("  logs/           stdout and stderr of every command");
                return 0;
            } catch (SandboxFlow.StepFailed e) {
                return failed(e, workDir);
            } catch (Exception e) {
                System.out.flush();
                System.err.printf("%nsandbox: FAILED: unexpected %s%nEverything so far is in %s%n", e, workDir);
                return 1;
            }
        }
    }

    private static int failed(SandboxFlow.StepFailed e, Path workDir) {
        System.out.flush();
        System.err.printf("%nsandbox: FAILED: %s%nEverything so far is in %s (logs/ holds each command's output).%n",
                e.getMessage(), workDir);
        return 1;
    }

    static int runFailure(Path root, Path workDir) throws IOException {
        long t0 = System.nanoTime();
        try (GitHubSimulator sim = GitHubSimulator.start();
                SandboxFlow flow = new SandboxFlow(root, workDir, sim, System.out)) {
            SandboxFlow.failingRuns(sim);
            header(flow);
            try {
                flow.prime();
                SandboxFlow.FailureResult r = flow.runFailureScenario();
                System.out.printf("%nAll %d steps worked in %.1f s: run %d (correlation %s) failed, and trigger-and-track said why"
                        + " and exited %d.%n", SandboxFlow.FAILURE_STEPS, (System.nanoTime() - t0) / 1e9, r.runId(),
                        r.correlationId(), r.exitCode());
                System.out.println("Everything is stored in " + workDir + " (runs/, and logs/ with each command's output).");
                return 0;
            } catch (SandboxFlow.StepFailed e) {
                return failed(e, workDir);
            }
        }
    }

    static void header(SandboxFlow flow) {
        System.out.println("GitHub simulator: " + flow.sim.apiUrl() + " (repository " + flow.sim.repo() + ", token "
                + flow.sim.token() + "), loopback only");
        System.out.println("REPO=" + flow.root);
        System.out.println("working folder:   " + flow.workDir + " (each command runs here; .webhook/ and runs/ go here)");
    }

    static int keepRunning(Path root, Path workDir, boolean withReceiver) throws Exception {
        GitHubSimulator sim = GitHubSimulator.start();
        SandboxFlow flow = new SandboxFlow(root, workDir, sim, System.out);
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(); // let main stop the receiver before the JVM goes
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
        }));
        try {
            header(flow);
            flow.prime();
            if (withReceiver) {
                flow.createSecret();
                URI url = flow.startReceiver("127.0.0.1:0");
                System.out.println("  receiver: " + SandboxFlow.display("wait-for-webhook.java", "--serve", "--listen", "127.0.0.1:0")
                        + " -> " + url + " (log in " + workDir.resolve("logs") + ")");
            }
            System.out.println();
            System.out.println("Try it by hand in another terminal:");
            System.out.println();
            System.out.println("  export REPO=" + root);
            System.out.println("  " + flow.exportLine());
            System.out.println("  cd " + workDir);
            for (String c : List.of("manage-actions-webhook.java register", "trigger-and-track.java --webhook-only",
                    "wait-for-webhook.java --correlation-id <uuid> --until completed", "manage-actions-webhook.java deliveries --table",
                    "trigger-and-track.java", "manage-actions-webhook.java unregister")) {
                System.out.println("  $REPO/jbang $REPO/" + c);
            }
            System.out.println();
            System.out.println("Waiting; Ctrl-C stops the simulator" + (withReceiver ? " and the receiver." : "."));
            stop.await();
        } catch (SandboxFlow.StepFailed e) {
            System.err.println("sandbox: FAILED: " + e.getMessage());
            return 1;
        } finally {
            flow.close();
            sim.close();
            System.out.println("sandbox: stopped; files kept in " + workDir);
            stopped.countDown();
        }
        return 0;
    }
}
