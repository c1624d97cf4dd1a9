import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.sources.SourcePoller;
import lib.sources.WebhookSiteSource;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** webhook.site's request list, served by a fake API on loopback. */
class WebhookSiteSourceTest {
    static final String TOKEN = "9b3f6c1e-2d4a-4e8b-a7c5-1f0e9d8c7b6a";
    static final String CORR = "6e5d4c3b-2a19-4f08-b7e6-d5c4b3a29180";
    static final long RUN = Fixtures.RUN_ID;

    @TempDir Path tmp;
    Path runs;
    HttpServer api;
    String baseUrl;
    /** Requests the fake API lists, newest first (as with sorting=newest). */
    final List<ObjectNode> captured = new CopyOnWriteArrayList<>();
    final List<Map<String, String>> seenByApi = new CopyOnWriteArrayList<>();
    volatile int status = 200;
    final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void setUp() throws Exception {
        runs = tmp.resolve("runs");
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/token/" + TOKEN + "/requests", exchange -> {
            seenByApi.add(Map.of(
                    "query", String.valueOf(exchange.getRequestURI().getQuery()),
                    "accept", String.valueOf(exchange.getRequestHeaders().getFirst("Accept")),
                    "api-key", String.valueOf(exchange.getRequestHeaders().getFirst("Api-Key"))));
            Map<String, String> q = new java.util.HashMap<>();
            for (String kv : String.valueOf(exchange.getRequestURI().getQuery()).split("&")) q.put(kv.split("=")[0], kv.substring(kv.indexOf('=') + 1));
            int perPage = Integer.parseInt(q.getOrDefault("per_page", "50"));
            int current = Integer.parseInt(q.getOrDefault("page", "1"));
            int from = Math.min(captured.size(), (current - 1) * perPage);
            int to = Math.min(captured.size(), from + perPage);
            ObjectNode page = Json.object();
            ArrayNode data = page.putArray("data");
            captured.subList(from, to).forEach(data::add);
            page.put("total", captured.size()).put("per_page", perPage).put("current_page", current)
                    .put("is_last_page", to >= captured.size()).put("from", from + 1).put("to", to);
            byte[] body = (status == 200 ? Json.compact(page) : "{\"error\":\"Unauthorized\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        api.start();
        baseUrl = "http://127.0.0.1:" + api.getAddress().getPort();
    }

    @AfterEach
    void tearDown() {
        api.stop(0);
    }

    /** Captures a delivery as webhook.site shows it: raw content, lower-case names with arrays of values. */
    void capture(String event, String deliveryId, byte[] body, String signature) {
        ObjectNode request = Json.object();
        request.put("uuid", UUID.randomUUID().toString());
        request.put("token_id", TOKEN);
        request.put("type", "web");
        request.put("method", "POST");
        request.put("content", new String(body, StandardCharsets.UTF_8));
        ObjectNode headers = request.putObject("headers");
        headers.putArray("x-github-event").add(event);
        headers.putArray("x-github-delivery").add(deliveryId);
        headers.putArray("content-type").add("application/json");
        headers.putArray("user-agent").add("GitHub-Hookshot/b8c71d8");
        if (signature != null) headers.putArray("x-hub-signature-256").add(signature);
        request.put("created_at", "2026-11-28 12:00:00");
        captured.add(0, request);
    }

    SourcePoller poller(Map<String, String> env) {
        Ingest.Options options = Ingest.Options.verifying(Optional.of(new Secret(Deliveries.SECRET, "test")));
        DeliveryIntake intake = new DeliveryIntake(new RunStore(runs), options, Clock.systemUTC(), m -> log.add("warning: " + m));
        return new SourcePoller(WebhookSiteSource.fromEnv(TOKEN, baseUrl, env, Duration.ofMillis(100)), intake, log::add);
    }

    JsonNode index() throws Exception {
        return Json.read(runs.resolve(CORR).resolve("webhook/index.json"));
    }

    @Test
    void storesVerifiedDeliveriesAndRejectsATamperedOne() throws Exception {
        byte[] good = Fixtures.workflowRun("requested", CORR, RUN);
        capture("workflow_run", "ws-good", good, Deliveries.sign(good));
        byte[] tampered = Fixtures.workflowRun("in_progress", CORR, RUN);
        capture("workflow_run", "ws-tampered", tampered, Deliveries.sign(good));

        poller(Map.of()).pollOnce();

        JsonNode rows = index();
        assertEquals(1, rows.size(), rows.toString());
        assertEquals("ws-good", rows.get(0).get("delivery_id").asText());
        assertTrue(rows.get(0).get("verified").asBoolean());
        assertEquals("hmac", rows.get(0).get("verified_by").asText());
        assertTrue(log.stream().anyMatch(l -> l.contains("ws-tampered not stored: signature missing or invalid")), log.toString());
    }

    @Test
    void ingestsOldestFirstSoAJobFollowsItsRunAndSkipsRequestsAlreadySeen() throws Exception {
        byte[] run = Fixtures.workflowRun("requested", CORR, RUN);
        byte[] job = Fixtures.bytes("workflow_job.queued.json");
        capture("workflow_run", "ws-run", run, Deliveries.sign(run));
        capture("workflow_job", "ws-job", job, Deliveries.sign(job));
        SourcePoller poller = poller(Map.of());
        poller.pollOnce();
        poller.pollOnce();
        JsonNode rows = index();
        assertEquals(2, rows.size(), rows.toString());
        assertEquals("workflow_job", rows.get(1).get("event").asText());
        assertEquals(2, log.stream().filter(l -> l.contains("stored delivery")).count(), log.toString());
    }

    @Test
    void sendsTheApiKeyOnlyWhenOneIsSet() {
        poller(Map.of("WEBHOOK_SITE_API_KEY", "key-123")).pollOnce();
        poller(Map.of()).pollOnce();
        assertEquals("key-123", seenByApi.get(0).get("api-key"));
        assertEquals("null", seenByApi.get(1).get("api-key"));
        assertEquals("application/json", seenByApi.get(0).get("accept"));
        assertEquals("sorting=newest&per_page=100&page=1", seenByApi.get(0).get("query"));
    }

    @Test
    void anUnauthorisedAnswerIsReportedOnceWithWhatToDo() {
        status = 401;
        SourcePoller poller = poller(Map.of());
        poller.pollOnce();
        poller.pollOnce();
        List<String> warnings = log.stream().filter(l -> l.startsWith("warning: webhook.site")).toList();
        assertEquals(1, warnings.size(), log.toString());
        assertTrue(warnings.get(0).contains("WEBHOOK_SITE_API_KEY"));
    }

    @Test
    void waitForWebhookFetchesFromWebhookSiteAndPrintsTheRunId() throws Exception {
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = Map.of("GITHUB_WEBHOOK_SECRET", Deliveries.SECRET, "WEBHOOK_SITE_URL", baseUrl);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Testing.Run> running = pool.submit(() -> Testing.run(cmd, "--runs-dir", runs.toString(),
                "--state-dir", tmp.resolve("state").toString(), "--from-webhook-site", TOKEN,
                "--poll-interval", "100ms", "--correlation-id", CORR, "--timeout", "10"));
        Thread.sleep(300);
        byte[] body = Fixtures.workflowRun("in_progress", CORR, RUN);
        capture("workflow_run", "ws-e2e", body, Deliveries.sign(body));
        Testing.Run r = running.get(10, TimeUnit.SECONDS);
        pool.shutdown();
        assertEquals(0, r.exitCode(), r.all());
        JsonNode out = Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "out");
        assertEquals(RUN, out.get("run_id").asLong());
        assertEquals("ws-e2e", out.get("delivery_id").asText());
        assertNull(out.get("conclusion"));
    }

    @Test
    void aBaseUrlThatIsNoHttpUrlIsAUsageErrorNamingWhereItCameFrom() {
        // {where the URL comes from, the URL}
        List<String[]> cases = List.of(new String[] {"--webhook-site-url", "ht tp://x"},
                new String[] {"--webhook-site-url", "ftp://x"}, new String[] {"WEBHOOK_SITE_URL", "https:///no-host"});
        for (String[] c : cases) {
            String source = c[0];
            String url = c[1];
            boolean flag = source.startsWith("--");
            WaitForWebhook cmd = new WaitForWebhook();
            cmd.env = flag ? Map.of("GITHUB_WEBHOOK_SECRET", Deliveries.SECRET)
                    : Map.of("GITHUB_WEBHOOK_SECRET", Deliveries.SECRET, source, url);
            List<String> args = new java.util.ArrayList<>(List.of("--runs-dir", runs.toString(), "--state-dir",
                    tmp.resolve("state").toString(), "--from-webhook-site", TOKEN, "--poll-interval", "100ms",
                    "--correlation-id", CORR, "--timeout", "3"));
            if (flag) args.addAll(List.of(source, url));
            long start = System.nanoTime();
            Testing.Run r = Testing.run(cmd, args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), url + ": " + r.all());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), url + ": fails at once, without waiting");
            String err = r.err().strip();
            assertTrue(err.startsWith("error: " + source + " ") && err.contains("'" + url + "'"), url + ": " + err);
            assertEquals(1, err.lines().count(), err);
        }
        assertTrue(seenByApi.isEmpty(), seenByApi.toString());
    }

    @Test
    void aBacklogLongerThanOnePollReadsIsReadOnByTheNextPolls() throws Exception {
        for (int i = 1; i <= 1050; i++) capture("workflow_run", "d-" + i, "{}".getBytes(StandardCharsets.UTF_8), null);
        WebhookSiteSource source = WebhookSiteSource.fromEnv(TOKEN, baseUrl, Map.of(), Duration.ofMillis(100));
        List<String> ids = new java.util.ArrayList<>();
        source.poll().forEach(d -> ids.add(d.deliveryId()));
        assertEquals(1000, ids.size(), "ten pages a poll");
        capture("workflow_run", "d-new", "{}".getBytes(StandardCharsets.UTF_8), null); // arrives meanwhile
        source.poll().forEach(d -> ids.add(d.deliveryId()));
        source.poll().forEach(d -> ids.add(d.deliveryId()));
        assertEquals(1051, ids.size());
        assertEquals(1051, new java.util.HashSet<>(ids).size(), "each once");
        assertTrue(ids.contains("d-1") && ids.contains("d-50") && ids.contains("d-new"), ids.subList(1000, 1051).toString());
    }

    /** A source running for weeks remembers only the latest request uuids, yet hands over each new request once. */
    @Test
    void pastTheRequestsItRemembersEachNewOneIsStillHandedOverOnce() throws Exception {
        int remembered = 3;
        WebhookSiteSource source = new WebhookSiteSource(baseUrl, "the test", TOKEN, null, Duration.ofMillis(100), remembered);
        List<String> ids = new java.util.ArrayList<>();
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 2; i++) capture("workflow_run", "r" + round + "-" + i, "{}".getBytes(StandardCharsets.UTF_8), null);
            source.poll().forEach(d -> ids.add(d.deliveryId()));
            source.poll().forEach(d -> ids.add(d.deliveryId())); // nothing new
            assertTrue(source.remembered() <= remembered, "remembers " + source.remembered());
        }
        List<String> expected = new java.util.ArrayList<>();
        for (int round = 0; round < 6; round++) expected.addAll(List.of("r" + round + "-0", "r" + round + "-1"));
        assertEquals(expected, ids, "each once, in arrival order");
    }

    /**
     * One poll that reads more requests than a source remembers keeps the newest ones (where the next poll stops):
     * they are remembered last, so the next poll hands nothing over again.
     */
    @Test
    void aPollOfMoreThanItRemembersKeepsTheNewestInMind() throws Exception {
        for (int i = 1; i <= 5; i++) capture("workflow_run", "m-" + i, "{}".getBytes(StandardCharsets.UTF_8), null);
        WebhookSiteSource source = new WebhookSiteSource(baseUrl, "the test", TOKEN, null, Duration.ofMillis(100), 3);
        assertEquals(5, source.poll().size());
        assertEquals(List.of(), source.poll(), "the newest were forgotten and handed over again");
    }

    /**
     * A backlog longer than the requests a source remembers is read on without handing any over twice: the request
     * every poll stops at (the newest) is looked up each time, so it is not forgotten however many older ones the
     * backlog adds after it.
     */
    @Test
    void aBacklogLongerThanTheRequestsItRemembersHandsEachOverOnce() throws Exception {
        for (int i = 1; i <= 4500; i++) capture("workflow_run", "b-" + i, "{}".getBytes(StandardCharsets.UTF_8), null);
        int remembered = 2500; // above the 2,000 a poll reads at most (ten pages and ten of a backlog)
        WebhookSiteSource source = new WebhookSiteSource(baseUrl, "the test", TOKEN, null, Duration.ofMillis(100), remembered);
        List<String> ids = new java.util.ArrayList<>();
        for (int poll = 0; poll < 7; poll++) source.poll().forEach(d -> ids.add(d.deliveryId()));
        assertEquals(4500, new java.util.HashSet<>(ids).size(), "each request");
        assertEquals(4500, ids.size(), "each once");
        assertTrue(source.remembered() <= remembered, "remembers " + source.remembered());
    }

    @Test
    void aDeliveryIdFromTheSenderCannotAddLinesOrEscapesToTheLog() throws Exception {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        String forged = "ws-1\nwebhook.site: stored delivery ws-2 (run 1)\u001b[2K\r";
        capture("workflow_run", forged, body, Deliveries.sign(body));
        capture("workflow_run", "x".repeat(1000) + "\n", body, "sha256=00");

        poller(Map.of()).pollOnce();

        List<String> lines = log.stream().flatMap(String::lines).toList();
        assertEquals(2, lines.size(), log.toString());
        assertTrue(log.stream().noneMatch(l -> l.matches("(?s).*[\\x00-\\x1f\\x7f].*")), log.toString());
        assertTrue(lines.get(0).startsWith("webhook.site: delivery ws-1?webhook.site:?stored?delivery?ws-2?(run?1)?[2K not"),
                lines.get(0));
        String shown = lines.get(1).substring("webhook.site: delivery ".length(), lines.get(1).indexOf(" not stored"));
        assertEquals("x".repeat(100) + "... (1000 characters)", shown);
        assertTrue(lines.get(1).length() < 500, "the reason, which quotes the id, is bounded too: " + lines.get(1).length());
    }

    @Test
    void readsOlderPagesUntilARequestSeenBefore() throws Exception {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        capture("workflow_run", "ws-oldest", body, Deliveries.sign(body));
        for (int i = 0; i < 120; i++) { // newer requests that are not deliveries push it onto page 2
            ObjectNode noise = Json.object().put("uuid", UUID.randomUUID().toString()).put("method", "GET");
            captured.add(0, noise);
        }
        SourcePoller poller = poller(Map.of());
        poller.pollOnce();
        assertEquals("ws-oldest", index().get(0).get("delivery_id").asText(), log.toString());
        assertEquals(2, seenByApi.size());

        captured.add(0, Json.object().put("uuid", UUID.randomUUID().toString()).put("method", "GET"));
        poller.pollOnce();
        assertEquals(3, seenByApi.size(), "the next poll stops at the first page, which holds a request seen before");
    }
}
