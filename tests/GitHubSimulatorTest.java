import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.github.GitHubException;
import lib.util.Json;
import lib.webhook.Hmac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GitHubSimulatorTest {
    private static final byte[] SECRET = "s3cret-for-tests".getBytes(StandardCharsets.UTF_8);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private GitHubSimulator sim;
    private GitHubClient gh;
    private HookCatcher receiver;

    @BeforeEach
    void start() throws Exception {
        sim = GitHubSimulator.start();
        gh = clientFor(sim);
        receiver = HookCatcher.start();
    }

    @AfterEach
    void stop() {
        receiver.close();
        sim.close();
    }

    private static GitHubClient clientFor(GitHubSimulator s) {
        GitHubContext ctx = GitHubContext.resolve(s.repo(), s.apiUrl(), Testing.env("GH_TOKEN", s.token()), Path.of("."));
        return new GitHubClient(ctx, GitHubClient.Policy.defaults().withMaxAttempts(1), d -> {}, null);
    }

    private String hookUrl() {
        return receiver.url();
    }

    private ObjectNode hookBody(String url, String secret, String contentType, String... events) {
        ObjectNode body = Json.object().put("name", "web").put("active", true);
        var ev = body.putArray("events");
        for (String e : events) ev.add(e);
        ObjectNode cfg = body.putObject("config").put("url", url).put("content_type", contentType).put("insecure_ssl", "0");
        if (secret != null) cfg.put("secret", secret);
        return body;
    }

    private JsonNode createHook(String url, String secret) {
        return gh.post(gh.repoPath("/hooks"), hookBody(url, secret, "json", "workflow_run", "workflow_job"));
    }

    private JsonNode dispatch(String workflow, ObjectNode body) {
        return gh.post(gh.repoPath("/actions/workflows/" + workflow + "/dispatches"), body);
    }

    private static ObjectNode dispatchBody(String ref, String correlationId) {
        ObjectNode body = Json.object().put("ref", ref);
        body.putObject("inputs").put("correlation_id", correlationId);
        return body;
    }

    // ---------------------------------------------------------------- auth and repository

    @Test
    void wrongTokenGetsGitHubsBadCredentialsBody() throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(sim.apiUrl() + "/repos/octo-org/octo-repo"))
                .header("Authorization", "Bearer nope").build();
        var response = java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(401, response.statusCode());
        assertEquals(Json.tree(("{\"message\":\"Bad credentials\",\"documentation_url\":\"https://docs.github.com/rest\","
                + "\"status\":\"401\"}").getBytes(StandardCharsets.UTF_8)), Json.tree(response.body().getBytes(StandardCharsets.UTF_8)));
        for (String h : List.of("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset",
                "x-ratelimit-resource", "date")) {
            assertTrue(response.headers().firstValue(h).isPresent(), h);
        }
    }

    @Test
    void repositoryHasItsDefaultBranch() {
        JsonNode repo = gh.get(gh.repoPath(""));
        assertEquals("main", repo.get("default_branch").asText());
        assertEquals(4242, repo.get("id").asLong());
        assertEquals("octo-org/octo-repo", repo.get("full_name").asText());
        assertEquals(404, assertThrows(GitHubException.class, () -> gh.get("/repos/octo-org/other")).status());
    }

    // ---------------------------------------------------------------- hooks

    @Test
    void hookCrudMasksTheSecretEverywhere() throws Exception {
        GitHubClient.Reply created = gh.send("POST", gh.repoPath("/hooks"),
                hookBody(hookUrl(), "topsecret", "json", "workflow_run", "workflow_job"));
        assertEquals(201, created.status());
        long id = created.body().get("id").asLong();
        assertTrue(created.header("Location").endsWith("/repos/octo-org/octo-repo/hooks/" + id), created.header("Location"));
        assertEquals("********", created.body().at("/config/secret").asText());
        assertEquals("unused", created.body().at("/last_response/status").asText());
        assertEquals("********", gh.get(gh.repoPath("/hooks/" + id)).at("/config/secret").asText());
        assertEquals("********", gh.get(gh.repoPath("/hooks")).get(0).at("/config/secret").asText());
        assertEquals("********", gh.get(gh.repoPath("/hooks/" + id + "/config")).get("secret").asText());
        for (String r : List.of(gh.get(gh.repoPath("/hooks")).toString(), created.body().toString())) {
            assertFalse(r.contains("topsecret"));
        }

        // a ping went out on creation, with the secret masked in its payload too
        SimState.Delivery ping = sim.awaitDeliveries(1, WAIT).get(0);
        assertEquals("ping", ping.event());
        assertFalse(new String(ping.payload(), StandardCharsets.UTF_8).contains("topsecret"));
        assertEquals("active", gh.get(gh.repoPath("/hooks/" + id)).at("/last_response/status").asText());

        ObjectNode patch = Json.object().put("active", false);
        patch.putObject("config").put("url", hookUrl() + "2").put("content_type", "json");
        JsonNode patched = gh.patch(gh.repoPath("/hooks/" + id), patch);
        assertFalse(patched.get("active").asBoolean());
        assertTrue(patched.get("config").get("secret") == null, "a config without secret removes the secret");

        assertEquals(204, gh.delete(gh.repoPath("/hooks/" + id)).status());
        assertEquals(404, assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("/hooks/" + id))).status());
        assertEquals(404, assertThrows(GitHubException.class, () -> gh.delete(gh.repoPath("/hooks/" + id))).status());
    }

    @Test
    void hookWithoutSecretHasNoSecretKey() {
        JsonNode hook = createHook(hookUrl(), null);
        assertNull(hook.get("config").get("secret"));
    }

    @Test
    void duplicateHookAndBlankUrlAre422() {
        createHook(hookUrl(), "x");
        GitHubException dup = assertThrows(GitHubException.class, () -> createHook(hookUrl(), "y"));
        assertEquals(422, dup.status());
        assertEquals("Hook already exists on this repository", dup.body().at("/errors/0/message").asText());
        GitHubException blank = assertThrows(GitHubException.class, () -> createHook(" ", null));
        assertEquals(422, blank.status());
        assertEquals("url cannot be blank", blank.body().at("/errors/0/message").asText());
    }

    // ---------------------------------------------------------------- dispatch

    @Test
    void dispatchValidatesRefInputsAndTrigger() {
        GitHubException noRef = assertThrows(GitHubException.class, () -> dispatch("1001", dispatchBody("nope", "c")));
        assertEquals(422, noRef.status());
        assertEquals("No ref found for: nope", noRef.githubMessage());

        ObjectNode extra = dispatchBody("main", "c");
        ((ObjectNode) extra.get("inputs")).put("x", "1");
        assertEquals("Unexpected inputs provided: [\"x\"]",
                assertThrows(GitHubException.class, () -> dispatch("1001", extra)).githubMessage());

        sim.addWorkflow("Push Only", "push-only.yml", List.of(), null, false);
        assertEquals("Workflow does not have 'workflow_dispatch' trigger",
                assertThrows(GitHubException.class, () -> dispatch("push-only.yml", dispatchBody("main", "c"))).githubMessage());

        sim.addWorkflow("Off", "off.yml", List.of("correlation_id"), null, true).state("disabled_manually");
        GitHubException disabled = assertThrows(GitHubException.class, () -> dispatch("off.yml", dispatchBody("main", "c")));
        assertEquals(422, disabled.status());
        assertTrue(disabled.githubMessage().contains("disabled workflow"));

        assertEquals(404, assertThrows(GitHubException.class, () -> dispatch("missing.yml", dispatchBody("main", "c"))).status());
        assertTrue(sim.runs().isEmpty());
    }

    @Test
    void workflowIsFoundByIdOrFileName() {
        JsonNode byFile = gh.get(gh.repoPath("/actions/workflows/dispatch-webhook.yml"));
        assertEquals(1001, byFile.get("id").asLong());
        assertEquals("Dispatch Webhook", byFile.get("name").asText());
        assertEquals("active", byFile.get("state").asText());
        assertEquals(".github/workflows/dispatch-webhook.yml", byFile.get("path").asText());
        assertEquals(byFile, gh.get(gh.repoPath("/actions/workflows/1001")));
    }

    @Test
    void returnRunDetailsAnswers200ElseNoContent() {
        GitHubClient.Reply plain = gh.send("POST", gh.repoPath("/actions/workflows/1001/dispatches"), dispatchBody("main", "a"));
        assertEquals(204, plain.status());
        ObjectNode withDetails = dispatchBody("refs/heads/main", "b").put("return_run_details", true);
        GitHubClient.Reply details = gh.send("POST", gh.repoPath("/actions/workflows/1001/dispatches"), withDetails);
        assertEquals(200, details.status());
        long runId = details.body().get("workflow_run_id").asLong();
        assertEquals(sim.apiUrl() + "/repos/octo-org/octo-repo/actions/runs/" + runId, details.body().get("run_url").asText());
        assertEquals("https://github.com/octo-org/octo-repo/actions/runs/" + runId, details.body().get("html_url").asText());
        JsonNode run = gh.get(gh.repoPath("/actions/runs/" + runId));
        assertEquals("Dispatch Webhook (b)", run.get("display_title").asText());
        assertEquals("Dispatch Webhook", run.get("name").asText());
        assertEquals("main", run.get("head_branch").asText());
        assertEquals("workflow_dispatch", run.get("event").asText());
        assertEquals(1, run.get("run_attempt").asInt());
        assertEquals(2, sim.runs().size());
    }

    @Test
    void ghes320RejectsReturnRunDetailsAnd321AcceptsIt() throws Exception {
        try (GitHubSimulator ghes = GitHubSimulator.start(GitHubSimulator.Config.defaults().enterprise("3.20.0"))) {
            GitHubClient client = clientFor(ghes);
            GitHubException e = assertThrows(GitHubException.class, () -> client.post(
                    client.repoPath("/actions/workflows/1001/dispatches"), dispatchBody("main", "x").put("return_run_details", true)));
            assertEquals(422, e.status());
            assertEquals("Invalid request.\n\n\"return_run_details\" is not a permitted key.", e.githubMessage());
            assertEquals(204, client.send("POST", client.repoPath("/actions/workflows/1001/dispatches"),
                    dispatchBody("main", "x")).status());
            assertEquals("3.20.0", client.get("/meta").get("installed_version").asText());
        }
        try (GitHubSimulator ghes = GitHubSimulator.start(GitHubSimulator.Config.defaults().enterprise("3.21.0"))) {
            GitHubClient client = clientFor(ghes);
            assertEquals(200, client.send("POST", client.repoPath("/actions/workflows/1001/dispatches"),
                    dispatchBody("main", "x").put("return_run_details", true)).status());
        }
    }

    // ---------------------------------------------------------------- runs list

    @Test
    void runsListFiltersPagesAndAnswers304() throws Exception {
        sim = sim.phaseDelays(Duration.ofSeconds(30), Duration.ofSeconds(30)); // stay queued
        Instant before = Instant.now().minusSeconds(1);
        for (int i = 0; i < 3; i++) dispatch("1001", dispatchBody("main", "c" + i));
        JsonNode all = gh.get(gh.repoPath("/actions/runs?per_page=2"));
        assertEquals(3, all.get("total_count").asInt());
        assertEquals(2, all.get("workflow_runs").size());
        JsonNode page2 = gh.get(gh.repoPath("/actions/runs?per_page=2&page=2"));
        assertEquals(1, page2.get("workflow_runs").size());

        String created = java.net.URLEncoder.encode(">=" + before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), StandardCharsets.UTF_8);
        String q = "?event=workflow_dispatch&branch=main&status=queued&created=" + created;
        assertEquals(3, gh.get(gh.repoPath("/actions/workflows/1001/runs" + q)).get("total_count").asInt());
        assertEquals(0, gh.get(gh.repoPath("/actions/runs?branch=other")).get("total_count").asInt());
        assertEquals(0, gh.get(gh.repoPath("/actions/runs?event=push")).get("total_count").asInt());
        assertEquals(0, gh.get(gh.repoPath("/actions/runs?status=completed")).get("total_count").asInt());
        assertEquals(0, gh.get(gh.repoPath("/actions/runs?created=" + java.net.URLEncoder.encode(">=2999-01-01T00:00:00Z",
                StandardCharsets.UTF_8))).get("total_count").asInt());

        GitHubClient.Reply first = gh.getConditional(gh.repoPath("/actions/runs"));
        int remaining = sim.rateLimitRemaining();
        GitHubClient.Reply again = gh.getConditional(gh.repoPath("/actions/runs"));
        assertTrue(again.notModified());
        assertEquals(first.body(), again.body());
        assertEquals(remaining, sim.rateLimitRemaining());
    }

    @Test
    void newRunsStayOutOfTheListUntilTheVisibilityDelay() throws Exception {
        Duration delay = Duration.ofSeconds(3);   // long enough that a loaded machine still lists before it ends
        sim.visibilityDelay(delay);
        long start = System.nanoTime();
        long runId = dispatch("1001", dispatchBody("main", "v").put("return_run_details", true)).get("workflow_run_id").asLong();
        int listedAtOnce = gh.get(gh.repoPath("/actions/runs")).get("total_count").asInt();
        long listedAfterMs = (System.nanoTime() - start) / 1_000_000;
        if (listedAfterMs < delay.toMillis()) assertEquals(0, listedAtOnce, "listed " + listedAfterMs + " ms after dispatch");
        assertEquals(runId, gh.get(gh.repoPath("/actions/runs/" + runId)).get("id").asLong(), "GET by id sees it at once");
        // Then it shows up, and not before the delay (the run was created after `start`; the simulator
        // measures on the wall clock, hence a little slack).
        long deadline = start + TimeUnit.SECONDS.toNanos(15);
        int total;
        do {
            long beforeList = System.nanoTime();
            total = gh.get(gh.repoPath("/actions/runs")).get("total_count").asInt();
            if (total == 0) Thread.sleep(50);
            else assertTrue(System.nanoTime() - start >= delay.minusMillis(20).toNanos(), "listed only "
                    + (beforeList - start) / 1_000_000 + " ms after the dispatch");
        } while (total == 0 && System.nanoTime() < deadline);
        assertEquals(1, total);
    }

    // ---------------------------------------------------------------- deliveries

    @Test
    void dispatchedRunDeliversSignedWorkflowRunEvents() throws Exception {
        long hookId = createHook(hookUrl(), new String(SECRET, StandardCharsets.UTF_8)).get("id").asLong();
        long runId = dispatch("1001", dispatchBody("main", "0b5e7c1a-1111-4222-8333-944455556666")
                .put("return_run_details", true)).get("workflow_run_id").asLong();
        sim.awaitRun(runId, "completed", WAIT);
        sim.awaitDeliveries(7, WAIT); // ping + 3 workflow_run + 3 workflow_job
        List<HookCatcher.Received> runEvents = receiver.received().stream().filter(r -> "workflow_run".equals(r.header("X-GitHub-Event"))).toList();
        assertEquals(3, runEvents.size());
        List<String> actions = new java.util.ArrayList<>();
        for (HookCatcher.Received r : runEvents) {
            assertEquals(Hmac.Result.VALID, Hmac.verify(SECRET, r.body(), r.header("X-Hub-Signature-256")));
            assertTrue(r.header("X-Hub-Signature").startsWith("sha1="));
            assertEquals(String.valueOf(hookId), r.header("X-GitHub-Hook-ID"));
            assertEquals("repository", r.header("X-GitHub-Hook-Installation-Target-Type"));
            assertEquals("4242", r.header("X-GitHub-Hook-Installation-Target-ID"));
            assertTrue(r.header("User-Agent").startsWith("GitHub-Hookshot/"));
            assertEquals("application/json", r.header("Content-Type"));
            java.util.UUID.fromString(r.header("X-GitHub-Delivery"));
            JsonNode payload = Json.tree(r.body());
            actions.add(payload.get("action").asText());
            JsonNode run = payload.get("workflow_run");
            assertEquals(runId, run.get("id").asLong());
            assertEquals("Dispatch Webhook (0b5e7c1a-1111-4222-8333-944455556666)", run.get("display_title").asText());
            assertEquals(1001, run.get("workflow_id").asLong());
            assertEquals("octo-org/octo-repo", payload.at("/repository/full_name").asText());
            assertEquals("Dispatch Webhook", payload.at("/workflow/name").asText());
        }
        assertEquals(List.of("requested", "in_progress", "completed"), actions);
        JsonNode completed = Json.tree(runEvents.get(2).body());
        assertEquals("success", completed.at("/workflow_run/conclusion").asText());
        assertEquals(3, receiver.received().stream().filter(r -> "workflow_job".equals(r.header("X-GitHub-Event"))).count());

        // the deliveries API shows the same attempts, newest first
        JsonNode list = gh.get(gh.repoPath("/hooks/" + hookId + "/deliveries"));
        assertEquals(7, list.size());
        assertTrue(list.get(0).get("id").asLong() > list.get(6).get("id").asLong());
        assertEquals("ping", list.get(6).get("event").asText());
        JsonNode one = gh.get(gh.repoPath("/hooks/" + hookId + "/deliveries/" + list.get(0).get("id").asLong()));
        assertEquals("OK", one.get("status").asText());
        assertEquals(200, one.get("status_code").asInt());
        assertEquals("ok", one.at("/response/payload").asText());
        assertEquals(runId, one.at("/request/payload/workflow_run/id").asLong());
    }

    @Test
    void formHooksGetAPayloadParameterSignedAsSent() throws Exception {
        gh.post(gh.repoPath("/hooks"), hookBody(hookUrl(), new String(SECRET, StandardCharsets.UTF_8), "form", "workflow_run"));
        HookCatcher.Received ping = awaitReceived(1).get(0);
        assertEquals("application/x-www-form-urlencoded", ping.header("Content-Type"));
        assertEquals(Hmac.Result.VALID, Hmac.verify(SECRET, ping.body(), ping.header("X-Hub-Signature-256")));
        String form = new String(ping.body(), StandardCharsets.UTF_8);
        assertTrue(form.startsWith("payload="));
        JsonNode payload = Json.tree(URLDecoder.decode(form.substring(8), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
        assertTrue(payload.has("zen"));
    }

    @Test
    void unreachableHookIsRecordedAsFailedToConnect() throws Exception {
        long hookId = createHook("http://127.0.0.1:9/nothing-listens", "x").get("id").asLong();
        SimState.Delivery d = sim.awaitDeliveries(1, WAIT).get(0);
        assertEquals("failed to connect", d.status());
        assertEquals(0, d.statusCode());
        JsonNode listed = gh.get(gh.repoPath("/hooks/" + hookId + "/deliveries?status=failure")).get(0);
        assertEquals("failed to connect", listed.get("status").asText());
        assertEquals(0, listed.get("status_code").asInt());
        assertEquals(0, gh.get(gh.repoPath("/hooks/" + hookId + "/deliveries?status=success")).size());
    }

    @Test
    void redeliveryKeepsTheGuidWithANewId() throws Exception {
        long hookId = createHook(hookUrl(), "x").get("id").asLong();
        SimState.Delivery ping = sim.awaitDeliveries(1, WAIT).get(0);
        GitHubClient.Reply reply = gh.send("POST", gh.repoPath("/hooks/" + hookId + "/deliveries/" + ping.id() + "/attempts"), null);
        assertEquals(202, reply.status());
        SimState.Delivery again = sim.awaitDeliveries(2, WAIT).get(1);
        assertEquals(ping.guid(), again.guid());
        assertNotEquals(ping.id(), again.id());
        assertTrue(again.redelivery());
        assertEquals(2, awaitReceived(2).stream().filter(r -> ping.guid().equals(r.header("X-GitHub-Delivery"))).count());
        assertTrue(gh.get(gh.repoPath("/hooks/" + hookId + "/deliveries/" + again.id())).get("redelivery").asBoolean());
    }

    @Test
    void pingEndpointSendsAPing() throws Exception {
        long hookId = createHook(hookUrl(), null).get("id").asLong();
        assertEquals(204, gh.send("POST", gh.repoPath("/hooks/" + hookId + "/pings"), null).status());
        List<SimState.Delivery> pings = sim.awaitDeliveries(2, WAIT);
        assertTrue(pings.stream().allMatch(d -> d.event().equals("ping")));
        assertNull(pings.get(0).header("X-Hub-Signature-256"), "no secret, no signature");
    }

    @Test
    void faultsDuplicateReorderAndEmptyName() throws Exception {
        sim.duplicateDeliveries(true).reorderDeliveries(true).emptyRunName(true);
        gh.post(gh.repoPath("/hooks"), hookBody(hookUrl(), "x", "json", "workflow_run"));
        dispatch("1001", dispatchBody("main", "r"));
        List<HookCatcher.Received> got = awaitReceived(1 + 6); // one ping, 3 workflow_run events twice
        List<HookCatcher.Received> runEvents = got.stream().filter(r -> "workflow_run".equals(r.header("X-GitHub-Event"))).toList();
        assertEquals(6, runEvents.size());
        assertEquals(runEvents.get(0).header("X-GitHub-Delivery"), runEvents.get(1).header("X-GitHub-Delivery"));
        JsonNode first = Json.tree(runEvents.get(0).body());
        assertEquals("completed", first.get("action").asText(), "reordered: newest first");
        assertEquals("", first.at("/workflow_run/name").asText());
    }

    // ---------------------------------------------------------------- organisation hooks

    private JsonNode createOrgHook(String url) {
        return gh.post("/orgs/" + sim.org() + "/hooks", hookBody(url, new String(SECRET, StandardCharsets.UTF_8), "json",
                "workflow_run", "workflow_job"));
    }

    @Test
    void organisationHooksHaveTheirOwnEndpointsBesideTheRepositorysOnes() throws Exception {
        String org = "/orgs/" + sim.org() + "/hooks";
        GitHubClient.Reply created = gh.send("POST", org, hookBody(hookUrl(), "x", "json", "workflow_run"));
        assertEquals(201, created.status());
        long id = created.body().get("id").asLong();
        assertEquals("Organization", created.body().get("type").asText());
        assertEquals(sim.apiUrl() + org + "/" + id, created.body().get("url").asText());
        assertEquals(sim.apiUrl() + org + "/" + id, created.header("Location"));
        assertEquals(sim.apiUrl() + org + "/" + id + "/pings", created.body().get("ping_url").asText());
        assertFalse(created.body().has("test_url"), "organisations have no test endpoint");
        assertEquals(1, gh.get(org).size());
        assertEquals(0, gh.get(gh.repoPath("/hooks")).size(), "not a repository hook");
        assertEquals(404, assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("/hooks/" + id))).status());
        assertEquals(422, assertThrows(GitHubException.class,
                () -> gh.post(org, hookBody(hookUrl(), "x", "json", "workflow_run"))).status());

        // the creation ping: the organisation, no repository, the organisation as the installation target
        HookCatcher.Received ping = awaitReceived(1).get(0);
        JsonNode payload = Json.tree(ping.body());
        assertEquals(sim.org(), payload.at("/organization/login").asText());
        assertFalse(payload.has("repository"));
        assertEquals("organization", ping.header("X-GitHub-Hook-Installation-Target-Type"));
        assertEquals("9919", ping.header("X-GitHub-Hook-Installation-Target-ID"));
        assertEquals(204, gh.send("POST", org + "/" + id + "/pings", null).status());
        List<SimState.Delivery> pings = sim.awaitDeliveries(2, WAIT);
        JsonNode listed = gh.get(org + "/" + id + "/deliveries?per_page=1");
        assertEquals(1, listed.size());
        assertTrue(listed.get(0).get("repository_id").isNull());
        assertEquals(202, gh.send("POST", org + "/" + id + "/deliveries/" + pings.get(0).id() + "/attempts", null).status());
        assertTrue(sim.awaitDeliveries(3, WAIT).get(2).redelivery());

        ObjectNode patch = Json.object();
        patch.putArray("add_events").add("workflow_job");
        assertEquals(List.of("workflow_run", "workflow_job"), SimHookshot.names(gh.patch(org + "/" + id, patch).get("events")));
        assertEquals(204, gh.delete(org + "/" + id).status());
        assertTrue(sim.orgHooks().isEmpty());
        assertEquals(404, assertThrows(GitHubException.class, () -> gh.get("/orgs/someone-else/hooks")).status());
    }

    @Test
    void anOrganisationHookGetsTheRunsOfEveryRepositoryARepositoryHookOnlyItsOwn() throws Exception {
        try (HookCatcher orgReceiver = HookCatcher.start()) {
            createHook(hookUrl(), "x");
            createOrgHook(orgReceiver.url());
            long ours = dispatch("1001", dispatchBody("main", "0b5e7c1a-1111-4222-8333-944455556666").put("return_run_details", true))
                    .get("workflow_run_id").asLong();
            String other = sim.otherRepos().get(0);
            long theirs = sim.startRunIn(other, "CI", "Build on push").id;
            List<HookCatcher.Received> got = orgReceiver.await(1 + 6 + 6, WAIT);
            // one hookshot thread sends each event to the hooks in turn: the repository hook's are all in by now
            assertEquals(1 + 6, receiver.received().size(), "the repository hook sees only its repository's run");

            for (HookCatcher.Received r : got.subList(1, got.size())) {
                assertEquals("organization", r.header("X-GitHub-Hook-Installation-Target-Type"));
                assertEquals(Hmac.Result.VALID, Hmac.verify(SECRET, r.body(), r.header("X-Hub-Signature-256")));
                JsonNode p = Json.tree(r.body());
                assertEquals(sim.org(), p.at("/organization/login").asText());
                long runId = p.has("workflow_run") ? p.at("/workflow_run/id").asLong() : p.at("/workflow_job/run_id").asLong();
                String repo = runId == ours ? sim.repo() : other;
                assertTrue(runId == ours || runId == theirs, "run " + runId);
                assertEquals(repo, p.at("/repository/full_name").asText());
                if (p.has("workflow_run")) {
                    assertEquals(repo, p.at("/workflow_run/repository/full_name").asText());
                    assertTrue(p.at("/workflow_run/html_url").asText().contains("/" + repo + "/actions/runs/" + runId));
                }
            }
            for (HookCatcher.Received r : receiver.received()) assertFalse(Json.tree(r.body()).has("organization"));
            assertEquals(0, gh.get("/repos/" + sim.repo() + "/actions/runs").get("workflow_runs").findValuesAsText("id").stream()
                    .filter(id -> id.equals(String.valueOf(theirs))).count(), "another repository's run is not listed here");
            // the deliveries API names each delivery's repository
            long orgHookId = sim.orgHooks().get(0).id;
            List<Long> repositoryIds = gh.paginate("/orgs/" + sim.org() + "/hooks/" + orgHookId + "/deliveries?per_page=5", 0)
                    .stream().filter(d -> !d.get("repository_id").isNull()).map(d -> d.get("repository_id").asLong()).distinct()
                    .sorted().toList();
            assertEquals(List.of(sim.repoId(), sim.repoId() + 1), repositoryIds);
        }
    }

    @Test
    void aTokenWithoutAdminOrgHookGets404NotForbiddenOnOrganisationHooks() {
        sim.orgHookScope(false);
        String org = "/orgs/" + sim.org() + "/hooks";
        assertEquals(404, assertThrows(GitHubException.class, () -> gh.get(org)).status());
        assertEquals(404, assertThrows(GitHubException.class,
                () -> gh.post(org, hookBody(hookUrl(), "x", "json", "workflow_run"))).status());
        assertEquals(sim.org(), gh.get("/orgs/" + sim.org()).get("login").asText(), "the organisation itself is visible");
        assertEquals(201, gh.send("POST", gh.repoPath("/hooks"), hookBody(hookUrl(), "x", "json", "workflow_run")).status());
        sim.orgHookScope(true);
        assertEquals(0, gh.get(org).size());
    }

    @Test
    void observabilityCountsRequestsIncludingRejectedOnes() {
        sim.failNext(1, 503);
        assertThrows(GitHubException.class, () -> gh.get(gh.repoPath("")));
        gh.get(gh.repoPath(""));
        assertEquals(2, sim.requestCount("GET", "/repos/octo-org/octo-repo"));
        assertEquals(List.of("GET /repos/octo-org/octo-repo", "GET /repos/octo-org/octo-repo"), sim.requests());
    }

    private List<HookCatcher.Received> awaitReceived(int n) throws InterruptedException {
        return receiver.await(n, WAIT);
    }
}
