import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import lib.util.Json;

/** The JSON shapes of GitHub's answers and webhook payloads: repository, organisation, hook, delivery, workflow, run, job. */
final class SimJson {
    /** GitHub's log line time: RFC 3339 with seven fraction digits. */
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

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
        j.put("run_attempt", run.attempt).put("run_started_at", iso(run.startedAt))
                .put("jobs_url", api + "/jobs").put("logs_url", api + "/logs")
                .put("check_suite_url", repoApi + "/check-suites/" + (run.id + 1))
                .put("artifacts_url", api + "/artifacts").put("cancel_url", api + "/cancel").put("rerun_url", api + "/rerun")
                .put("previous_attempt_url", run.attempt > 1 ? api + "/attempts/" + (run.attempt - 1) : null)
                .put("workflow_url", repoApi + "/actions/workflows/" + run.workflow.id);
        ObjectNode commit = Json.object().put("id", run.headSha).put("tree_id", run.headSha).put("message", "Simulated commit")
                .put("timestamp", iso(run.createdAt));
        j.set("head_commit", commit);
        j.set("repository", repositoryJson(repo));
        j.set("head_repository", repositoryJson(repo));
        return j;
    }

    /**
     * A job as the jobs listing and workflow_job deliveries show it, at this moment: queued, in progress
     * (its steps done one after the other over the run's in-progress time) or completed. When the attempt
     * concludes failure, a job fails at its failing step (the steps after it are skipped); when no job has
     * one, the first job fails. A cancelled attempt cancels the step under way.
     */
    ObjectNode jobJson(SimState.Run run, SimState.Job job) {
        String repo = state.repoOf(run).fullName();
        String api = sim.apiUrl() + "/repos/" + repo + "/actions/jobs/" + job.id();
        boolean current = job.attempt() == run.attempt;
        String status = current ? run.status : "completed";
        ObjectNode j = Json.object().put("id", job.id()).put("run_id", run.id)
                .put("run_url", sim.apiUrl() + "/repos/" + repo + "/actions/runs/" + run.id).put("run_attempt", job.attempt())
                .put("node_id", "CR_sim" + job.id()).put("head_sha", run.headSha).put("head_branch", run.headBranch)
                .put("url", api).put("html_url", sim.webUrl() + "/" + repo + "/actions/runs/" + run.id + "/job/" + job.id())
                .put("status", status);
        String conclusion = status.equals("completed") ? jobConclusion(run, job) : null;
        if (conclusion == null) j.putNull("conclusion");
        else j.put("conclusion", conclusion);
        j.put("created_at", iso(run.createdAt));
        j.put("started_at", iso(run.startedAt));
        if (status.equals("completed") && run.completedAt != null) j.put("completed_at", iso(run.completedAt));
        else j.putNull("completed_at");
        j.put("name", job.spec().name());
        ArrayNode steps = j.putArray("steps");
        if (!status.equals("queued")) addSteps(steps, run, job, conclusion);
        j.put("check_run_url", sim.apiUrl() + "/repos/" + repo + "/check-runs/" + job.id());
        j.putArray("labels").add("ubuntu-latest");
        boolean assigned = !status.equals("queued");
        if (assigned) j.put("runner_id", 7).put("runner_name", "sim-runner").put("runner_group_id", 1).put("runner_group_name", "Default");
        else j.putNull("runner_id").putNull("runner_name").putNull("runner_group_id").putNull("runner_group_name");
        j.put("workflow_name", run.workflow.name);
        return j;
    }

    /** A completed job's conclusion: see {@link #jobJson}. Earlier attempts' jobs keep the conclusion of their attempt. */
    String jobConclusion(SimState.Run run, SimState.Job job) {
        String attemptConclusion = job.attempt() == run.attempt ? run.conclusion : state.conclusionFor(job.attempt());
        if (attemptConclusion == null || attemptConclusion.equals("success") || attemptConclusion.equals("cancelled")) {
            return attemptConclusion;
        }
        if (job.spec().failingStep() != null) return "failure";
        boolean anyFails = run.allJobs.stream().anyMatch(o -> o.attempt() == job.attempt() && o.spec().failingStep() != null);
        SimState.Job first = run.allJobs.stream().filter(o -> o.attempt() == job.attempt()).findFirst().orElse(job);
        return !anyFails && first.id() == job.id() ? attemptConclusion : "success";
    }

    private void addSteps(ArrayNode steps, SimState.Run run, SimState.Job job, String conclusion) {
        List<String> names = job.spec().steps();
        int n = names.size();
        long per = Math.max(1, state.inProgressFor.toMillis() / Math.max(1, n));
        Instant until = conclusion == null ? Instant.now() : run.completedAt == null ? Instant.now() : run.completedAt;
        int under = (int) Math.min(n - 1, Math.max(0, Duration.between(run.startedAt, until).toMillis() / per));
        String failingStep = job.spec().failingStep();
        int failing = "failure".equals(conclusion) && failingStep != null ? names.indexOf(failingStep) : -1;
        for (int i = 0; i < n; i++) {
            String status;
            String c;
            if (conclusion == null) { // in progress
                status = i < under ? "completed" : i == under ? "in_progress" : "queued";
                c = i < under ? (i == failing ? "failure" : "success") : null;
            } else {
                status = "completed";
                if ("cancelled".equals(conclusion)) c = i < under ? "success" : i == under ? "cancelled" : "skipped";
                else if (failing >= 0) c = i < failing ? "success" : i == failing ? "failure" : "skipped";
                else c = "success";
            }
            ObjectNode s = steps.addObject().put("name", names.get(i)).put("status", status);
            if (c == null) s.putNull("conclusion");
            else s.put("conclusion", c);
            s.put("number", i + 1);
            Instant started = run.startedAt.plusMillis(per * i);
            if (status.equals("queued")) s.putNull("started_at");
            else s.put("started_at", iso(started));
            if (status.equals("completed")) s.put("completed_at", iso(started.plusMillis(per)));
            else s.putNull("completed_at");
        }
    }

    /** A job's log: the spec's lines, or lines made up from its steps (colour codes and a failing step's error included). */
    String jobLog(SimState.Run run, SimState.Job job) {
        StringBuilder log = new StringBuilder();
        Instant t = run.startedAt;
        List<String> lines = job.spec().log();
        if (lines == null) {
            lines = new ArrayList<>();
            boolean fails = "failure".equals(jobConclusion(run, job));
            for (String step : job.spec().steps()) {
                lines.add("##[group]Run " + step);
                for (int i = 1; i <= 8; i++) lines.add(step + ": output line " + i);
                lines.add("##[endgroup]");
                if (fails && step.equals(job.spec().failingStep())) {
                    lines.add("\u001b[31mError: " + step + " failed: expected 200, got 500\u001b[0m");
                    lines.add("\u001b]0;pwned title\u0007progress 10%\rprogress 100%");
                    lines.add("##[error]Process completed with exit code 1.");
                    break;
                }
            }
        }
        for (String line : lines) {
            log.append(LOG_TIME.format(t)).append(' ').append(line).append('\n');
            t = t.plusMillis(7);
        }
        return log.toString();
    }

    private static String iso(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
