package lib.receiver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
 * The embedded webhook endpoint (JDK HttpServer) feeding {@link DeliveryIntake}, made to face the internet.
 * Answers within GitHub's 10 s: a 2xx only once a stored delivery is on disk; 401 for a missing or bad signature
 * (checked before parsing); 400 bad input; 404 wrong path; 405 not POST; 413 over 25 MB (declared: unread);
 * 503 when the bodies in memory leave no room for this one within 2 s, or while shutting down; 202 for
 * deliveries it acknowledges without storing (GitHub counts 4xx as failed deliveries). Refused requests write
 * nothing; they are counted in {@link Health} and their log lines are rate-limited. {@code GET /healthz} answers
 * the health document.
 * <p>
 * Slow and idle clients cannot starve it ({@link ReceiverLimits}): every request in progress has its own thread,
 * the header and request timeouts cut late requests off ({@link Deadlines}), and the connection bound, idle timeout,
 * response time (an answer its client does not read) and drain behaviour are the JDK's own per-JVM settings,
 * applied by {@link ReceiverLimits#applyToJvm()}.
 */
public final class Receiver implements AutoCloseable {
    /** The health endpoint's path (GET or HEAD); never the webhook path. */
    public static final String HEALTH_PATH = "/healthz";
    /** Refused requests logged per minute at most (the rest are counted). */
    static final int REFUSALS_LOGGED_PER_MINUTE = 20;
    /** Characters of a delivery id or event shown in a log line (a header can be tens of thousands). */
    private static final int SHOWN = 100;

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
    private final Deadlines deadlines;
    private final BodyBudget budget;
    private final String path;
    private final DeliveryIntake intake;
    private final Health health;
    private final Consumer<String> log;
    private final LogLimiter refusals;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closing; // written only by close(), which is called from one thread at a time

    private Receiver(HttpServer server, Deadlines deadlines, BodyBudget budget, String path, DeliveryIntake intake,
            Health health, Consumer<String> log) {
        this.server = server;
        this.deadlines = deadlines;
        this.budget = budget;
        this.path = path;
        this.intake = intake;
        this.health = health;
        this.log = log;
        this.refusals = new LogLimiter(REFUSALS_LOGGED_PER_MINUTE, log);
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

    /** A receiver with the default limits and its own health counts (tests, benchmarks). */
    public static Receiver start(InetSocketAddress address, String path, DeliveryIntake intake, Consumer<String> log)
            throws IOException {
        return start(address, path, intake, ReceiverLimits.defaults(), new Health(Clock.systemUTC()), log);
    }

    /**
     * Listens on {@code address} for deliveries to {@code path}. The connection bound and idle timeout take effect
     * only if {@link ReceiverLimits#applyToJvm()} ran before this JVM's first HTTP server started.
     */
    public static Receiver start(InetSocketAddress address, String path, DeliveryIntake intake, ReceiverLimits limits,
            Health health, Consumer<String> log) throws IOException {
        if (!path.startsWith("/")) throw new BadInputException("--path must start with '/': " + path);
        if (path.equals(HEALTH_PATH)) throw new BadInputException("--path " + HEALTH_PATH + " is the health endpoint's; pick another");
        HttpServer server;
        try {
            server = HttpServer.create(address, 1024);
        } catch (IOException e) {
            throw new BadInputException("cannot listen on " + address + ": " + e.getMessage());
        }
        Deadlines deadlines = new Deadlines(limits.headerTimeout(), limits.requestTimeout(), limits.maxConnections(),
                "receiver",
                () -> health.refused(Health.Refusal.SLOW_HEADERS), () -> health.refused(Health.Refusal.SLOW_BODY));
        BodyBudget budget = new BodyBudget(limits.maxBodyMemory(), ReceiverLimits.BUDGET_WAIT);
        Receiver receiver = new Receiver(server, deadlines, budget, path, intake, health, log);
        server.createContext("/", receiver::handle);
        server.setExecutor(deadlines.executor());
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

    public Health health() {
        return health;
    }

    /** Stops accepting, lets in-flight deliveries finish (up to 5 s), then stops the server. */
    @Override
    public void close() {
        if (closing) return;
        closing = true;
        health.stopping();
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
        deadlines.shutdown(Duration.ofSeconds(1));
        refusals.flush();
    }

    private void handle(HttpExchange exchange) throws IOException {
        if (!deadlines.bodyStarts()) throw new IOException("cut off: the headers came too late"); // the JDK closes it
        inFlight.incrementAndGet();
        try (exchange) {
            Answer answer = answer(exchange);
            if (!deadlines.workStarts()) throw new IOException("cut off: the request took too long");
            byte[] body = (Json.compact(answer.body()) + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            if (answer.allow() != null) exchange.getResponseHeaders().set("Allow", answer.allow());
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(answer.status(), head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private record Answer(int status, ObjectNode body, String allow) {
        Answer(int status, ObjectNode body) {
            this(status, body, null);
        }
    }

    private Answer answer(HttpExchange exchange) throws IOException {
        String requested = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        long declared = declaredLength(exchange);
        if (HEALTH_PATH.equals(requested)) {
            if (!"GET".equals(method) && !"HEAD".equals(method)) return refused(Health.Refusal.WRONG_METHOD, exchange, declared,
                    new Answer(405, error("GET or HEAD only"), "GET, HEAD"));
            readEmptyBody(exchange, declared);
            return new Answer(health.isStopping() ? 503 : 200, health.toJson());
        }
        if (!path.equals(requested)) return refused(Health.Refusal.WRONG_PATH, exchange, declared, new Answer(404, error("not the webhook path")));
        if (!"POST".equals(method)) {
            return refused(Health.Refusal.WRONG_METHOD, exchange, declared, new Answer(405, error("POST only"), "POST"));
        }
        if (closing) return new Answer(503, error("shutting down"));
        Headers headers = headersOf(exchange);
        String deliveryId = headers.get(Headers.DELIVERY);
        // Checked before the body is read: a flood of such requests costs no memory.
        if (declared > WebhookDelivery.MAX_BYTES) {
            return logged(Health.Refusal.TOO_LARGE, deliveryId, headers, error(413, "over GitHub's 25 MB payload cap"));
        }
        if (headers.get(Headers.EVENT) == null || deliveryId == null) {
            return logged(Health.Refusal.MALFORMED, deliveryId, headers,
                    error(400, "X-GitHub-Event and X-GitHub-Delivery headers are required"));
        }
        if (headers.get(Headers.SIGNATURE_256) == null) {
            return logged(Health.Refusal.UNSIGNED, deliveryId, headers, error(401, "signature missing or invalid; nothing stored"));
        }
        try (BodyBudget.Body body = budget.read(exchange.getRequestBody(), declared)) {
            switch (body.outcome()) {
                case TOO_LARGE:
                    return logged(Health.Refusal.TOO_LARGE, deliveryId, headers, error(413, "over GitHub's 25 MB payload cap"));
                case NO_ROOM:
                    return logged(Health.Refusal.NO_ROOM, deliveryId, headers,
                            error(503, "too many large deliveries in memory at once; try again"));
                default:
                    break;
            }
            if (!deadlines.workStarts()) throw new IOException("cut off: the body came too late");
            return store(new WebhookDelivery(body.bytes(), headers), deliveryId, headers);
        }
    }

    /** Hands a received delivery to the intake; the answer says what came of it. */
    private Answer store(WebhookDelivery delivery, String deliveryId, Headers headers) {
        try {
            DeliveryIntake.Outcome outcome = intake.accept(delivery);
            switch (outcome.kind()) {
                case STORED -> health.stored("receiver");
                case DUPLICATE -> health.duplicate();
                case PING -> health.ping();
                case IGNORED -> health.ignored();
            }
            Answer answer = new Answer(outcome.kind() == DeliveryIntake.Kind.IGNORED ? 202 : 200, outcome.summary());
            log.accept(line(deliveryId, headers, answer));
            return answer;
        } catch (SignatureException e) {
            return logged(Health.Refusal.BAD_SIGNATURE, deliveryId, headers, error(401, "signature missing or invalid; nothing stored"));
        } catch (BadInputException e) { // the sender's problem: say what is wrong with the delivery
            return logged(Health.Refusal.MALFORMED, deliveryId, headers, error(400, e.getMessage()));
        } catch (RuntimeException e) { // ours (e.g. a damaged file in the runs folder): the sender gets no local path
            log.accept("error: storing delivery " + Text.printable(deliveryId, SHOWN) + " failed: " + Text.describe(e));
            health.refused(Health.Refusal.FAILED);
            Answer answer = error(500, "could not store the delivery");
            log.accept(line(deliveryId, headers, answer));
            return answer;
        }
    }

    /** A refused delivery: counted, and logged within the rate limit. */
    private Answer logged(Health.Refusal why, String deliveryId, Headers headers, Answer answer) {
        health.refused(why);
        refusals.log(line(deliveryId, headers, answer));
        return answer;
    }

    /** A request for another path or method: counted, not logged; an empty body is read so the connection stays. */
    private Answer refused(Health.Refusal why, HttpExchange exchange, long declared, Answer answer) throws IOException {
        health.refused(why);
        readEmptyBody(exchange, declared);
        return answer;
    }

    private static String line(String deliveryId, Headers headers, Answer answer) {
        ObjectNode b = answer.body();
        String detail = b.has("reason") ? Json.text(b, "reason") : b.has("error") ? Json.text(b, "error")
                : b.has("run_id") ? "run " + Json.text(b, "run_id") + " " + Json.text(b, "status")
                        + (b.path("duplicate").asBoolean() ? " (duplicate)" : "") : "";
        return "delivery " + Text.printable(deliveryId, SHOWN) + " " + Text.printable(headers.get(Headers.EVENT), SHOWN)
                + " -> " + answer.status() + (detail.isEmpty() ? "" : " " + detail);
    }

    /** The declared body length: Content-Length, -1 for a chunked body, 0 for none (the JDK has validated them). */
    private static long declaredLength(HttpExchange exchange) {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) return Long.parseLong(length.trim());
        return exchange.getRequestHeaders().containsKey("Transfer-Encoding") ? -1 : 0;
    }

    /**
     * Reaches the end of an empty body, so the connection can be kept alive (the JDK closes a connection whose
     * body was left unread, as it is told to); a non-empty one is left unread and its connection closed.
     */
    private static void readEmptyBody(HttpExchange exchange, long declared) throws IOException {
        if (declared == 0) exchange.getRequestBody().read();
    }

    private static Headers headersOf(HttpExchange exchange) {
        Headers headers = new Headers();
        for (Map.Entry<String, List<String>> e : exchange.getRequestHeaders().entrySet()) {
            if (!e.getValue().isEmpty()) headers.set(e.getKey(), e.getValue().get(0));
        }
        return headers;
    }

    private static ObjectNode error(String message) {
        ObjectNode body = Json.object();
        body.put("stored", false);
        body.put("error", message);
        return body;
    }

    private static Answer error(int status, String message) {
        return new Answer(status, error(message));
    }
}
