import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import lib.util.Json;

/**
 * The simulator's front door: logs each request, applies faults, checks the token and the rate limits,
 * routes to the endpoint groups, adds ETags and answers with GitHub's headers.
 */
final class SimHttp extends SimApi {
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private final SimJson json;
    private final SimHooksApi hooksApi;
    private final SimActionsApi actionsApi;

    SimHttp(GitHubSimulator sim, SimState state, SimJson json, SimHooksApi hooksApi, SimActionsApi actionsApi) {
        super(sim, state);
        this.json = json;
        this.hooksApi = hooksApi;
        this.actionsApi = actionsApi;
    }

    void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String rawPath = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            String line = method + " " + rawPath + (query == null ? "" : "?" + query);
            long arrived = System.nanoTime();
            state.requestLog.add(line);
            byte[] body = ex.getRequestBody().readAllBytes();
            if (!state.slowAnswers.isZero()) GitHubSimulator.sleepQuietly(state.slowAnswers);
            Answer answer;
            try {
                answer = answer(method, rawPath, query == null ? "" : query, ex, body);
            } catch (RuntimeException e) {
                answer = error(500, "Simulator error: " + e);
            }
            java.util.TreeMap<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k, v.isEmpty() ? "" : v.get(0)));
            // logged before the answer goes out, so a client that has its answer finds its request here
            state.requestDetails.add(new SimState.Request(line, java.util.Collections.unmodifiableMap(headers), arrived,
                    answer.status()));
            write(ex, method, answer);
        }
    }

    private Answer answer(String method, String rawPath, String query, HttpExchange ex, byte[] body) {
        if (state.failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            return error(state.failStatus, state.failStatus == 502 ? "Server Error" : "Service Unavailable");
        }
        // Stricter than GitHub, which also takes "token X": our client must send the Bearer scheme.
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.equals("Bearer " + config.token)) {
            return error(401, "Bad credentials");
        }
        if (!rawPath.startsWith(sim.prefix() + "/")) return notFound();
        String path = rawPath.substring(sim.prefix().length());
        if (path.equals("/rate_limit")) return rateLimitAnswer();
        synchronized (state.lock) {
            state.refreshRateWindow();
            if (state.rateUsed >= state.rateLimit) {
                return error(403, "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help,"
                        + " please include the request ID sim.",
                        DOCS + "/overview/rate-limits-for-the-rest-api");
            }
        }
        if (state.secondaryLimitNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            Answer a = error(403, GitHubSimulator.SECONDARY_LIMIT_MESSAGE, DOCS + "/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits");
            if (state.secondaryRetryAfter != null) a.header("Retry-After", String.valueOf(state.secondaryRetryAfter));
            return a;
        }
        Map<String, String> q = parseQuery(query);
        Answer answer = route(method, path, q, body);
        if (method.equals("GET") && answer.status() == 200 && answer.body() != null) {
            String etag = "W/\"" + HexFormat.of().formatHex(GitHubSimulator.sha256(Json.compact(answer.body()).getBytes(StandardCharsets.UTF_8))) + "\"";
            answer.header("ETag", etag);
            String ifNoneMatch = ex.getRequestHeaders().getFirst("If-None-Match");
            if (etag.equals(ifNoneMatch)) return new Answer(304, null, answer.headers());
        }
        return answer;
    }

    private void write(HttpExchange ex, String method, Answer answer) throws IOException {
        synchronized (state.lock) {
            state.refreshRateWindow();
            // GitHub does not charge 304s, nor answers it refused for the rate limit itself
            boolean charged = answer.status() != 304 && answer.status() != 401 && state.rateUsed < state.rateLimit
                    && !ex.getRequestURI().getPath().endsWith("/rate_limit");
            if (charged) state.rateUsed++;
            var h = ex.getResponseHeaders();
            h.set("x-ratelimit-limit", String.valueOf(state.rateLimit));
            h.set("x-ratelimit-remaining", String.valueOf(state.rateLimit - state.rateUsed));
            h.set("x-ratelimit-used", String.valueOf(state.rateUsed));
            h.set("x-ratelimit-reset", String.valueOf(state.rateReset.getEpochSecond()));
            h.set("x-ratelimit-resource", "core");
        }
        var h = ex.getResponseHeaders();
        h.set("Date", HTTP_DATE.format(state.now()));
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

    private Answer rateLimitAnswer() {
        ObjectNode core = Json.object();
        synchronized (state.lock) {
            state.refreshRateWindow();
            core.put("limit", state.rateLimit).put("used", state.rateUsed).put("remaining", state.rateLimit - state.rateUsed)
                    .put("reset", state.rateReset.getEpochSecond());
        }
        ObjectNode body = Json.object();
        body.putObject("resources").set("core", core);
        body.set("rate", core);
        return Answer.of(200, body);
    }

    private Answer route(String method, String path, Map<String, String> q, byte[] body) {
        String[] s = path.substring(1).split("/", -1);
        if (path.equals("/meta") && method.equals("GET")) return meta();
        if (s.length >= 2 && s[0].equals("orgs")) return orgRoute(method, s, q, body);
        if (s.length < 3 || !s[0].equals("repos")) return notFound();
        if (!s[1].equalsIgnoreCase(config.owner) || !s[2].equalsIgnoreCase(config.name)) return notFound();
        String rest = "/" + String.join("/", java.util.Arrays.copyOfRange(s, 3, s.length));
        String[] r = s.length > 3 ? java.util.Arrays.copyOfRange(s, 3, s.length) : new String[0];
        synchronized (state.lock) {
            if (r.length == 0 && method.equals("GET")) return Answer.of(200, json.repositoryJson());
            if (r.length >= 1 && r[0].equals("hooks")) return hooksApi.hooksRoute(method, r, q, body);
            if (r.length >= 2 && r[0].equals("actions")) return actionsApi.actionsRoute(method, r, q, body);
            if (rest.startsWith("/branches/") && r.length == 2 && method.equals("GET")) {
                return config.branches.contains(r[1]) ? Answer.of(200, Json.object().put("name", r[1])) : notFound();
            }
        }
        return notFound();
    }

    /**
     * {@code /orgs/{org}} and its hooks. Like GitHub, a token without admin:org_hook gets 404 (not 403) on the hooks,
     * as does an organisation that does not exist.
     */
    private Answer orgRoute(String method, String[] s, Map<String, String> q, byte[] body) {
        if (!s[1].equalsIgnoreCase(config.owner)) return notFound();
        synchronized (state.lock) {
            if (s.length == 2 && method.equals("GET")) return Answer.of(200, json.organizationJson());
            if (s.length >= 3 && s[2].equals("hooks")) {
                if (!config.orgHookAccess) return notFound(DOCS + "/orgs/webhooks");
                return hooksApi.hooksRoute(true, method, java.util.Arrays.copyOfRange(s, 2, s.length), q, body);
            }
        }
        return notFound();
    }

    private Answer meta() {
        ObjectNode body = Json.object().put("verifiable_password_authentication", false);
        if (config.enterpriseVersion != null) body.put("installed_version", config.enterpriseVersion);
        return Answer.of(200, body);
    }
}
