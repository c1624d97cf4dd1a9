import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lib.receiver.Receiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver's limits that the JDK applies per JVM (read once, as the JVM's first HTTP server starts), so each
 * test runs wait-for-webhook --serve in a JVM of its own, as an operator does: idle keep-alive connections are
 * closed after --idle-timeout, and connections over --max-connections are refused at once.
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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "WaitForWebhook", "--serve", "--listen", "127.0.0.1:0", "--path", "/hook", "--runs-dir", tmp.resolve("runs").toString(),
                "--state-dir", tmp.resolve("state").toString(), "--secret-file", Deliveries.secretFile(tmp).toString()));
        command.addAll(List.of(options));
        Files.createDirectories(tmp.resolve("state"));
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
}
