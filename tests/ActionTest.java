import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The composite Action (action.yml): its declared interface read as data, and its steps run the way a
 * runner runs them ({@link ActionRunner}) against the GitHub simulator, through the real {@code ./jbang}.
 * Only a few tests start a JVM that way (the suite's time); the rest stop before the script runs. Those few
 * wait, as the action's last step does, for the launcher's background work, which on a cold cache includes
 * what the other test classes started meanwhile: minutes on a loaded machine.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@Order(2) // one of the slowest classes: started first (see run-tests.java)
class ActionTest {
    static Path root;
    static JsonNode action;

    @TempDir Path tmp;

    /** A workflow whose inputs carry what a shell would act on, if any of it reached one as code. */
    static final List<String> DEPLOY_INPUTS = List.of("correlation_id", "environment", "note", "cmd", "ticks",
            "equation", "spaces", "quotes");

    @BeforeAll
    static void load() throws Exception {
        root = SandboxFlow.repoRoot();
        action = ActionRunner.readYaml(root.resolve("action.yml"));
        // The class setup may take minutes on a cold JBang cache; a test only 120 s.
        SandboxFlow.ensureBuilt(root);
    }

    // ---------------------------------------------------------------- the interface, read as data

    @Test
    void theActionIsCompositeWithTheInputsAndOutputsOfItsDocs() {
        assertEquals("composite", action.at("/runs/using").asText());
        assertEquals(List.of("repo", "workflow", "ref", "inputs", "token", "until", "timeout", "interval", "webhook-only",
                "cancel-on-timeout", "api-url", "runs-dir"), names(action.get("inputs")));
        assertEquals("${{ github.repository }}", action.at("/inputs/repo/default").asText());
        assertEquals("${{ github.token }}", action.at("/inputs/token/default").asText());
        assertEquals("${{ github.api_url }}", action.at("/inputs/api-url/default").asText());
        assertEquals("run-id", action.at("/inputs/until/default").asText());
        assertEquals("false", action.at("/inputs/webhook-only/default").asText());
        assertEquals("false", action.at("/inputs/cancel-on-timeout/default").asText());
        assertTrue(action.at("/inputs/workflow/required").asBoolean());

        List<String> outputs = names(action.get("outputs"));
        assertEquals(List.of("run_id", "run_url", "correlation_id", "status", "conclusion"), outputs);
        for (String o : outputs) assertEquals("${{ steps.track.outputs." + o + " }}", action.at("/outputs/" + o + "/value").asText());
    }

    /**
     * No run: script holds an expression, so nothing is substituted into shell code: every input reaches a
     * script as an environment variable. The token goes to GH_TOKEN only: not to outputs, a cache, or a log.
     */
    @Test
    void inputsReachTheShellOnlyThroughEnvironmentVariables() {
        int runSteps = 0;
        Set<String> inputsPassed = new TreeSet<>();
        for (JsonNode step : action.at("/runs/steps")) {
            if (step.has("run")) {
                runSteps++;
                assertFalse(step.get("run").asText().contains("${{"), "an expression in the run: of " + step.path("name"));
                assertEquals("bash", step.path("shell").asText(), step.path("name").asText());
            }
            step.path("env").fields().forEachRemaining(e -> {
                Matcher m = Pattern.compile("\\$\\{\\{ inputs\\.([a-z-]+) }}").matcher(e.getValue().asText());
                if (m.matches()) inputsPassed.add(m.group(1));
            });
            if (step.has("with")) assertFalse(step.get("with").toString().contains("inputs."), "a uses: step gets an input: " + step);
            if (step.has("name")) assertFalse(step.get("name").asText().contains("${{"), "an expression in a step name");
        }
        assertEquals(3, runSteps);
        assertEquals(new TreeSet<>(names(action.get("inputs"))), inputsPassed, "every input is handed over by env:");

        String text = action.toString();
        assertEquals(1, count(text, "inputs.token"), "the token is read once");
        JsonNode track = step("track");
        assertEquals("${{ inputs.token }}", track.at("/env/GH_TOKEN").asText());
        assertFalse(action.get("outputs").toString().contains("token"));
    }

    /**
     * The launcher, JBang and Maven caches are restored before and saved after the scripts run, by
     * actions/cache pinned to a major version, under a key that the setup step computes.
     */
    @Test
    void theCachesAreRestoredAndSavedByActionsCacheUnderTheSetupStepsKey() {
        List<String> uses = new ArrayList<>();
        action.at("/runs/steps").forEach(s -> uses.add(s.path("uses").asText(s.path("id").asText())));
        assertEquals(List.of("setup", "actions/cache/restore@v5", "track", "settle", "actions/cache/save@v5"), uses);
        JsonNode restore = step("restore");
        JsonNode save = action.at("/runs/steps/4");
        assertEquals(restore.at("/with/path"), save.at("/with/path"));
        assertEquals("${{ steps.setup.outputs.cache-key }}", restore.at("/with/key").asText());
        assertEquals("${{ steps.setup.outputs.cache-key }}", save.at("/with/key").asText());
        assertEquals(List.of("${{ steps.setup.outputs.launcher-cache }}", "${{ steps.setup.outputs.jbang-dir }}",
                "${{ steps.setup.outputs.maven-repo }}"), restore.at("/with/path").asText().strip().lines().toList());
        assertTrue(save.path("if").asText().contains("!cancelled()"), "the caches are saved after a failed step too");
    }

    // ---------------------------------------------------------------- the example workflows

    /**
     * docs/github-action.md shows the example workflows exactly as shipped in docs/examples/ (which the
     * linters check); the dispatching one gives only declared inputs and reads only declared outputs, and
     * the dispatched one takes correlation_id and names its runs so that the default pattern finds it.
     */
    @Test
    void theExampleWorkflowsAreShownAsShippedAndFitTheAction() throws Exception {
        String doc = Files.readString(root.resolve("docs/github-action.md"));
        for (String example : List.of("dispatch-deployment.yml", "deploy.yml")) {
            String file = Files.readString(root.resolve("docs/examples/" + example));
            assertTrue(doc.contains("```yaml\n" + file + "```\n"), "docs/github-action.md shows docs/examples/" + example + " as it is");
        }

        JsonNode caller = ActionRunner.readYaml(root.resolve("docs/examples/dispatch-deployment.yml"));
        JsonNode steps = caller.at("/jobs/deploy/steps");
        JsonNode use = steps.get(0);
        assertTrue(use.path("uses").asText().matches("OWNER/actions-webhook-tracker@v\\d+"), use.toString());
        Set<String> declared = new TreeSet<>(names(action.get("inputs")));
        assertTrue(declared.containsAll(names(use.get("with"))), names(use.get("with")) + " not all in " + declared);
        assertEquals("completed", use.at("/with/until").asText());
        Matcher read = Pattern.compile("steps\\.deploy\\.outputs\\.([a-z_]+)").matcher(caller.toString());
        while (read.find()) assertTrue(names(action.get("outputs")).contains(read.group(1)), read.group());

        JsonNode target = ActionRunner.readYaml(root.resolve("docs/examples/deploy.yml"));
        JsonNode inputs = target.at("/on/workflow_dispatch/inputs");
        assertTrue(inputs.at("/correlation_id/required").asBoolean(), inputs.toString());
        Set<String> sent = new TreeSet<>(List.of("correlation_id"));
        use.at("/with/inputs").asText().lines().map(l -> l.substring(0, l.indexOf('='))).forEach(sent::add);
        assertEquals(new TreeSet<>(names(inputs)), sent, "the caller sends what the target declares");
        String uuid = java.util.UUID.randomUUID().toString();
        String runName = target.get("run-name").asText().replace("${{ inputs.correlation_id }}", uuid)
                .replace("${{ inputs.environment }}", "production");
        Matcher m = lib.webhook.Correlation.DEFAULT_PATTERN.matcher(runName);
        assertTrue(m.find() && m.group(1).equals(uuid), runName);
    }

    // ---------------------------------------------------------------- the harness itself

    @Test
    void theHarnessEvaluatesExpressionsAsGitHubDoes() {
        Map<String, Object> steps = Map.of("restore", Map.of("outputs", Map.of()),
                "setup", Map.of("outputs", Map.of("cache-key", "k-1", "flag", "TRUE")));
        Map<String, Object> ctx = Map.of("steps", steps, "inputs", Map.of("webhook-only", "false", "until", "run-id"),
                "github", Map.of("repository", "o/r"), "env", Map.of());
        ActionExpressions.Status ok = ActionExpressions.Status.OK;
        ActionExpressions.Status failed = new ActionExpressions.Status(true, false);
        // a missing output is null, which differs from 'true' and equals '' (both numbers 0)
        assertTrue(ActionExpressions.condition("steps.restore.outputs.cache-hit != 'true'", ctx, ok));
        assertTrue(ActionExpressions.condition("${{ steps.restore.outputs.cache-hit == '' }}", ctx, ok));
        // strings compare without case; property names are case-insensitive
        assertTrue(ActionExpressions.condition("steps.setup.outputs.flag == 'true'", ctx, ok));
        assertEquals("k-1", ActionExpressions.evaluate("STEPS.Setup.outputs.CACHE-KEY", ctx, ok));
        // without a status function a condition means success() && (...); after a failure it is false
        assertTrue(ActionExpressions.condition("inputs.until == 'run-id'", ctx, ok));
        assertFalse(ActionExpressions.condition("inputs.until == 'run-id'", ctx, failed));
        assertTrue(ActionExpressions.condition("${{ !cancelled() && inputs.until == 'run-id' }}", ctx, failed));
        assertFalse(ActionExpressions.condition(null, ctx, failed));
        assertTrue(ActionExpressions.condition("always()", ctx, failed));
        // && and || give an operand; '' is falsy
        assertEquals("b", ActionExpressions.evaluate("'' || 'b'", ctx, ok));
        assertEquals("", ActionExpressions.evaluate("'a' && ''", ctx, ok));
        assertEquals("it''s", ActionExpressions.render("it''s", ctx, ok));
        assertEquals("it's", ActionExpressions.evaluate("'it''s'", ctx, ok));
        // substitution happens in the text, before any shell sees it
        assertEquals("echo o/r and  and false", ActionExpressions.render(
                "echo ${{ github.repository }} and ${{ steps.nope.outputs.x }} and ${{ 1 == 2 }}", ctx, ok));
        assertEquals("a }} b", ActionExpressions.render("${{ 'a }} b' }}", ctx, ok));
        // what the emulation does not know is an error, not a silent empty string
        assertThrows(IllegalArgumentException.class, () -> ActionExpressions.evaluate("hashFiles('x')", ctx, ok));
        assertThrows(IllegalArgumentException.class, () -> ActionExpressions.evaluate("secrets.X", ctx, ok));
        assertThrows(IllegalArgumentException.class, () -> ActionExpressions.evaluate("inputs['x']", ctx, ok));
    }

    @Test
    void theHarnessReadsOutputFilesAsTheRunnerDoes() throws Exception {
        Path f = tmp.resolve("out");
        Files.writeString(f, "a=1\nb=x=y\nmulti<<EOF_1\nline 1\nline=2\nEOF_1\na=3\n\nempty=\n");
        assertEquals(Map.of("a", "3", "b", "x=y", "multi", "line 1\nline=2", "empty", ""), ActionRunner.readCommandFile(f));
        Files.writeString(f, "m<<END\nno end\n");
        assertThrows(IllegalStateException.class, () -> ActionRunner.readCommandFile(f));
    }

    // ---------------------------------------------------------------- the setup step (no JVM)

    @Test
    void theCacheKeyIsAHashOfTheActionsScriptsAndLibAndChangesWithThem() throws Exception {
        Path copy = copyOfTheAction(tmp.resolve("action"));
        ActionRunner.Result first = runSetup(copy, Map.of());
        assertTrue(first.succeeded(), first.log());
        Map<String, String> out = first.step("setup").outputs();
        String javaVersion = out.get("java-version");
        assertTrue(javaVersion.matches("(1[7-9]|[2-9]\\d)(\\..*)?"), out.toString());
        String key = out.get("cache-key");
        assertTrue(key.matches("actions-webhook-tracker-Linux-X64-java" + Pattern.quote(javaVersion) + "-[0-9a-f]{20}"), key);
        assertEquals("actions-webhook-tracker-Linux-X64-java" + javaVersion + "-", out.get("restore-key-java"));
        assertEquals("actions-webhook-tracker-Linux-X64-", out.get("restore-key-os"));
        String home = System.getProperty("user.home");
        assertEquals(home + "/.cache/jbang-launcher", out.get("launcher-cache"));
        assertEquals(home + "/.jbang", out.get("jbang-dir"));
        assertEquals(home + "/.m2/repository", out.get("maven-repo"));
        // what actions/cache would be given
        Map<String, String> restore = first.step("restore").with();
        assertEquals(key, restore.get("key"));
        assertEquals(List.of(home + "/.cache/jbang-launcher", home + "/.jbang", home + "/.m2/repository"),
                restore.get("path").strip().lines().toList());

        Files.writeString(copy.resolve("README.md"), "\nmore prose\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(key, runSetup(copy, Map.of()).step("setup").outputs().get("cache-key"), "docs are not in the key");
        Path lib = copy.resolve("lib/util/Json.java");
        Files.writeString(lib, Files.readString(lib) + "\n// changed\n");
        String afterLib = runSetup(copy, Map.of()).step("setup").outputs().get("cache-key");
        assertNotEquals(key, afterLib, "a lib file is in the key");
        Files.writeString(copy.resolve("lib/util/New.java"), "package lib.util;\n");
        assertNotEquals(afterLib, runSetup(copy, Map.of()).step("setup").outputs().get("cache-key"), "a new lib file too");

        // the job's env moves the caches
        Map<String, String> moved = runSetup(copy, Map.of("JBANG_DIR", "/opt/jb", "JBANG_REPO", "/opt/m2",
                "JBANG_LAUNCHER_CACHE", "/opt/launcher")).step("setup").outputs();
        assertEquals(List.of("/opt/launcher", "/opt/jb", "/opt/m2"),
                List.of(moved.get("launcher-cache"), moved.get("jbang-dir"), moved.get("maven-repo")));
    }

    @Test
    void javaIsTheRunnersOwnWhenItIs17AndAPreinstalled17OtherwiseOrAnErrorNamingSetupJava() throws Exception {
        Path java11 = fakeJdk("jdk-11", "11.0.24");
        Path java17 = fakeJdk("jdk-17", "17.0.12");
        Path java21 = fakeJdk("jdk-21", "21.0.4");

        // JAVA_HOME is 17+: used as it is, not exported again
        Map<String, String> own = runSetup(root, Map.of("JAVA_HOME", java21.toString())).step("setup").outputs();
        assertEquals("21.0.4", own.get("java-version"));
        assertEquals("", own.get("java-home"));
        // JAVA_HOME is 11 (an older runner image): the lowest preinstalled 17+ is exported for the scripts
        Map<String, String> picked = runSetup(root, Map.of("JAVA_HOME", java11.toString(), "JAVA_HOME_21_X64", java21.toString(),
                "JAVA_HOME_17_X64", java17.toString(), "JAVA_HOME_11_X64", java11.toString())).step("setup").outputs();
        assertEquals("17.0.12", picked.get("java-version"));
        assertEquals(java17.toString(), picked.get("java-home"));
        // none: the step fails and says what to add
        ActionRunner.Result none = runSetup(root, Map.of("JAVA_HOME", java11.toString()), null);
        assertFalse(none.succeeded());
        assertEquals(1, none.step("setup").exitCode());
        assertTrue(none.step("setup").stdout().contains("actions/setup-java"), none.log());
        assertEquals("skipped", none.step("track").outcome(), "nothing is dispatched");
    }

    // ---------------------------------------------------------------- bad inputs (no JVM)

    @Test
    void badInputsFailTheStepBeforeAnythingIsDispatchedAndAreNeverEchoed() throws Exception {
        Path marker = tmp.resolve("pwned");
        String hostile = "$(touch " + marker + ")";
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            List<Map<String, String>> cases = List.of(
                    Map.of("until", hostile),
                    Map.of("until", "forever"),
                    Map.of("webhook-only", "yes"),
                    Map.of("cancel-on-timeout", hostile),
                    Map.of("ref", "main\n::set-output name=run_id::666"),
                    Map.of("repo", "octo-org/octo-repo\r\n"),
                    Map.of("workflow", ""),
                    Map.of("token", ""));
            for (Map<String, String> bad : cases) {
                ActionRunner.Invocation call = invocation(sim);
                call.with.putAll(bad);
                if (!bad.containsKey("workflow")) call.with("workflow", "dispatch-webhook.yml");
                ActionRunner.Result r = ActionRunner.load(root).run(call);
                ActionRunner.StepResult track = r.step("track");
                assertEquals(2, track.exitCode(), bad + "\n" + r.log());
                assertFalse(r.succeeded());
                String name = bad.keySet().iterator().next();
                assertTrue(track.stdout().contains("::error") && track.stdout().contains("'" + name + "'"), track.stdout());
                String value = bad.values().iterator().next();
                if (!value.isEmpty()) assertFalse(track.stdout().contains(value.strip()), "the value is echoed: " + track.stdout());
                assertEquals("", r.outputs().get("run_id"));
            }
            assertFalse(Files.exists(marker), "an input ran as shell code");
            assertEquals(List.of(), sim.requests(), "nothing reached GitHub");
        }
    }

    // ---------------------------------------------------------------- end to end, through ./jbang

    /**
     * until: run-id (the default). The inputs carry quotes, $(...), backticks, '=' and spaces; each reaches the
     * simulator's dispatch exactly as written, and none runs. The workspace is a checkout of the target
     * repository on another branch, yet the ref is the repository's default branch, as the input says.
     */
    @Test
    void untilRunIdDispatchesTheInputsLiterallyAndGivesTheRunIdAndItsUrl() throws Exception {
        Path marker = tmp.resolve("pwned");
        Map<String, String> literal = new LinkedHashMap<>();
        literal.put("environment", "production");
        literal.put("note", "x\"; touch " + marker + "-note; echo \"");
        literal.put("cmd", "$(touch " + marker + "-cmd)");
        literal.put("ticks", "`touch " + marker + "-ticks`");
        literal.put("equation", "a=b==c=");
        literal.put("spaces", "  two  spaces and a tab\t ");
        literal.put("quotes", "'single' \"double\" \\back\\slash $HOME ${HOME} ~ * ;|&");
        StringBuilder inputs = new StringBuilder("# deployment settings\n\n");
        literal.forEach((k, v) -> inputs.append(k).append('=').append(v).append('\n'));

        try (GitHubSimulator sim = GitHubSimulator.start(GitHubSimulator.Config.defaults().branches("trunk", "feature"))) {
            sim.addWorkflow("Deploy", "deploy.yml", DEPLOY_INPUTS, "Deploy - Dispatch Webhook (${{ inputs.correlation_id }})", true);
            ActionRunner.Invocation call = invocation(sim).with("workflow", "deploy.yml").with("inputs", inputs.toString());
            boolean checkout = checkoutOfTheTarget(call.workspace, "feature");

            ActionRunner.Result r = ActionRunner.load(root).run(call);
            assertTrue(r.succeeded(), r.log());

            assertEquals(1, sim.runs().size());
            SimState.Run run = sim.runs().get(0);
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put("correlation_id", r.outputs().get("correlation_id"));
            expected.putAll(literal);
            assertEquals(expected, run.inputs, "the dispatch inputs, as written");
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("pwned")).toList(), "an input ran");
            }
            if (checkout) assertEquals("trunk", run.headBranch, "the target's default branch, not the checkout's");

            assertEquals(String.valueOf(run.id), r.outputs().get("run_id"));
            assertTrue(r.outputs().get("correlation_id").matches("[0-9a-f-]{36}"), r.outputs().toString());
            assertEquals(sim.webUrl() + "/" + sim.repo() + "/actions/runs/" + run.id, r.outputs().get("run_url"));
            assertEquals("", r.outputs().get("status"), "not followed: no status");
            assertEquals("", r.outputs().get("conclusion"));
            assertTrue(r.summary().contains("[" + run.id + "](" + r.outputs().get("run_url") + ")"), r.summary());

            // the run record is under the runner's temp folder, not in the caller's workspace
            assertTrue(Files.exists(call.runnerTemp.resolve("actions-webhook-tracker/runs/" + r.outputs().get("correlation_id") + ".json")));
            assertFalse(Files.exists(call.workspace.resolve("runs")));
            // the token: sent as the Authorization, never printed
            assertTrue(sim.lastRequestHeaders().get("Authorization").endsWith(sim.token()));
            r.steps().forEach(s -> assertFalse((s.stdout() + s.stderr()).contains(sim.token()), "the token in the log of " + s.id()));

            // the caches: the folders the setup step names are where the tools put things, and they would be saved
            Map<String, String> setup = r.step("setup").outputs();
            assertTrue(Files.isDirectory(Path.of(setup.get("jbang-dir"), "cache", "jars")), setup.toString());
            assertTrue(Files.isDirectory(Path.of(setup.get("maven-repo"), "info", "picocli", "picocli")), setup.toString());
            if (launcherIsInUse()) {
                try (Stream<Path> jars = Files.list(Path.of(setup.get("launcher-cache")))) {
                    assertTrue(jars.anyMatch(p -> p.getFileName().toString().matches("jbang-cli-.*\\.jar")), setup.toString());
                }
            }
            assertEquals("success", r.step("settle").outcome(), r.log());
            assertEquals("true", r.step("settle").outputs().get("save"));
            assertEquals(StepResultOutcome.WOULD_RUN, outcomeOf(r, "actions/cache/save@v5"));
        }
    }

    /** webhook-only: dispatched, the run id left to the webhook: no runs list, no GET run. */
    @Test
    void webhookOnlyDispatchesAndLeavesTheRunIdToTheWebhook() throws Exception {
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            ActionRunner.Invocation call = invocation(sim).with("workflow", "dispatch-webhook.yml").with("webhook-only", "true")
                    .with("ref", "main");
            ActionRunner.Result r = ActionRunner.load(root).run(call);
            assertTrue(r.succeeded(), r.log());
            assertEquals(1, sim.runs().size());
            SimState.Run run = sim.runs().get(0);
            assertEquals(run.inputs.get("correlation_id"), r.outputs().get("correlation_id"));
            assertEquals(Map.of("correlation_id", r.outputs().get("correlation_id")), run.inputs, "no webhook_url from the env");
            assertEquals("", r.outputs().get("run_id"));
            assertEquals("", r.outputs().get("run_url"));
            assertEquals(0, sim.requestCount("GET", "/repos/" + sim.repo() + "/actions/workflows/dispatch-webhook.yml/runs"));
            assertEquals(0, sim.requestCount("GET", "/repos/" + sim.repo() + "/actions/runs/" + run.id));
            assertEquals("", r.summary(), "no run to link");
        }
    }

    /** until: completed follows the run (trigger-and-track --until completed, from the 'follow' work). */
    @Test
    void untilCompletedGivesTheStatusTheConclusionAndTheRunUrl() throws Exception {
        assumeTrue(triggerAndTrackFollowsRuns(), "trigger-and-track has no --until yet");
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            sim.phaseDelays(Duration.ofMillis(300), Duration.ofMillis(300)).conclusion("success");
            ActionRunner.Invocation call = invocation(sim).with("workflow", "dispatch-webhook.yml").with("ref", "main")
                    .with("until", "completed").with("interval", "0.2").with("timeout", "60");
            ActionRunner.Result r = ActionRunner.load(root).run(call);
            assertTrue(r.succeeded(), r.log());
            SimState.Run run = sim.runs().get(0);
            assertEquals(String.valueOf(run.id), r.outputs().get("run_id"));
            assertEquals("completed", r.outputs().get("status"));
            assertEquals("success", r.outputs().get("conclusion"));
            assertEquals(sim.webUrl() + "/" + sim.repo() + "/actions/runs/" + run.id, r.outputs().get("run_url"));
            assertFalse(r.summary().isBlank(), "the script's step summary");
        }
    }

    /** A run that concludes failure fails the step (exit 5), and the outputs still say what happened. */
    @Test
    void untilCompletedFailsTheStepWhenTheRunFailsAndKeepsTheOutputs() throws Exception {
        assumeTrue(triggerAndTrackFollowsRuns(), "trigger-and-track has no --until yet");
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            sim.phaseDelays(Duration.ofMillis(200), Duration.ofMillis(200)).conclusion("failure");
            ActionRunner.Invocation call = invocation(sim).with("workflow", "dispatch-webhook.yml").with("ref", "main")
                    .with("until", "completed").with("interval", "0.2").with("timeout", "60");
            ActionRunner.Result r = ActionRunner.load(root).run(call);
            assertFalse(r.succeeded());
            assertEquals(5, r.step("track").exitCode(), r.log());
            assertEquals("completed", r.outputs().get("status"));
            assertEquals("failure", r.outputs().get("conclusion"));
            assertEquals(String.valueOf(sim.runs().get(0).id), r.outputs().get("run_id"));
            assertEquals("success", r.step("settle").outcome(), "the caches are still saved");
        }
    }

    // ---------------------------------------------------------------- helpers

    enum StepResultOutcome { WOULD_RUN, SKIPPED }

    static StepResultOutcome outcomeOf(ActionRunner.Result r, String uses) {
        ActionRunner.StepResult s = r.steps().stream().filter(x -> uses.equals(x.uses())).findFirst().orElseThrow();
        return s.conditionMet() ? StepResultOutcome.WOULD_RUN : StepResultOutcome.SKIPPED;
    }

    /** Whether trigger-and-track (compiled into this suite from the same source the action runs) has --until. */
    static boolean triggerAndTrackFollowsRuns() {
        return Testing.run(new TriggerAndTrack(), "--help").out().contains("--until");
    }

    /** The runner's environment: this process's, without anything that could point at a real GitHub. */
    static Map<String, String> runnerProcessEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        System.getenv().forEach((k, v) -> {
            boolean github = k.startsWith("GITHUB_") || k.startsWith("GH_") || k.startsWith("WEBHOOK_") || k.startsWith("RUNNER_")
                    || k.startsWith("ACTIONS_") || k.startsWith("JAVA_HOME_");
            if (!github) env.put(k, v);
        });
        return env;
    }

    ActionRunner.Invocation invocation(GitHubSimulator sim) throws IOException {
        ActionRunner.Invocation call = new ActionRunner.Invocation();
        call.workspace = Files.createDirectories(tmp.resolve("workspace"));
        call.runnerTemp = Files.createDirectories(tmp.resolve("runner-temp"));
        call.processEnv.putAll(runnerProcessEnv());
        call.github.put("repository", sim.repo());
        call.github.put("token", sim.token());
        call.github.put("api_url", sim.apiUrl());
        call.github.put("server_url", sim.webUrl());
        call.runner.put("os", "Linux");
        call.runner.put("arch", "X64");
        // a job env that would add a webhook_url input if the action let it through
        call.jobEnv.put("WEBHOOK_URL", "https://example.invalid/hook");
        return call;
    }

    /** The setup step and the restore step's with:, for the action in {@code actionDir}, with extra job env. */
    ActionRunner.Result runSetup(Path actionDir, Map<String, String> jobEnv) throws Exception {
        return runSetup(actionDir, jobEnv, "restore");
    }

    ActionRunner.Result runSetup(Path actionDir, Map<String, String> jobEnv, String stopAfter) throws Exception {
        ActionRunner.Invocation call = new ActionRunner.Invocation();
        call.workspace = Files.createDirectories(tmp.resolve("workspace"));
        call.runnerTemp = Files.createDirectories(tmp.resolve("runner-temp"));
        call.processEnv.putAll(runnerProcessEnv());
        call.processEnv.remove("JAVA_HOME");
        call.github.put("repository", "octo-org/octo-repo");
        call.github.put("token", "unused");
        call.github.put("api_url", "http://127.0.0.1:9");
        call.runner.put("os", "Linux");
        call.runner.put("arch", "X64");
        call.jobEnv.putAll(jobEnv);
        call.with("workflow", "dispatch-webhook.yml");
        call.stopAfter = stopAfter;
        return ActionRunner.load(actionDir).run(call);
    }

    /** A JDK folder with only its release file: what the setup step reads. */
    Path fakeJdk(String name, String version) throws IOException {
        Path home = Files.createDirectories(tmp.resolve(name));
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    /** The action's files (scripts, lib, launcher, catalog, action.yml, README) in {@code target}. */
    Path copyOfTheAction(Path target) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> top = Files.list(root)) {
            top.filter(p -> p.toString().endsWith(".java") || List.of("jbang", "jbang-catalog.json", "action.yml", "README.md")
                    .contains(p.getFileName().toString())).forEach(files::add);
        }
        try (Stream<Path> lib = Files.walk(root.resolve("lib"))) {
            lib.filter(Files::isRegularFile).forEach(files::add);
        }
        for (Path f : files) {
            Path to = target.resolve(root.relativize(f).toString());
            Files.createDirectories(to.getParent());
            Files.copy(f, to);
        }
        return target;
    }

    /** Makes {@code dir} a git checkout of the simulator's repository on {@code branch}; false when git is not there. */
    static boolean checkoutOfTheTarget(Path dir, String branch) throws Exception {
        for (List<String> cmd : List.of(List.of("git", "init", "-q"), List.of("git", "checkout", "-q", "-b", branch),
                List.of("git", "remote", "add", "origin", "https://github.com/octo-org/octo-repo.git"))) {
            Process p;
            try {
                p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            } catch (IOException noGit) {
                return false;
            }
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) return false;
        }
        return true;
    }

    /** True unless a real jbang on PATH takes over from ./jbang (then the launcher's cache stays empty). */
    static boolean launcherIsInUse() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "jbang");
            try {
                if (Files.isExecutable(candidate) && !Files.isSameFile(candidate, root.resolve("jbang"))) return false;
            } catch (IOException e) {
                // unreadable: not ours to judge
            }
        }
        return true;
    }

    static JsonNode step(String id) {
        for (JsonNode s : action.at("/runs/steps")) if (id.equals(s.path("id").asText())) return s;
        throw new AssertionError("no step " + id);
    }

    static List<String> names(JsonNode map) {
        List<String> names = new ArrayList<>();
        map.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }
}
