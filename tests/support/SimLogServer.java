import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Where the simulator's job logs are downloaded from: a second loopback server (another origin than the
 * API), as GitHub hands out log downloads on a storage host. {@code GET .../actions/jobs/{id}/logs}
 * answers 302 to a pre-signed URL here; the signature is the only credential, and every request is
 * recorded (headers included) so tests can check that the API token never arrives here.
 */
final class SimLogServer implements AutoCloseable {
    private final HttpServer server;
    private final SimState state;
    private final SimJson json;
    private final Map<String, Long> signatures = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    SimLogServer(SimState state, SimJson json, Executor executor) throws IOException {
        this.state = state;
        this.json = json;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** A fresh pre-signed download URL for a job's log. */
    String signedUrl(long jobId) {
        byte[] sig = new byte[16];
        random.nextBytes(sig);
        String token = HexFormat.of().formatHex(sig);
        signatures.put(token, jobId);
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/job-logs/" + jobId + "?sig=" + token;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String query = ex.getRequestURI().getRawQuery();
            String line = ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + (query == null ? "" : "?" + query);
            long arrived = System.nanoTime();
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k, v.isEmpty() ? "" : v.get(0)));
            String body = log(ex.getRequestURI().getRawPath(), query);
            int status = body == null ? 403 : 200;
            state.logRequests.add(new SimState.Request(line, Collections.unmodifiableMap(headers), arrived, status));
            byte[] bytes = (body == null ? "<Error><Code>AuthenticationFailed</Code></Error>" : body).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", body == null ? "application/xml" : "text/plain; charset=utf-8");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The log for a correctly signed GET of /job-logs/{id}; null for anything else. */
    private String log(String path, String query) {
        if (query == null || !query.startsWith("sig=") || !path.startsWith("/job-logs/")) return null;
        Long jobId = signatures.get(query.substring(4));
        if (jobId == null || !path.equals("/job-logs/" + jobId)) return null;
        synchronized (state.lock) {
            for (SimState.Run run : state.runs.values()) {
                for (SimState.Job job : run.allJobs) {
                    if (job.id() == jobId) return json.jobLog(run, job);
                }
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
