import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lib.util.Json;

/** The Actions endpoints: workflows, workflow_dispatch (with GitHub's validation) and the runs list with its filters. */
final class SimActionsApi extends SimApi {
    private final SimJson json;
    private final SimRunLifecycle runLifecycle;

    SimActionsApi(GitHubSimulator sim, SimState state, SimJson json, SimRunLifecycle runLifecycle) {
        super(sim, state);
        this.json = json;
        this.runLifecycle = runLifecycle;
    }

    Answer actionsRoute(String method, String[] r, Map<String, String> q, byte[] body) {
        if (r[1].equals("workflows")) {
            if (r.length == 2 && method.equals("GET")) {
                ArrayNode list = Json.array();
                state.workflows.values().forEach(w -> list.add(json.workflowJson(w)));
                ObjectNode b = Json.object().put("total_count", list.size());
                b.set("workflows", list);
                return Answer.of(200, b);
            }
            if (r.length < 3) return notFound();
            SimState.Workflow w = findWorkflow(r[2]);
            if (w == null) return notFound(DOCS + "/actions/workflows");
            if (r.length == 3 && method.equals("GET")) return Answer.of(200, json.workflowJson(w));
            if (r.length == 4 && r[3].equals("dispatches") && method.equals("POST")) return dispatch(w, body);
            if (r.length == 4 && r[3].equals("runs") && method.equals("GET")) return listRuns(w, q);
            return notFound();
        }
        if (r[1].equals("runs")) {
            if (r.length == 2 && method.equals("GET")) return listRuns(null, q);
            if (r.length < 3) return notFound();
            SimState.Run run = state.runs.get(parseLong(r[2]));
            if (run == null) return notFound(DOCS + "/actions/workflow-runs");
            if (r.length == 3 && method.equals("GET")) return Answer.of(200, json.runJson(run, false));
            if (r.length == 4 && r[3].equals("jobs") && method.equals("GET")) return listJobs(run, q);
            if (r.length == 4 && r[3].equals("cancel") && method.equals("POST")) {
                return runLifecycle.cancel(run) ? Answer.of(202, Json.object())
                        : error(409, "Cannot cancel a workflow run that is completed.", DOCS + "/actions/workflow-runs#cancel-a-workflow-run");
            }
            if (r.length == 4 && r[3].equals("rerun") && method.equals("POST")) {
                // GitHub's wording for a run that still runs is not documented; this one is ours.
                return runLifecycle.rerun(run) ? Answer.of(201, Json.object())
                        : error(403, "This workflow run is not completed yet.", DOCS + "/actions/workflow-runs#re-run-a-workflow");
            }
        }
        if (r[1].equals("jobs") && r.length >= 3) {
            long id = parseLong(r[2]);
            for (SimState.Run run : state.runs.values()) {
                for (SimState.Job job : run.allJobs) {
                    if (job.id() != id) continue;
                    if (r.length == 3 && method.equals("GET")) return Answer.of(200, json.jobJson(run, job));
                    // The log lives on another host: a short-lived pre-signed link to it.
                    if (r.length == 4 && r[3].equals("logs") && method.equals("GET")) {
                        return Answer.of(302, null).header("Location", sim.logServer().signedUrl(id));
                    }
                }
            }
            return notFound(DOCS + "/actions/workflow-jobs");
        }
        return notFound();
    }

    /** A run's jobs: the newest attempt's ({@code filter=latest}, the default) or every attempt's ({@code all}), paged. */
    private Answer listJobs(SimState.Run run, Map<String, String> q) {
        List<SimState.Job> jobs = "all".equals(q.get("filter")) ? List.copyOf(run.allJobs) : run.jobs;
        int perPage = perPage(q);
        int page = Math.max(1, (int) parseLong(q.getOrDefault("page", "1")));
        ArrayNode items = Json.array();
        jobs.stream().skip((long) (page - 1) * perPage).limit(perPage).forEach(job -> items.add(json.jobJson(run, job)));
        ObjectNode body = Json.object().put("total_count", jobs.size());
        body.set("jobs", items);
        Answer a = Answer.of(200, body);
        String link = linkHeader("/actions/runs/" + run.id + "/jobs", q, page, perPage, jobs.size());
        if (link != null) a.header("Link", link);
        return a;
    }

    private SimState.Workflow findWorkflow(String idOrFile) {
        for (SimState.Workflow w : state.workflows.values()) {
            if (String.valueOf(w.id).equals(idOrFile) || w.fileName().equals(idOrFile)) return w;
        }
        return null;
    }

    private Answer dispatch(SimState.Workflow w, byte[] body) {
        JsonNode b = parseBody(body);
        if (b == null) return error(400, "Problems parsing JSON");
        if (!b.isObject()) return error(400, "Body should be a JSON object");
        boolean rejectsRunDetails = config.enterpriseVersion != null && compareVersions(config.enterpriseVersion, "3.21.0") < 0;
        for (var it = b.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            boolean known = key.equals("ref") || key.equals("inputs") || (key.equals("return_run_details") && !rejectsRunDetails);
            if (!known) return error(422, "Invalid request.\n\n\"" + key + "\" is not a permitted key.");
        }
        if (!w.dispatchable) return error(422, "Workflow does not have 'workflow_dispatch' trigger");
        if (!w.state.equals("active")) return error(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow");
        String ref = Json.text(b, "ref");
        if (ref == null || ref.isBlank()) return error(422, "Invalid request.\n\n\"ref\" wasn't supplied.");
        String branch = resolveRef(ref);
        if (branch == null) return error(422, "No ref found for: " + ref);
        JsonNode inputs = b.path("inputs");
        Map<String, String> given = new LinkedHashMap<>();
        if (!inputs.isMissingNode() && !inputs.isNull()) {
            if (!inputs.isObject()) return error(422, "Invalid request.\n\nFor 'properties/inputs', " + inputs + " is not an object.");
            if (inputs.size() > 25) return error(422, "Invalid request.\n\nFor 'properties/inputs', the maximum number of properties is 25.");
            List<String> unexpected = new ArrayList<>();
            inputs.properties().forEach(e -> {
                if (!w.inputs.contains(e.getKey())) unexpected.add(e.getKey());
                given.put(e.getKey(), e.getValue().asText());
            });
            if (!unexpected.isEmpty()) {
                ArrayNode names = Json.array();
                unexpected.forEach(names::add);
                return error(422, "Unexpected inputs provided: " + Json.compact(names));
            }
        }
        for (String required : w.requiredInputs) {
            if (!given.containsKey(required)) return error(422, "Required input '" + required + "' not provided");
        }
        SimState.Run run = runLifecycle.createRun(w, branch, given);
        if (b.path("return_run_details").asBoolean(false)) {
            ObjectNode details = Json.object().put("workflow_run_id", run.id)
                    .put("run_url", sim.apiUrl() + sim.repoPrefix() + "/actions/runs/" + run.id)
                    .put("html_url", sim.webUrl() + "/" + sim.repo() + "/actions/runs/" + run.id);
            return Answer.of(200, details);
        }
        return Answer.of(204, null);
    }

    private String resolveRef(String ref) {
        String r = ref;
        if (r.startsWith("refs/heads/")) r = r.substring("refs/heads/".length());
        else if (r.startsWith("refs/tags/")) r = r.substring("refs/tags/".length());
        return config.branches.contains(r) || config.tags.contains(r) ? r : null;
    }

    private Answer listRuns(SimState.Workflow only, Map<String, String> q) {
        int perPage = perPage(q);
        int page = Math.max(1, (int) parseLong(q.getOrDefault("page", "1")));
        Instant visibleBefore = Instant.now().minus(state.visibilityDelay);
        List<SimState.Run> matching = new ArrayList<>();
        for (SimState.Run run : state.runs.values()) {
            if (only != null && run.workflow != only) continue;
            if (run.createdAt.isAfter(visibleBefore)) continue;
            if (q.containsKey("event") && !q.get("event").equals("workflow_dispatch")) continue;
            if (q.containsKey("branch") && !q.get("branch").equals(run.headBranch)) continue;
            if (q.containsKey("status") && !q.get("status").equals(run.status) && !q.get("status").equals(run.conclusion)) continue;
            if (q.containsKey("created") && !createdMatches(q.get("created"), run.createdAt)) continue;
            matching.add(run);
        }
        matching.sort((a, b) -> Long.compare(b.id, a.id));
        ArrayNode items = Json.array();
        matching.stream().skip((long) (page - 1) * perPage).limit(perPage).forEach(run -> items.add(json.runJson(run, false)));
        ObjectNode body = Json.object().put("total_count", matching.size());
        body.set("workflow_runs", items);
        Answer a = Answer.of(200, body);
        String path = only == null ? "/actions/runs" : "/actions/workflows/" + only.id + "/runs";
        String link = linkHeader(path, q, page, perPage, matching.size());
        if (link != null) a.header("Link", link);
        return a;
    }

    /** GitHub's search syntax for {@code created}: {@code >=T}, {@code >T}, {@code <=T}, {@code <T}, {@code A..B}, or a date. */
    private static boolean createdMatches(String filter, Instant created) {
        Instant c = created.truncatedTo(ChronoUnit.SECONDS);
        if (filter.contains("..")) {
            String[] ab = filter.split("\\.\\.", 2);
            return (ab[0].equals("*") || !c.isBefore(instant(ab[0], false)))
                    && (ab[1].equals("*") || !c.isAfter(instant(ab[1], true)));
        }
        if (filter.startsWith(">=")) return !c.isBefore(instant(filter.substring(2), false));
        if (filter.startsWith(">")) return c.isAfter(instant(filter.substring(1), true));
        if (filter.startsWith("<=")) return !c.isAfter(instant(filter.substring(2), true));
        if (filter.startsWith("<")) return c.isBefore(instant(filter.substring(1), false));
        return !c.isBefore(instant(filter, false)) && !c.isAfter(instant(filter, true));
    }

    private static Instant instant(String s, boolean endOfDay) {
        if (s.length() == 10) {
            Instant day = java.time.LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
            return endOfDay ? day.plus(Duration.ofDays(1)).minusSeconds(1) : day;
        }
        return java.time.OffsetDateTime.parse(s).toInstant();
    }

    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int xi = i < x.length ? (int) parseLong(x[i]) : 0;
            int yi = i < y.length ? (int) parseLong(y[i]) : 0;
            if (xi != yi) return Integer.compare(xi, yi);
        }
        return 0;
    }
}
