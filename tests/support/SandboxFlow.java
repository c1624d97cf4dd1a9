import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import lib.util.Json;

/**
 * The offline sandbox's logic (tests/sandbox.java is its thin command; EndToEndTest reuses it):
 * the GitHub simulator on loopback, and the four real scripts run through {@code ./jbang} as
 * subprocesses, in a working folder of their own, with the environment an operator would export.
 * No JUnit here. Every step prints its command line, a short result and its duration.
 */
final class SandboxFlow implements AutoCloseable {
    static final List<String> SCRIPTS = List.of("manage-actions-webhook.java", "trigger-and-track.java",
            "process-workflow-webhook.java", "wait-for-webhook.java");
    static final int STEPS = 8;
    static final int FAILURE_STEPS = 2;

    /** One finished subprocess; its stdout and stderr are also kept under {@code logs/}. */
    record Proc(List<String> command, int exitCode, String out, String err, long millis) {
        JsonNode json() {
            String text = out.strip();
            int start = text.lastIndexOf("\n{");
            return Json.parse((start < 0 ? text : text.substring(start + 1)).getBytes(StandardCharsets.UTF_8), "stdout");
        }

        String errTail() {
            List<String> lines = err.strip().lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        }
    }

    /** A step that did not work; the message names it. */
    static final class StepFailed extends RuntimeException {
        StepFailed(String message) {
            super(message);
        }
    }

    /** What a complete webhook flow produced. */
    record Result(String correlationId, long runId, long dispatchRunId, long simulatorRunId, int storedDeliveries,
            Path workDir) {}

    /** What the failure scenario showed: trigger-and-track's exit code, its JSON line and its stderr. */
    record FailureResult(String correlationId, long runId, int exitCode, JsonNode json, String stderr) {}

    final Path root;
    final Path workDir;
    final GitHubSimulator sim;
    final PrintStream out;
    final Map<String, String> env;
    private final Path logs;
    private int logCount;
    private Process receiver;
    private URI receiverUrl;
    private String currentStep = "setup";
    private int totalSteps = STEPS;

    SandboxFlow(Path root, Path workDir, GitHubSimulator sim, PrintStream out) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.workDir = workDir.toAbsolutePath().normalize();
        this.sim = sim;
        this.out = out;
        this.logs = Files.createDirectories(this.workDir.resolve("logs"));
        this.env = operatorEnv(sim);
    }

    // ------------------------------------------------------------------ where and with what

    /**
     * The checkout holding the launcher and the four scripts: {@code SANDBOX_REPO_ROOT}, else the
     * folder of the launcher that started us ({@code JBANG_LAUNCH_CMD}), else the working folder
     * or one above it.
     */
    static Path repoRoot() {
        List<Path> candidates = new ArrayList<>();
        String explicit = System.getenv("SANDBOX_REPO_ROOT");
        if (explicit != null && !explicit.isBlank()) candidates.add(Path.of(explicit));
        String launcher = System.getenv("JBANG_LAUNCH_CMD");
        if (launcher != null && !launcher.isBlank()) {
            try {
                candidates.add(Path.of(launcher).toRealPath().getParent());
            } catch (IOException | RuntimeException ignored) {
                // not a path we can follow
            }
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) candidates.add(p);
        for (Path c : candidates) {
            if (c != null && isRepoRoot(c)) return c.toAbsolutePath().normalize();
        }
        throw new IllegalStateException("cannot find the checkout (a folder with ./jbang, lib/ and the four scripts); "
                + "run from inside it or set SANDBOX_REPO_ROOT");
    }

    static boolean isRepoRoot(Path dir) {
        return Files.isRegularFile(dir.resolve("jbang")) && Files.isDirectory(dir.resolve("lib"))
                && SCRIPTS.stream().allMatch(s -> Files.isRegularFile(dir.resolve(s)));
    }

    /** Our environment without anything that could point the scripts at a real GitHub, plus the simulator's. */
    static Map<String, String> operatorEnv(GitHubSimulator sim) {
        Map<String, String> env = new LinkedHashMap<>();
        System.getenv().forEach((k, v) -> {
            boolean github = k.startsWith("GITHUB_") || k.startsWith("GH_") || k.startsWith("WEBHOOK_");
            if (!github) env.put(k, v);
        });
        env.put("GITHUB_API_URL", sim.apiUrl());
        env.put("GH_TOKEN", sim.token());
        env.put("GITHUB_REPOSITORY", sim.repo());
        return env;
    }

    /** What a person exports to try the commands by hand against the same simulator and receiver. */
    String exportLine() {
        StringBuilder sb = new StringBuilder("export GITHUB_API_URL=" + env.get("GITHUB_API_URL") + " GH_TOKEN="
                + env.get("GH_TOKEN") + " GITHUB_REPOSITORY=" + env.get("GITHUB_REPOSITORY"));
        if (env.containsKey("WEBHOOK_URL")) sb.append(" WEBHOOK_URL=").append(env.get("WEBHOOK_URL"));
        return sb.toString();
    }

    /** The webhook secret, created the way {@code register} would (64 hex digits, mode 600), before the receiver needs it. */
    Path createSecret() throws IOException {
        Path dir = Files.createDirectories(workDir.resolve(".webhook"));
        Path file = dir.resolve("webhook-secret");
        if (Files.exists(file)) return file;
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, HexFormat.of().formatHex(bytes) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    // ------------------------------------------------------------------ running the scripts

    /** {@code <root>/jbang <args>} in the working folder, waited for (at most {@code timeout}). */
    Proc jbang(Duration timeout, String... args) {
        return run(null, timeout, args);
    }

    Proc jbang(String... args) {
        return run(null, Duration.ofSeconds(120), args);
    }

    /** The same with extra environment (e.g. a different WEBHOOK_URL). */
    Proc run(Map<String, String> extraEnv, Duration timeout, String... args) {
        List<String> command = command(args);
        String name;
        synchronized (this) {
            name = String.format("%02d-%s", ++logCount, args[0].replace(".java", ""));
        }
        Path stdout = logs.resolve(name + ".out");
        Path stderr = logs.resolve(name + ".err");
        long t0 = System.nanoTime();
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().clear();
            pb.environment().putAll(env);
            if (extraEnv != null) pb.environment().putAll(extraEnv);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new StepFailed(display(args) + " did not finish within " + timeout.toSeconds() + " s (logs: " + stderr + ")");
            }
            return new Proc(command, p.exitValue(), Files.readString(stdout), Files.readString(stderr),
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + display(args), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StepFailed("interrupted while running " + display(args));
        }
    }

    /** A subprocess started in the background, with the files its stdout and stderr go to. */
    record Background(Process process, Path out, Path err) {}

    /** Starts {@code ./jbang args} without waiting; stdout and stderr go to logs/. */
    synchronized Background start(String... args) throws IOException {
        String name = String.format("%02d-%s", ++logCount, args[0].replace(".java", ""));
        Path stdout = logs.resolve(name + ".out");
        Path stderr = logs.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(command(args)).directory(workDir.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(env);
        return new Background(pb.start(), stdout, stderr);
    }

    private List<String> command(String... args) {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("jbang").toString());
        for (int i = 0; i < args.length; i++) {
            boolean script = i == 0 && args[i].endsWith(".java") && !args[i].startsWith("/");
            command.add(script ? root.resolve(args[i]).toString() : args[i]);
        }
        return command;
    }

    /** The command as shown to a person: {@code $REPO/jbang $REPO/script.java args}. */
    static String display(String... args) {
        StringBuilder sb = new StringBuilder("$REPO/jbang");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            sb.append(' ').append(i == 0 && a.endsWith(".java") ? "$REPO/" + a : quote(a));
        }
        return sb.toString();
    }

    private static String quote(String a) {
        return a.matches("[A-Za-z0-9_./:=@%+,-]+") ? a : "'" + a.replace("'", "'\\''") + "'";
    }

    // ------------------------------------------------------------------ steps

    private long stepStart;

    void step(int n, String title) {
        currentStep = "step " + n + " (" + title + ")";
        stepStart = System.nanoTime();
        out.printf("%n[%d/%d] %s%n", n, totalSteps, title);
    }

    void show(String... args) {
        out.println("  $ " + display(args));
    }

    void result(String text) {
        for (String line : text.split("\n")) out.println("    " + line);
    }

    void done() {
        out.printf("  ok (%.1f s)%n", (System.nanoTime() - stepStart) / 1e9);
    }

    StepFailed fail(String why) {
        return new StepFailed(currentStep + " failed: " + why);
    }

    Proc expectOk(Proc p, String... args) {
        if (p.exitCode() != 0) {
            throw fail(display(args) + " exited " + p.exitCode() + (p.errTail().isEmpty() ? "" : ":\n" + p.errTail()));
        }
        return p;
    }

    /** Runs {@code --version} of each script one after the other, so no build ever runs concurrently. */
    void prime() {
        long t0 = System.nanoTime();
        List<String> versions = new ArrayList<>();
        for (String script : SCRIPTS) {
            Proc p = jbang(Duration.ofMinutes(5), script, "--version");
            if (p.exitCode() != 0) throw fail(display(script, "--version") + " exited " + p.exitCode() + ":\n" + p.errTail());
            versions.add(String.format("%-30s %.1f s", p.out().strip(), p.millis() / 1000.0));
        }
        out.printf("  primed the four scripts one at a time (%.1f s):%n", (System.nanoTime() - t0) / 1e9);
        versions.forEach(v -> out.println("    " + v));
    }

    private static final Object BUILD_LOCK = new Object();
    private static boolean built;

    /**
     * Runs {@code ./jbang <script> --version} for each script, one at a time and once per JVM, so
     * that tests which then start several scripts at once never make JBang build one concurrently.
     * Then waits (a while at most) for the launcher's background work of those first runs: each script's
     * record, the catalog's other builds. A test that ran a script meanwhile would miss the fast path
     * and build it again, provisionally: on a fresh clone that was 10-17% of the suite's CPU.
     */
    static void ensureBuilt(Path root) throws IOException, InterruptedException {
        synchronized (BUILD_LOCK) {
            if (built) return;
            for (String script : SCRIPTS) {
                Process p = new ProcessBuilder(root.resolve("jbang").toString(), root.resolve(script).toString(), "--version")
                        .directory(root.toFile()).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    throw new IllegalStateException("./jbang " + script + " --version failed:\n" + output);
                }
            }
            LauncherCache.awaitBackground(LauncherCache.dir(System.getenv()), Duration.ofSeconds(120)); // timed out: go on
            built = true;
        }
    }

    /** Starts {@code wait-for-webhook --serve --listen} and returns the URL it prints. */
    URI startReceiver(String listen) throws IOException, InterruptedException {
        String[] args = {"wait-for-webhook.java", "--serve", "--listen", listen};
        Background started = start(args);
        receiver = started.process();
        Path log = started.err();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            int at = text.indexOf("listening on ");
            int eol = at < 0 ? -1 : text.indexOf('\n', at);
            if (eol > 0) {
                receiverUrl = URI.create(text.substring(at + "listening on ".length(), eol).strip());
                env.put("WEBHOOK_URL", receiverUrl.toString());
                return receiverUrl;
            }
            if (!receiver.isAlive()) {
                throw fail("the receiver exited " + receiver.exitValue() + " before listening:\n" + text.strip());
            }
            Thread.sleep(20);
        }
        throw fail("the receiver printed no 'listening on URL' within 60 s (log: " + log + ")");
    }

    /** SIGTERM, as Ctrl-C would: the receiver finishes in-flight deliveries and exits. */
    int stopReceiver() throws InterruptedException {
        if (receiver == null) return 0;
        Process p = receiver;
        receiver = null;
        // The launcher may still be the parent of the receiver's JVM (its first-run path): signal both.
        List<ProcessHandle> tree = p.descendants().toList();
        p.destroy();
        tree.forEach(ProcessHandle::destroy);
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                h.destroyForcibly();
            }
        }
        return p.exitValue();
    }

    URI receiverUrl() {
        return receiverUrl;
    }

    /** The simulator's run for a correlation id (its run name carries the id). */
    SimState.Run simulatorRun(String correlation) {
        return sim.runs().stream().filter(r -> r.displayTitle.contains(correlation)).findFirst()
                .orElseThrow(() -> fail("the simulator has no run named after " + correlation));
    }

    /** The run a delivery belongs to (workflow_run.id or workflow_job.run_id), or -1. */
    static long runIdOf(SimState.Delivery d) {
        JsonNode payload = Json.parse(d.payload(), "delivery payload");
        if (payload.has("workflow_run")) return payload.path("workflow_run").path("id").asLong(-1);
        if (payload.has("workflow_job")) return payload.path("workflow_job").path("run_id").asLong(-1);
        return -1;
    }

    /** The distinct delivery GUIDs the simulator made for a run. */
    Set<String> simulatorGuids(long runId) {
        return sim.deliveries().stream().filter(d -> runIdOf(d) == runId).map(SimState.Delivery::guid)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** The whole webhook flow, steps 1 to 8, after {@link #prime()}. */
    Result runWebhookFlow() throws Exception {
        Path secret = createSecret();
        out.println("  webhook secret: " + workDir.relativize(secret) + " (mode 600; register and the receiver read it)");

        step(1, "start the embedded receiver in the background");
        String[] serve = {"wait-for-webhook.java", "--serve", "--listen", "127.0.0.1:0"};
        out.println("  $ " + display(serve) + " &");
        URI url = startReceiver("127.0.0.1:0");
        result("listening on " + url + "  ->  WEBHOOK_URL=" + url);
        done();

        step(2, "register the repository webhook");
        String[] register = {"manage-actions-webhook.java", "register"};
        show(register);
        JsonNode hook = expectOk(jbang(register), register).json();
        if (!url.toString().equals(Json.text(hook, "url"))) throw fail("the hook points at " + Json.text(hook, "url") + ", not " + url);
        result("hook " + hook.path("id").asText() + " -> " + Json.text(hook, "url") + ", events " + hook.path("events"));
        done();

        step(3, "dispatch the workflow, take the run id from the webhook, and follow the run to its conclusion");
        String[] trigger = {"trigger-and-track.java", "--webhook-only", "--until", "completed", "--timeout", "60"};
        show(trigger);
        JsonNode dispatched = expectOk(jbang(trigger), trigger).json();
        String correlation = Json.text(dispatched, "correlation_id");
        long dispatchRunId = dispatched.path("dispatch_run_id").asLong(-1);
        if (correlation == null) throw fail("trigger-and-track printed no correlation_id");
        if (dispatchRunId <= 0) throw fail("the dispatch answer carried no run id (dispatch_run_id)");
        if (!"success".equals(Json.text(dispatched, "conclusion"))) throw fail("the run did not conclude success: " + dispatched);
        result("correlation id " + correlation + "\ndispatch answer: run " + dispatchRunId + " (recorded as dispatch_run_id)"
                + "\nrun " + dispatched.path("run_id").asText() + " (its id from the " + Json.text(dispatched, "source") + "): "
                + Json.text(dispatched, "status") + ", " + Json.text(dispatched, "conclusion") + " after "
                + dispatched.path("duration_s").asText() + " s; the completion was seen first by the "
                + Json.text(dispatched, "outcome_source"));
        done();

        step(4, "the simulator delivers signed workflow_run/workflow_job webhooks to the receiver");
        SimState.Run run = simulatorRun(correlation);
        try {
            sim.awaitDeliveries(1, d -> "workflow_run".equals(d.event()) && "completed".equals(d.action())
                    && runIdOf(d) == run.id, Duration.ofSeconds(30));
        } catch (IllegalStateException e) {
            throw fail("no workflow_run completed delivery within 30 s: " + e.getMessage());
        }
        List<SimState.Delivery> mine = sim.deliveries().stream().filter(d -> runIdOf(d) == run.id).toList();
        StringBuilder lines = new StringBuilder();
        for (SimState.Delivery d : mine) {
            lines.append(String.format("%-12s %-11s %s -> %s%n", d.event(), d.action(), d.guid(),
                    d.statusCode() == 0 ? d.status() : d.statusCode() + " " + d.status()));
        }
        result(lines.toString().stripTrailing());
        long failed = mine.stream().filter(d -> d.statusCode() < 200 || d.statusCode() > 299).count();
        if (failed > 0) throw fail(failed + " of " + mine.size() + " deliveries were not accepted by the receiver");
        done();

        step(5, "wait for the webhook of this correlation until the run completes");
        String[] wait = {"wait-for-webhook.java", "--correlation-id", correlation, "--until", "completed", "--timeout", "60"};
        show(wait);
        JsonNode waited = expectOk(jbang(wait), wait).json();
        long runId = waited.path("run_id").asLong(-1);
        result("run id " + runId + ", " + Json.text(waited, "status") + "/" + Json.text(waited, "conclusion")
                + ", delivery " + Json.text(waited, "delivery_id"));
        done();

        step(6, "cross-check the webhook's run id against the dispatch answer");
        Path metaFile = workDir.resolve("runs").resolve(correlation + ".json");
        out.println("  read " + workDir.relativize(metaFile) + " and runs/" + correlation + "/webhook/index.json");
        JsonNode meta = Json.read(metaFile);
        for (int i = 0; i < 50 && !meta.has("webhook_run_id"); i++) { // the receiver writes it at its next checkpoint
            Thread.sleep(100);
            meta = Json.read(metaFile);
        }
        long webhookRunId = meta.path("webhook_run_id").asLong(-1);
        JsonNode index = Json.read(workDir.resolve("runs").resolve(correlation).resolve("webhook/index.json"));
        Set<String> indexed = new LinkedHashSet<>();
        index.forEach(r -> indexed.add(Json.text(r, "delivery_id")));
        Set<String> sent = simulatorGuids(run.id);
        result("dispatch_run_id " + meta.path("dispatch_run_id").asText() + ", webhook_run_id " + webhookRunId
                + ", run_id " + meta.path("run_id").asText() + ", simulator run " + run.id
                + "\nindex.json: " + index.size() + " rows, " + indexed.size() + " distinct deliveries; the simulator sent "
                + sent.size());
        if (meta.has("webhook_mismatches")) throw fail("webhook_mismatches recorded: " + meta.get("webhook_mismatches"));
        if (runId != dispatchRunId || webhookRunId != dispatchRunId || meta.path("run_id").asLong() != dispatchRunId
                || run.id != dispatchRunId) {
            throw fail("run ids differ: waited " + runId + ", webhook_run_id " + webhookRunId + ", dispatch_run_id "
                    + dispatchRunId + ", simulator " + run.id);
        }
        if (index.size() != indexed.size() || !indexed.equals(sent)) {
            throw fail("index.json does not hold exactly the simulator's deliveries: " + indexed + " vs " + sent);
        }
        done();

        step(7, "inspect the hook and its deliveries");
        String[] status = {"manage-actions-webhook.java", "status"};
        show(status);
        JsonNode st = expectOk(jbang(status), status).json();
        result("hook " + st.path("id").asText() + " active=" + st.path("active").asText() + ", last response "
                + st.path("last_response").path("code").asText() + " " + st.path("last_response").path("status").asText());
        String[] deliveries = {"manage-actions-webhook.java", "deliveries"};
        show(deliveries);
        JsonNode list = expectOk(jbang(deliveries), deliveries).json();
        long ok = 0;
        for (JsonNode d : list) if ("OK".equals(Json.text(d, "status"))) ok++;
        result(list.size() + " deliveries listed, " + ok + " answered OK");
        if (ok != list.size()) throw fail("not every delivery was answered OK: " + Json.compact(list));
        done();

        step(8, "unregister the hook and stop the receiver");
        String[] unregister = {"manage-actions-webhook.java", "unregister"};
        show(unregister);
        JsonNode gone = expectOk(jbang(unregister), unregister).json();
        if (!sim.hooks().isEmpty()) throw fail("the simulator still has " + sim.hooks().size() + " hook(s)");
        int code = stopReceiver();
        result("hook " + gone.path("id").asText() + " deleted; receiver stopped (SIGTERM, exit " + code + ")");
        if (code != 0 && code != 143) throw fail("the receiver exited " + code + " (see logs/)");
        done();

        return new Result(correlation, runId, dispatchRunId, run.id, indexed.size(), workDir);
    }

    /**
     * Runs that fail: job "build" fails at its step "Run tests" (its log ends in the error), job "lint"
     * succeeds. Slow enough to watch: queued 0.5 s, in progress 1.5 s.
     */
    static void failingRuns(GitHubSimulator sim) {
        sim.conclusion("failure").phaseDelays(Duration.ofMillis(500), Duration.ofMillis(1500)).jobs(
                SimState.JobSpec.of("build", "Set up job", "Check out", "Run tests", "Complete job").failingAt("Run tests"),
                SimState.JobSpec.of("lint", "Set up job", "Lint"));
    }

    /** The failure scenario, after {@link #prime()} on a simulator set up with {@link #failingRuns}: no hook, no receiver. */
    FailureResult runFailureScenario() {
        totalSteps = FAILURE_STEPS;
        step(1, "dispatch the workflow and follow its run until it completes (no webhook needed)");
        String[] follow = {"trigger-and-track.java", "--until", "completed", "--interval", "0.5", "--timeout", "60", "--log-lines", "5"};
        show(follow);
        Proc p = jbang(follow);
        result("exit " + p.exitCode() + "; stderr:");
        for (String line : p.err().strip().split("\n")) out.println("      " + line);
        if (p.exitCode() != 5) throw fail(display(follow) + " exited " + p.exitCode() + ", not 5 (a run without success)");
        JsonNode json = p.json();
        result("stdout: status " + Json.text(json, "status") + ", conclusion " + Json.text(json, "conclusion") + ", jobs "
                + json.path("jobs"));
        done();

        step(2, "check what it reported: the failed job, its failed step, the tail of its log, exit 5");
        String err = p.err();
        for (String expected : new String[] {"failed job: build (failure)", "failed step 3: Run tests (failure)",
                "last 5 lines of its log:", "##[error]Process completed with exit code 1."}) {
            if (!err.contains(expected)) throw fail("stderr lacks '" + expected + "'");
        }
        if (err.contains("\u001b")) throw fail("stderr holds a terminal escape sequence from the log");
        if (!"[\"Run tests\"]".equals(json.at("/jobs/0/failed_steps").toString())) throw fail("jobs[0].failed_steps: " + json);
        List<SimState.Request> downloads = sim.logRequests();
        if (downloads.isEmpty()) throw fail("the log was never downloaded");
        if (downloads.stream().anyMatch(d -> d.header("Authorization") != null)) throw fail("the token went to the log host");
        result("failed job, failed step and log tail shown; exit 5 (the run completed without success);\n"
                + downloads.size() + " log download(s) from the other origin, none carrying the token");
        done();
        return new FailureResult(Json.text(json, "correlation_id"), json.path("run_id").asLong(), p.exitCode(), json, err);
    }

    static Stream<Path> jsonFiles(Path dir) throws IOException {
        return Files.walk(dir).filter(f -> Files.isRegularFile(f) && f.toString().endsWith(".json"));
    }

    @Override
    public void close() {
        try {
            stopReceiver();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
