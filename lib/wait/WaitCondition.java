package lib.wait;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import lib.util.Json;
import lib.webhook.WorkflowRunEvent;

/**
 * Which stored {@code workflow_run} row ends a wait: verified (or any, when unverified rows are
 * allowed) and, with {@code untilCompleted}, one whose status is {@code completed}.
 * Also says, on a timeout, what was seen instead.
 */
public record WaitCondition(boolean allowUnverified, boolean untilCompleted) {

    /** The row that satisfies the condition: the most advanced status, then the latest attempt. */
    public Optional<JsonNode> match(ArrayNode rows) {
        return acceptable(rows).stream()
                .filter(r -> !untilCompleted || "completed".equals(Json.text(r, "status")))
                .max(Comparator.<JsonNode>comparingInt(r -> WorkflowRunEvent.statusRank(Json.text(r, "status")))
                        .thenComparingLong(r -> r.path("run_attempt").asLong(0)));
    }

    /** One phrase for the timeout message: what the rows hold instead of a match. */
    public String describeUnmet(ArrayNode rows, long otherCorrelationDeliveries) {
        List<JsonNode> runRows = runRows(rows);
        if (runRows.isEmpty()) {
            return "no delivery for this correlation; " + otherCorrelationDeliveries
                    + " deliveries of other correlations arrived meanwhile";
        }
        List<JsonNode> ok = acceptable(rows);
        if (ok.isEmpty()) {
            return "only unverified deliveries (" + runRows.size() + "); pass --allow-unverified to accept them";
        }
        JsonNode latest = new WaitCondition(allowUnverified, false).match(rows).orElseThrow();
        return "run " + Json.text(latest, "run_id") + " is " + Json.text(latest, "status");
    }

    private List<JsonNode> acceptable(ArrayNode rows) {
        List<JsonNode> ok = new ArrayList<>();
        for (JsonNode r : runRows(rows)) {
            if (allowUnverified || r.path("verified").asBoolean(false)) ok.add(r);
        }
        return ok;
    }

    /** Rows of workflow_run deliveries (workflow_job rows are filed beside them). */
    private static List<JsonNode> runRows(ArrayNode rows) {
        List<JsonNode> result = new ArrayList<>();
        for (JsonNode r : rows) {
            String event = Json.text(r, "event");
            if ((event == null || "workflow_run".equals(event)) && r.hasNonNull("run_id")) result.add(r);
        }
        return result;
    }
}
