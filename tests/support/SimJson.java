import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import lib.util.Json;

/** The JSON shapes of GitHub's answers and webhook payloads: repository, organisation, hook, delivery, workflow, run, job. */
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
        return repositoryJson(state.mainRepo());
    }

    ObjectNode repositoryJson(SimState.Repo r) {
        String api = sim.apiUrl() + "/repos/" + r.fullName();
        ObjectNode repo = Json.object().put("id", r.id()).put("node_id", "R_sim" + r.id())
                .put("name", r.name()).put("full_name", r.fullName()).put("private", true);
        repo.set("owner", ownerJson());
        repo.put("html_url", sim.webUrl() + "/" + r.fullName()).put("url", api).put("hooks_url", api + "/hooks")
                .put("default_branch", config.defaultBranch).put("visibility", "private");
        return repo;
    }

    /** The "organization" of an organisation hook's payloads. */
    ObjectNode organizationJson() {
        String api = sim.apiUrl() + "/orgs/" + config.owner;
        return Json.object().put("login", config.owner).put("id", config.orgId).put("node_id", "O_sim" + config.orgId)
                .put("url", api).put("repos_url", api + "/repos").put("events_url", api + "/events")
                .put("hooks_url", api + "/hooks").put("issues_url", api + "/issues").put("members_url", api + "/members{/member}")
                .put("public_members_url", api + "/public_members{/member}")
                .put("avatar_url", sim.webUrl() + "/avatars/" + config.owner).putNull("description");
    }

    private ObjectNode ownerJson() {
        return Json.object().put("login", config.owner).put("id", config.orgId).put("type", "Organization")
                .put("url", sim.apiUrl() + "/users/" + config.owner).put("html_url", sim.webUrl() + "/" + config.owner);
    }

    ObjectNode senderJson() {
        return Json.object().put("login", "octocat").put("id", 583231).put("type", "User")
                .put("url", sim.apiUrl() + "/users/octocat").put("html_url", sim.webUrl() + "/octocat");
    }

    /** The hooks collection's path (without the API URL): the repository's or the organisation's. */
    String hooksPath(SimState.Hook h) {
        return (h.org ? "/orgs/" + config.owner : sim.repoPrefix()) + "/hooks";
    }

    /** A repository hook, or an organisation hook ("type": "Organization", no test_url: organisations have no test endpoint). */
    ObjectNode hookJson(SimState.Hook h) {
        String api = sim.apiUrl() + hooksPath(h) + "/" + h.id;
        ObjectNode hook = Json.object().put("type", h.org ? "Organization" : "Repository").put("id", h.id).put("name", "web")
                .put("active", h.active);
        ArrayNode events = hook.putArray("events");
        h.events.forEach(events::add);
        hook.set("config", configJson(h));
        hook.put("updated_at", iso(h.updatedAt)).put("created_at", iso(h.createdAt)).put("url", api);
        if (!h.org) hook.put("test_url", api + "/test");
        hook.put("ping_url", api + "/pings").put("deliveries_url", api + "/deliveries");
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
        if (d.repositoryId() == null) item.putNull("repository_id");
        else item.put("repository_id", d.repositoryId());
        item.putNull("throttled_at");
        if (full) {
            item.put("url", state.hooks.containsKey(d.hookId()) ? state.hooks.get(d.hookId()).url : "");
            item.set("request", SimHookshot.requestJson(a.requestHeaders(), d.payload()));
            item.set("response", SimHookshot.responseJson(a.responseHeaders(), a.responsePayload()));
        }
        return item;
    }

    ObjectNode workflowJson(SimState.Workflow w) {
        return workflowJson(w, state.mainRepo());
    }

    ObjectNode workflowJson(SimState.Workflow w, SimState.Repo repo) {
        String api = sim.apiUrl() + "/repos/" + repo.fullName() + "/actions/workflows/" + w.id;
        String web = sim.webUrl() + "/" + repo.fullName();
        return Json.object().put("id", w.id).put("node_id", "W_sim" + w.id).put("name", w.name).put("path", w.path)
                .put("state", w.state).put("created_at", iso(w.createdAt)).put("updated_at", iso(w.createdAt))
                .put("url", api).put("html_url", web + "/blob/" + config.defaultBranch + "/" + w.path)
                .put("badge_url", web + "/workflows/" + w.name.replace(' ', '%') + "/badge.svg");
    }

    ObjectNode runJson(SimState.Run run, boolean forWebhook) {
        SimState.Repo repo = state.repoOf(run);
        String repoApi = sim.apiUrl() + "/repos/" + repo.fullName();
        String api = repoApi + "/actions/runs/" + run.id;
        ObjectNode j = Json.object().put("id", run.id)
                .put("name", forWebhook && state.emptyRunName ? "" : run.workflow.name)
                .put("node_id", "WFR_sim" + run.id).put("head_branch", run.headBranch).put("head_sha", run.headSha)
                .put("path", forWebhook ? run.workflow.path : run.workflow.path + "@" + run.headBranch)
                .put("display_title", run.displayTitle).put("run_number", run.runNumber).put("event", "workflow_dispatch")
                .put("status", run.status);
        if (run.conclusion == null) j.putNull("conclusion");
        else j.put("conclusion", run.conclusion);
        j.put("workflow_id", run.workflow.id).put("check_suite_id", run.id + 1).put("url", api)
                .put("html_url", sim.webUrl() + "/" + repo.fullName() + "/actions/runs/" + run.id);
        j.putArray("pull_requests");
        j.put("created_at", iso(run.createdAt)).put("updated_at", iso(run.updatedAt));
        j.set("actor", senderJson());
        j.set("triggering_actor", senderJson());
        j.put("run_attempt", 1).put("run_started_at", iso(run.startedAt))
                .put("jobs_url", api + "/jobs").put("logs_url", api + "/logs")
                .put("check_suite_url", repoApi + "/check-suites/" + (run.id + 1))
                .put("artifacts_url", api + "/artifacts").put("cancel_url", api + "/cancel").put("rerun_url", api + "/rerun")
                .putNull("previous_attempt_url")
                .put("workflow_url", repoApi + "/actions/workflows/" + run.workflow.id);
        ObjectNode commit = Json.object().put("id", run.headSha).put("tree_id", run.headSha).put("message", "Simulated commit")
                .put("timestamp", iso(run.createdAt));
        j.set("head_commit", commit);
        j.set("repository", repositoryJson(repo));
        j.set("head_repository", repositoryJson(repo));
        return j;
    }

    ObjectNode jobJson(SimState.Run run, String action) {
        String repo = state.repoOf(run).fullName();
        String api = sim.apiUrl() + "/repos/" + repo + "/actions/jobs/" + run.jobId;
        ObjectNode j = Json.object().put("id", run.jobId).put("run_id", run.id)
                .put("run_url", sim.apiUrl() + "/repos/" + repo + "/actions/runs/" + run.id).put("run_attempt", 1)
                .put("node_id", "CR_sim" + run.jobId).put("head_sha", run.headSha).put("head_branch", run.headBranch)
                .put("url", api).put("html_url", sim.webUrl() + "/" + repo + "/actions/runs/" + run.id + "/job/" + run.jobId)
                .put("status", action);
        if (action.equals("completed")) j.put("conclusion", run.conclusion == null ? state.conclusion : run.conclusion);
        else j.putNull("conclusion");
        j.put("created_at", iso(run.createdAt));
        j.put("started_at", iso(run.startedAt));
        if (action.equals("completed")) j.put("completed_at", iso(Instant.now()));
        else j.putNull("completed_at");
        j.put("name", "dispatch").putArray("steps");
        j.put("check_run_url", sim.apiUrl() + "/repos/" + repo + "/check-runs/" + run.jobId);
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
