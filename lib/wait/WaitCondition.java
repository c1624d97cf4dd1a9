package lib.wait;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import lib.store.IndexRow;
import lib.webhook.WorkflowRunEvent;

/**
 * Which stored {@code workflow_run} row ends a wait: verified (or any, when unverified rows are
 * allowed) and, with {@code untilCompleted}, one whose status is {@code completed}.
 * Also says, on a timeout, what was seen instead.
 */
public record WaitCondition(boolean allowUnverified, boolean untilCompleted) {

    /**
     * The row that satisfies the condition: the most advanced status, then the latest attempt. With
     * {@code untilCompleted}, only the completion of a run's newest attempt counts: a re-run (a higher
     * {@code run_attempt} in any of its rows, workflow_job rows included) is waited for instead.
     */
    public Optional<IndexRow> match(List<IndexRow> rows) {
        return acceptable(rows).stream()
                .filter(r -> !untilCompleted || "completed".equals(r.status()) && r.runAttempt() >= newestAttempt(rows, r.runId()))
                .max(Comparator.<IndexRow>comparingInt(r -> WorkflowRunEvent.statusRank(r.status()))
                        .thenComparingLong(IndexRow::runAttempt));
    }

    private long newestAttempt(List<IndexRow> rows, long runId) {
        return rows.stream().filter(r -> r.runId() == runId && (allowUnverified || r.verified()))
                .mapToLong(IndexRow::runAttempt).max().orElse(0);
    }

    /** One phrase for the timeout message: what the rows hold instead of a match. */
    public String describeUnmet(List<IndexRow> rows, long otherCorrelationDeliveries) {
        List<IndexRow> runRows = rows.stream().filter(IndexRow::isRun).toList();
        if (runRows.isEmpty()) {
            return "no delivery for this correlation; " + otherCorrelationDeliveries
                    + " deliveries of other correlations arrived meanwhile";
        }
        if (acceptable(rows).isEmpty()) {
            return "only unverified deliveries (" + runRows.size() + "); pass --allow-unverified to accept them";
        }
        // the newest attempt first: after a re-run, an older attempt's completion is not where the run is
        IndexRow latest = acceptable(rows).stream().max(Comparator.comparingLong(IndexRow::runAttempt)
                .thenComparingInt(r -> WorkflowRunEvent.statusRank(r.status()))).orElseThrow();
        return "run " + latest.runId() + " is " + latest.status() + (latest.runAttempt() > 1 ? " (attempt " + latest.runAttempt() + ")" : "");
    }

    private List<IndexRow> acceptable(List<IndexRow> rows) {
        return rows.stream().filter(r -> r.isRun() && (allowUnverified || r.verified())).toList();
    }
}
