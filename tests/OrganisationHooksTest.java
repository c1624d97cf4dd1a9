import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import lib.cli.ExitCode;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.sources.GitHubDeliveriesSource;
import lib.sources.SourcePoller;
import lib.store.RunStore;
import lib.util.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Organisation hooks (/orgs/{org}/hooks): one hook for every repository of the organisation, registered with
 * --org and followed from active-hook.json by the other subcommands and by --from-github; their deliveries keep
 * each run's repository in the index rows.
 */
class OrganisationHooksTest {
    private static final GitHubClient.Policy FAST = GitHubClient.Policy.defaults()
            .withBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10));
    private static final String UNREACHABLE = "http://127.0.0.1:9/hook";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String OURS = "0a1b2c3d-0000-4000-8000-00000000000a";
    private static final String PLATFORM = "0a1b2c3d-0000-4000-8000-00000000000b";

    @TempDir Path tmp;
    GitHubSimulator sim;
    HookCatcher receiver;
    final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void start() throws IOException {
        sim = GitHubSimulator.start();
        receiver = HookCatcher.start();
        env.put("GH_TOKEN", sim.token());
        env.put("GITHUB_API_URL", sim.apiUrl());
        env.put("PATH", tmp.toString()); // no gh, and tmp is no git checkout: no repository anywhere
    }

    @AfterEach
    void stop() {
        sim.close();
        receiver.close();
    }

    private Testing.Run manage(String... args) {
        ManageActionsWebhook c = new ManageActionsWebhook();
        c.env = new HashMap<>(env);
        c.workDir = tmp;
        c.policy = FAST;
        c.sleeper = d -> {};
        c.pollInterval = Duration.ofMillis(50);
        c.stderrIsTerminal = false;
        return Testing.run(c, args);
    }

    private Testing.Run registerOrg(String url) {
        Testing.Run r = manage("register", "--org", sim.org(), "--url", url);
        assertEquals(0, r.exitCode(), r.err());
        return r;
    }

    private static JsonNode json(Testing.Run r) {
        return Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "stdout");
    }

    private Path stateFile() {
        return tmp.resolve(".webhook/active-hook.json");
    }

    private String orgHooks() {
        return "/orgs/" + sim.org() + "/hooks";
    }

    /** Every request's path since {@code from} (index into the simulator's log). */
    private List<String> pathsSince(int from) {
        return sim.requests().subList(from, sim.requests().size()).stream().map(r -> r.split(" ")[1]).toList();
    }

    /** A run of ours in the simulated repository, dispatched as trigger-and-track does. */
    private long dispatchOurs() {
        GitHubClient gh = new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test"));
        ObjectNode body = Json.object().put("ref", "main").put("return_run_details", true);
        body.putObject("inputs").put("correlation_id", OURS);
        return gh.post(gh.repoPath("/actions/workflows/1001/dispatches"), body).get("workflow_run_id").asLong();
    }

    /** Ours in the repository, the platform team's in octo-api (correlated), someone's push in octo-web (not). */
    private void runsInThreeRepositories() {
        dispatchOurs();
        sim.startRunIn(sim.otherRepos().get(0), "Dispatch Webhook", "Dispatch Webhook (" + PLATFORM + ")");
        sim.startRunIn(sim.otherRepos().get(1), "CI", "Fix the build");
    }

    private JsonNode rows(Path runs, String folder) throws IOException {
        return Json.read(runs.resolve(folder).resolve("webhook/index.json"));
    }

    // ------------------------------------------------------------------ manage-actions-webhook

    @Test
    void registerOrgCreatesAnOrganisationHookWithoutAnyRepository() throws IOException {
        Testing.Run r = registerOrg(receiver.url());
        assertEquals(1, sim.orgHooks().size());
        assertTrue(sim.hooks().isEmpty(), "no repository hook");
        long id = sim.orgHooks().get(0).id;
        assertEquals(List.of("workflow_run", "workflow_job"), sim.orgHooks().get(0).events);

        JsonNode state = Json.read(stateFile());
        assertEquals("org", state.get("scope").asText());
        assertEquals(sim.org(), state.get("org").asText());
        assertFalse(state.has("repo"));
        assertEquals(id, state.get("id").asLong());
        assertTrue(state.get("html_url").asText().endsWith("/organizations/" + sim.org() + "/settings/hooks/" + id),
                state.toString());
        assertEquals("org", json(r).get("scope").asText());
        assertTrue(r.err().contains("registered hook " + id + " on organisation " + sim.org()), r.err());
        assertEquals(List.of("POST " + orgHooks()), sim.requests());
    }

    @Test
    void theOtherSubcommandsFollowTheRecordedOrganisation() throws Exception {
        registerOrg(receiver.url());
        long id = sim.orgHooks().get(0).id;
        sim.awaitDeliveries(1, WAIT);
        int from = sim.requests().size();

        Testing.Run status = manage("status");
        assertEquals(0, status.exitCode(), status.err());
        assertEquals(sim.org(), json(status).get("org").asText());
        assertEquals("org", json(status).get("scope").asText());
        assertTrue(status.err().contains("hook " + id + " on organisation " + sim.org() + " is active"), status.err());

        Testing.Run ping = manage("ping");
        assertEquals(0, ping.exitCode(), ping.err());
        assertEquals(200, json(ping).get("status_code").asInt());
        Testing.Run deliveries = manage("deliveries");
        assertEquals(0, deliveries.exitCode(), deliveries.err());
        assertEquals(2, json(deliveries).size());
        Testing.Run redeliver = manage("redeliver", json(ping).get("guid").asText());
        assertEquals(0, redeliver.exitCode(), redeliver.err());
        sim.awaitDeliveries(3, WAIT);

        Testing.Run unregister = manage("unregister");
        assertEquals(0, unregister.exitCode(), unregister.err());
        assertEquals(sim.org(), json(unregister).get("org").asText());
        assertTrue(sim.orgHooks().isEmpty());
        assertFalse(Files.exists(stateFile()));

        List<String> paths = pathsSince(from);
        assertTrue(paths.contains(orgHooks() + "/" + id), paths.toString());
        assertTrue(paths.stream().allMatch(p -> p.startsWith(orgHooks() + "/" + id)), paths.toString());
    }

    @Test
    void aRepositoryOrOrganisationFlagThatContradictsTheRecordWarnsAndWins() {
        registerOrg(receiver.url());
        long id = sim.orgHooks().get(0).id;
        Testing.Run same = manage("status", "--org", sim.org().toUpperCase());
        assertEquals(0, same.exitCode(), same.err());
        assertFalse(same.err().contains("warning: --org"), same.err());

        Testing.Run repo = manage("status", "--repo", sim.repo());
        assertEquals(ExitCode.FAILURE, repo.exitCode(), "hook " + id + " is no repository hook");
        assertTrue(repo.err().contains("warning: --repo " + sim.repo() + " differs from the recorded organisation " + sim.org()),
                repo.err());
        assertEquals(1, sim.requestCount("GET", "/repos/" + sim.repo() + "/hooks/" + id));

        // and the other way round: a repository hook's record, --org given
        env.put("GITHUB_REPOSITORY", sim.repo());
        assertEquals(0, manage("register", "--url", receiver.url(), "--state-dir", "repo-state").exitCode());
        Testing.Run org = manage("status", "--state-dir", "repo-state", "--org", sim.org());
        assertEquals(ExitCode.FAILURE, org.exitCode(), org.err());
        assertTrue(org.err().contains("warning: --org " + sim.org() + " differs from the recorded repository " + sim.repo()),
                org.err());

        Testing.Run both = manage("status", "--repo", sim.repo(), "--org", sim.org());
        assertEquals(ExitCode.USAGE, both.exitCode());
        assertTrue(both.err().contains("not both"), both.err());
        Testing.Run bad = manage("register", "--org", "no/such", "--url", receiver.url(), "--force");
        assertEquals(ExitCode.USAGE, bad.exitCode());
        assertTrue(bad.err().contains("--org must be an organisation's login"), bad.err());
    }

    @Test
    void aTokenWithoutAdminOrgHookIsToldWhatItNeedsAndTheRecordIsKept() throws IOException {
        sim.orgHookScope(false);
        Testing.Run refused = manage("register", "--org", sim.org(), "--url", receiver.url());
        assertEquals(ExitCode.FAILURE, refused.exitCode());
        for (String needed : List.of("404", "admin:org_hook", "\"Webhooks\"", "fine-grained", "does not exist", "GH_TOKEN")) {
            assertTrue(refused.err().contains(needed), needed + ": " + refused.err());
        }
        assertFalse(refused.all().contains(sim.token()));
        assertFalse(Files.exists(stateFile()));

        sim.orgHookScope(true);
        registerOrg(receiver.url());
        sim.orgHookScope(false); // e.g. another token in the environment now
        for (String command : List.of("status", "unregister", "deliveries", "ping")) {
            Testing.Run r = manage(command);
            assertEquals(ExitCode.FAILURE, r.exitCode(), command + ": " + r.err());
            assertTrue(r.err().contains("admin:org_hook"), command + ": " + r.err());
            assertFalse(r.err().contains("no longer exists") || r.err().contains("already gone"), command + ": " + r.err());
        }
        assertTrue(Files.exists(stateFile()), "unregister keeps the record when it could not delete the hook");
        assertEquals(1, sim.orgHooks().size());

        sim.orgHookScope(true);
        sim.orgHooks().forEach(h -> new GitHubClient(GitHubContext.withoutRepo(sim.apiUrl(), sim.token(), "test"))
                .delete(orgHooks() + "/" + h.id));
        Testing.Run gone = manage("status");
        assertEquals(ExitCode.FAILURE, gone.exitCode());
        assertTrue(gone.err().contains("no longer exists on organisation " + sim.org()), gone.err());
        Testing.Run unregister = manage("unregister");
        assertEquals(0, unregister.exitCode(), unregister.err());
        assertTrue(unregister.err().contains("already gone"), unregister.err());
    }

    // ------------------------------------------------------------------ deliveries of several repositories

    @Test
    void fetchedDeliveriesOfSeveralRepositoriesKeepTheirRepositoryAndUncorrelatedRunsGoToUnknown() throws Exception {
        registerOrg(UNREACHABLE); // nothing reaches us: the deliveries API is the way in
        runsInThreeRepositories();
        sim.awaitDeliveries(1 + 3 * 6, WAIT);

        Path runs = tmp.resolve("runs");
        ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
        Ingest.Options trusted = Ingest.Options.verifying(Optional.empty()).trustedBy(GitHubDeliveriesSource.TRUSTED_BY);
        DeliveryIntake intake = new DeliveryIntake(new RunStore(runs), trusted, Clock.systemUTC(), log::add);
        int from = sim.requests().size();
        new SourcePoller(GitHubDeliveriesSource.fromState(tmp.resolve(".webhook"), env, Duration.ofMillis(100), null),
                intake, log::add).pollOnce();

        assertRowsOf(rows(runs, OURS), sim.repo(), 6);
        assertRowsOf(rows(runs, PLATFORM), sim.otherRepos().get(0), 6);
        JsonNode unknown = rows(runs, RunStore.UNKNOWN);
        assertEquals(3, unknown.size(), unknown.toString());
        for (JsonNode row : unknown) {
            assertEquals("workflow_run", row.get("event").asText());
            assertEquals(sim.otherRepos().get(1), row.get("repository").asText());
            assertTrue(row.get("correlation_id").isNull());
        }
        long orgHook = sim.orgHooks().get(0).id;
        List<String> paths = pathsSince(from);
        assertTrue(paths.stream().allMatch(p -> p.startsWith(orgHooks() + "/" + orgHook + "/deliveries")), paths.toString());
    }

    private static void assertRowsOf(JsonNode rows, String repository, int expected) {
        assertEquals(expected, rows.size(), rows.toString());
        List<String> events = new ArrayList<>();
        for (JsonNode row : rows) {
            assertEquals(repository, row.get("repository").asText(), row.toString());
            events.add(row.get("event").asText());
        }
        assertEquals(expected / 2, events.stream().filter("workflow_job"::equals).count(), events.toString());
    }

    @Test
    void waitForWebhookFromGitHubPollsTheRecordedOrganisationHook() throws Exception {
        registerOrg(UNREACHABLE);
        sim.startRunIn(sim.otherRepos().get(0), "Dispatch Webhook", "Dispatch Webhook (" + PLATFORM + ")");
        sim.awaitDeliveries(1 + 6, WAIT);
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = env;
        Testing.Run r = Testing.run(cmd, "--runs-dir", tmp.resolve("runs").toString(), "--state-dir",
                tmp.resolve(".webhook").toString(), "--from-github", "--poll-interval", "100ms", "--correlation-id", PLATFORM,
                "--until", "completed", "--timeout", "10");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("success", Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "out").get("conclusion").asText());
        long orgHook = sim.orgHooks().get(0).id;
        assertTrue(sim.requestCount("GET", orgHooks() + "/" + orgHook + "/deliveries") >= 1, sim.requests().toString());
    }

    @Test
    void oneOrganisationHookAndOneReceiverServeEveryRepository() throws Exception {
        env.put("GITHUB_WEBHOOK_SECRET", Deliveries.SECRET);
        Path runs = tmp.resolve("runs");
        WaitForWebhook serve = new WaitForWebhook();
        serve.env = env;
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Testing.Run> serving = pool.submit(() -> Testing.run(serve, "--runs-dir", runs.toString(), "--state-dir",
                tmp.resolve(".webhook").toString(), "--serve", "--listen", "127.0.0.1:0"));
        try {
            registerOrg(ReceiverTest.awaitUrl(serve).toString());
            dispatchOurs();
            sim.startRunIn(sim.otherRepos().get(1), "CI", "Fix the build");
            // 3 workflow_run deliveries per run, and the jobs of our correlated run
            awaitRows(runs, OURS, 6);
            awaitRows(runs, RunStore.UNKNOWN, 3);
            sim.awaitDeliveries(1 + 2 * 6, WAIT);
        } finally {
            serve.stopServing.countDown();
        }
        Testing.Run r = serving.get(10, TimeUnit.SECONDS);
        pool.shutdown();
        assertEquals(0, r.exitCode(), r.all());
        assertRowsOf(rows(runs, OURS), sim.repo(), 6);
        JsonNode unknown = rows(runs, RunStore.UNKNOWN);
        assertEquals(3, unknown.size(), unknown.toString());
        for (JsonNode row : unknown) {
            assertEquals(sim.otherRepos().get(1), row.get("repository").asText());
            assertEquals("hmac", row.get("verified_by").asText());
        }
        for (SimState.Delivery d : sim.deliveries()) {
            assertEquals("organization", d.header("X-GitHub-Hook-Installation-Target-Type"));
            assertTrue(d.statusCode() / 100 == 2, d.event() + " " + d.status()); // 202 for the jobs of runs not ours
        }
    }

    /** Waits for n index rows, reading as the tools do (the receiver may be appending a row meanwhile). */
    private static void awaitRows(Path runs, String folder, int n) throws Exception {
        RunStore store = new RunStore(runs);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (store.readIndex(folder).size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(folder + ": expected " + n + " rows, have " + store.readIndex(folder).size());
            }
            Thread.sleep(20);
        }
    }
}
