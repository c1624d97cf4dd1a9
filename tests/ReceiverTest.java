import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import lib.cli.ExitCode;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.receiver.Receiver;
import lib.store.RunStore;
import lib.util.BadInputException;
import lib.util.Json;
import lib.webhook.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceiverTest {
    static final String CORR = "0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19";
    static final long RUN = Fixtures.RUN_ID; // the workflow_job fixture belongs to this run

    @TempDir Path tmp;
    Path runs;
    Receiver receiver;
    URI url;
    final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void setUp() throws Exception {
        runs = tmp.resolve("runs");
        receiver = start();
        url = receiver.url();
    }

    @AfterEach
    void tearDown() {
        receiver.close();
    }

    Receiver start() throws Exception {
        Ingest.Options options = Ingest.Options.verifying(Optional.of(new Secret(Deliveries.SECRET, "test")));
        DeliveryIntake intake = new DeliveryIntake(new RunStore(runs), options, Clock.systemUTC(), m -> log.add("warning: " + m));
        return Receiver.start(Receiver.parseListen("0"), "/hook", intake, log::add);
    }

    JsonNode index(String corr) throws Exception {
        return Json.read(runs.resolve(corr).resolve("webhook/index.json"));
    }

    static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body().getBytes(StandardCharsets.UTF_8), "answer");
    }

    @Test
    void bindsLoopbackByDefaultAndReportsTheActualPort() {
        assertEquals("127.0.0.1", url.getHost());
        assertTrue(url.getPort() > 0);
        assertEquals("/hook", url.getPath());
        assertEquals(new InetSocketAddress("127.0.0.1", 8080), Receiver.parseListen("8080"));
        assertEquals(2, ExitCode.of(assertThrows(BadInputException.class, () -> Receiver.parseListen("localhost:http"))));
        assertEquals(2, ExitCode.of(assertThrows(BadInputException.class, () -> Receiver.parseListen("70000"))));
    }

    @Test
    void storesASignedDeliveryBeforeAnswering() throws Exception {
        HttpResponse<String> r = Deliveries.postSigned(url, "workflow_run", "g-1", Fixtures.workflowRun("requested", CORR, RUN));
        // Read right after the answer: the files must already be there.
        JsonNode rows = index(CORR);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode answer = json(r);
        assertTrue(answer.get("stored").asBoolean());
        assertEquals(RUN, answer.get("run_id").asLong());
        assertEquals(1, rows.size());
        assertEquals("g-1", rows.get(0).get("delivery_id").asText());
        assertTrue(rows.get(0).get("verified").asBoolean());
        assertTrue(Files.exists(runs.resolve(CORR).resolve("webhook").resolve(rows.get(0).get("file").asText())));
        assertTrue(log.stream().anyMatch(l -> l.startsWith("delivery g-1 workflow_run -> 200")), log.toString());
    }

    @Test
    void rejectsBadRequestsWithTheirStatusAndStoresNothing() throws Exception {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        String sig = Deliveries.sign(body);

        HttpResponse<String> get = Deliveries.HTTP.send(HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode());
        assertEquals("POST", get.headers().firstValue("Allow").orElse(""));
        assertEquals(404, Deliveries.postSigned(url.resolve("/other"), "workflow_run", "b-0", body).statusCode());
        assertEquals(400, Deliveries.post(url, body, "X-GitHub-Delivery", "b-1", "X-Hub-Signature-256", sig).statusCode());
        assertEquals(400, Deliveries.post(url, body, "X-GitHub-Event", "workflow_run", "X-Hub-Signature-256", sig).statusCode());
        byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("queued", "success").getBytes(StandardCharsets.UTF_8);
        assertEquals(401, Deliveries.post(url, tampered, "X-GitHub-Event", "workflow_run", "X-GitHub-Delivery", "b-2",
                "X-Hub-Signature-256", sig).statusCode());
        assertEquals(401, Deliveries.post(url, body, "X-GitHub-Event", "workflow_run", "X-GitHub-Delivery", "b-3").statusCode());
        byte[] notJson = "{\"workflow_run\": ".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> invalid = Deliveries.postSigned(url, "workflow_run", "b-4", notJson);
        assertEquals(400, invalid.statusCode());
        assertTrue(json(invalid).get("error").asText().contains("not valid JSON"), invalid.body());

        assertEquals(List.of(), Deliveries.filesUnder(runs));
    }

    /** A sender's huge delivery id and event are cut to 100 characters in the log and the answer (20 lines a minute of 40 KB each, before). */
    @Test
    void aHugeDeliveryIdOrEventIsCutShortInTheLogAndInTheAnswer() throws Exception {
        String id = "d".repeat(20_000);
        String event = "e".repeat(20_000);
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        RawHttp.Response unsigned = RawHttp.send(url, RawHttp.concat(RawHttp.head("POST", url, "X-GitHub-Event: " + event,
                "X-GitHub-Delivery: " + id, "Content-Length: " + body.length), body));
        assertEquals(401, unsigned.status());
        RawHttp.Response unsafe = RawHttp.send(url, RawHttp.signedPost(url, "." + id, body));
        assertEquals(400, unsafe.status());
        assertTrue(unsafe.body().contains("." + "d".repeat(99) + "... (20001 characters)"), unsafe.body());
        assertTrue(unsafe.body().length() < 300, unsafe.body().length() + " characters answered");

        List<String> lines = log.stream().filter(l -> l.startsWith("delivery ")).toList();
        assertEquals(2, lines.size(), log.toString().length() + " characters logged");
        assertTrue(lines.get(0).startsWith("delivery " + "d".repeat(100) + "... (20000 characters) " + "e".repeat(100)
                + "... (20000 characters) -> 401"), lines.get(0).substring(0, 300));
        for (String line : lines) assertTrue(line.length() < 500, line.length() + " characters logged: " + line.substring(0, 300));
        assertEquals(List.of(), Deliveries.filesUnder(runs));
    }

    @Test
    void aDamagedLocalFileIsAServerErrorThatRevealsNoPath() throws Exception {
        Files.createDirectories(runs);
        Files.writeString(runs.resolve(CORR + ".json"), "{\"correlation_id\": tru"); // ours, not the sender's fault
        HttpResponse<String> r = Deliveries.postSigned(url, "workflow_run", "local-1", Fixtures.workflowRun("requested", CORR, RUN));
        assertEquals(500, r.statusCode(), r.body());
        assertFalse(r.body().contains(runs.toString()), r.body());
        assertTrue(log.stream().anyMatch(l -> l.contains(CORR + ".json")), "the receiver's own log names the file");
        assertEquals("{\"correlation_id\": tru", Files.readString(runs.resolve(CORR + ".json")));
    }

    @Test
    void refusesBodiesOverTwentyFiveMegabytes() throws Exception {
        // Declared too large: answered from the headers, without reading the body.
        try (Socket s = new Socket(url.getHost(), url.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: " + (25 * 1024 * 1024 + 1)
                    + "\r\nX-GitHub-Event: workflow_run\r\nX-GitHub-Delivery: big-1\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertEquals("HTTP/1.1 413 Request Entity Too Large", status);
        }
        // Undeclared length (chunked): the read is capped. (Signed-looking: an unsigned one is refused unread.)
        byte[] huge = new byte[25 * 1024 * 1024 + 10];
        java.util.Arrays.fill(huge, (byte) ' ');
        HttpRequest chunked = HttpRequest.newBuilder(url)
                .header("X-GitHub-Event", "workflow_run").header("X-GitHub-Delivery", "big-2")
                .header("X-Hub-Signature-256", Deliveries.sign(huge))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(huge))).build();
        assertEquals(413, Deliveries.HTTP.send(chunked, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(List.of(), Deliveries.filesUnder(runs));
    }

    @Test
    void deliveriesOfEveryLengthAreStoredByteForByteDeclaredOrChunked() throws Exception {
        byte[] base = Fixtures.workflowRun("requested", CORR, RUN);
        // around the 16 KB blocks a body is read and budgeted in: exactly two and three blocks, and a byte more
        int[] sizes = {base.length, 2 * 16 * 1024, 2 * 16 * 1024 + 1, 3 * 16 * 1024, 3 * 16 * 1024 + 7};
        int close = new String(base, StandardCharsets.ISO_8859_1).lastIndexOf('}');
        int stored = 0;
        for (int size : sizes) {
            byte[] body = java.util.Arrays.copyOf(base, size);
            java.util.Arrays.fill(body, close, size, (byte) ' ');
            body[size - 1] = '}'; // the same JSON object, padded with white space
            for (boolean chunked : new boolean[] {false, true}) {
                String id = "len-" + size + (chunked ? "-chunked" : "");
                HttpRequest.BodyPublisher publisher = chunked
                        ? HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))
                        : HttpRequest.BodyPublishers.ofByteArray(body);
                HttpRequest request = HttpRequest.newBuilder(url).header("X-GitHub-Event", "workflow_run")
                        .header("X-GitHub-Delivery", id).header("X-Hub-Signature-256", Deliveries.sign(body))
                        .POST(publisher).build();
                HttpResponse<String> r = Deliveries.HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), id + ": " + r.body());
                stored++;
                String file = index(CORR).get(stored - 1).get("file").asText();
                assertArrayEquals(body, Files.readAllBytes(runs.resolve(CORR).resolve("webhook").resolve(file)), id);
            }
        }
        assertEquals(10, stored);
    }

    @Test
    void answersPingWithOkAndOtherEventsWithAcceptedWithoutStoring() throws Exception {
        HttpResponse<String> ping = Deliveries.postSigned(url, "ping", "p-1", Fixtures.bytes("ping.json"));
        assertEquals(200, ping.statusCode(), ping.body());
        assertEquals("ping", json(ping).get("event").asText());
        HttpResponse<String> issues = Deliveries.postSigned(url, "issues", "i-1", "{\"action\":\"opened\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(202, issues.statusCode(), issues.body());
        assertFalse(json(issues).get("stored").asBoolean());
        assertEquals(List.of(), Deliveries.filesUnder(runs));
    }

    @Test
    void filesAWorkflowJobUnderItsRunOnlyOnceTheRunIsKnown() throws Exception {
        byte[] job = Fixtures.bytes("workflow_job.queued.json");
        HttpResponse<String> early = Deliveries.postSigned(url, "workflow_job", "j-1", job);
        assertEquals(202, early.statusCode(), early.body());
        assertFalse(json(early).get("stored").asBoolean());
        assertEquals(List.of(), Deliveries.filesUnder(runs));

        assertEquals(200, Deliveries.postSigned(url, "workflow_run", "r-1", Fixtures.workflowRun("requested", CORR, RUN)).statusCode());
        HttpResponse<String> late = Deliveries.postSigned(url, "workflow_job", "j-2", job);
        assertEquals(200, late.statusCode(), late.body());
        assertEquals(CORR, json(late).get("correlation_id").asText());
        JsonNode rows = index(CORR);
        assertEquals(2, rows.size());
        assertEquals("workflow_job", rows.get(1).get("event").asText());
        assertEquals(RUN, rows.get(1).get("run_id").asLong());
        assertEquals("hmac", rows.get(1).get("verified_by").asText());
    }

    @Test
    void findsTheRunOfAJobStoredByAnotherProcess() throws Exception {
        Deliveries.storeSigned(runs, Deliveries.secretFile(tmp), Fixtures.workflowRun("in_progress", CORR, RUN), "elsewhere-1");
        HttpResponse<String> r = Deliveries.postSigned(url, "workflow_job", "j-3", Fixtures.bytes("workflow_job.queued.json"));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(2, index(CORR).size());
    }

    @Test
    void theSameDeliveryTwiceIsStoredOnce() throws Exception {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        assertEquals(200, Deliveries.postSigned(url, "workflow_run", "same-1", body).statusCode());
        HttpResponse<String> again = Deliveries.postSigned(url, "workflow_run", "same-1", body);
        assertEquals(200, again.statusCode());
        assertTrue(json(again).get("duplicate").asBoolean());
        assertEquals(1, index(CORR).size());
        assertEquals(1, Deliveries.filesUnder(runs.resolve(CORR).resolve("webhook/events")).size());
    }

    @Test
    void twoHundredConcurrentDeliveriesAreAllStored() throws Exception {
        String[] corrs = new String[5];
        for (int c = 0; c < corrs.length; c++) corrs[c] = String.format("0f8e7d6c-5b4a-4392-8170-%012d", c);
        ExecutorService senders = Executors.newFixedThreadPool(20);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String corr = corrs[i % corrs.length];
            byte[] body = Fixtures.workflowRun("in_progress", corr, 100 + i % corrs.length);
            String id = "conc-" + i;
            answers.add(senders.submit(() -> Deliveries.postSigned(url, "workflow_run", id, body)));
        }
        for (Future<HttpResponse<String>> a : answers) {
            HttpResponse<String> r = a.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(json(r).get("stored").asBoolean());
        }
        senders.shutdown();
        Set<String> ids = new HashSet<>();
        for (String corr : corrs) {
            for (JsonNode row : index(corr)) {
                assertTrue(ids.add(row.get("delivery_id").asText()), "stored twice: " + row);
                Json.read(runs.resolve(corr).resolve("webhook").resolve(row.get("file").asText())); // valid JSON
            }
        }
        assertEquals(200, ids.size());
    }

    @Test
    void closeLetsTheServerGoQuickly() {
        long t0 = System.nanoTime();
        receiver.close();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("receiver close took " + millis + " ms");
        assertTrue(millis < 2000);
        assertThrows(java.io.IOException.class,
                () -> Deliveries.postSigned(url, "workflow_run", "late", Fixtures.workflowRun("requested", CORR, RUN)));
    }

    @Test
    void closeFinishesADeliveryThatIsStillArriving() throws Exception {
        byte[] body = Fixtures.workflowRun("requested", CORR, RUN);
        try (Socket s = new Socket(url.getHost(), url.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
                    + "\r\nX-GitHub-Event: workflow_run\r\nX-GitHub-Delivery: slow-1\r\nX-Hub-Signature-256: "
                    + Deliveries.sign(body) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 100);
            out.flush();
            // the handler is now reading the body (other test classes' receivers are rarely blocked there)
            awaitThreadIn(t -> true, "lib.receiver.Receiver", "answer", "readNBytes");
            ExecutorService closer = Executors.newSingleThreadExecutor();
            java.util.concurrent.atomic.AtomicReference<Thread> closerThread = new java.util.concurrent.atomic.AtomicReference<>();
            Future<?> closing = closer.submit(() -> {
                closerThread.set(Thread.currentThread());
                receiver.close();
            });
            awaitThreadIn(t -> t == closerThread.get(), "lib.receiver.Receiver", "close", "close");
            // A correct close stays in its drain loop however slow the machine; a wrong one returns at once.
            assertThrows(java.util.concurrent.TimeoutException.class, () -> closing.get(300, TimeUnit.MILLISECONDS),
                    "close must wait for the delivery in flight");
            out.write(body, 100, body.length - 100);
            out.flush();
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertEquals("HTTP/1.1 200 OK", status);
            closing.get(5, TimeUnit.SECONDS);
            closer.shutdown();
        }
        assertEquals(1, index(CORR).size());
    }

    @Test
    void waitForWebhookListensAndPrintsTheRunIdOfAPostedDelivery() throws Exception {
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = Map.of("GITHUB_WEBHOOK_SECRET", Deliveries.SECRET);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Testing.Run> run = pool.submit(() -> Testing.run(cmd, "--runs-dir", runs.toString(),
                "--state-dir", tmp.resolve("state").toString(), "--listen", "0", "--correlation-id", CORR, "--timeout", "10"));
        URI listening = awaitUrl(cmd);
        Thread.sleep(100);
        Deliveries.postSigned(listening, "workflow_run", "e2e-1", Fixtures.workflowRun("requested", CORR, RUN));
        long posted = System.nanoTime();
        Testing.Run r = run.get(10, TimeUnit.SECONDS);
        long latency = (System.nanoTime() - posted) / 1_000_000;
        System.out.println("wait-for-webhook --listen: answer " + latency + " ms after the receiver's 200");
        pool.shutdown();
        assertEquals(0, r.exitCode(), r.all());
        assertEquals(RUN, Json.parse(r.out().getBytes(StandardCharsets.UTF_8), "out").get("run_id").asLong());
        assertTrue(r.err().contains("listening on http://127.0.0.1:" + listening.getPort() + "/"), r.err());
        assertTrue(latency < 1000);
    }

    @Test
    void serveReceivesUntilStoppedAndLogsOneLinePerDeliveryWithoutTheSecret() throws Exception {
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = Map.of("GITHUB_WEBHOOK_SECRET", Deliveries.SECRET);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Testing.Run> run = pool.submit(() -> Testing.run(cmd, "--runs-dir", runs.toString(),
                "--state-dir", tmp.resolve("state").toString(), "--serve", "--listen", "127.0.0.1:0", "--path", "/gh"));
        URI listening = awaitUrl(cmd);
        assertEquals("/gh", listening.getPath());
        assertEquals(200, Deliveries.postSigned(listening, "workflow_run", "s-1", Fixtures.workflowRun("requested", CORR, RUN)).statusCode());
        assertEquals(401, Deliveries.post(listening, "{}".getBytes(StandardCharsets.UTF_8),
                "X-GitHub-Event", "workflow_run", "X-GitHub-Delivery", "s-2").statusCode());
        assertFalse(run.isDone());
        cmd.stopServing.countDown();
        Testing.Run r = run.get(10, TimeUnit.SECONDS);
        pool.shutdown();
        assertEquals(0, r.exitCode(), r.all());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("delivery s-1 ")).count(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("delivery s-2 ") && l.contains("401")).count(), r.err());
        assertFalse(r.all().contains(Deliveries.SECRET));
        assertEquals(1, index(CORR).size());
    }

    static URI awaitUrl(WaitForWebhook cmd) throws InterruptedException {
        for (int i = 0; i < 500 && cmd.listeningUrl == null; i++) Thread.sleep(10);
        assertNotNull(cmd.listeningUrl, "the receiver did not start");
        return cmd.listeningUrl;
    }

    /**
     * Waits until a thread picked by {@code which} is inside {@code className.method} and, deeper in the
     * same stack, in a method named {@code innermost} (e.g. a handler blocked reading a body).
     */
    static void awaitThreadIn(java.util.function.Predicate<Thread> which, String className, String method, String innermost)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Thread.getAllStackTraces().entrySet().stream().noneMatch(e -> which.test(e.getKey())
                && inside(e.getValue(), className, method, innermost))) {
            if (System.nanoTime() > deadline) throw new AssertionError("no thread reached " + className + "." + method);
            Thread.sleep(5);
        }
    }

    private static boolean inside(StackTraceElement[] stack, String className, String method, String innermost) {
        for (int i = 0; i < stack.length; i++) {
            if (stack[i].getClassName().equals(className) && stack[i].getMethodName().equals(method)) {
                for (int j = 0; j <= i; j++) if (stack[j].getMethodName().equals(innermost)) return true;
            }
        }
        return false;
    }
}
