import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import lib.cli.ExitCode;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.hooks.HookState;
import lib.hooks.WebhookUrls;
import lib.util.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import lib.webhook.Secret;
import lib.webhook.Secrets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManageActionsWebhookTest {
    private static final GitHubClient.Policy FAST = GitHubClient.Policy.defaults()
            .withBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
            .withRateLimitWaits(Duration.ofSeconds(5), Duration.ofMillis(10))
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10));
    private static final String UNREACHABLE = "http://127.0.0.1:9/hook";
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path tmp;

    private GitHubSimulator sim;
    private HookCatcher receiver;
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void start() throws IOException {
        sim = GitHubSimulator.start();
        env.put("GH_TOKEN", sim.token());
        env.put("GITHUB_REPOSITORY", sim.repo());
        env.put("GITHUB_API_URL", sim.apiUrl());
        receiver = HookCatcher.start();
    }

    @AfterEach
    void stop() {
        sim.close();
        receiver.close();
    }

    private String receiverUrl() {
        return receiver.url();
    }

    private ManageActionsWebhook command(Map<String, String> environment, Path workDir) {
        ManageActionsWebhook c = new ManageActionsWebhook();
        c.env = new HashMap<>(environment);
        c.workDir = workDir;
        c.policy = FAST;
        c.sleeper = sleeps::add;
        c.pollInterval = Duration.ofMillis(50);
        c.stderrIsTerminal = false;
        return c;
    }

    private Testing.Run run(String... args) {
        return Testing.run(command(env, tmp), args);
    }

    private Testing.Run register(String url, String... more) {
        List<String> args = new ArrayList<>(List.of("register", "--url", url));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    private static JsonNode json(Testing.Run r) {
        return Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "stdout");
    }

    private Path stateFile() {
        return tmp.resolve(".webhook/active-hook.json");
    }

    private Path secretFile() {
        return tmp.resolve(".webhook/webhook-secret");
    }

    private JsonNode state() throws IOException {
        return Json.read(stateFile());
    }

    private GitHubClient simClient() {
        return new GitHubClient(GitHubContext.resolve(sim.repo(), sim.apiUrl(), Map.of("GH_TOKEN", sim.token()), tmp));
    }

    // ------------------------------------------------------------------ register

    @Test
    void credentialsInTheHookUrlAreRecordedButNeverPrinted() throws IOException {
        String url = receiverUrl().replace("://", "://deploy:pa55-w0rd@");
        Testing.Run registered = register(url);
        assertEquals(0, registered.exitCode(), registered.err());
        Testing.Run status = run("status");
        Testing.Run refused = run("register", "--url", "ftp://deploy:pa55-w0rd@example.com/hook");
        assertEquals(ExitCode.USAGE, refused.exitCode(), refused.err());
        for (Testing.Run r : List.of(registered, status, refused)) {
            assertFalse(r.all().contains("pa55-w0rd"), r.all());
            assertTrue(r.all().contains("://***@"), r.all());
        }
        assertEquals(url, state().get("url").asText(), "the record keeps the URL GitHub delivers to");
    }

    @Test
    void registerCreatesTheHookRecordsItAndGeneratesAnOwnerOnlySecret() throws IOException {
        Testing.Run r = register(receiverUrl());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(1, sim.hooks().size());
        SimState.Hook hook = sim.hooks().get(0);
        assertEquals(List.of("workflow_run", "workflow_job"), hook.events);
        assertEquals("json", hook.contentType);
        assertEquals("0", hook.insecureSsl);
        assertEquals(receiverUrl(), hook.url);
        assertTrue(hook.active);

        String secret = Files.readString(secretFile()).strip();
        assertTrue(secret.matches("[0-9a-f]{64}"), "64 hex digits");
        assertEquals(secret, hook.secret);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stateFile())),
                "a file replaced through a temp file is owner-only too");

        JsonNode state = state();
        assertEquals(hook.id, state.get("id").asLong());
        assertEquals(sim.repo(), state.get("repo").asText());
        assertEquals(sim.apiUrl(), state.get("api_url").asText());
        assertEquals(receiverUrl(), state.get("url").asText());
        assertEquals("workflow_run", state.get("events").get(0).asText());
        assertEquals("generated", state.get("secret_source").asText());
        assertTrue(state.get("html_url").asText().endsWith("/" + sim.repo() + "/settings/hooks/" + hook.id));
        assertEquals(hook.id, json(r).get("id").asLong());
        assertTrue(json(r).get("secret_generated").asBoolean());

        assertTrue(r.err().contains("Back it up"), r.err());
        assertTrue(r.err().contains("github.com refuses"), "loopback warning: " + r.err());
        assertFalse(r.all().contains(secret));
        assertFalse(Files.readString(stateFile()).contains(secret));
    }

    @Test
    void aSecondRegisterReusesTheStoredSecret() throws IOException {
        assertEquals(0, register(receiverUrl()).exitCode());
        String secret = Files.readString(secretFile()).strip();
        assertEquals(0, run("unregister").exitCode());
        assertTrue(Files.exists(secretFile()), "unregister keeps the secret");

        Testing.Run again = register(receiverUrl());
        assertEquals(0, again.exitCode(), again.err());
        assertEquals(secret, sim.hooks().get(0).secret);
        assertEquals(secret, Files.readString(secretFile()).strip());
        assertFalse(again.err().contains("generated"), again.err());
        assertEquals(secretFile().toString(), state().get("secret_source").asText());
        assertFalse(json(again).get("secret_generated").asBoolean());
    }

    @Test
    void theSecretFromTheEnvironmentOrAFileIsUsedAndNeverStored() throws IOException {
        env.put("GITHUB_WEBHOOK_SECRET", "env-secret-value-1234");
        Testing.Run r = register(receiverUrl());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("env-secret-value-1234", sim.hooks().get(0).secret);
        assertFalse(Files.exists(secretFile()));
        assertEquals("GITHUB_WEBHOOK_SECRET", state().get("secret_source").asText());

        Path file = tmp.resolve("my-secret");
        Files.writeString(file, "file-secret-value-5678\n");
        Testing.Run f = register(receiverUrl(), "--force", "--secret-file", file.toString());
        assertEquals(0, f.exitCode(), f.err());
        assertEquals("file-secret-value-5678", sim.hooks().get(0).secret);
        assertTrue(f.err().contains("readable by others"), f.err());
    }

    @Test
    void theUrlMustBeAnAbsoluteHttpUrl() {
        Testing.Run none = run("register");
        assertEquals(ExitCode.USAGE, none.exitCode());
        assertTrue(none.err().contains("WEBHOOK_URL"), none.err());
        for (String bad : List.of("ftp://example.com/hook", "/relative/hook", "not a url", "https:///nohost")) {
            Testing.Run r = register(bad);
            assertEquals(ExitCode.USAGE, r.exitCode(), bad + ": " + r.err());
        }
        env.put("WEBHOOK_URL", "mailto:ops@example.com");
        assertEquals(ExitCode.USAGE, run("register").exitCode());
        assertTrue(sim.hooks().isEmpty());
        assertFalse(Files.exists(secretFile()), "nothing generated before the input is valid");
    }

    @Test
    void aHookRecordedLocallyIsNotReplacedWithoutForce() throws IOException {
        env.put("WEBHOOK_URL", receiverUrl());
        assertEquals(0, run("register").exitCode());
        long first = sim.hooks().get(0).id;

        Testing.Run refused = run("register");
        assertEquals(ExitCode.USAGE, refused.exitCode());
        assertTrue(refused.err().contains("--force") && refused.err().contains("already recorded"), refused.err());
        assertEquals(1, sim.hooks().size());

        Testing.Run forced = run("register", "--force");
        assertEquals(0, forced.exitCode(), forced.err());
        assertEquals(1, sim.hooks().size());
        long second = sim.hooks().get(0).id;
        assertNotEquals(first, second);
        assertEquals(second, state().get("id").asLong());
        assertEquals(first, json(forced).get("replaced").get(0).asLong());
    }

    /** A secret generated for a hook GitHub refused would verify nothing: it is not kept, nor announced. */
    @Test
    void aRefusedHookLeavesNoGeneratedSecretBehind() throws IOException {
        assertEquals(0, register(receiverUrl()).exitCode());
        Files.delete(stateFile());
        Files.delete(secretFile()); // e.g. registered from another machine, whose secret this one does not have

        Testing.Run refused = register(receiverUrl());
        assertEquals(ExitCode.FAILURE, refused.exitCode());
        assertTrue(refused.err().contains("Hook already exists on this repository"), refused.err());
        assertFalse(refused.err().contains("generated") || refused.err().contains("Back it up"), refused.err());
        assertFalse(Files.exists(secretFile()), "the refused hook's secret was kept");

        // A 5xx: the hook may have been made, so the secret stays, and the operator is told.
        sim.failNext(5, 502);
        Testing.Run unsure = register("https://hooks.example/new");
        assertEquals(ExitCode.FAILURE, unsure.exitCode());
        assertTrue(Files.exists(secretFile()));
        assertTrue(unsure.err().contains("Back it up"), unsure.err());
    }

    /**
     * Two registers on one state folder: the second never overwrites the secret the first stored meanwhile, and a
     * refused one deletes only a secret it generated itself (the other's hook may use the file's).
     */
    @Test
    void aSecretStoredByAnotherRunIsNeitherOverwrittenNorDeleted() throws IOException {
        Path state = tmp.resolve(".webhook");
        Secret mine = Secrets.generateInto(state, m -> {});
        assertTrue(mine.reveal().equals(Files.readString(secretFile()).strip()));
        List<String> said = new ArrayList<>();
        Secret second = Secrets.generateInto(state, said::add);
        assertTrue(mine.reveal().equals(second.reveal()), "the file's secret, not a new one over it"); // values never shown
        assertNotEquals(Secrets.GENERATED, second.origin());
        assertTrue(said.get(0).contains("stored meanwhile by another run"), said.toString());

        Secrets.forget(state, Secrets.generate(Secrets.GENERATED)); // a refused run whose secret is not the file's
        assertTrue(mine.reveal().equals(Files.readString(secretFile()).strip()));
        Secrets.forget(state, mine);
        assertFalse(Files.exists(secretFile()));
    }

    /** Registers started at once on one state folder take turns: one hook, and the secret on disk is that hook's. */
    @Test
    void registersAtOnceOnOneStateFolderLeaveOneHookAndItsSecret() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 8; round++) {
                Path folder = Files.createDirectories(tmp.resolve("round-" + round));
                List<java.util.concurrent.Future<Testing.Run>> runs = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    runs.add(pool.submit(() -> Testing.run(command(env, folder), "register", "--url", receiverUrl())));
                }
                int ok = 0;
                for (var r : runs) if (r.get(60, java.util.concurrent.TimeUnit.SECONDS).exitCode() == 0) ok++;
                assertEquals(1, ok, "round " + round);
                JsonNode record = Json.read(folder.resolve(".webhook/active-hook.json"));
                String onGitHub = sim.hooks().stream().filter(h -> h.id == record.get("id").asLong()).findFirst().orElseThrow().secret;
                Path secret = folder.resolve(".webhook/webhook-secret");
                assertTrue(Files.exists(secret) && onGitHub.equals(Files.readString(secret).strip()),
                        "round " + round + ": the hook's secret is on disk"); // values never shown
                for (var h : sim.hooks()) new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "test"))
                        .send("DELETE", "/repos/" + sim.repo() + "/hooks/" + h.id, null);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aHookGitHubAlreadyHasIsReportedAndReplacedWithForce() throws IOException {
        assertEquals(0, register(receiverUrl()).exitCode());
        long first = sim.hooks().get(0).id;
        Files.delete(stateFile()); // e.g. registered from another machine

        Testing.Run refused = register(receiverUrl());
        assertEquals(ExitCode.FAILURE, refused.exitCode());
        assertTrue(refused.err().contains("Hook already exists on this repository"), refused.err());
        assertTrue(refused.err().contains("--force"), refused.err());
        assertFalse(Files.exists(stateFile()));

        Testing.Run forced = register(receiverUrl(), "--force");
        assertEquals(0, forced.exitCode(), forced.err());
        assertEquals(1, sim.hooks().size());
        assertNotEquals(first, sim.hooks().get(0).id);
        assertEquals(sim.hooks().get(0).id, state().get("id").asLong());
    }

    @Test
    void forceAlsoCopesWithARecordedHookAlreadyDeletedOnGitHub() {
        assertEquals(0, register(receiverUrl()).exitCode());
        simClient().delete("/repos/" + sim.repo() + "/hooks/" + sim.hooks().get(0).id);
        Testing.Run forced = register(receiverUrl(), "--force");
        assertEquals(0, forced.exitCode(), forced.err());
        assertTrue(forced.err().contains("already gone"), forced.err());
        assertEquals(1, sim.hooks().size());
    }

    @Test
    void aBadTokenExitsOneAndSaysTheTokenIsInvalidWithoutShowingIt() {
        env.put("GH_TOKEN", "ghp_definitely_wrong_123");
        Testing.Run r = register(receiverUrl());
        assertEquals(ExitCode.FAILURE, r.exitCode());
        assertTrue(r.err().contains("token") && r.err().contains("401"), r.err());
        assertFalse(r.all().contains("ghp_definitely_wrong_123"));
        assertFalse(Files.exists(stateFile()));
    }

    // ------------------------------------------------------------------ status

    @Test
    void statusPrintsTheHooksConfiguration() {
        env.put("WEBHOOK_URL", receiverUrl());
        assertEquals(0, run("register").exitCode());
        Testing.Run r = run("status");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode s = json(r);
        assertEquals(sim.hooks().get(0).id, s.get("id").asLong());
        assertEquals(receiverUrl(), s.get("url").asText());
        assertEquals("workflow_job", s.get("events").get(1).asText());
        assertTrue(s.get("active").asBoolean());
        assertEquals("json", s.get("content_type").asText());
        assertTrue(s.get("secret_set").asBoolean());
        assertEquals("0", s.get("insecure_ssl").asText());
        assertTrue(s.get("last_response").isObject());
        assertFalse(r.out().contains("********"), "the masked secret is not echoed");
    }

    @Test
    void statusWithNothingRecordedExitsTwoAndSuggestsRegister() {
        Testing.Run r = run("status");
        assertEquals(ExitCode.USAGE, r.exitCode());
        assertTrue(r.err().contains("register"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void statusOfAHookDeletedOnGitHubExitsOneAndUnregisterCleansUp() throws IOException {
        assertEquals(0, register(receiverUrl()).exitCode());
        long id = sim.hooks().get(0).id;
        simClient().delete("/repos/" + sim.repo() + "/hooks/" + id);

        Testing.Run status = run("status");
        assertEquals(ExitCode.FAILURE, status.exitCode());
        assertTrue(status.err().contains("no longer exists") && status.err().contains("register"), status.err());

        Testing.Run un = run("unregister");
        assertEquals(0, un.exitCode(), un.err());
        assertTrue(un.err().contains("already gone"), un.err());
        assertTrue(json(un).get("already_gone").asBoolean());
        assertFalse(Files.exists(stateFile()));
        assertTrue(Files.exists(secretFile()));
    }

    @Test
    void statusExitsOneWhenWebhookUrlDiffersFromTheHooksUrl() {
        assertEquals(0, register(receiverUrl()).exitCode());
        env.put("WEBHOOK_URL", "https://example.com/other");
        Testing.Run r = run("status");
        assertEquals(ExitCode.FAILURE, r.exitCode());
        assertTrue(r.err().contains("https://example.com/other") && r.err().contains(receiverUrl()), r.err());
        assertEquals(receiverUrl(), json(r).get("url").asText(), "the configuration is still printed");
    }

    @Test
    void statusRetriesServerErrors() {
        assertEquals(0, register(receiverUrl()).exitCode());
        long id = sim.hooks().get(0).id;
        sim.failNext(2, 502);
        Testing.Run r = run("status");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(3, sim.requestCount("GET", "/repos/" + sim.repo() + "/hooks/" + id));
    }

    @Test
    void statusWaitsOutASecondaryRateLimit() {
        assertEquals(0, register(receiverUrl()).exitCode());
        sim.secondaryRateLimit(1, 1);
        Testing.Run r = run("status");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(sleeps.contains(Duration.ofSeconds(1)), "waited Retry-After: " + sleeps);
    }

    @Test
    void statusStillRateLimitedAfterItsTriesFailsSayingWhenToRetry() {
        assertEquals(0, register(receiverUrl()).exitCode());
        sim.secondaryRateLimit(4, 1);
        Testing.Run r = run("status");
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("secondary rate limit hit") && r.err().contains("still limited after 4 tries, try again in 1 s"),
                r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    // ------------------------------------------------------------------ unregister

    @Test
    void unregisterDeletesTheHookKeepsTheSecretAndIsIdempotent() {
        assertEquals(0, register(receiverUrl()).exitCode());
        Testing.Run r = run("unregister");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(sim.hooks().isEmpty());
        assertFalse(Files.exists(stateFile()));
        assertTrue(Files.exists(secretFile()));
        assertTrue(r.err().contains("kept the webhook secret"), r.err());
        assertTrue(json(r).get("unregistered").asBoolean());

        Testing.Run again = run("unregister");
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.err().contains("nothing to unregister"), again.err());
        assertFalse(json(again).get("unregistered").asBoolean());
    }

    @Test
    void unregisterWithAnotherRepositoryWhereTheHookIsNotKeepsTheRecord() throws IOException {
        assertEquals(0, register(receiverUrl()).exitCode());
        long id = sim.hooks().get(0).id;
        String recorded = Files.readString(stateFile());
        String other = sim.otherRepos().get(0);

        Testing.Run r = run("unregister", "--repo", other);
        assertEquals(ExitCode.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("hook " + id + " is not on " + other), r.err());
        assertTrue(r.err().contains("kept " + stateFile()), r.err());
        assertTrue(r.err().contains("without --repo"), r.err());
        assertFalse(r.err().contains("already gone"), r.err());
        assertEquals("", r.out());
        assertEquals(recorded, Files.readString(stateFile()));
        assertEquals(1, sim.hooks().size());

        // the record's own repository, named by the flag, is no override: the hook goes
        Testing.Run same = run("unregister", "--repo", sim.repo());
        assertEquals(0, same.exitCode(), same.err());
        assertTrue(sim.hooks().isEmpty());
        assertFalse(Files.exists(stateFile()));
    }

    @Test
    void unregisterAtAnotherApiWhereTheHookIsNotKeepsTheRecord() throws IOException {
        assertEquals(0, register(receiverUrl()).exitCode());
        String recorded = Files.readString(stateFile());

        Testing.Run r = run("unregister", "--api-url", sim.apiUrl() + "/elsewhere/api/v3");
        assertEquals(ExitCode.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("kept " + stateFile()) && r.err().contains("without --api-url"), r.err());
        assertEquals(recorded, Files.readString(stateFile()));
        assertEquals(1, sim.hooks().size());

        Testing.Run same = run("unregister", "--api-url", sim.apiUrl() + "/");
        assertEquals(0, same.exitCode(), same.err());
        assertTrue(sim.hooks().isEmpty());
    }

    @Test
    void aRecordWrittenBeforeOrganisationHooksIsARepositoryHook() throws IOException {
        assertEquals(0, register(receiverUrl()).exitCode());
        long id = sim.hooks().get(0).id;
        JsonNode written = state();
        assertEquals("repo", written.get("scope").asText());
        assertFalse(written.has("org"));
        // the shape of active-hook.json before it recorded a scope
        Files.writeString(stateFile(), Json.compact(Json.object().put("id", id).put("repo", sim.repo())
                .put("api_url", sim.apiUrl()).put("url", receiverUrl())));
        env.remove("GITHUB_REPOSITORY");
        HookState old = HookState.read(stateFile().getParent()).orElseThrow();
        assertFalse(old.scope().isOrg());
        assertEquals(sim.repo(), old.repo());

        Testing.Run status = run("status");
        assertEquals(0, status.exitCode(), status.err());
        assertEquals(sim.repo(), json(status).get("repo").asText());
        assertEquals(1, sim.requestCount("GET", "/repos/" + sim.repo() + "/hooks/" + id));
        assertEquals(0, run("unregister").exitCode());
        assertTrue(sim.hooks().isEmpty());

        Files.writeString(stateFile(), Json.compact(Json.object().put("id", id).put("scope", "team")
                .put("repo", sim.repo()).put("api_url", sim.apiUrl())));
        Testing.Run damaged = run("status");
        assertEquals(ExitCode.USAGE, damaged.exitCode());
        assertTrue(damaged.err().contains("\"scope\": \"team\""), damaged.err());
    }

    // ------------------------------------------------------------------ where the repo and API come from

    @Test
    void aTokenWithALineBreakIsAUsageErrorThatNamesTheVariableNotTheToken() {
        assertEquals(0, register(receiverUrl()).exitCode());
        int requests = sim.requests().size();
        env.put("GH_TOKEN", "sim-tok\nen-9f3e");
        Testing.Run r = run("status");
        assertEquals(ExitCode.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("error: the GitHub token from GH_TOKEN "), r.err());
        assertFalse(r.all().contains("sim-tok") || r.all().contains("en-9f3e"), r.all());
        assertEquals(requests, sim.requests().size(), "nothing sent");
    }

    @Test
    void gitHubEnterpriseServerUnderApiV3() throws IOException {
        sim.close();
        sim = GitHubSimulator.start(GitHubSimulator.Config.defaults().enterprise("3.20.0"));
        env.remove("GITHUB_API_URL");
        assertTrue(sim.apiUrl().endsWith("/api/v3"));
        Testing.Run r = register(receiverUrl(), "--api-url", sim.apiUrl());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode state = state();
        assertEquals(sim.apiUrl(), state.get("api_url").asText());
        String web = sim.apiUrl().substring(0, sim.apiUrl().length() - "/api/v3".length());
        assertEquals(web + "/" + sim.repo() + "/settings/hooks/" + sim.hooks().get(0).id, state.get("html_url").asText());
        // later commands find GHES from the record, without --api-url
        assertEquals(0, run("status").exitCode());
        assertEquals(0, run("unregister").exitCode());
        assertTrue(sim.hooks().isEmpty());
        assertTrue(sim.requests().stream().allMatch(q -> q.split(" ")[1].startsWith("/api/v3/")), sim.requests().toString());
    }

    @Test
    void theRepositoryComesFromTheFlagOrTheEnvironment() throws IOException {
        env.remove("GITHUB_REPOSITORY");
        Testing.Run flag = register(receiverUrl(), "--repo", sim.repo());
        assertEquals(0, flag.exitCode(), flag.err());
        assertEquals(sim.repo(), state().get("repo").asText());
        // status and unregister use the recorded repository, with none in the environment
        assertEquals(0, run("status").exitCode());
        assertEquals(0, run("unregister").exitCode());

        env.put("GH_REPO", sim.repo());
        Testing.Run fromEnv = register(receiverUrl());
        assertEquals(0, fromEnv.exitCode(), fromEnv.err());
        assertEquals(sim.repo(), state().get("repo").asText());

        env.remove("GH_REPO");
        Testing.Run wrongFlag = run("status", "--repo", "someone/else");
        assertEquals(ExitCode.FAILURE, wrongFlag.exitCode(), "the flag overrides the record");
    }

    @Test
    void theRepositoryComesFromTheGitOriginRemote() throws Exception {
        env.remove("GITHUB_REPOSITORY");
        Path checkout = Files.createDirectory(tmp.resolve("checkout"));
        git(checkout, "init", "-q");
        git(checkout, "remote", "add", "origin", "https://github.com/" + sim.repo() + ".git");
        Testing.Run r = Testing.run(command(env, checkout), "register", "--url", receiverUrl());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode state = Json.read(checkout.resolve(".webhook/active-hook.json"));
        assertEquals(sim.repo(), state.get("repo").asText());
        assertEquals(1, sim.hooks().size());
    }

    private static void git(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
    }

    // ------------------------------------------------------------------ ping, deliveries, redeliver

    @Test
    void pingAgainstALiveReceiverReportsA200() throws Exception {
        assertEquals(0, register(receiverUrl()).exitCode());
        sim.awaitDeliveries(1, WAIT); // the creation ping
        Testing.Run r = run("ping");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode d = json(r);
        assertEquals("ping", d.get("event").asText());
        assertEquals(200, d.get("status_code").asInt());
        assertEquals("OK", d.get("status").asText());
        assertFalse(d.get("guid").asText().isEmpty());
        assertTrue(d.has("delivered_at"));
        assertEquals(2, sim.deliveries().size(), "the creation ping and ours");
        assertEquals(sim.deliveries().get(1).guid(), d.get("guid").asText(), "reports our ping, not the creation ping");
        assertEquals(2, receiver.received().size());
    }

    @Test
    void aPingWhoseDeliveryNeverShowsUpTimesOut() throws Exception {
        assertEquals(0, register(receiverUrl()).exitCode());
        sim.awaitDeliveries(1, WAIT);
        sim.deliveryDelay(Duration.ofMillis(1500));
        Testing.Run r = run("ping", "--timeout", "0");
        assertEquals(ExitCode.TIMEOUT, r.exitCode(), r.err());
        assertTrue(r.err().contains("did not show up"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void noCommandShowsUsageAndExitsTwo() {
        Testing.Run r = run();
        assertEquals(ExitCode.USAGE, r.exitCode());
        assertTrue(r.err().contains("register") && r.err().contains("redeliver"), r.err());
    }

    @Test
    void aFailedPingExitsOneAndDeliveriesFailedListsIt() throws Exception {
        assertEquals(0, register(UNREACHABLE).exitCode());
        sim.awaitDeliveries(1, WAIT);
        Testing.Run ping = run("ping");
        assertEquals(ExitCode.FAILURE, ping.exitCode(), ping.err());
        assertTrue(ping.err().contains("failed to connect"), ping.err());
        assertEquals(0, json(ping).get("status_code").asInt());

        Testing.Run failed = run("deliveries", "--failed", "--table");
        assertEquals(0, failed.exitCode(), failed.err());
        JsonNode list = json(failed);
        assertEquals(2, list.size());
        for (JsonNode d : list) {
            assertEquals("failed to connect", d.get("status").asText());
            assertEquals("ping", d.get("event").asText());
        }
        assertTrue(sim.requests().stream().anyMatch(q -> q.contains("/deliveries?") && q.contains("status=failure")));
        assertTrue(failed.err().contains("GUID") && failed.err().contains(list.get(0).get("guid").asText()), failed.err());
    }

    @Test
    void deliveriesListsRecentOnesAsJsonAndHonoursTheLimit() throws Exception {
        assertEquals(0, register(receiverUrl()).exitCode());
        sim.awaitDeliveries(1, WAIT);
        assertEquals(0, run("ping").exitCode());
        assertEquals(0, run("ping").exitCode());

        Testing.Run all = run("deliveries");
        assertEquals(0, all.exitCode(), all.err());
        JsonNode list = json(all);
        assertEquals(3, list.size());
        JsonNode newest = list.get(0);
        for (String f : List.of("id", "guid", "delivered_at", "event", "action", "status", "status_code", "redelivery")) {
            assertTrue(newest.has(f), f);
        }
        assertTrue(newest.get("id").asLong() > list.get(1).get("id").asLong(), "newest first");
        assertFalse(all.err().contains("GUID"), "no table unless asked or a terminal");

        Testing.Run limited = run("deliveries", "--limit", "2");
        assertEquals(2, json(limited).size());
        assertEquals(0, json(run("deliveries", "--failed")).size());
        assertEquals(ExitCode.USAGE, run("deliveries", "--limit", "0").exitCode());
    }

    @Test
    void redeliverByGuidKeepsTheGuid() throws Exception {
        assertEquals(0, register(receiverUrl()).exitCode());
        sim.awaitDeliveries(1, WAIT);
        Testing.Run ping = run("ping");
        String guid = json(ping).get("guid").asText();

        Testing.Run r = run("redeliver", guid);
        assertEquals(0, r.exitCode(), r.err());
        JsonNode out = json(r);
        assertTrue(out.get("redelivered").asBoolean());
        assertEquals(guid, out.get("guid").asText());
        assertEquals(json(ping).get("id").asLong(), out.get("id").asLong());
        List<SimState.Delivery> same = sim.awaitDeliveries(2, d -> d.guid().equals(guid), WAIT);
        assertTrue(same.get(1).redelivery());

        Testing.Run byId = run("redeliver", String.valueOf(out.get("id").asLong()));
        assertEquals(0, byId.exitCode(), byId.err());
        assertEquals(guid, json(byId).get("guid").asText());
        sim.awaitDeliveries(3, d -> d.guid().equals(guid), WAIT);
    }

    @Test
    void redeliverOfAnUnknownGuidOrIdExitsTwo() {
        assertEquals(0, register(receiverUrl()).exitCode());
        Testing.Run guid = run("redeliver", "00000000-0000-0000-0000-000000000000");
        assertEquals(ExitCode.USAGE, guid.exitCode());
        assertTrue(guid.err().contains("no delivery with GUID"), guid.err());
        assertEquals(ExitCode.USAGE, run("redeliver", "12345").exitCode());
        assertEquals(ExitCode.USAGE, run("redeliver", "../etc").exitCode());
        Testing.Run tooLarge = run("redeliver", "9999999999999999999");
        assertEquals(ExitCode.USAGE, tooLarge.exitCode(), tooLarge.err());
    }

    @Test
    void neitherTokenNorSecretAppearsAnywhereEvenVerbose() throws Exception {
        assertEquals(0, register(receiverUrl(), "--verbose").exitCode());
        sim.awaitDeliveries(1, WAIT);
        String secret = Files.readString(secretFile()).strip();
        List<Testing.Run> runs = List.of(
                run("status", "--verbose"), run("ping", "--verbose"), run("deliveries", "--verbose", "--table"),
                run("register", "--url", receiverUrl(), "--force", "--verbose"),
                run("redeliver", "nope-guid", "--verbose"), run("unregister", "--verbose"));
        String all = String.join("\n", runs.stream().map(Testing.Run::all).toList());
        assertTrue(all.contains("github: GET"), "verbose logs requests");
        assertFalse(all.contains(secret), "secret leaked");
        assertFalse(all.contains(sim.token()), "token leaked");

        env.put("GITHUB_WEBHOOK_SECRET", "env-secret-never-shown");
        Testing.Run withEnv = register(receiverUrl(), "--verbose");
        assertEquals(0, withEnv.exitCode(), withEnv.err());
        assertFalse(withEnv.all().contains("env-secret-never-shown"));
        assertFalse(withEnv.all().contains(sim.token()));
        String stored = Files.readString(stateFile());
        assertFalse(stored.contains("env-secret-never-shown") || stored.contains(secret) || stored.contains(sim.token()));
    }

    // ------------------------------------------------------------------ helpers in lib

    @Test
    void settingsPageAndPrivateAddressDetection() {
        assertEquals("https://github.com/o/r/settings/hooks/7", HookState.settingsPage("https://api.github.com", "o/r", 7));
        assertEquals("https://ghe.example.com/o/r/settings/hooks/7",
                HookState.settingsPage("https://ghe.example.com/api/v3", "o/r", 7));
        for (String local : List.of("http://localhost:8080/h", "http://127.0.0.1/h", "http://10.1.2.3/h",
                "http://192.168.0.5/h", "http://[::1]/h", "http://169.254.1.1/h", "http://100.64.0.1/h", "http://[fd00::1]/h")) {
            assertTrue(WebhookUrls.isLocalOrPrivate(WebhookUrls.requireHttp(local, "url")), local);
        }
        for (String pub : List.of("https://webhook.site/abc", "https://8.8.8.8/h", "https://example.com/h")) {
            assertFalse(WebhookUrls.isLocalOrPrivate(WebhookUrls.requireHttp(pub, "url")), pub);
        }
    }
}
