package lib.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import lib.util.Json;

/** The fields of a {@code workflow_run} delivery that tracking needs. */
public record WorkflowRunEvent(
        long runId,
        Long runNumber,
        Long runAttempt,
        String action,
        String status,
        String conclusion,
        String name,
        String displayTitle,
        String headBranch,
        String triggerEvent,
        String htmlUrl,
        String repository) {

    /** Reads a workflow_run payload; a missing or non-numeric {@code workflow_run.id} is bad input. */
    public static WorkflowRunEvent from(JsonNode payload) {
        JsonNode run = payload.get("workflow_run");
        if (run == null || !run.isObject()) {
            throw new BadDeliveryException("the payload has no workflow_run object");
        }
        JsonNode id = run.get("id");
        if (id == null || !(id.isIntegralNumber() || id.isTextual() && id.asText().matches("[0-9]{1,19}"))
                || id.asLong() <= 0) {
            throw new BadDeliveryException("the payload has no valid workflow_run.id");
        }
        return new WorkflowRunEvent(
                id.asLong(),
                number(run, "run_number"),
                number(run, "run_attempt"),
                Json.text(payload, "action"),
                Json.text(run, "status"),
                Json.text(run, "conclusion"),
                Json.text(run, "name"),
                Json.text(run, "display_title"),
                Json.text(run, "head_branch"),
                Json.text(run, "event"),
                Json.text(run, "html_url"),
                Json.text(payload.get("repository"), "full_name"));
    }

    /**
     * Whether a delivery's repository is the dispatch's: names compare ignoring case (GitHub's do), and one unknown on
     * either side (an older record, a payload without {@code repository}) does not tell them apart.
     */
    public static boolean sameRepository(String dispatched, String delivered) {
        return dispatched == null || delivered == null || dispatched.equalsIgnoreCase(delivered);
    }

    /** Orders statuses so out-of-order deliveries never move a run backwards. */
    public static int statusRank(String status) {
        if (status == null) return -1;
        return switch (status) {
            case "requested", "pending", "waiting", "queued" -> 0;
            case "in_progress" -> 1;
            case "completed" -> 2;
            default -> 0;
        };
    }

    private static Long number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.canConvertToLong() ? v.asLong() : null;
    }
}
