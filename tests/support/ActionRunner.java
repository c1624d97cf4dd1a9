//DEPS com.fasterxml.jackson.dataformat:jackson-dataformat-yaml:2.23.0

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Runs a composite action (action.yml) the way a GitHub runner does, without GitHub:
 * <ul>
 * <li>the inputs are the caller's {@code with:} values, else the declared defaults, whose expressions are evaluated;</li>
 * <li>each step's {@code if:} is evaluated ({@code success()} when absent, implied when no status function is named);
 *     after a failed step the others are skipped unless their condition says otherwise, and the action fails;</li>
 * <li>{@code env:}, {@code with:}, {@code working-directory:} and {@code run:} have their {@code ${{ }}} parts substituted
 *     before anything runs: in a {@code run:} script that happens before the shell parses it, as on GitHub;</li>
 * <li>a {@code run:} step runs as {@code bash --noprofile --norc -eo pipefail SCRIPT} in the workspace, with fresh
 *     GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files and GITHUB_ACTION_PATH, RUNNER_TEMP, ...
 *     set; what it writes there becomes its outputs, later steps' environment and PATH, and the job's summary;</li>
 * <li>a {@code uses:} step is not run (its {@code with:} is evaluated and kept, so tests can check what it would get);</li>
 * <li>at the end the action's {@code outputs:} are evaluated, also when a step failed.</li>
 * </ul>
 * YAML is read with jackson-dataformat-yaml (the Jackson version the scripts use). A step key or expression this
 * emulation does not know is an error, never silently ignored.
 */
final class ActionRunner {
    static final Set<String> STEP_KEYS = Set.of("name", "id", "if", "shell", "run", "env", "uses", "with", "working-directory");

    final Path actionDir;
    final JsonNode action;

    private ActionRunner(Path actionDir, JsonNode action) {
        this.actionDir = actionDir;
        this.action = action;
    }

    /** Reads {@code action.yml} from {@code actionDir}. */
    static ActionRunner load(Path actionDir) throws IOException {
        return new ActionRunner(actionDir, readYaml(actionDir.resolve("action.yml")));
    }

    static JsonNode readYaml(Path file) throws IOException {
        return new YAMLMapper().readTree(file.toFile());
    }

    /** Everything one run of the action needs from its caller and its runner. */
    static final class Invocation {
        final Map<String, String> with = new LinkedHashMap<>();
        /** The github context (repository, token, api_url, server_url, ...); workspace and action_path are added. */
        final Map<String, String> github = new LinkedHashMap<>();
        /** The runner context (os, arch, temp, ...); temp is added. */
        final Map<String, String> runner = new LinkedHashMap<>();
        /** The job's env: (the env context, and variables of every step). */
        final Map<String, String> jobEnv = new LinkedHashMap<>();
        /** The runner process's own environment (PATH, HOME, ...). */
        final Map<String, String> processEnv = new LinkedHashMap<>();
        Path workspace;
        Path runnerTemp;
        Duration stepTimeout = Duration.ofMinutes(4);
        /** Stop after this step id (null: run them all). */
        String stopAfter;

        Invocation with(String input, String value) {
            with.put(input, value);
            return this;
        }
    }

    /** One step: its outcome is success, failure, skipped (its condition was false) or "not run" for a uses: step. */
    record StepResult(String id, String name, String uses, boolean conditionMet, String outcome, Integer exitCode,
            Map<String, String> with, Map<String, String> env, String script, Map<String, String> outputs,
            String stdout, String stderr) {
        static final String NOT_RUN = "not run";

        String log() {
            return "step " + (id != null ? id : name) + " (" + outcome + (exitCode != null ? ", exit " + exitCode : "")
                    + ")\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    record Result(boolean succeeded, Map<String, String> outputs, List<StepResult> steps, String summary,
            Map<String, String> envFile) {
        StepResult step(String id) {
            return steps.stream().filter(s -> id.equals(s.id())).findFirst()
                    .orElseThrow(() -> new AssertionError("no step with id " + id + " ran: " + steps));
        }

        /** Every step's outcome, exit code and output, for assertion messages. */
        String log() {
            StringBuilder sb = new StringBuilder();
            steps.forEach(s -> sb.append(s.log()).append('\n'));
            return sb.toString();
        }
    }

    Result run(Invocation call) throws IOException, InterruptedException {
        Files.createDirectories(call.runnerTemp);
        Map<String, Object> github = new LinkedHashMap<>(call.github);
        github.put("workspace", call.workspace.toString());
        github.put("action_path", actionDir.toString());
        Map<String, Object> runner = new LinkedHashMap<>(call.runner);
        runner.put("temp", call.runnerTemp.toString());
        Map<String, Object> steps = new LinkedHashMap<>();
        Map<String, String> envFromFiles = new LinkedHashMap<>();
        List<String> pathAdditions = new ArrayList<>();

        Map<String, Object> contexts = new LinkedHashMap<>();
        contexts.put("github", github);
        contexts.put("runner", runner);
        contexts.put("env", new LinkedHashMap<>(call.jobEnv));
        contexts.put("inputs", inputs(call, contexts));
        contexts.put("steps", steps);

        JsonNode runs = action.path("runs");
        if (!"composite".equals(runs.path("using").asText())) throw new IllegalStateException("not a composite action");
        boolean failed = false;
        StringBuilder summary = new StringBuilder();
        List<StepResult> results = new ArrayList<>();
        for (JsonNode step : runs.path("steps")) {
            step.fieldNames().forEachRemaining(k -> {
                if (!STEP_KEYS.contains(k)) throw new IllegalStateException("the harness does not emulate the step key '" + k + "'");
            });
            String id = step.hasNonNull("id") ? step.get("id").asText() : null;
            String name = step.path("name").asText(id);
            Map<String, Object> env = new LinkedHashMap<>(call.jobEnv);
            env.putAll(envFromFiles);
            contexts.put("env", env);
            ActionExpressions.Status status = new ActionExpressions.Status(failed, false);
            boolean conditionMet = ActionExpressions.condition(step.path("if").asText(null), contexts, status);

            StepResult result;
            if (step.has("uses")) {
                Map<String, String> with = renderAll(step.path("with"), contexts, status);
                result = new StepResult(id, name, step.get("uses").asText(), conditionMet, conditionMet ? StepResult.NOT_RUN : "skipped",
                        null, with, Map.of(), null, Map.of(), "", "");
            } else if (!conditionMet) {
                result = new StepResult(id, name, null, false, "skipped", null, Map.of(), Map.of(), null, Map.of(), "", "");
            } else {
                result = runStep(call, step, id, name, contexts, status, envFromFiles, pathAdditions, summary);
                if (!"success".equals(result.outcome())) failed = true;
            }
            results.add(result);
            if (id != null) {
                Map<String, Object> stepContext = new LinkedHashMap<>();
                stepContext.put("outputs", new LinkedHashMap<>(result.outputs()));
                String outcome = result.outcome().equals(StepResult.NOT_RUN) ? "success" : result.outcome();
                stepContext.put("outcome", outcome);
                stepContext.put("conclusion", outcome);
                steps.put(id, stepContext);
            }
            if (id != null && id.equals(call.stopAfter)) break;
        }

        Map<String, String> outputs = new LinkedHashMap<>();
        ActionExpressions.Status end = new ActionExpressions.Status(failed, false);
        action.path("outputs").fields().forEachRemaining(e ->
                outputs.put(e.getKey(), ActionExpressions.render(e.getValue().path("value").asText(""), contexts, end)));
        return new Result(!failed, outputs, results, summary.toString(), envFromFiles);
    }

    /** The inputs context: the caller's with: values, else the defaults (rendered); an undeclared input is an error. */
    private Map<String, Object> inputs(Invocation call, Map<String, Object> contexts) {
        JsonNode declared = action.path("inputs");
        for (String given : call.with.keySet()) {
            if (!declared.has(given)) throw new IllegalArgumentException("the action has no input '" + given + "'");
        }
        Map<String, Object> inputs = new LinkedHashMap<>();
        contexts.put("inputs", inputs);
        declared.fields().forEachRemaining(e -> {
            String value = call.with.containsKey(e.getKey()) ? call.with.get(e.getKey())
                    : ActionExpressions.render(e.getValue().path("default").asText(""), contexts, ActionExpressions.Status.OK);
            inputs.put(e.getKey(), value);
        });
        return inputs;
    }

    private static Map<String, String> renderAll(JsonNode map, Map<String, Object> contexts, ActionExpressions.Status status) {
        Map<String, String> out = new LinkedHashMap<>();
        map.fields().forEachRemaining(e -> out.put(e.getKey(), ActionExpressions.render(e.getValue().asText(), contexts, status)));
        return out;
    }

    private StepResult runStep(Invocation call, JsonNode step, String id, String name, Map<String, Object> contexts,
            ActionExpressions.Status status, Map<String, String> envFromFiles, List<String> pathAdditions,
            StringBuilder summary) throws IOException, InterruptedException {
        String shell = step.path("shell").asText("");
        if (!shell.equals("bash")) throw new IllegalStateException("step " + name + ": the harness runs shell: bash only, not '" + shell + "'");
        Map<String, String> stepEnv = renderAll(step.path("env"), contexts, status);
        String script = ActionExpressions.render(step.path("run").asText(), contexts, status);
        Path workDir = step.has("working-directory")
                ? call.workspace.resolve(ActionExpressions.render(step.get("working-directory").asText(), contexts, status))
                : call.workspace;

        Path files = Files.createDirectories(call.runnerTemp.resolve("_runner_file_commands"));
        String tag = UUID.randomUUID().toString();
        Path output = Files.createFile(files.resolve("set_output_" + tag));
        Path envFile = Files.createFile(files.resolve("set_env_" + tag));
        Path pathFile = Files.createFile(files.resolve("add_path_" + tag));
        Path summaryFile = Files.createFile(files.resolve("step_summary_" + tag));
        Path scriptFile = call.runnerTemp.resolve(tag + ".sh");
        Files.writeString(scriptFile, script, StandardCharsets.UTF_8);

        Map<String, String> env = new TreeMap<>(call.processEnv);
        call.github.forEach((k, v) -> {
            if (!k.equals("token")) env.put("GITHUB_" + k.toUpperCase(Locale.ROOT), v);
        });
        call.runner.forEach((k, v) -> env.put("RUNNER_" + k.toUpperCase(Locale.ROOT), v));
        env.put("GITHUB_ACTIONS", "true");
        env.put("CI", "true");
        env.put("GITHUB_WORKSPACE", call.workspace.toString());
        env.put("GITHUB_ACTION_PATH", actionDir.toString());
        env.put("RUNNER_TEMP", call.runnerTemp.toString());
        env.put("GITHUB_OUTPUT", output.toString());
        env.put("GITHUB_ENV", envFile.toString());
        env.put("GITHUB_PATH", pathFile.toString());
        env.put("GITHUB_STEP_SUMMARY", summaryFile.toString());
        env.putAll(call.jobEnv);
        env.putAll(envFromFiles);
        env.putAll(stepEnv);
        if (!pathAdditions.isEmpty()) {
            env.put("PATH", String.join(File.pathSeparator, pathAdditions) + File.pathSeparator + env.getOrDefault("PATH", ""));
        }

        Path stdout = files.resolve("stdout_" + tag);
        Path stderr = files.resolve("stderr_" + tag);
        ProcessBuilder pb = new ProcessBuilder("bash", "--noprofile", "--norc", "-eo", "pipefail", scriptFile.toString())
                .directory(workDir.toFile()).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        Integer exit;
        if (p.waitFor(call.stepTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
            exit = p.exitValue();
        } else {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            exit = null;
        }

        Map<String, String> outputs = readCommandFile(output);
        envFromFiles.putAll(readCommandFile(envFile));
        for (String line : Files.readAllLines(pathFile)) {
            if (!line.isBlank()) pathAdditions.add(0, line.strip());
        }
        summary.append(Files.readString(summaryFile));
        return new StepResult(id, name, null, true, exit != null && exit == 0 ? "success" : "failure", exit, Map.of(),
                stepEnv, script, outputs, Files.readString(stdout), Files.readString(stderr)
                        + (exit == null ? "\n[harness] the step did not finish within " + call.stepTimeout : ""));
    }

    /**
     * A GITHUB_OUTPUT or GITHUB_ENV file: {@code name=value} lines and {@code name<<DELIMITER} blocks ending at a
     * line that is the delimiter; a later line for a name wins. A block without its delimiter is an error, as on GitHub.
     */
    static Map<String, String> readCommandFile(Path file) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) continue;
            int eq = line.indexOf('=');
            int heredoc = line.indexOf("<<");
            if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
                String key = line.substring(0, heredoc);
                String delimiter = line.substring(heredoc + 2);
                List<String> value = new ArrayList<>();
                i++;
                while (i < lines.size() && !lines.get(i).equals(delimiter)) value.add(lines.get(i++));
                if (i >= lines.size()) throw new IllegalStateException("no closing " + delimiter + " for " + key + " in " + file);
                values.put(key, String.join("\n", value));
            } else if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            } else {
                throw new IllegalStateException("invalid line in " + file.getFileName() + ": " + line);
            }
        }
        return values;
    }
}
