import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.receiver.Health;
import lib.receiver.Receiver;
import lib.receiver.ReceiverLimits;
import lib.store.RunStore;
import lib.webhook.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver's limits that the JDK applies per JVM (read once, as the JVM's first HTTP server starts), so each
 * test runs wait-for-webhook --serve in a JVM of its own, as an operator does: idle keep-alive connections are
 * closed after --idle-timeout, connections over --max-connections are refused at once, and a connection whose
 * answer is not written within the response time (request timeout + 1 s) is closed.
 */
class ReceiverJvmLimitsTest {
    static final String CORR = "0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19";

    @TempDir Path tmp;

    /** wait-for-webhook --serve --listen on loopback in its own JVM; its URL and its start-up lines. */
    record Served(Process process, URI url, List<String> lines) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }

    Served serve(String... options) throws Exception {
        List<String> arguments = new ArrayList<>(List.of("WaitForWebhook", "--serve", "--listen", "127.0.0.1:0", "--path", "/hook",
                "--runs-dir", tmp.resolve("runs").toString(), "--state-dir", tmp.resolve("state").toString(),
                "--secret-file", Deliveries.secretFile(tmp).toString()));
        arguments.addAll(List.of(options));
        Files.createDirectories(tmp.resolve("state"));
        return launch(arguments);
    }

    /** A main class of this program and its arguments, in a JVM of its own, until it prints "listening on URL". */
    static Served launch(List<String> mainAndArguments) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        command.addAll(mainAndArguments);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            lines.add(line);
            if (line.startsWith("listening on ")) {
                Thread drain = new Thread(() -> out.lines().forEach(l -> {}));
                drain.setDaemon(true);
                drain.start();
                return new Served(p, URI.create(line.substring("listening on ".length()).strip()), lines);
            }
        }
        throw new AssertionError("the receiver did not start: " + lines);
    }

    static int post(URI url, String id) throws Exception {
        return RawHttp.send(url, RawHttp.signedPost(url, id, Fixtures.workflowRun("requested", CORR, Fixtures.RUN_ID))).status();
    }

    @Test
    void idleKeepAliveConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
        try (Served r = serve("--idle-timeout", "2s")) {
            assertTrue(r.lines().stream().anyMatch(l -> l.contains("sun.net.httpserver.idleInterval=2")), r.lines().toString());
            URI url = r.url();
            try (Socket s = RawHttp.connect(url)) {
                // a delivery, then a health check on the same connection: kept alive once a body is read to its end
                s.getOutputStream().write(RawHttp.signedPost(url, "keep-1", Fixtures.workflowRun("requested", CORR, Fixtures.RUN_ID)));
                assertEquals(200, RawHttp.read(s.getInputStream()).status());
                s.getOutputStream().write(RawHttp.head("GET", url.resolve(Receiver.HEALTH_PATH)));
                assertEquals(200, RawHttp.read(s.getInputStream()).status(), "the connection was kept alive");
                long idleSince = System.nanoTime();
                double closedAfter = RawHttp.secondsUntilClosed(s, idleSince, Duration.ofSeconds(15));
                System.out.println("idle keep-alive connection closed " + closedAfter + " s after its last answer (idle timeout 2 s)");
                assertTrue(closedAfter >= 1.5 && closedAfter < 10, "closed after " + closedAfter + " s, not at the 2 s idle timeout");
            }
        }
    }

    @Test
    void connectionsOverTheBoundAreRefusedAtOnceAndServedOnceThereIsRoom() throws Exception {
        try (Served r = serve("--max-connections", "8")) {
            assertTrue(r.lines().stream().anyMatch(l -> l.contains("jdk.httpserver.maxConnections=8")), r.lines().toString());
            URI url = r.url();
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) held.add(RawHttp.connect(url)); // open, and silent
                Thread.sleep(500); // all accepted
                try (Socket extra = RawHttp.connect(url)) {
                    long t0 = System.nanoTime();
                    extra.getOutputStream().write(RawHttp.signedPost(url, "extra-1",
                            Fixtures.workflowRun("requested", CORR, Fixtures.RUN_ID)));
                    double closedAfter = RawHttp.secondsUntilClosed(extra, t0, Duration.ofSeconds(10));
                    System.out.println("connection over the bound of 8: closed after " + closedAfter + " s");
                    assertTrue(closedAfter < 3, "the 9th connection was left hanging: " + closedAfter);
                }
                for (int i = 0; i < 4; i++) held.remove(0).close();
                int status = -1;
                for (int attempt = 0; attempt < 50 && status != 200; attempt++) { // the server notices the closes
                    Thread.sleep(100);
                    status = post(url, "with-room");
                }
                assertEquals(200, status, "served once connections were free again");
            } finally {
                for (Socket s : held) s.close();
            }
        }
        assertEquals(1, Deliveries.filesUnder(tmp.resolve("runs").resolve(CORR).resolve("webhook/events")).size(),
                "the refused delivery was not stored");
    }

    /**
     * A client that pipelines requests and never reads the answers: its handler blocks writing an answer nobody
     * reads. The JDK's response time (request timeout + 1 s = 3 s here) closes that connection, so its thread and
     * its connection slot (the only one here) come back; before, they were held for good.
     */
    @Test
    void aClientThatNeverReadsItsAnswersLosesItsConnectionAfterTheResponseTime() throws Exception {
        try (Served r = serve("--header-timeout", "1s", "--request-timeout", "2s", "--max-connections", "1")) {
            assertTrue(r.lines().stream().anyMatch(l -> l.contains("sun.net.httpserver.maxRspTime=3")), r.lines().toString());
            URI healthz = r.url().resolve(Receiver.HEALTH_PATH);
            byte[] request = RawHttp.head("GET", healthz);
            try (Socket reader = new Socket()) {
                reader.setReceiveBufferSize(4096); // the answers pile up on the server's side at once
                reader.connect(new InetSocketAddress(healthz.getHost(), healthz.getPort()));
                Thread writer = new Thread(() -> {
                    try {
                        OutputStream out = reader.getOutputStream();
                        for (int k = 0; k < 40_000; k++) out.write(request);
                    } catch (IOException closedByTheServer) {
                        // the end of it
                    }
                });
                writer.setDaemon(true);
                writer.start();
                long t0 = System.nanoTime();
                int status = 200;
                while (status == 200 && System.nanoTime() - t0 < 5_000_000_000L) status = get(healthz);
                assertEquals(-1, status, "the never-reading client fills the connection bound of 1");
                // It is stuck once the answers fill the socket buffers: a few seconds, more on a loaded machine.
                while (status != 200 && System.nanoTime() - t0 < 30_000_000_000L) {
                    Thread.sleep(200);
                    status = get(healthz);
                }
                double servedAfter = (System.nanoTime() - t0) / 1e9;
                System.out.println("a client that never reads: a new client served again after " + servedAfter + " s (response time 3 s)");
                assertEquals(200, status, "the never-reading client still holds the connection after 30 s");
            }
        }
    }

    /** A GET on a connection of its own, answered within 2 s; -1 when the connection is closed (or no answer). */
    static int get(URI url) throws IOException {
        try (Socket s = RawHttp.connect(url)) {
            s.setSoTimeout(2000);
            s.getOutputStream().write(RawHttp.head("GET", url));
            return RawHttp.read(s.getInputStream()).status();
        } catch (SocketTimeoutException noAnswer) {
            return -1;
        }
    }

    /**
     * A delivery whose storing outlasts the response time is stored all the same: only its answer is lost, and
     * GitHub's redelivery of it is a duplicate. Storing (the intake's accept) takes 6 s here, the response time is 3 s.
     */
    @Test
    void aDeliveryStoredPastTheResponseTimeIsKeptAndOnlyItsAnswerIsLost() throws Exception {
        Path runs = tmp.resolve("runs");
        try (Served r = launch(List.of(SlowStore.class.getName(), runs.toString(), "8000"))) {
            byte[] body = Fixtures.workflowRun("requested", CORR, Fixtures.RUN_ID);
            long t0 = System.nanoTime();
            RawHttp.Response first = RawHttp.send(r.url(), RawHttp.signedPost(r.url(), "slow-store-1", body));
            double closedAfter = (System.nanoTime() - t0) / 1e9;
            System.out.println("storing past the response time: connection closed after " + closedAfter + " s, answer " + first.status());
            assertEquals(-1, first.status(), "closed at the response time, before an answer");
            // the JDK checks response times once a clock tick (1 s here), against a time taken at a tick
            assertTrue(closedAfter >= 2 && closedAfter < 7.5, "closed after " + closedAfter + " s, not at the 3 s response time");
            RawHttp.Response redelivery = RawHttp.send(r.url(), RawHttp.signedPost(r.url(), "slow-store-1", body));
            // a JVM slowed by a busy machine may take its 3 s for this answer too: GitHub would redeliver again
            for (int again = 0; again < 2 && redelivery.status() == -1; again++) {
                redelivery = RawHttp.send(r.url(), RawHttp.signedPost(r.url(), "slow-store-1", body));
            }
            assertEquals(200, redelivery.status(), redelivery.body());
            assertTrue(redelivery.body().contains("\"duplicate\":true"), redelivery.body());
        }
        assertEquals(1, Deliveries.filesUnder(runs.resolve(CORR).resolve("webhook/events")).size(), "stored once");
    }

    /**
     * A receiver (request timeout 2 s, so a 3 s response time) whose intake, once a new delivery is written,
     * takes {@code args[1]} ms more before it returns; runs into {@code args[0]}.
     */
    static final class SlowStore {
        public static void main(String[] args) throws Exception {
            ReceiverLimits limits = ReceiverLimits.defaults().withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2));
            limits.applyToJvm();
            DeliveryIntake intake = new DeliveryIntake(new RunStore(Path.of(args[0])),
                    Ingest.Options.verifying(Optional.of(new Secret(Deliveries.SECRET, "test"))), Clock.systemUTC(), m -> {});
            long millis = Long.parseLong(args[1]);
            intake.afterStore(() -> {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Receiver receiver = Receiver.start(Receiver.parseListen("0"), "/hook", intake, limits, new Health(Clock.systemUTC()),
                    System.out::println);
            System.out.println("listening on " + receiver.url());
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
