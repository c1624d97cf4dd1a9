import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.Json;

/**
 * A stateful GitHub on loopback: repository, hooks, deliveries, workflows, dispatches and runs,
 * answering with GitHub's status codes, error bodies, rate-limit headers, Link pagination and ETags,
 * and POSTing signed workflow_run / workflow_job deliveries to registered hooks. Faults on demand.
 * No JUnit here: the offline sandbox reuses it.
 *
 * <p>Choice where GitHub is vague: dispatching a disabled workflow answers
 * 422 "Cannot trigger a 'workflow_dispatch' on a disabled workflow".
 */
final class GitHubSimulator implements AutoCloseable {
    static final String DOCS = "https://docs.github.com/rest";
    static final String MASK = "********";
    static final String SECONDARY_LIMIT_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes"
            + " before you try again. If you reach out to GitHub Support for help, please include the request ID sim.";

    /** Start-time configuration. */
    static final class Config {
        String token = "sim-token";
        String owner = "octo-org";
        String name = "octo-repo";
        long repoId = 4242;
        String defaultBranch = "main";
        List<String> branches = new ArrayList<>(List.of("main"));
        List<String> tags = new ArrayList<>();
        String enterpriseVersion;
        boolean withDefaultWorkflow = true;

        static Config defaults() {
            return new Config();
        }

        Config token(String t) { token = t; return this; }
        Config repo(String o, String n, long id) { owner = o; name = n; repoId = id; return this; }
        Config branches(String defaultBranch, String... others) {
            this.defaultBranch = defaultBranch;
            branches = new ArrayList<>(List.of(defaultBranch));
            branches.addAll(List.of(others));
            return this;
        }
        Config tags(String... t) { tags = new ArrayList<>(List.of(t)); return this; }
        /** GHES mode: API under /api/v3 and X-GitHub-Enterprise-Version; below 3.21 rejects return_run_details. */
        Config enterprise(String version) { enterpriseVersion = version; return this; }
        Config withoutDefaultWorkflow() { withDefaultWorkflow = false; return this; }
    }

    /** A workflow file. Mutable state so tests can disable it. */
    static final class Workflow {
        final long id;
        final String name;
        final String path;
        final List<String> inputs;
        final List<String> requiredInputs;
        final String runNameTemplate;
        final boolean dispatchable;
        volatile String state = "active";
        final AtomicInteger runNumbers = new AtomicInteger();
        final Instant createdAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);

        Workflow(long id, String name, String fileName, List<String> inputs, List<String> requiredInputs,
                String runNameTemplate, boolean dispatchable) {
            this.id = id;
            this.name = name;
            this.path = ".github/workflows/" + fileName;
            this.inputs = List.copyOf(inputs);
            this.requiredInputs = List.copyOf(requiredInputs);
            this.runNameTemplate = runNameTemplate;
            this.dispatchable = dispatchable;
        }

        String fileName() {
            return path.substring(path.lastIndexOf('/') + 1);
        }

        Workflow state(String s) {
            state = s;
            return this;
        }
    }

    static final class Hook {
        final long id;
        volatile boolean active;
        volatile List<String> events;
        volatile String url;
        volatile String contentType;
        volatile String secret;
        volatile String insecureSsl;
        final Instant createdAt = Instant.now();
        volatile Instant updatedAt = createdAt;
        volatile ObjectNode lastResponse = lastResponse(null, "unused", null);

        Hook(long id) {
            this.id = id;
        }

        boolean subscribes(String event) {
            return active && (events.contains(event) || events.contains("*"));
        }
    }

    static final class Run {
        final long id;
        final Workflow workflow;
        final int runNumber;
        final String displayTitle;
        final String headBranch;
        final String headSha;
        final Map<String, String> inputs;
        final Instant createdAt = Instant.now();
        volatile Instant updatedAt = createdAt;
        volatile Instant startedAt = createdAt;
        volatile String status = "queued";
        volatile String conclusion;
        final long jobId;

        Run(long id, Workflow workflow, int runNumber, String displayTitle, String headBranch, String headSha,
                Map<String, String> inputs, long jobId) {
            this.id = id;
            this.workflow = workflow;
            this.runNumber = runNumber;
            this.displayTitle = displayTitle;
            this.headBranch = headBranch;
            this.headSha = headSha;
            this.inputs = inputs;
            this.jobId = jobId;
        }
    }

    /** One delivery attempt, as GitHub's deliveries API shows it. */
    record Delivery(long id, String guid, long hookId, String event, String action, boolean redelivery, byte[] payload,
            SimHookshot.Attempt attempt) {
        int statusCode() {
            return attempt.statusCode();
        }

        String status() {
            return attempt.status();
        }

        String header(String name) {
            return attempt.requestHeaders().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
        }
    }

    private record Answer(int status, JsonNode body, Map<String, String> headers) {
        static Answer of(int status, JsonNode body) {
            return new Answer(status, body, new LinkedHashMap<>());
        }

        Answer header(String k, String v) {
            headers.put(k, v);
            return this;
        }
    }

    private static final Pattern RUN_NAME_INPUT = Pattern.compile("\\$\\{\\{\\s*inputs\\.([A-Za-z0-9_-]+)\\s*}}");
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private final Config config;
    private final HttpServer server;
    private final ExecutorService httpThreads = Executors.newCachedThreadPool(daemon("sim-http"));
    private final ExecutorService hookshotThread = Executors.newSingleThreadExecutor(daemon("sim-hookshot"));
    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(daemon("sim-runs"));
    private final SimHookshot hookshot = new SimHookshot();
    private final Object lock = new Object();
    private final String headSha;

    private final Map<Long, Workflow> workflows = new LinkedHashMap<>();
    private final Map<Long, Hook> hooks = new LinkedHashMap<>();
    private final Map<Long, Run> runs = new LinkedHashMap<>();
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final Map<Long, List<Runnable>> heldDeliveries = new ConcurrentHashMap<>();
    private final List<String> requestLog = new CopyOnWriteArrayList<>();
    private long nextHookId = 500_000_001L;
    private long nextRunId = 16_000_000_001L;
    private long nextJobId = 45_000_000_001L;
    private long nextDeliveryId = 90_000_000_001L;
    private long nextWorkflowId = 1002;

    // Knobs, changeable at any time.
    private volatile Duration queuedFor = Duration.ofMillis(30);
    private volatile Duration inProgressFor = Duration.ofMillis(30);
    private volatile String conclusion = "success";
    private volatile Duration visibilityDelay = Duration.ZERO;
    private volatile Duration deliveryDelay = Duration.ZERO;
    private volatile Duration deliveryTimeout = Duration.ofSeconds(10);
    private volatile boolean duplicateDeliveries;
    private volatile boolean reorderDeliveries;
    private volatile boolean emptyRunName;
    private volatile Duration slowAnswers = Duration.ZERO;
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile int failStatus = 502;
    private final AtomicInteger secondaryLimitNext = new AtomicInteger();
    private volatile Integer secondaryRetryAfter;

    // Primary rate limit.
    private final int rateLimit = 5000;
    private int rateUsed;
    private Instant rateReset = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);

    private GitHubSimulator(Config config) throws IOException {
        this.config = config;
        this.headSha = HexFormat.of().formatHex(sha256(("sim-" + config.name).getBytes(StandardCharsets.UTF_8)))
                .substring(0, 40);
        if (config.withDefaultWorkflow) {
            workflows.put(1001L, new Workflow(1001, "Dispatch Webhook", "dispatch-webhook.yml",
                    List.of("correlation_id", "webhook_url"), List.of(),
                    "Dispatch Webhook (${{ inputs.correlation_id }})", true));
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(httpThreads);
        server.start();
    }

    static GitHubSimulator start() throws IOException {
        return start(Config.defaults());
    }

    static GitHubSimulator start(Config config) throws IOException {
        return new GitHubSimulator(config);
    }

    @Override
    public void close() {
        server.stop(0);
        clock.shutdownNow();
        hookshotThread.shutdownNow();
        httpThreads.shutdownNow();
    }

    // ---------------------------------------------------------------- addresses and config

    int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:PORT}, plus {@code /api/v3} in GHES mode. */
    String apiUrl() {
        return "http://127.0.0.1:" + port() + prefix();
    }

    /** Where html_url links point: https://github.com, or the simulator itself in GHES mode. */
    String webUrl() {
        return config.enterpriseVersion == null ? "https://github.com" : "http://127.0.0.1:" + port();
    }

    String token() {
        return config.token;
    }

    String repo() {
        return config.owner + "/" + config.name;
    }

    long repoId() {
        return config.repoId;
    }

    private String prefix() {
        return config.enterpriseVersion == null ? "" : "/api/v3";
    }

    /** Adds a workflow; give {@code dispatchable=false} for one without a workflow_dispatch trigger. */
    Workflow addWorkflow(String name, String fileName, List<String> inputs, String runNameTemplate, boolean dispatchable) {
        synchronized (lock) {
            Workflow w = new Workflow(nextWorkflowId++, name, fileName, inputs, List.of(), runNameTemplate, dispatchable);
            workflows.put(w.id, w);
            return w;
        }
    }

    Workflow addWorkflow(Workflow w) {
        synchronized (lock) {
            workflows.put(w.id, w);
            return w;
        }
    }

    Workflow workflow(long id) {
        synchronized (lock) {
            return workflows.get(id);
        }
    }

    // ---------------------------------------------------------------- knobs

    /** How long a run stays queued, then in progress. */
    GitHubSimulator phaseDelays(Duration queued, Duration inProgress) {
        queuedFor = queued;
        inProgressFor = inProgress;
        return this;
    }

    GitHubSimulator conclusion(String c) {
        conclusion = c;
        return this;
    }

    /** How long a new run stays out of the runs list (real GitHub lags); GET by id sees it at once. */
    GitHubSimulator visibilityDelay(Duration d) {
        visibilityDelay = d;
        return this;
    }

    GitHubSimulator deliveryDelay(Duration d) {
        deliveryDelay = d;
        return this;
    }

    GitHubSimulator deliveryTimeout(Duration d) {
        deliveryTimeout = d;
        return this;
    }

    /** Sends every delivery twice with the same GUID. */
    GitHubSimulator duplicateDeliveries(boolean on) {
        duplicateDeliveries = on;
        return this;
    }

    /** Holds a run's deliveries until it completes, then sends them newest first. */
    GitHubSimulator reorderDeliveries(boolean on) {
        reorderDeliveries = on;
        return this;
    }

    /** Real GitHub sometimes delivers {@code workflow_run.name} as an empty string. */
    GitHubSimulator emptyRunName(boolean on) {
        emptyRunName = on;
        return this;
    }

    GitHubSimulator slowAnswers(Duration d) {
        slowAnswers = d;
        return this;
    }

    /** The next {@code n} requests answer {@code status} (e.g. 502) whatever they ask. */
    GitHubSimulator failNext(int n, int status) {
        failStatus = status;
        failNext.set(n);
        return this;
    }

    /** Uses up the primary rate limit until {@code resetIn} from now: 403 with x-ratelimit-remaining 0. */
    GitHubSimulator exhaustRateLimit(Duration resetIn) {
        synchronized (lock) {
            rateUsed = rateLimit;
            rateReset = Instant.now().plus(resetIn).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        }
        return this;
    }

    /** The next {@code n} requests hit the secondary limit: 403, with Retry-After when given. */
    GitHubSimulator secondaryRateLimit(int n, Integer retryAfterSeconds) {
        secondaryRetryAfter = retryAfterSeconds;
        secondaryLimitNext.set(n);
        return this;
    }

    // ---------------------------------------------------------------- observability

    /** Every request received, as "METHOD /path?query" (path as sent, prefix included). */
    List<String> requests() {
        return List.copyOf(requestLog);
    }

    /** Requests whose method and path (without query and without the GHES prefix) match. */
    long requestCount(String method, String path) {
        return requestLog.stream().filter(r -> {
            String[] parts = r.split(" ", 2);
            String p = parts[1].split("\\?", 2)[0];
            if (!prefix().isEmpty() && p.startsWith(prefix())) p = p.substring(prefix().length());
            return parts[0].equals(method) && p.equals(path);
        }).count();
    }

    int rateLimitRemaining() {
        synchronized (lock) {
            refreshRateWindow();
            return rateLimit - rateUsed;
        }
    }

    List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    List<Run> runs() {
        synchronized (lock) {
            return List.copyOf(runs.values());
        }
    }

    List<Hook> hooks() {
        synchronized (lock) {
            return List.copyOf(hooks.values());
        }
    }

    /** Waits until at least {@code n} delivery attempts matching {@code filter} were made; returns them. */
    List<Delivery> awaitDeliveries(int n, Predicate<Delivery> filter, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Delivery> matching = deliveries.stream().filter(filter).toList();
            if (matching.size() >= n) return matching;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("expected " + n + " deliveries within " + timeout + ", saw "
                        + matching.size() + " of " + deliveries.size());
            }
            Thread.sleep(10);
        }
    }

    List<Delivery> awaitDeliveries(int n, Duration timeout) throws InterruptedException {
        return awaitDeliveries(n, d -> true, timeout);
    }

    /** Waits until the run reaches {@code status}. */
    Run awaitRun(long runId, String status, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Run r;
            synchronized (lock) {
                r = runs.get(runId);
            }
            if (r != null && r.status.equals(status)) return r;
            Thread.sleep(10);
        }
        throw new IllegalStateException("run " + runId + " did not reach " + status + " within " + timeout);
    }

    // ---------------------------------------------------------------- HTTP plumbing

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String rawPath = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            requestLog.add(method + " " + rawPath + (query == null ? "" : "?" + query));
            byte[] body = ex.getRequestBody().readAllBytes();
            if (!slowAnswers.isZero()) sleepQuietly(slowAnswers);
            Answer answer;
            try {
                answer = answer(method, rawPath, query == null ? "" : query, ex, body);
            } catch (RuntimeException e) {
                answer = error(500, "Simulator error: " + e);
            }
            write(ex, method, answer);
        }
    }

    private Answer answer(String method, String rawPath, String query, HttpExchange ex, byte[] body) {
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            return error(failStatus, failStatus == 502 ? "Server Error" : "Service Unavailable");
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !(auth.equals("Bearer " + config.token) || auth.equals("token " + config.token))) {
            return error(401, "Bad credentials");
        }
        if (!rawPath.startsWith(prefix() + "/")) return notFound();
        String path = rawPath.substring(prefix().length());
        if (path.equals("/rate_limit")) return rateLimitAnswer();
        synchronized (lock) {
            refreshRateWindow();
            if (rateUsed >= rateLimit) {
                return error(403, "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help,"
                        + " please include the request ID sim.",
                        DOCS + "/overview/rate-limits-for-the-rest-api");
            }
        }
        if (secondaryLimitNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            Answer a = error(403, SECONDARY_LIMIT_MESSAGE, DOCS + "/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits");
            if (secondaryRetryAfter != null) a.header("Retry-After", String.valueOf(secondaryRetryAfter));
            return a;
        }
        Map<String, String> q = parseQuery(query);
        Answer answer = route(method, path, q, body);
        if (method.equals("GET") && answer.status() == 200 && answer.body() != null) {
            String etag = "W/\"" + HexFormat.of().formatHex(sha256(Json.compact(answer.body()).getBytes(StandardCharsets.UTF_8))) + "\"";
            answer.header("ETag", etag);
            String ifNoneMatch = ex.getRequestHeaders().getFirst("If-None-Match");
            if (etag.equals(ifNoneMatch)) return new Answer(304, null, answer.headers());
        }
        return answer;
    }

    private void write(HttpExchange ex, String method, Answer answer) throws IOException {
        synchronized (lock) {
            refreshRateWindow();
            // GitHub does not charge 304s, nor answers it refused for the rate limit itself
            boolean charged = answer.status() != 304 && answer.status() != 401 && rateUsed < rateLimit
                    && !ex.getRequestURI().getPath().endsWith("/rate_limit");
            if (charged) rateUsed++;
            var h = ex.getResponseHeaders();
            h.set("x-ratelimit-limit", String.valueOf(rateLimit));
            h.set("x-ratelimit-remaining", String.valueOf(rateLimit - rateUsed));
            h.set("x-ratelimit-used", String.valueOf(rateUsed));
            h.set("x-ratelimit-reset", String.valueOf(rateReset.getEpochSecond()));
            h.set("x-ratelimit-resource", "core");
        }
        var h = ex.getResponseHeaders();
        h.set("Date", HTTP_DATE.format(Instant.now()));
        h.set("X-GitHub-Api-Version-Selected", "2022-11-28");
        h.set("X-GitHub-Request-Id", UUID.randomUUID().toString().toUpperCase());
        if (config.enterpriseVersion != null) h.set("X-GitHub-Enterprise-Version", config.enterpriseVersion);
        answer.headers().forEach(h::set);
        byte[] bytes = answer.body() == null ? new byte[0] : Json.compact(answer.body()).getBytes(StandardCharsets.UTF_8);
        boolean noBody = answer.status() == 204 || answer.status() == 304 || bytes.length == 0 || method.equals("HEAD");
        if (!noBody) h.set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(answer.status(), noBody ? -1 : bytes.length);
        if (!noBody) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Resets the window once its reset time has passed, as GitHub's hourly window does. */
    private void refreshRateWindow() {
        if (Instant.now().isAfter(rateReset)) {
            rateUsed = 0;
            rateReset = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        }
    }

    private Answer rateLimitAnswer() {
        ObjectNode core = Json.object();
        synchronized (lock) {
            refreshRateWindow();
            core.put("limit", rateLimit).put("used", rateUsed).put("remaining", rateLimit - rateUsed)
                    .put("reset", rateReset.getEpochSecond());
        }
        ObjectNode body = Json.object();
        body.putObject("resources").set("core", core);
        body.set("rate", core);
        return Answer.of(200, body);
    }

    // ---------------------------------------------------------------- routing

    private Answer route(String method, String path, Map<String, String> q, byte[] body) {
        String[] s = path.substring(1).split("/", -1);
        if (path.equals("/meta") && method.equals("GET")) return meta();
        if (s.length < 3 || !s[0].equals("repos")) return notFound();
        if (!s[1].equalsIgnoreCase(config.owner) || !s[2].equalsIgnoreCase(config.name)) return notFound();
        String rest = "/" + String.join("/", java.util.Arrays.copyOfRange(s, 3, s.length));
        String[] r = s.length > 3 ? java.util.Arrays.copyOfRange(s, 3, s.length) : new String[0];
        synchronized (lock) {
            if (r.length == 0 && method.equals("GET")) return Answer.of(200, repositoryJson());
            if (r.length >= 1 && r[0].equals("hooks")) return hooksRoute(method, r, q, body);
            if (r.length >= 2 && r[0].equals("actions")) return actionsRoute(method, r, q, body);
            if (rest.startsWith("/branches/") && r.length == 2 && method.equals("GET")) {
                return config.branches.contains(r[1]) ? Answer.of(200, Json.object().put("name", r[1])) : notFound();
            }
        }
        return notFound();
    }

    private Answer meta() {
        ObjectNode body = Json.object().put("verifiable_password_authentication", false);
        if (config.enterpriseVersion != null) body.put("installed_version", config.enterpriseVersion);
        return Answer.of(200, body);
    }

    // hooks ------------------------------------------------------------

    private Answer hooksRoute(String method, String[] r, Map<String, String> q, byte[] body) {
        if (r.length == 1) {
            if (method.equals("GET")) {
                List<JsonNode> all = hooks.values().stream().map(h -> (JsonNode) hookJson(h)).toList();
                return paged(all, q, "/hooks");
            }
            if (method.equals("POST")) return createHook(body);
            return notFound();
        }
        Hook hook = hooks.get(parseLong(r[1]));
        if (hook == null) return notFound(DOCS + "/repos/webhooks");
        if (r.length == 2) {
            switch (method) {
                case "GET": return Answer.of(200, hookJson(hook));
                case "PATCH": return updateHook(hook, body);
                case "DELETE":
                    hooks.remove(hook.id);
                    return Answer.of(204, null);
                default: return notFound();
            }
        }
        String sub = r[2];
        if (sub.equals("config") && r.length == 3) {
            if (method.equals("GET")) return Answer.of(200, configJson(hook));
            if (method.equals("PATCH")) {
                JsonNode b = parseBody(body);
                if (b == null) return error(400, "Problems parsing JSON");
                applyConfig(hook, b, true);
                return Answer.of(200, configJson(hook));
            }
        }
        if ((sub.equals("pings") || sub.equals("tests") || sub.equals("test")) && r.length == 3 && method.equals("POST")) {
            if (sub.equals("pings")) sendPing(hook);
            return Answer.of(204, null);
        }
        if (sub.equals("deliveries")) return deliveriesRoute(hook, method, r, q);
        return notFound();
    }

    private Answer createHook(byte[] body) {
        JsonNode b = body.length == 0 ? Json.object() : parseBody(body);
        if (b == null || !b.isObject()) return error(400, "Problems parsing JSON");
        String name = b.path("name").asText("web");
        if (!name.equals("web")) return validation(Json.object().put("resource", "Hook").put("field", "name").put("code", "invalid"));
        JsonNode cfg = b.path("config");
        String url = cfg.path("url").asText("");
        if (url.isBlank()) {
            return validation(Json.object().put("resource", "Hook").put("code", "custom").put("field", "url")
                    .put("message", "url cannot be blank"));
        }
        List<String> events = b.has("events") ? SimHookshot.names(b.get("events")) : List.of("push");
        if (events.isEmpty()) events = List.of("push");
        for (Hook other : hooks.values()) {
            if (other.url.equals(url) && !Collections.disjoint(other.events, events)) {
                return validation(Json.object().put("resource", "Hook").put("code", "custom")
                        .put("message", "Hook already exists on this repository"));
            }
        }
        Hook hook = new Hook(nextHookId++);
        hook.active = !b.has("active") || b.get("active").asBoolean();
        hook.events = List.copyOf(new LinkedHashSet<>(events));
        hook.contentType = "form";
        hook.insecureSsl = "0";
        applyConfig(hook, cfg, false);
        hooks.put(hook.id, hook);
        if (hook.active) sendPing(hook);
        return Answer.of(201, hookJson(hook)).header("Location", apiUrl() + repoPrefix() + "/hooks/" + hook.id);
    }

    private Answer updateHook(Hook hook, byte[] body) {
        JsonNode b = parseBody(body);
        if (b == null || !b.isObject()) return error(400, "Problems parsing JSON");
        if (b.has("config")) {
            if (b.get("config").path("url").asText("").isBlank() && b.get("config").has("url")) {
                return validation(Json.object().put("resource", "Hook").put("code", "custom").put("field", "url")
                        .put("message", "url cannot be blank"));
            }
            applyConfig(hook, b.get("config"), true);
        }
        if (b.has("events")) hook.events = List.copyOf(new LinkedHashSet<>(SimHookshot.names(b.get("events"))));
        if (b.has("add_events")) {
            Set<String> e = new LinkedHashSet<>(hook.events);
            e.addAll(SimHookshot.names(b.get("add_events")));
            hook.events = List.copyOf(e);
        }
        if (b.has("remove_events")) {
            List<String> e = new ArrayList<>(hook.events);
            e.removeAll(SimHookshot.names(b.get("remove_events")));
            hook.events = List.copyOf(e);
        }
        if (b.has("active")) hook.active = b.get("active").asBoolean();
        hook.updatedAt = Instant.now();
        return Answer.of(200, hookJson(hook));
    }

    /** GitHub's rule: a config update without {@code secret} removes the secret. */
    private static void applyConfig(Hook hook, JsonNode cfg, boolean update) {
        if (cfg.has("url")) hook.url = cfg.get("url").asText();
        if (cfg.has("content_type")) hook.contentType = cfg.get("content_type").asText().equals("json") ? "json" : "form";
        if (cfg.has("insecure_ssl")) {
            JsonNode v = cfg.get("insecure_ssl");
            hook.insecureSsl = v.asText().equals("1") || v.asBoolean(false) || v.asInt(0) == 1 ? "1" : "0";
        }
        String secret = cfg.has("secret") && !cfg.get("secret").isNull() ? cfg.get("secret").asText() : null;
        if (secret != null && !secret.isEmpty()) hook.secret = secret;
        else if (update || secret != null) hook.secret = null;
        hook.updatedAt = Instant.now();
    }

    private Answer deliveriesRoute(Hook hook, String method, String[] r, Map<String, String> q) {
        if (r.length == 3 && method.equals("GET")) {
            int perPage = perPage(q);
            long startBefore = Long.MAX_VALUE;
            String cursor = q.get("cursor");
            if (cursor != null) {
                if (!cursor.startsWith("v1_")) return error(422, "Invalid cursor");
                startBefore = parseLong(cursor.substring(3)) + 1;
            }
            String statusFilter = q.get("status");
            List<Delivery> mine = new ArrayList<>();
            for (int i = deliveries.size() - 1; i >= 0; i--) {
                Delivery d = deliveries.get(i);
                if (d.hookId() != hook.id || d.id() >= startBefore) continue;
                boolean ok = d.statusCode() >= 200 && d.statusCode() < 400;
                if ("success".equals(statusFilter) && !ok) continue;
                if ("failure".equals(statusFilter) && ok) continue;
                mine.add(d);
            }
            ArrayNode page = Json.array();
            mine.stream().limit(perPage).forEach(d -> page.add(deliveryItemJson(d, false)));
            Answer a = Answer.of(200, page);
            if (mine.size() > perPage) {
                String next = apiUrl() + repoPrefix() + "/hooks/" + hook.id + "/deliveries?per_page=" + perPage
                        + "&cursor=v1_" + mine.get(perPage).id() + (statusFilter == null ? "" : "&status=" + statusFilter);
                a.header("Link", "<" + next + ">; rel=\"next\"");
            }
            return a;
        }
        Delivery d = deliveries.stream().filter(x -> x.hookId() == hook.id && String.valueOf(x.id()).equals(r[3]))
                .findFirst().orElse(null);
        if (d == null) return notFound(DOCS + "/repos/webhooks");
        if (r.length == 4 && method.equals("GET")) return Answer.of(200, deliveryItemJson(d, true));
        if (r.length == 5 && r[4].equals("attempts") && method.equals("POST")) {
            hookshotThread.submit(() -> deliver(hook, d.event(), d.action(), d.guid(), d.payload(), true));
            return Answer.of(202, Json.object());
        }
        return notFound();
    }

    // actions ----------------------------------------------------------

    private Answer actionsRoute(String method, String[] r, Map<String, String> q, byte[] body) {
        if (r[1].equals("workflows")) {
            if (r.length == 2 && method.equals("GET")) {
                ArrayNode list = Json.array();
                workflows.values().forEach(w -> list.add(workflowJson(w)));
                ObjectNode b = Json.object().put("total_count", list.size());
                b.set("workflows", list);
                return Answer.of(200, b);
            }
            if (r.length < 3) return notFound();
            Workflow w = findWorkflow(r[2]);
            if (w == null) return notFound(DOCS + "/actions/workflows");
            if (r.length == 3 && method.equals("GET")) return Answer.of(200, workflowJson(w));
            if (r.length == 4 && r[3].equals("dispatches") && method.equals("POST")) return dispatch(w, body);
            if (r.length == 4 && r[3].equals("runs") && method.equals("GET")) return listRuns(w, q);
            return notFound();
        }
        if (r[1].equals("runs")) {
            if (r.length == 2 && method.equals("GET")) return listRuns(null, q);
            if (r.length == 3 && method.equals("GET")) {
                Run run = runs.get(parseLong(r[2]));
                return run == null ? notFound(DOCS + "/actions/workflow-runs") : Answer.of(200, runJson(run, false));
            }
        }
        return notFound();
    }

    private Workflow findWorkflow(String idOrFile) {
        for (Workflow w : workflows.values()) {
            if (String.valueOf(w.id).equals(idOrFile) || w.fileName().equals(idOrFile)) return w;
        }
        return null;
    }

    private Answer dispatch(Workflow w, byte[] body) {
        JsonNode b = parseBody(body);
        if (b == null) return error(400, "Problems parsing JSON");
        if (!b.isObject()) return error(400, "Body should be a JSON object");
        boolean rejectsRunDetails = config.enterpriseVersion != null && compareVersions(config.enterpriseVersion, "3.21.0") < 0;
        for (var it = b.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            boolean known = key.equals("ref") || key.equals("inputs") || (key.equals("return_run_details") && !rejectsRunDetails);
            if (!known) return error(422, "Invalid request.\n\n\"" + key + "\" is not a permitted key.");
        }
        if (!w.dispatchable) return error(422, "Workflow does not have 'workflow_dispatch' trigger");
        if (!w.state.equals("active")) return error(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow");
        String ref = Json.text(b, "ref");
        if (ref == null || ref.isBlank()) return error(422, "Invalid request.\n\n\"ref\" wasn't supplied.");
        String branch = resolveRef(ref);
        if (branch == null) return error(422, "No ref found for: " + ref);
        JsonNode inputs = b.path("inputs");
        Map<String, String> given = new LinkedHashMap<>();
        if (!inputs.isMissingNode() && !inputs.isNull()) {
            if (!inputs.isObject()) return error(422, "Invalid request.\n\nFor 'properties/inputs', " + inputs + " is not an object.");
            if (inputs.size() > 25) return error(422, "Invalid request.\n\nFor 'properties/inputs', the maximum number of properties is 25.");
            List<String> unexpected = new ArrayList<>();
            inputs.properties().forEach(e -> {
                if (!w.inputs.contains(e.getKey())) unexpected.add(e.getKey());
                given.put(e.getKey(), e.getValue().asText());
            });
            if (!unexpected.isEmpty()) {
                ArrayNode names = Json.array();
                unexpected.forEach(names::add);
                return error(422, "Unexpected inputs provided: " + Json.compact(names));
            }
        }
        for (String required : w.requiredInputs) {
            if (!given.containsKey(required)) return error(422, "Required input '" + required + "' not provided");
        }
        Run run = createRun(w, branch, given);
        if (b.path("return_run_details").asBoolean(false)) {
            ObjectNode details = Json.object().put("workflow_run_id", run.id)
                    .put("run_url", apiUrl() + repoPrefix() + "/actions/runs/" + run.id)
                    .put("html_url", webUrl() + "/" + repo() + "/actions/runs/" + run.id);
            return Answer.of(200, details);
        }
        return Answer.of(204, null);
    }

    private String resolveRef(String ref) {
        String r = ref;
        if (r.startsWith("refs/heads/")) r = r.substring("refs/heads/".length());
        else if (r.startsWith("refs/tags/")) r = r.substring("refs/tags/".length());
        return config.branches.contains(r) || config.tags.contains(r) ? r : null;
    }

    private Answer listRuns(Workflow only, Map<String, String> q) {
        int perPage = perPage(q);
        int page = Math.max(1, (int) parseLong(q.getOrDefault("page", "1")));
        Instant visibleBefore = Instant.now().minus(visibilityDelay);
        List<Run> matching = new ArrayList<>();
        for (Run run : runs.values()) {
            if (only != null && run.workflow != only) continue;
            if (run.createdAt.isAfter(visibleBefore)) continue;
            if (q.containsKey("event") && !q.get("event").equals("workflow_dispatch")) continue;
            if (q.containsKey("branch") && !q.get("branch").equals(run.headBranch)) continue;
            if (q.containsKey("status") && !q.get("status").equals(run.status) && !q.get("status").equals(run.conclusion)) continue;
            if (q.containsKey("created") && !createdMatches(q.get("created"), run.createdAt)) continue;
            matching.add(run);
        }
        matching.sort((a, b) -> Long.compare(b.id, a.id));
        ArrayNode items = Json.array();
        matching.stream().skip((long) (page - 1) * perPage).limit(perPage).forEach(run -> items.add(runJson(run, false)));
        ObjectNode body = Json.object().put("total_count", matching.size());
        body.set("workflow_runs", items);
        Answer a = Answer.of(200, body);
        String path = only == null ? "/actions/runs" : "/actions/workflows/" + only.id + "/runs";
        String link = linkHeader(path, q, page, perPage, matching.size());
        if (link != null) a.header("Link", link);
        return a;
    }

    /** GitHub's search syntax for {@code created}: {@code >=T}, {@code >T}, {@code <=T}, {@code <T}, {@code A..B}, or a date. */
    private static boolean createdMatches(String filter, Instant created) {
        Instant c = created.truncatedTo(ChronoUnit.SECONDS);
        if (filter.contains("..")) {
            String[] ab = filter.split("\\.\\.", 2);
            return (ab[0].equals("*") || !c.isBefore(instant(ab[0], false)))
                    && (ab[1].equals("*") || !c.isAfter(instant(ab[1], true)));
        }
        if (filter.startsWith(">=")) return !c.isBefore(instant(filter.substring(2), false));
        if (filter.startsWith(">")) return c.isAfter(instant(filter.substring(1), true));
        if (filter.startsWith("<=")) return !c.isAfter(instant(filter.substring(2), true));
        if (filter.startsWith("<")) return c.isBefore(instant(filter.substring(1), false));
        return !c.isBefore(instant(filter, false)) && !c.isAfter(instant(filter, true));
    }

    private static Instant instant(String s, boolean endOfDay) {
        if (s.length() == 10) {
            Instant day = java.time.LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
            return endOfDay ? day.plus(Duration.ofDays(1)).minusSeconds(1) : day;
        }
        return java.time.OffsetDateTime.parse(s).toInstant();
    }

    // ---------------------------------------------------------------- runs lifecycle and deliveries

    private Run createRun(Workflow w, String branch, Map<String, String> inputs) {
        String title = w.runNameTemplate == null ? w.name : renderRunName(w.runNameTemplate, inputs);
        Run run = new Run(nextRunId++, w, w.runNumbers.incrementAndGet(), title, branch, headSha, inputs, nextJobId++);
        runs.put(run.id, run);
        emitRunEvent(run, "workflow_run", "requested");
        emitRunEvent(run, "workflow_job", "queued");
        clock.schedule(() -> advance(run, "in_progress"), queuedFor.toMillis(), TimeUnit.MILLISECONDS);
        clock.schedule(() -> advance(run, "completed"), queuedFor.plus(inProgressFor).toMillis(), TimeUnit.MILLISECONDS);
        return run;
    }

    static String renderRunName(String template, Map<String, String> inputs) {
        Matcher m = RUN_NAME_INPUT.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(inputs.getOrDefault(m.group(1), "")));
        m.appendTail(out);
        return out.toString();
    }

    private void advance(Run run, String status) {
        synchronized (lock) {
            run.status = status;
            run.updatedAt = Instant.now();
            if (status.equals("in_progress")) {
                run.startedAt = run.updatedAt;
                emitRunEvent(run, "workflow_run", "in_progress");
                emitRunEvent(run, "workflow_job", "in_progress");
            } else {
                run.conclusion = conclusion;
                emitRunEvent(run, "workflow_job", "completed");
                emitRunEvent(run, "workflow_run", "completed");
                List<Runnable> held = heldDeliveries.remove(run.id);
                if (held != null) {
                    Collections.reverse(held);
                    held.forEach(hookshotThread::submit);
                }
            }
        }
    }

    /** Snapshots the payload now and delivers it to every subscribed hook in the background. */
    private void emitRunEvent(Run run, String event, String action) {
        ObjectNode payload = Json.object().put("action", action);
        if (event.equals("workflow_run")) {
            payload.set("workflow_run", runJson(run, true));
            payload.set("workflow", workflowJson(run.workflow));
        } else {
            payload.set("workflow_job", jobJson(run, action));
        }
        payload.set("repository", repositoryJson());
        payload.set("sender", senderJson());
        byte[] bytes = Json.compact(payload).getBytes(StandardCharsets.UTF_8);
        for (Hook hook : hooks.values()) {
            if (!hook.subscribes(event)) continue;
            String guid = UUID.randomUUID().toString();
            Runnable send = () -> {
                deliver(hook, event, action, guid, bytes, false);
                if (duplicateDeliveries) deliver(hook, event, action, guid, bytes, false);
            };
            if (reorderDeliveries) heldDeliveries.computeIfAbsent(run.id, k -> new ArrayList<>()).add(send);
            else hookshotThread.submit(send);
        }
    }

    private void sendPing(Hook hook) {
        ObjectNode payload = Json.object().put("zen", "Keep it logically awesome.").put("hook_id", hook.id);
        payload.set("hook", hookJson(hook));
        payload.set("repository", repositoryJson());
        payload.set("sender", senderJson());
        byte[] bytes = Json.compact(payload).getBytes(StandardCharsets.UTF_8);
        String guid = UUID.randomUUID().toString();
        hookshotThread.submit(() -> deliver(hook, "ping", null, guid, bytes, false));
    }

    /** Runs on the hookshot thread: one POST, recorded whatever happens. */
    private void deliver(Hook hook, String event, String action, String guid, byte[] payload, boolean redelivery) {
        if (!deliveryDelay.isZero()) sleepQuietly(deliveryDelay);
        String url;
        String contentType;
        String secret;
        synchronized (lock) {
            url = hook.url;
            contentType = hook.contentType;
            secret = hook.secret;
        }
        SimHookshot.Attempt attempt = hookshot.send(url, contentType, secret, event, guid, hook.id, config.repoId,
                config.enterpriseVersion, "127.0.0.1", payload, deliveryTimeout);
        synchronized (lock) {
            deliveries.add(new Delivery(nextDeliveryId++, guid, hook.id, event, action, redelivery, payload, attempt));
            hook.lastResponse = lastResponse(attempt.statusCode() == 0 ? null : attempt.statusCode(),
                    attempt.status().equals("OK") ? "active" : "failed", attempt.status());
        }
    }

    // ---------------------------------------------------------------- JSON shapes

    private String repoPrefix() {
        return "/repos/" + repo();
    }

    private ObjectNode repositoryJson() {
        String api = apiUrl() + repoPrefix();
        ObjectNode repo = Json.object().put("id", config.repoId).put("node_id", "R_sim" + config.repoId)
                .put("name", config.name).put("full_name", repo()).put("private", true);
        repo.set("owner", ownerJson());
        repo.put("html_url", webUrl() + "/" + repo()).put("url", api).put("hooks_url", api + "/hooks")
                .put("default_branch", config.defaultBranch).put("visibility", "private");
        return repo;
    }

    private ObjectNode ownerJson() {
        return Json.object().put("login", config.owner).put("id", 9919).put("type", "Organization")
                .put("url", apiUrl() + "/users/" + config.owner).put("html_url", webUrl() + "/" + config.owner);
    }

    private ObjectNode senderJson() {
        return Json.object().put("login", "octocat").put("id", 583231).put("type", "User")
                .put("url", apiUrl() + "/users/octocat").put("html_url", webUrl() + "/octocat");
    }

    private ObjectNode hookJson(Hook h) {
        String api = apiUrl() + repoPrefix() + "/hooks/" + h.id;
        ObjectNode hook = Json.object().put("type", "Repository").put("id", h.id).put("name", "web").put("active", h.active);
        ArrayNode events = hook.putArray("events");
        h.events.forEach(events::add);
        hook.set("config", configJson(h));
        hook.put("updated_at", iso(h.updatedAt)).put("created_at", iso(h.createdAt)).put("url", api)
                .put("test_url", api + "/test").put("ping_url", api + "/pings").put("deliveries_url", api + "/deliveries");
        hook.set("last_response", h.lastResponse.deepCopy());
        return hook;
    }

    private static ObjectNode configJson(Hook h) {
        ObjectNode cfg = Json.object().put("content_type", h.contentType).put("insecure_ssl", h.insecureSsl);
        if (h.secret != null) cfg.put("secret", MASK);
        cfg.put("url", h.url);
        return cfg;
    }

    private static ObjectNode lastResponse(Integer code, String status, String message) {
        ObjectNode r = Json.object();
        if (code == null) r.putNull("code");
        else r.put("code", code);
        r.put("status", status);
        if (message == null) r.putNull("message");
        else r.put("message", message);
        return r;
    }

    private ObjectNode deliveryItemJson(Delivery d, boolean full) {
        SimHookshot.Attempt a = d.attempt();
        ObjectNode item = Json.object().put("id", d.id()).put("guid", d.guid()).put("delivered_at", iso(a.deliveredAt()))
                .put("redelivery", d.redelivery()).put("duration", Math.round(a.durationSeconds() * 1000) / 1000.0)
                .put("status", a.status()).put("status_code", a.statusCode()).put("event", d.event());
        if (d.action() == null) item.putNull("action");
        else item.put("action", d.action());
        item.putNull("installation_id");
        item.put("repository_id", config.repoId);
        item.putNull("throttled_at");
        if (full) {
            item.put("url", hooks.containsKey(d.hookId()) ? hooks.get(d.hookId()).url : "");
            item.set("request", SimHookshot.requestJson(a.requestHeaders(), d.payload()));
            item.set("response", SimHookshot.responseJson(a.responseHeaders(), a.responsePayload()));
        }
        return item;
    }

    private ObjectNode workflowJson(Workflow w) {
        String api = apiUrl() + repoPrefix() + "/actions/workflows/" + w.id;
        return Json.object().put("id", w.id).put("node_id", "W_sim" + w.id).put("name", w.name).put("path", w.path)
                .put("state", w.state).put("created_at", iso(w.createdAt)).put("updated_at", iso(w.createdAt))
                .put("url", api).put("html_url", webUrl() + "/" + repo() + "/blob/" + config.defaultBranch + "/" + w.path)
                .put("badge_url", webUrl() + "/" + repo() + "/workflows/" + w.name.replace(' ', '%') + "/badge.svg");
    }

    private ObjectNode runJson(Run run, boolean forWebhook) {
        String api = apiUrl() + repoPrefix() + "/actions/runs/" + run.id;
        ObjectNode j = Json.object().put("id", run.id)
                .put("name", forWebhook && emptyRunName ? "" : run.workflow.name)
                .put("node_id", "WFR_sim" + run.id).put("head_branch", run.headBranch).put("head_sha", run.headSha)
                .put("path", forWebhook ? run.workflow.path : run.workflow.path + "@" + run.headBranch)
                .put("display_title", run.displayTitle).put("run_number", run.runNumber).put("event", "workflow_dispatch")
                .put("status", run.status);
        if (run.conclusion == null) j.putNull("conclusion");
        else j.put("conclusion", run.conclusion);
        j.put("workflow_id", run.workflow.id).put("check_suite_id", run.id + 1).put("url", api)
                .put("html_url", webUrl() + "/" + repo() + "/actions/runs/" + run.id);
        j.putArray("pull_requests");
        j.put("created_at", iso(run.createdAt)).put("updated_at", iso(run.updatedAt));
        j.set("actor", senderJson());
        j.set("triggering_actor", senderJson());
        j.put("run_attempt", 1).put("run_started_at", iso(run.startedAt))
                .put("jobs_url", api + "/jobs").put("logs_url", api + "/logs")
                .put("check_suite_url", apiUrl() + repoPrefix() + "/check-suites/" + (run.id + 1))
                .put("artifacts_url", api + "/artifacts").put("cancel_url", api + "/cancel").put("rerun_url", api + "/rerun")
                .putNull("previous_attempt_url")
                .put("workflow_url", apiUrl() + repoPrefix() + "/actions/workflows/" + run.workflow.id);
        ObjectNode commit = Json.object().put("id", run.headSha).put("tree_id", run.headSha).put("message", "Simulated commit")
                .put("timestamp", iso(run.createdAt));
        j.set("head_commit", commit);
        j.set("repository", repositoryJson());
        j.set("head_repository", repositoryJson());
        return j;
    }

    private ObjectNode jobJson(Run run, String action) {
        String api = apiUrl() + repoPrefix() + "/actions/jobs/" + run.jobId;
        ObjectNode j = Json.object().put("id", run.jobId).put("run_id", run.id)
                .put("run_url", apiUrl() + repoPrefix() + "/actions/runs/" + run.id).put("run_attempt", 1)
                .put("node_id", "CR_sim" + run.jobId).put("head_sha", run.headSha).put("head_branch", run.headBranch)
                .put("url", api).put("html_url", webUrl() + "/" + repo() + "/actions/runs/" + run.id + "/job/" + run.jobId)
                .put("status", action);
        if (action.equals("completed")) j.put("conclusion", run.conclusion == null ? conclusion : run.conclusion);
        else j.putNull("conclusion");
        j.put("created_at", iso(run.createdAt));
        j.put("started_at", iso(run.startedAt));
        if (action.equals("completed")) j.put("completed_at", iso(Instant.now()));
        else j.putNull("completed_at");
        j.put("name", "dispatch").putArray("steps");
        j.put("check_run_url", apiUrl() + repoPrefix() + "/check-runs/" + run.jobId);
        j.putArray("labels").add("ubuntu-latest");
        boolean assigned = !action.equals("queued");
        if (assigned) j.put("runner_id", 7).put("runner_name", "sim-runner").put("runner_group_id", 1).put("runner_group_name", "Default");
        else j.putNull("runner_id").putNull("runner_name").putNull("runner_group_id").putNull("runner_group_name");
        j.put("workflow_name", run.workflow.name);
        return j;
    }

    // ---------------------------------------------------------------- helpers

    private Answer paged(List<JsonNode> all, Map<String, String> q, String path) {
        int perPage = perPage(q);
        int page = Math.max(1, (int) parseLong(q.getOrDefault("page", "1")));
        ArrayNode items = Json.array();
        all.stream().skip((long) (page - 1) * perPage).limit(perPage).forEach(items::add);
        Answer a = Answer.of(200, items);
        String link = linkHeader(path, q, page, perPage, all.size());
        if (link != null) a.header("Link", link);
        return a;
    }

    private String linkHeader(String path, Map<String, String> q, int page, int perPage, int total) {
        int last = Math.max(1, (total + perPage - 1) / perPage);
        List<String> parts = new ArrayList<>();
        if (page < last) {
            parts.add("<" + pageUrl(path, q, page + 1) + ">; rel=\"next\"");
            parts.add("<" + pageUrl(path, q, last) + ">; rel=\"last\"");
        }
        if (page > 1) {
            parts.add("<" + pageUrl(path, q, 1) + ">; rel=\"first\"");
            parts.add("<" + pageUrl(path, q, page - 1) + ">; rel=\"prev\"");
        }
        return parts.isEmpty() ? null : String.join(", ", parts);
    }

    private String pageUrl(String path, Map<String, String> q, int page) {
        StringBuilder url = new StringBuilder(apiUrl() + repoPrefix() + path + "?");
        Map<String, String> params = new LinkedHashMap<>(q);
        params.put("page", String.valueOf(page));
        params.forEach((k, v) -> url.append(k).append('=').append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
        url.setLength(url.length() - 1);
        return url.toString();
    }

    private static int perPage(Map<String, String> q) {
        int n = (int) parseLong(q.getOrDefault("per_page", "30"));
        return Math.max(1, Math.min(100, n <= 0 ? 30 : n));
    }

    private static Map<String, String> parseQuery(String query) {
        Map<String, String> q = new LinkedHashMap<>();
        if (query.isEmpty()) return q;
        for (String pair : query.split("&")) {
            String[] kv = pair.split("=", 2);
            q.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length == 2 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return q;
    }

    private static JsonNode parseBody(byte[] body) {
        if (body.length == 0) return Json.object();
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int xi = i < x.length ? (int) parseLong(x[i]) : 0;
            int yi = i < y.length ? (int) parseLong(y[i]) : 0;
            if (xi != yi) return Integer.compare(xi, yi);
        }
        return 0;
    }

    private static Answer error(int status, String message) {
        return error(status, message, DOCS);
    }

    private static Answer error(int status, String message, String docs) {
        return Answer.of(status, Json.object().put("message", message).put("documentation_url", docs)
                .put("status", String.valueOf(status)));
    }

    private static Answer notFound() {
        return error(404, "Not Found");
    }

    private static Answer notFound(String docs) {
        return error(404, "Not Found", docs);
    }

    private static Answer validation(ObjectNode err) {
        ObjectNode body = Json.object().put("message", "Validation Failed");
        body.putArray("errors").add(err);
        body.put("documentation_url", DOCS + "/repos/webhooks#create-a-repository-webhook").put("status", "422");
        return Answer.of(422, body);
    }

    private static String iso(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
