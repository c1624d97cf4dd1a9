import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A loopback stand-in for WEBHOOK_URL: records every POST to {@code /hook} and answers 200 "ok". */
final class HookCatcher implements AutoCloseable {
    /** One request as it arrived; header names in lower case. */
    record Received(Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();

    private HookCatcher() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", ex -> {
            Map<String, String> headers = new HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
            received.add(new Received(headers, ex.getRequestBody().readAllBytes()));
            byte[] ok = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        server.start();
    }

    static HookCatcher start() throws IOException {
        return new HookCatcher();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    /** Waits until at least {@code n} requests arrived; fails after {@code timeout}. */
    List<Received> await(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.size() < n) {
            if (System.nanoTime() > deadline) throw new AssertionError("received " + received.size() + " of " + n);
            Thread.sleep(10);
        }
        return received();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
