package lib.follow;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How following a run ended: the newest attempt as last seen, its jobs, and whether it completed,
 * timed out (and whether a cancel was requested then, or why the cancel failed: {@code cancelError}).
 * {@code seenBy} says who saw the completion first ("webhook" or "api"); {@code logs} holds the log
 * tails of failed jobs, by job id.
 */
public record RunOutcome(RunState run, List<Job> jobs, boolean timedOut, boolean cancelRequested, String seenBy,
        Map<Long, LogTail> logs, String cancelError) {

    /** An outcome without a failed cancel. */
    public RunOutcome(RunState run, List<Job> jobs, boolean timedOut, boolean cancelRequested, String seenBy,
            Map<Long, LogTail> logs) {
        this(run, jobs, timedOut, cancelRequested, seenBy, logs, null);
    }

    /** The last lines of a job's log, or why they could not be read. */
    public record LogTail(List<String> lines, String error) {}

    /** Conclusions that count as success: a pipeline goes on after these. */
    public static final Set<String> SUCCESSFUL = Set.of("success", "neutral", "skipped");

    public static boolean isSuccessful(String conclusion) {
        return conclusion != null && SUCCESSFUL.contains(conclusion);
    }

    public boolean completed() {
        return !timedOut && run != null && run.completed();
    }

    /** Completed with success, neutral or skipped. */
    public boolean successful() {
        return completed() && isSuccessful(run.conclusion());
    }

    public List<Job> failedJobs() {
        return jobs.stream().filter(Job::failed).toList();
    }

    /**
     * Adds the outcome to a command's JSON line: status, conclusion, run_attempt, completed_at,
     * duration_s, jobs (name, conclusion, url, failed_steps), cancel_requested, outcome_source.
     */
    public ObjectNode addTo(ObjectNode json) {
        json.put("status", run == null ? null : run.status());
        json.put("conclusion", completed() ? run.conclusion() : null);
        if (run == null) json.putNull("run_attempt");
        else json.put("run_attempt", run.attempt());
        json.put("completed_at", completed() && run.completedAt() != null ? run.completedAt().toString() : null);
        Long duration = completed() ? run.durationSeconds() : null;
        if (duration == null) json.putNull("duration_s");
        else json.put("duration_s", duration);
        ArrayNode list = json.putArray("jobs");
        jobs.forEach(j -> list.add(j.toJson()));
        json.put("cancel_requested", cancelRequested);
        json.put("outcome_source", completed() ? seenBy : null);
        if (timedOut) json.put("timed_out", true);
        return json;
    }
}
