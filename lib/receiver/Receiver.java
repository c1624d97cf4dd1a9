package lib.receiver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import lib.ingest.DeliveryIntake;
import lib.util.BadInputException;
import lib.util.Json;
import lib.util.Text;
import lib.webhook.Headers;
import lib.webhook.SignatureException;
import lib.webhook.WebhookDelivery;

/**
 * The embedded webhook endpoint (JDK HttpServer) feeding {@link DeliveryIntake}. Answers within
 * GitHub's 10 s: a 2xx only once a stored delivery is on disk; 401 for a bad or missing signature
 * (checked before parsing); 400 bad input; 404 wrong path; 405 not POST; 413 over 25 MB; 202 for
 * deliveries it acknowledges without storing (GitHub counts 4xx as failed deliveries).
 */
public final class Receiver implements AutoCloseable {
    public static final int DEFAULT_THREADS = 8;

    static {
        // The JDK server writes an answer's headers and its body as two TCP segments. With Nagle's
        // algorithm on (its default), the body waits for the sender's ACK of the headers, which the
        // sender delays by 40 ms: every answer took >= 40 ms and a receiver did ~350 deliveries/s
        // whatever the disk (tests/bench). Read once, when the first HttpServer of the JVM starts.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }
    /** How long {@link #close()} lets in-flight deliveries finish. */
    private static final long DRAIN_MILLIS = 5_000;

    private final HttpServer server;
    private final ExecutorService executor;
    private final String path;
    private final DeliveryIntake intake;
    private final Consumer<String> log;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closing; // written only by close(), which is called from one thread at a time

    private Receiver(HttpServer server, ExecutorService executor, String path, DeliveryIntake intake, Consumer<String> log) {
        this.server = server;
        this.executor = executor;
        this.path = path;
        this.intake = intake;
        this.log = log;
    }

    /** {@code [HOST:]PORT}; without a host it binds loopback (127.0.0.1). Port 0 picks a free one. */
    public static InetSocketAddress parseListen(String spec) {
        String host = "127.0.0.1";
        String port = spec.strip();
        int colon = port.lastIndexOf(':');
        if (colon >= 0) {
            host = port.substring(0, colon).replace("[", "").replace("]", "");
            port = port.substring(colon + 1);
        }
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535 || host.isEmpty()) throw new NumberFormatException();
            return new InetSocketAddress(InetAddress.getByName(host), p);
        } catch (NumberFormatException | IOException e) {
            throw new BadInputException("--listen expects [HOST:]PORT (e.g. 8080 or 127.0.0.1:8080), got: " + spec);
        }
    }

    public static Receiver start(InetSocketAddress address, String path, DeliveryIntake intake, Consumer<String> log)
            throws IOException {
        if (!path.startsWith("/")) throw new BadInputException("--path must start with '/': " + path);
        HttpServer server;
        try {
            server = HttpServer.create(address, 64);
        } catch (IOException e) {
            throw new BadInputException("cannot listen on " + address + ": " + e.getMessage());
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(DEFAULT_THREADS, r -> {
            Thread t = new Thread(r, "receiver-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Receiver receiver = new Receiver(server, executor, path, intake, log);
        server.createContext("/", receiver::handle);
        server.setExecutor(executor);
        server.start();
        if (!address.getAddress().isLoopbackAddress()) {
            log.accept("warning: listening on " + address.getAddress().getHostAddress()
                    + ", not loopback: anyone who reaches this port can send requests (only signed ones are stored)");
        }
        return receiver;
    }

    public URI url() {
        InetSocketAddress bound = server.getAddress();
        String host = bound.getAddress().getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + bound.getPort() + path);
    }

    /** Stops accepting, lets in-flight deliveries finish (up to 5 s), then stops the server. */
    @Override
    public void close() {
        if (closing) return;
        closing = true;
        long deadline = System.currentTimeMillis() + DRAIN_MILLIS;
        while (inFlight.get() > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        server.stop(0);
        executor.shutdown();
        try {
            executor.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        inFlight.incrementAndGet();
        try (exchange) {
            Answer answer = answer(exchange);
            byte[] body = (Json.compact(answer.body()) + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            if (answer.status() == 405) exchange.getResponseHeaders().set("Allow", "POST");
            exchange.sendResponseHeaders(answer.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private record Answer(int status, ObjectNode body) {}

    private Answer answer(HttpExchange exchange) throws IOException {
        if (closing) return error(503, "shutting down");
        if (!path.equals(exchange.getRequestURI().getPath())) return error(404, "not the webhook path");
        if (!"POST".equals(exchange.getRequestMethod())) return error(405, "POST only");
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && tooLarge(declared)) return error(413, "over GitHub's 25 MB payload cap");
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(WebhookDelivery.MAX_BYTES + 1);
        }
        if (body.length > WebhookDelivery.MAX_BYTES) return error(413, "over GitHub's 25 MB payload cap");

        Headers headers = headersOf(exchange);
        String deliveryId = headers.get(Headers.DELIVERY);
        if (headers.get(Headers.EVENT) == null || deliveryId == null) {
            return logged(deliveryId, headers, error(400, "X-GitHub-Event and X-GitHub-Delivery headers are required"));
        }
        Answer answer;
        try {
            DeliveryIntake.Outcome outcome = intake.accept(new WebhookDelivery(body, headers));
            answer = new Answer(outcome.kind() == DeliveryIntake.Kind.IGNORED ? 202 : 200, outcome.summary());
        } catch (SignatureException e) {
            answer = error(401, "signature missing or invalid; nothing stored");
        } catch (BadInputException e) { // the sender's problem: say what is wrong with the delivery
            answer = error(400, e.getMessage());
        } catch (RuntimeException e) { // ours (e.g. a damaged file in the runs folder): the sender gets no local path
            log.accept("error: storing delivery " + Text.printable(deliveryId) + " failed: " + Text.describe(e));
            answer = error(500, "could not store the delivery");
        }
        return logged(deliveryId, headers, answer);
    }

    private Answer logged(String deliveryId, Headers headers, Answer answer) {
        ObjectNode b = answer.body();
        String detail = b.has("reason") ? Json.text(b, "reason") : b.has("error") ? Json.text(b, "error")
                : b.has("run_id") ? "run " + Json.text(b, "run_id") + " " + Json.text(b, "status")
                        + (b.path("duplicate").asBoolean() ? " (duplicate)" : "") : "";
        log.accept("delivery " + Text.printable(deliveryId) + " " + Text.printable(headers.get(Headers.EVENT))
                + " -> " + answer.status() + (detail.isEmpty() ? "" : " " + detail));
        return answer;
    }

    private static boolean tooLarge(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > WebhookDelivery.MAX_BYTES;
        } catch (NumberFormatException e) {
            return false; // the capped read below still applies
        }
    }

    private static Headers headersOf(HttpExchange exchange) {
        Headers headers = new Headers();
        for (Map.Entry<String, List<String>> e : exchange.getRequestHeaders().entrySet()) {
            if (!e.getValue().isEmpty()) headers.set(e.getKey(), e.getValue().get(0));
        }
        return headers;
    }

    private static Answer error(int status, String message) {
        ObjectNode body = Json.object();
        body.put("stored", false);
        body.put("error", message);
        return new Answer(status, body);
    }

}
