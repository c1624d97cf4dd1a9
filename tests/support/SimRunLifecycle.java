import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A dispatched run's life: created queued, then in progress, then completed on the clock, each phase announced
 * by webhook (one workflow_run delivery, and one workflow_job delivery per job). Cancel completes it at once
 * ("cancelled"); a re-run starts a new attempt with new jobs. Phases scheduled for an attempt that was
 * cancelled or re-run meanwhile do nothing.
 */
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
        SimState.Run run = new SimState.Run(state.nextRunId++, w, w.runNumbers.incrementAndGet(), title, branch, state.headSha, inputs);
        newJobs(run);
        state.runs.put(run.id, run);
        begin(run);
        return run;
    }

    /** A run in another repository of the organisation: not in the repository's runs list, delivered to organisation hooks. */
    SimState.Run startRunIn(SimState.Repo repo, SimState.Workflow w, String title) {
        SimState.Run run = new SimState.Run(state.nextRunId++, w, w.runNumbers.incrementAndGet(), title, "main", state.headSha,
                Map.of(), repo);
        newJobs(run);
        begin(run);
        return run;
    }

    private void begin(SimState.Run run) {
        webhooks.emitRunEvent(run, "workflow_run", "requested");
        webhooks.emitRunEvent(run, "workflow_job", "queued");
        schedule(run, run.attempt);
    }

    static String renderRunName(String template, Map<String, String> inputs) {
        Matcher m = RUN_NAME_INPUT.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(inputs.getOrDefault(m.group(1), "")));
        m.appendTail(out);
        return out.toString();
    }

    /** POST .../cancel: completes a run that has not completed as "cancelled"; false when it already completed. Holds the lock. */
    boolean cancel(SimState.Run run) {
        if (run.status.equals("completed")) return false;
        complete(run, "cancelled");
        return true;
    }

    /** POST .../rerun: a new attempt of a completed run, queued again with new jobs; false while it runs. Holds the lock. */
    boolean rerun(SimState.Run run) {
        if (!run.status.equals("completed")) return false;
        run.attempt++;
        run.status = "queued";
        run.conclusion = null;
        run.completedAt = null;
        run.updatedAt = Instant.now();
        run.startedAt = run.updatedAt;
        newJobs(run);
        webhooks.emitRunEvent(run, "workflow_run", "requested");
        webhooks.emitRunEvent(run, "workflow_job", "queued");
        schedule(run, run.attempt);
        return true;
    }

    /** The run's next phase now: in progress when queued, completed when in progress. Holds the lock. */
    void advanceNow(SimState.Run run) {
        if (run.status.equals("queued")) advance(run, run.attempt, "in_progress");
        else if (run.status.equals("in_progress")) advance(run, run.attempt, "completed");
    }

    private void newJobs(SimState.Run run) {
        List<SimState.Job> jobs = new ArrayList<>();
        for (SimState.JobSpec spec : state.jobSpecs) jobs.add(new SimState.Job(state.nextJobId++, spec, run.attempt));
        run.jobs = List.copyOf(jobs);
        run.allJobs.addAll(jobs);
    }

    private void schedule(SimState.Run run, int attempt) {
        clock.schedule(() -> advance(run, attempt, "in_progress"), state.queuedFor.toMillis(), TimeUnit.MILLISECONDS);
        clock.schedule(() -> advance(run, attempt, "completed"), state.queuedFor.plus(state.inProgressFor).toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void advance(SimState.Run run, int attempt, String status) {
        synchronized (state.lock) {
            if (run.attempt != attempt || run.status.equals("completed")) return; // cancelled or re-run meanwhile
            if (status.equals("in_progress")) {
                run.status = status;
                run.updatedAt = Instant.now();
                run.startedAt = run.updatedAt;
                webhooks.emitRunEvent(run, "workflow_run", "in_progress");
                webhooks.emitRunEvent(run, "workflow_job", "in_progress");
            } else {
                complete(run, state.conclusionFor(attempt));
            }
        }
    }

    private void complete(SimState.Run run, String conclusion) {
        run.status = "completed";
        run.conclusion = conclusion;
        run.updatedAt = Instant.now();
        run.completedAt = run.updatedAt;
        run.completedNanos = System.nanoTime();
        webhooks.emitRunEvent(run, "workflow_job", "completed");
        webhooks.emitRunEvent(run, "workflow_run", "completed");
        webhooks.releaseHeld(run);
        if (state.rerunsOnCompletion.getAndUpdate(n -> Math.max(0, n - 1)) > 0) rerun(run);
    }
}
