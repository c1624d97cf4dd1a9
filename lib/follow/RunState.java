package lib.follow;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import lib.util.Json;

/**
 * One look at a workflow run: as {@code GET /actions/runs/{id}} shows it, or as a {@code workflow_run}
 * delivery's {@code workflow_run} object carries it (the same shape). GitHub has no completion time on a
 * run: a completed run's {@code updated_at} is it (as gh uses it).
 */
public record RunState(long runId, long attempt, String status, String conclusion, String htmlUrl, String title,
        Instant startedAt, Instant updatedAt) {

    public static RunState of(JsonNode run) {
        String title = Json.text(run, "display_title");
        if (title == null || title.isEmpty()) title = Json.text(run, "name");
        return new RunState(run.path("id").asLong(), run.path("run_attempt").asLong(1), Json.text(run, "status"),
                Json.text(run, "conclusion"), Json.text(run, "html_url"), title, time(run, "run_started_at"),
                time(run, "updated_at"));
    }

    public boolean completed() {
        return "completed".equals(status);
    }

    /** When it completed (its {@code updated_at}), or null while it runs. */
    public Instant completedAt() {
        return completed() ? updatedAt : null;
    }

    /** Seconds from this attempt's start to its completion; null when either is unknown. */
    public Long durationSeconds() {
        Instant end = completedAt();
        if (end == null || startedAt == null || end.isBefore(startedAt)) return null;
        return Duration.between(startedAt, end).toSeconds();
    }

    /** Same status, conclusion and attempt: nothing a person following the run would notice changed. */
    public boolean sameAs(RunState other) {
        return other != null && attempt == other.attempt && Objects.equals(status, other.status)
                && Objects.equals(conclusion, other.conclusion);
    }

    static Instant time(JsonNode node, String field) {
        String t = Json.text(node, field);
        try {
            return t == null ? null : Instant.parse(t);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
