import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import lib.util.Json;

/** The JSON shapes of GitHub's answers and webhook payloads: repository, hook, delivery, workflow, run, job. */
final class SimJson {
    private final GitHubSimulator sim;
    private final SimState state;
    private final GitHubSimulator.Config config;

    SimJson(GitHubSimulator sim, SimState state) {
        this.sim = sim;
        this.state = state;
        this.config = state.config;
    }

    ObjectNode repositoryJson() {
        String api = sim.apiUrl() + sim.repoPrefix();
        ObjectNode repo = Json.object().put("id", config.repoId).put("node_id", "R_sim" + config.repoId)
                .put("name", config.name).put("full_name", sim.repo()).put("private", true);
        repo.set("owner", ownerJson());
        repo.put("html_url", sim.webUrl() + "/" + sim.repo()).put("url", api).put("hooks_url", api + "/hooks")
                .put("default_branch", config.defaultBranch).put("visibility", "private");
        return repo;
    }

    private ObjectNode ownerJson() {
        return Json.object().put("login", config.owner).put("id", 9919).put("type", "Organization")
                .put("url", sim.apiUrl() + "/users/" + config.owner).put("html_url", sim.webUrl() + "/" + config.owner);
    }

    ObjectNode senderJson() {
        return Json.object().put("login", "octocat").put("id", 583231).put("type", "User")
                .put("url", sim.apiUrl() + "/users/octocat").put("html_url", sim.webUrl() + "/octocat");
    }

    ObjectNode hookJson(SimState.Hook h) {
        String api = sim.apiUrl() + sim.repoPrefix() + "/hooks/" + h.id;
        ObjectNode hook = Json.object().put("type", "Repository").put("id", h.id).put("name", "web").put("active", h.active);
        ArrayNode events = hook.putArray("events");
        h.events.forEach(events::add);
        hook.set("config", configJson(h));
        hook.put("updated_at", iso(h.updatedAt)).put("created_at", iso(h.createdAt)).put("url", api)
                .put("test_url", api + "/test").put("ping_url", api + "/pings").put("deliveries_url", api + "/deliveries");
        hook.set("last_response", h.lastResponse.deepCopy());
        return hook;
    }

    static ObjectNode configJson(SimState.Hook h) {
        ObjectNode cfg = Json.object().put("content_type", h.contentType).put("insecure_ssl", h.insecureSsl);
        if (h.secret != null) cfg.put("secret", GitHubSimulator.MASK);
        cfg.put("url", h.url);
        return cfg;
    }

    static ObjectNode lastResponse(Integer code, String status, String message) {
        ObjectNode r = Json.object();
        if (code == null) r.putNull("code");
        else r.put("code", code);
        r.put("status", status);
        if (message == null) r.putNull("message");
        else r.put("message", message);
        return r;
    }

    ObjectNode deliveryItemJson(SimState.Delivery d, boolean full) {
        SimHookshot.Attempt a = d.attempt();
        ObjectNode item = Json.object().put("id", d.id()).put("guid", d.guid()).put("delivered_at", iso(a.deliveredAt()))
                .put("redelivery", d.redelivery()).put("duration", Math.round(a.durationSeconds() * 1000) / 1000.0)
                .put("status", a.status()).put("status_code", a.statusCode()).put("event", d.event());
        if (d.action() == null) item.putNull("action");
        else item.put("action", d.action());
        item.putNull("installation_id");
        item.put("repository_id", config.repoId);
        item.putNull("throttled_at");
        if (full) {
            item.put("url", state.hooks.containsKey(d.hookId()) ? state.hooks.get(d.hookId()).url : "");
            item.set("request", SimHookshot.requestJson(a.requestHeaders(), d.payload()));
            item.set("response", SimHookshot.responseJson(a.responseHeaders(), a.responsePayload()));
        }
        return item;
    }

    ObjectNode workflowJson(SimState.Workflow w) {
        String api = sim.apiUrl() + sim.repoPrefix() + "/actions/workflows/" + w.id;
        return Json.object().put("id", w.id).put("node_id", "W_sim" + w.id).put("name", w.name).put("path", w.path)
                .put("state", w.state).put("created_at", iso(w.createdAt)).put("updated_at", iso(w.createdAt))
                .put("url", api).put("html_url", sim.webUrl() + "/" + sim.repo() + "/blob/" + config.defaultBranch + "/" + w.path)
                .put("badge_url", sim.webUrl() + "/" + sim.repo() + "/workflows/" + w.name.replace(' ', '%') + "/badge.svg");
    }

    ObjectNode runJson(SimState.Run run, boolean forWebhook) {
        String api = sim.apiUrl() + sim.repoPrefix() + "/actions/runs/" + run.id;
        ObjectNode j = Json.object().put("id", run.id)
                .put("name", forWebhook && state.emptyRunName ? "" : run.workflow.name)
                .put("node_id", "WFR_sim" + run.id).put("head_branch", run.headBranch).put("head_sha", run.headSha)
                .put("path", forWebhook ? run.workflow.path : run.workflow.path + "@" + run.headBranch)
                .put("display_title", run.displayTitle).put("run_number", run.runNumber).put("event", "workflow_dispatch")
                .put("status", run.status);
        if (run.conclusion == null) j.putNull("conclusion");
        else j.put("conclusion", run.conclusion);
        j.put("workflow_id", run.workflow.id).put("check_suite_id", run.id + 1).put("url", api)
                .put("html_url", sim.webUrl() + "/" + sim.repo() + "/actions/runs/" + run.id);
        j.putArray("pull_requests");
        j.put("created_at", iso(run.createdAt)).put("updated_at", iso(run.updatedAt));
        j.set("actor", senderJson());
        j.set("triggering_actor", senderJson());
        j.put("run_attempt", 1).put("run_started_at", iso(run.startedAt))
                .put("jobs_url", api + "/jobs").put("logs_url", api + "/logs")
                .put("check_suite_url", sim.apiUrl() + sim.repoPrefix() + "/check-suites/" + (run.id + 1))
                .put("artifacts_url", api + "/artifacts").put("cancel_url", api + "/cancel").put("rerun_url", api + "/rerun")
                .putNull("previous_attempt_url")
                .put("workflow_url", sim.apiUrl() + sim.repoPrefix() + "/actions/workflows/" + run.workflow.id);
        ObjectNode commit = Json.object().put("id", run.headSha).put("tree_id", run.headSha).put("message", "Simulated commit")
                .put("timestamp", iso(run.createdAt));
        j.set("head_commit", commit);
        j.set("repository", repositoryJson());
        j.set("head_repository", repositoryJson());
        return j;
    }

    ObjectNode jobJson(SimState.Run run, String action) {
        String api = sim.apiUrl() + sim.repoPrefix() + "/actions/jobs/" + run.jobId;
        ObjectNode j = Json.object().put("id", run.jobId).put("run_id", run.id)
                .put("run_url", sim.apiUrl() + sim.repoPrefix() + "/actions/runs/" + run.id).put("run_attempt", 1)
                .put("node_id", "CR_sim" + run.jobId).put("head_sha", run.headSha).put("head_branch", run.headBranch)
                .put("url", api).put("html_url", sim.webUrl() + "/" + sim.repo() + "/actions/runs/" + run.id + "/job/" + run.jobId)
                .put("status", action);
        if (action.equals("completed")) j.put("conclusion", run.conclusion == null ? state.conclusion : run.conclusion);
        else j.putNull("conclusion");
        j.put("created_at", iso(run.createdAt));
        j.put("started_at", iso(run.startedAt));
        if (action.equals("completed")) j.put("completed_at", iso(Instant.now()));
        else j.putNull("completed_at");
        j.put("name", "dispatch").putArray("steps");
        j.put("check_run_url", sim.apiUrl() + sim.repoPrefix() + "/check-runs/" + run.jobId);
        j.putArray("labels").add("ubuntu-latest");
        boolean assigned = !action.equals("queued");
        if (assigned) j.put("runner_id", 7).put("runner_name", "sim-runner").put("runner_group_id", 1).put("runner_group_name", "Default");
        else j.putNull("runner_id").putNull("runner_name").putNull("runner_group_id").putNull("runner_group_name");
        j.put("workflow_name", run.workflow.name);
        return j;
    }

    private static String iso(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
