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

    /** The row that satisfies the condition: the most advanced status, then the latest attempt. */
    public Optional<IndexRow> match(List<IndexRow> rows) {
        return acceptable(rows).stream()
                .filter(r -> !untilCompleted || "completed".equals(r.status()))
                .max(Comparator.<IndexRow>comparingInt(r -> WorkflowRunEvent.statusRank(r.status()))
                        .thenComparingLong(IndexRow::runAttempt));
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
        IndexRow latest = new WaitCondition(allowUnverified, false).match(rows).orElseThrow();
        return "run " + latest.runId() + " is " + latest.status();
    }

    private List<IndexRow> acceptable(List<IndexRow> rows) {
        return rows.stream().filter(r -> r.isRun() && (allowUnverified || r.verified())).toList();
    }
}
