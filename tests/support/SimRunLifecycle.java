import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A dispatched run's life: created queued, then in progress, then completed on the clock, each phase announced by webhook. */
final class SimRunLifecycle {
    private static final Pattern RUN_NAME_INPUT = Pattern.compile("\\$\\{\\{\\s*inputs\\.([A-Za-z0-9_-]+)\\s*}}");

    private final SimState state;
    private final SimWebhooks webhooks;
    private final ScheduledExecutorService clock;

    SimRunLifecycle(SimState state, SimWebhooks webhooks, ScheduledExecutorService clock) {
        this.state = state;
        this.webhooks = webhooks;
        this.clock = clock;
    }

    SimState.Run createRun(SimState.Workflow w, String branch, Map<String, String> inputs) {
        String title = w.runNameTemplate == null ? w.name : renderRunName(w.runNameTemplate, inputs);
        SimState.Run run = new SimState.Run(state.nextRunId++, w, w.runNumbers.incrementAndGet(), title, branch, state.headSha, inputs, state.nextJobId++);
        state.runs.put(run.id, run);
        begin(run);
        return run;
    }

    /** A run in another repository of the organisation: not in the repository's runs list, delivered to organisation hooks. */
    SimState.Run startRunIn(SimState.Repo repo, SimState.Workflow w, String title) {
        SimState.Run run = new SimState.Run(state.nextRunId++, w, w.runNumbers.incrementAndGet(), title, "main", state.headSha,
                Map.of(), state.nextJobId++, repo);
        begin(run);
        return run;
    }

    private void begin(SimState.Run run) {
        webhooks.emitRunEvent(run, "workflow_run", "requested");
        webhooks.emitRunEvent(run, "workflow_job", "queued");
        clock.schedule(() -> advance(run, "in_progress"), state.queuedFor.toMillis(), TimeUnit.MILLISECONDS);
        clock.schedule(() -> advance(run, "completed"), state.queuedFor.plus(state.inProgressFor).toMillis(), TimeUnit.MILLISECONDS);
    }

    static String renderRunName(String template, Map<String, String> inputs) {
        Matcher m = RUN_NAME_INPUT.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(inputs.getOrDefault(m.group(1), "")));
        m.appendTail(out);
        return out.toString();
    }

    private void advance(SimState.Run run, String status) {
        synchronized (state.lock) {
            run.status = status;
            run.updatedAt = Instant.now();
            if (status.equals("in_progress")) {
                run.startedAt = run.updatedAt;
                webhooks.emitRunEvent(run, "workflow_run", "in_progress");
                webhooks.emitRunEvent(run, "workflow_job", "in_progress");
            } else {
                run.conclusion = state.conclusion;
                webhooks.emitRunEvent(run, "workflow_job", "completed");
                webhooks.emitRunEvent(run, "workflow_run", "completed");
                webhooks.releaseHeld(run);
            }
        }
    }
}
