import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback HTTP proxy in front of the simulator, for tests that must act between GitHub's answer and
 * the moment the client sees it: hold a dispatch answer until a delivery was ingested, or replace it
 * with a 502 after the dispatch really happened.
 */
final class SimProxy implements AutoCloseable {
    /** Called once the upstream answered; returns the status to send on (the same one to pass it through). */
    @FunctionalInterface
    interface Tap {
        int afterUpstream(String method, String pathAndQuery, int status) throws Exception;
    }

    private static final Set<String> REQUEST_HEADERS =
            Set.of("authorization", "accept", "x-github-api-version", "user-agent", "if-none-match", "content-type");
    private static final Set<String> DROPPED_RESPONSE_HEADERS =
            Set.of("content-length", "transfer-encoding", "connection", "date");

    private final String upstream;
    private final Tap tap;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sim-proxy");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    /** @param upstream {@code http://127.0.0.1:PORT} of the simulator (no path) */
    SimProxy(String upstream, Tap tap) throws IOException {
        this.upstream = upstream;
        this.tap = tap;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String pathAndQuery = ex.getRequestURI().getRawPath()
                    + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
            byte[] body = ex.getRequestBody().readAllBytes();
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream + pathAndQuery))
                    .method(ex.getRequestMethod(), body.length == 0 && ex.getRequestMethod().equals("GET")
                            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((name, values) -> {
                if (REQUEST_HEADERS.contains(name.toLowerCase(Locale.ROOT))) request.header(name, values.get(0));
            });
            HttpResponse<byte[]> response;
            int status;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                status = tap.afterUpstream(ex.getRequestMethod(), pathAndQuery, response.statusCode());
            } catch (Exception e) {
                throw new IOException(e);
            }
            byte[] out = response.body();
            if (status != response.statusCode()) {
                out = ("{\"message\":\"Server Error\",\"status\":\"" + status + "\"}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            } else {
                response.headers().map().forEach((name, values) -> {
                    if (!name.startsWith(":") && !DROPPED_RESPONSE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                        ex.getResponseHeaders().put(name, List.copyOf(values));
                    }
                });
            }
            boolean noBody = status == 204 || status == 304 || out.length == 0;
            ex.sendResponseHeaders(status, noBody ? -1 : out.length);
            if (!noBody) {
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(out);
                }
            }
        }
    }
}
