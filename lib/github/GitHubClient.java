package lib.github;

//DEPS com.squareup.okhttp3:okhttp-jvm:5.5.1

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.util.BadInputException;
import lib.util.Json;
import lib.util.Sleeper;
import lib.util.TrackerException;
import okhttp3.Call;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * GitHub's REST API: standard headers, one-line errors, bounded retries, rate-limit waits,
 * {@code Link} pagination and conditional GETs. The token is sent only to the API's own host.
 * A client made by {@link #until} keeps its retries, waits and call timeouts within a deadline.
 */
public final class GitHubClient {
    public static final String API_VERSION = "2022-11-28";
    public static final String USER_AGENT = "actions-webhook-tracker";
    static final String SECONDARY_LIMIT = "You have exceeded a secondary rate limit";

    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    private static final Pattern LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"([^\"]+)\"");
    /** Past (or near) a deadline a request still gets this long, so that a last look or a cancel can be answered. */
    public static final Duration MIN_CALL_TIMEOUT = Duration.ofSeconds(5);

    /** How patient the client is. Tests use tiny values. */
    public record Policy(
            int maxAttempts,
            Duration initialBackoff,
            Duration maxBackoff,
            Duration maxRateLimitWait,
            Duration secondaryLimitWait,
            Duration connectTimeout,
            Duration readTimeout,
            Duration callTimeout) {

        /**
         * 4 attempts, 1 s doubling to 30 s, waits for a rate limit up to 15 min (a secondary one without
         * Retry-After: 60 s, doubling while it lasts), GitHub-sized timeouts.
         */
        public static Policy defaults() {
            return new Policy(4, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(15),
                    Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60));
        }

        public Policy withMaxAttempts(int n) {
            return new Policy(n, initialBackoff, maxBackoff, maxRateLimitWait, secondaryLimitWait, connectTimeout,
                    readTimeout, callTimeout);
        }

        public Policy withBackoff(Duration initial, Duration max) {
            return new Policy(maxAttempts, initial, max, maxRateLimitWait, secondaryLimitWait, connectTimeout,
                    readTimeout, callTimeout);
        }

        public Policy withRateLimitWaits(Duration maxWait, Duration secondaryDefault) {
            return new Policy(maxAttempts, initialBackoff, maxBackoff, maxWait, secondaryDefault, connectTimeout,
                    readTimeout, callTimeout);
        }

        public Policy withTimeouts(Duration connect, Duration read, Duration call) {
            return new Policy(maxAttempts, initialBackoff, maxBackoff, maxRateLimitWait, secondaryLimitWait, connect,
                    read, call);
        }
    }

    /** One answer: status, parsed body (null when empty), headers, and whether a 304 served the cached body. */
    public record Reply(int status, JsonNode body, Headers headers, boolean notModified) {
        public String header(String name) {
            return headers.get(name);
        }
    }

    private record Cached(String etag, JsonNode body) {}

    private final GitHubContext context;
    private final Policy policy;
    private final Sleeper sleeper;
    private final PrintWriter log;
    private final OkHttpClient http;
    /** The same client (pool, timeouts) not following redirects: {@link #download} follows them itself. */
    private final OkHttpClient noRedirects;
    private final HttpUrl base;
    private final AtomicLong requests;
    private final Map<String, Cached> etags;
    /** Secondary limits answered in a row, whatever the request: without Retry-After the wait doubles with each. */
    private final AtomicInteger secondaryInARow;
    /** With {@link #until}: the clock and the deadline on it, and where a rate-limit wait is announced; else null, 0, null. */
    private final LongSupplier nanoTime;
    private final long deadline;
    private final Consumer<String> warn;

    public GitHubClient(GitHubContext context) {
        this(context, Policy.defaults(), Sleeper.REAL, null);
    }

    /** @param verboseLog where to log each request (method, URL, status, remaining quota); null for silence */
    public GitHubClient(GitHubContext context, Policy policy, Sleeper sleeper, PrintWriter verboseLog) {
        this.context = context;
        this.policy = policy;
        this.sleeper = sleeper;
        this.log = verboseLog;
        this.base = HttpUrl.get(context.apiUrl() + "/");
        // OkHttp drops Authorization itself when a redirect leaves the host; we also only add it for our host.
        this.http = new OkHttpClient.Builder()
                .connectTimeout(policy.connectTimeout())
                .readTimeout(policy.readTimeout())
                .writeTimeout(policy.readTimeout())
                .callTimeout(policy.callTimeout())
                .retryOnConnectionFailure(false)
                .build();
        this.noRedirects = http.newBuilder().followRedirects(false).followSslRedirects(false).build();
        this.requests = new AtomicLong();
        this.etags = new ConcurrentHashMap<>();
        this.secondaryInARow = new AtomicInteger();
        this.nanoTime = null;
        this.deadline = 0;
        this.warn = null;
    }

    private GitHubClient(GitHubClient of, LongSupplier nanoTime, long deadline, Consumer<String> warn) {
        this.context = of.context;
        this.policy = of.policy;
        this.sleeper = of.sleeper;
        this.log = of.log;
        this.http = of.http;
        this.noRedirects = of.noRedirects;
        this.base = of.base;
        this.requests = of.requests;
        this.etags = of.etags;
        this.secondaryInARow = of.secondaryInARow;
        this.nanoTime = nanoTime;
        this.deadline = deadline;
        this.warn = warn;
    }

    /**
     * This client (its connections, request count and remembered ETags shared) bound to {@code deadline},
     * a value of {@code nanoTime}: a retry pause or rate-limit wait that would end after it is not waited
     * (the error is thrown; a rate limit's says how long it lasts, {@link GitHubApiException#retryIn}, as does
     * one still in force at the last try), and each request's timeout is at most the time left, but at
     * least {@link #MIN_CALL_TIMEOUT}. A rate-limit wait that fits is announced to {@code warn}. Replaces any
     * deadline this client had.
     */
    public GitHubClient until(LongSupplier nanoTime, long deadline, Consumer<String> warn) {
        return new GitHubClient(this, nanoTime, deadline, warn);
    }

    public GitHubContext context() {
        return context;
    }

    /** {@code /repos/OWNER/NAME} + suffix, e.g. {@code repoPath("/hooks")}; only for a context with a repository. */
    public String repoPath(String suffix) {
        if (!context.hasRepo()) throw new IllegalStateException("this GitHub client has no repository (" + context + ")");
        return "/repos/" + context.owner() + "/" + context.name() + suffix;
    }

    /** HTTP requests sent so far, retries included. */
    public long requestCount() {
        return requests.get();
    }

    public JsonNode get(String path) {
        return send("GET", path, null).body();
    }

    /**
     * A GET that sends {@code If-None-Match} with the ETag remembered for this URL. On 304 the reply
     * carries the cached body and {@code notModified() == true}; GitHub does not count 304s against the quota.
     */
    public Reply getConditional(String path) {
        String url = resolve(path).toString();
        Cached cached = etags.get(url);
        Reply reply = execute("GET", url, null, cached == null ? null : cached.etag());
        if (reply.status() == 304 && cached != null) {
            return new Reply(304, cached.body(), reply.headers(), true);
        }
        String etag = reply.header("ETag");
        if (etag != null && reply.body() != null) etags.put(url, new Cached(etag, reply.body()));
        return reply;
    }

    public JsonNode post(String path, JsonNode body) {
        return send("POST", path, body).body();
    }

    public JsonNode patch(String path, JsonNode body) {
        return send("PATCH", path, body).body();
    }

    public Reply delete(String path) {
        return send("DELETE", path, null);
    }

    /** Any method; throws {@link GitHubApiException} for every status of 400 and above, {@link GitHubUnreachableException} without an answer. */
    public Reply send(String method, String path, JsonNode body) {
        return execute(method, resolve(path).toString(), body, null);
    }

    /**
     * As {@link #send}, for a request that may safely be sent twice even when it is a POST (a cancel: a
     * repeat answers 202 or 409): retried on 5xx and no answer, like a GET.
     */
    public Reply sendRepeatable(String method, String path, JsonNode body) {
        Exchange ex = exchange(http, method, resolve(path).toString(), body, null, true);
        return new Reply(ex.status(), ex.parsed(), ex.headers(), false);
    }

    /** Reads a downloaded body as a stream (e.g. keeping only a log's last lines). */
    @FunctionalInterface
    public interface BodyReader<T> {
        T read(InputStream body) throws IOException;
    }

    /**
     * A GET whose answer is a redirect to a pre-signed download URL, usually on another host (a job's
     * log: {@code 302 Found} with {@code Location}). The API request carries the token; the download
     * never does, whatever its host, because the URL itself is the credential and must not be paired
     * with ours. Its query (the signature) is not logged. An API answer of 200 is read as the body itself.
     */
    public <T> T download(String path, BodyReader<T> reader) {
        HttpUrl api = resolve(path);
        Exchange first = exchange(noRedirects, "GET", api.toString(), null, null, true);
        try {
            if (first.status() < 300 || first.status() >= 400) return reader.read(new ByteArrayInputStream(first.bytes()));
        } catch (IOException e) {
            throw new GitHubUnreachableException("could not read the answer to " + describe("GET", api) + ": " + e.getMessage(), e);
        }
        String location = first.headers().get("Location");
        HttpUrl target = location == null ? null : api.resolve(location);
        if (target == null) {
            throw new GitHubApiException(first.status(), null, "GitHub answered " + first.status() + " on "
                    + describe("GET", api) + " without a usable Location to download from");
        }
        String shown = target.scheme() + "://" + target.host() + ":" + target.port() + target.encodedPath();
        Request request = new Request.Builder().url(target).get().header("User-Agent", USER_AGENT).build();
        requests.incrementAndGet();
        try (Response response = newCall(http, request).execute()) {
            logLine("GET", HttpUrl.get(shown), String.valueOf(response.code()), null);
            if (!response.isSuccessful()) {
                throw new GitHubApiException(response.code(), null, "the download that " + describe("GET", api)
                        + " pointed to (" + target.host() + ") answered " + response.code()
                        + (response.code() == 403 || response.code() == 404 ? "; its link may have expired, try again" : ""));
            }
            return reader.read(response.body().byteStream());
        } catch (IOException e) {
            throw new GitHubUnreachableException("could not download from " + target.host() + " (pointed to by "
                    + describe("GET", api) + "): " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
    }

    /**
     * Every item of a listing, following {@code Link rel="next"} until {@code maxItems} (0: no limit).
     * Works for plain arrays and for wrapped lists such as {@code {"total_count":..,"workflow_runs":[..]}}.
     */
    public List<JsonNode> paginate(String path, int maxItems) {
        List<JsonNode> items = new ArrayList<>();
        String url = resolve(path).toString();
        while (url != null) {
            Reply reply = execute("GET", url, null, null);
            for (JsonNode item : itemsOf(reply.body())) {
                items.add(item);
                if (maxItems > 0 && items.size() >= maxItems) return items;
            }
            url = nextLink(reply.header("Link"));
        }
        return items;
    }

    /** The {@code rel="next"} URL of a Link header, or null. */
    public static String nextLink(String linkHeader) {
        if (linkHeader == null) return null;
        Matcher m = LINK.matcher(linkHeader);
        while (m.find()) {
            if (m.group(2).equals("next")) return m.group(1);
        }
        return null;
    }

    private static Iterable<JsonNode> itemsOf(JsonNode body) {
        if (body == null) return List.of();
        if (body.isArray()) return body;
        for (JsonNode field : body) {
            if (field.isArray()) return field;
        }
        return List.of();
    }

    /** A path relative to the API URL (its /api/v3 prefix kept), or an absolute URL from a Link header. */
    private HttpUrl resolve(String path) {
        if (path.startsWith("http://") || path.startsWith("https://")) return HttpUrl.get(path);
        String relative = path.startsWith("/") ? path.substring(1) : path;
        HttpUrl url = base.resolve(relative);
        if (url == null) throw new BadInputException("cannot build a GitHub URL from '" + path + "'");
        return url;
    }

    private Reply execute(String method, String url, JsonNode body, String ifNoneMatch) {
        Exchange ex = exchange(http, method, url, body, ifNoneMatch, !method.equals("POST"));
        return new Reply(ex.status(), ex.parsed(), ex.headers(), false);
    }

    /** One answer with its raw bytes: what {@link #download} needs besides a {@link Reply}. */
    private record Exchange(int status, JsonNode parsed, byte[] bytes, Headers headers) {}

    /** Sends with retries ({@code idempotent}: also on 5xx and no answer) and rate-limit waits through {@code via}; throws for 400 and above. */
    private Exchange exchange(OkHttpClient via, String method, String url, JsonNode body, String ifNoneMatch,
            boolean idempotent) {
        HttpUrl target = HttpUrl.get(url);
        for (int attempt = 1; ; attempt++) {
            Request request = buildRequest(method, target, body, ifNoneMatch);
            requests.incrementAndGet();
            int status;
            byte[] bytes;
            Headers headers;
            try (Response response = newCall(via, request).execute()) {
                status = response.code();
                headers = response.headers();
                bytes = response.body().bytes();
            } catch (IOException e) {
                // A refused connection never reached GitHub, so even a POST may try again.
                boolean safe = idempotent || e instanceof ConnectException;
                logLine(method, target, "failed: " + e.getMessage(), null);
                Duration pause = backoff(attempt);
                if (safe && attempt < policy.maxAttempts() && fits(pause)) {
                    pause(pause);
                    continue;
                }
                String what = e instanceof ConnectException || e instanceof UnknownHostException
                        ? "could not reach GitHub at " : "no answer from GitHub to ";
                throw new GitHubUnreachableException(what + describe(method, target) + ": "
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
            }
            logLine(method, target, String.valueOf(status), headers.get("x-ratelimit-remaining"));
            JsonNode parsed = parse(bytes);
            RateLimit limit = status == 403 || status == 429 ? rateLimit(status, headers, parsed, method, target) : null;
            if (limit != null) {
                // with retryIn, a poller waits the limit out instead of taking it for a refusal
                if (attempt >= policy.maxAttempts()) {
                    throw new GitHubApiException(status, parsed, limit.what() + "; still limited after " + attempt
                            + " tries, try again in " + limit.pause().toSeconds() + " s", limit.pause());
                }
                if (warn != null) warn.accept(limit.what() + "; waiting");
                pause(limit.pause());
                continue;
            }
            secondaryInARow.set(0);
            Duration pause = backoff(attempt);
            if (status >= 500 && idempotent && attempt < policy.maxAttempts() && fits(pause)) {
                pause(pause);
                continue;
            }
            if (status >= 400) throw error(status, parsed, bytes, method, target);
            return new Exchange(status, parsed, bytes, headers);
        }
    }

    private Request buildRequest(String method, HttpUrl url, JsonNode body, String ifNoneMatch) {
        RequestBody requestBody = null;
        if (body != null) requestBody = RequestBody.create(Json.compact(body).getBytes(StandardCharsets.UTF_8), JSON);
        else if (!method.equals("GET") && !method.equals("DELETE")) requestBody = RequestBody.create(new byte[0], null);
        Request.Builder b = new Request.Builder()
                .url(url)
                .method(method, requestBody)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION)
                .header("User-Agent", USER_AGENT);
        if (sameOrigin(url)) b.header("Authorization", "Bearer " + context.token());
        if (ifNoneMatch != null) b.header("If-None-Match", ifNoneMatch);
        return b.build();
    }

    private boolean sameOrigin(HttpUrl url) {
        return url.scheme().equals(base.scheme()) && url.host().equals(base.host()) && url.port() == base.port();
    }

    /** A rate limit to wait out before retrying, and what it is in words. */
    private record RateLimit(Duration pause, String what) {}

    /**
     * The rate limit of a 403 or 429, null when it is not one. Throws when its wait is longer than we
     * wait, or would end after the deadline.
     */
    private RateLimit rateLimit(int status, Headers headers, JsonNode body, String method, HttpUrl url) {
        String message = body == null ? null : Json.text(body, "message");
        if ("0".equals(headers.get("x-ratelimit-remaining")) && headers.get("x-ratelimit-reset") != null) {
            Instant now = serverNow(headers);
            Instant reset = Instant.ofEpochSecond(Long.parseLong(headers.get("x-ratelimit-reset").strip()));
            Duration wait = Duration.between(now, reset).plusSeconds(1);
            if (wait.isNegative()) wait = Duration.ofSeconds(1);
            String what = "GitHub's API rate limit is used up (" + describe(method, url) + "); it resets at " + reset
                    + ", in " + wait.toSeconds() + " s";
            if (wait.compareTo(policy.maxRateLimitWait()) > 0) {
                throw new GitHubApiException(status, body, what + ", which is longer than we wait ("
                        + policy.maxRateLimitWait().toSeconds() + " s); try again later", wait);
            }
            return fitting(wait, what, status, body);
        }
        String retryAfter = headers.get("Retry-After");
        boolean secondary = message != null && message.startsWith(SECONDARY_LIMIT);
        if (!secondary && retryAfter == null) return null;
        int inARow = secondaryInARow.incrementAndGet();
        Duration wait = null;
        if (retryAfter != null) {
            try {
                wait = Duration.ofSeconds(Long.parseLong(retryAfter.strip()));
            } catch (NumberFormatException e) {
                // an HTTP date is allowed too; the default wait is a fine answer to it
            }
        }
        String what = "GitHub's secondary rate limit hit (" + describe(method, url) + "); ";
        if (wait != null) {
            what += "it asks us to wait " + wait.toSeconds() + " s";
        } else {
            // GitHub's advice: at least a minute (the policy's wait), growing exponentially while it lasts
            wait = policy.secondaryLimitWait().multipliedBy(1L << Math.min(inARow - 1, 20));
            if (wait.compareTo(policy.maxRateLimitWait()) > 0) wait = policy.maxRateLimitWait();
            what += "it names no wait, so we wait " + wait.toSeconds() + " s";
        }
        if (wait.compareTo(policy.maxRateLimitWait()) > 0) {
            throw new GitHubApiException(status, body, what + ", longer than we wait ("
                    + policy.maxRateLimitWait().toSeconds() + " s); slow down and try again later", wait);
        }
        return fitting(wait, what, status, body);
    }

    /** The limit when its wait ends before the deadline, else it is thrown. */
    private RateLimit fitting(Duration wait, String what, int status, JsonNode body) {
        if (!fits(wait)) {
            throw new GitHubApiException(status, body, what + ", more than the time left ("
                    + Math.max(0, Duration.ofNanos(deadline - nanoTime.getAsLong()).toSeconds()) + " s)", wait);
        }
        return new RateLimit(wait, what);
    }

    /** The server's clock, so a skewed local clock does not distort rate-limit waits. */
    private static Instant serverNow(Headers headers) {
        java.util.Date date = headers.getDate("Date");
        return date == null ? Instant.now() : date.toInstant();
    }

    /** True when a pause of {@code d} ends before the deadline, if any. */
    private boolean fits(Duration d) {
        return nanoTime == null || d.toNanos() <= deadline - nanoTime.getAsLong();
    }

    /** A call whose timeout is the policy's, cut to the time left (but not under {@link #MIN_CALL_TIMEOUT}). */
    private Call newCall(OkHttpClient via, Request request) {
        Call call = via.newCall(request);
        if (nanoTime != null) {
            long left = Math.max(deadline - nanoTime.getAsLong(), MIN_CALL_TIMEOUT.toNanos());
            long policyNanos = policy.callTimeout().toNanos();
            call.timeout().timeout(policyNanos == 0 ? left : Math.min(left, policyNanos), TimeUnit.NANOSECONDS);
        }
        return call;
    }

    private Duration backoff(int attempt) {
        long initial = policy.initialBackoff().toMillis();
        long capped = Math.min(policy.maxBackoff().toMillis(), initial << Math.min(attempt - 1, 20));
        long jittered = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
        return Duration.ofMillis(jittered);
    }

    private void pause(Duration d) {
        try {
            sleeper.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrackerException("interrupted while waiting to retry a GitHub request", e);
        }
    }

    private GitHubApiException error(int status, JsonNode body, byte[] raw, String method, HttpUrl url) {
        StringBuilder m = new StringBuilder("GitHub answered ").append(status).append(" on ").append(describe(method, url));
        String detail = detail(body, raw);
        if (!detail.isEmpty()) m.append(": ").append(detail);
        String doc = body == null ? null : Json.text(body, "documentation_url");
        if (doc != null) m.append(" (").append(doc).append(')');
        if (status == 401) {
            m.append(" - the token from ").append(context.tokenOrigin()).append(" is invalid or expired; create a new one");
        } else if (status == 404) {
            m.append(" - the repository or resource does not exist, or the token from ").append(context.tokenOrigin())
                    .append(" has no access to it");
        }
        return new GitHubApiException(status, body, oneLine(m.toString()));
    }

    /** "Validation Failed: Hook already exists on this repository"; one line whatever GitHub sent. */
    private static String detail(JsonNode body, byte[] raw) {
        if (body == null || !body.isObject()) {
            String text = new String(raw, StandardCharsets.UTF_8).strip();
            return text.length() > 200 ? text.substring(0, 200) + "..." : text;
        }
        StringBuilder d = new StringBuilder();
        String message = Json.text(body, "message");
        if (message != null) d.append(message);
        List<String> errors = new ArrayList<>();
        for (JsonNode e : body.path("errors")) {
            if (e.isTextual()) {
                errors.add(e.asText());
                continue;
            }
            String em = Json.text(e, "message");
            if (em == null) {
                em = String.join(" ", List.of(
                        String.valueOf(Json.text(e, "resource")), String.valueOf(Json.text(e, "field")),
                        String.valueOf(Json.text(e, "code")))).replace("null", "").strip();
            }
            if (!em.isEmpty()) errors.add(em);
        }
        if (!errors.isEmpty()) d.append(d.length() > 0 ? ": " : "").append(String.join("; ", errors));
        return d.toString();
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    private String describe(String method, HttpUrl url) {
        String path = url.encodedPath();
        String basePath = base.encodedPath();
        if (sameOrigin(url) && basePath.length() > 1 && path.startsWith(basePath)) {
            path = path.substring(basePath.length() - 1);
        }
        return method + " " + path;
    }

    private static JsonNode parse(byte[] bytes) {
        if (bytes.length == 0) return null;
        try {
            return Json.tree(bytes);
        } catch (IOException e) {
            return null;
        }
    }

    private void logLine(String method, HttpUrl url, String outcome, String remaining) {
        if (log == null) return;
        log.println("github: " + method + " " + url + " -> " + outcome
                + (remaining == null ? "" : " (x-ratelimit-remaining " + remaining + ")"));
        log.flush();
    }
}
