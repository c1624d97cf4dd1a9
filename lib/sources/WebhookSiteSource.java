package lib.sources;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import lib.hooks.WebhookUrls;
import lib.util.BadInputException;
import lib.util.Json;
import lib.util.RecentSet;
import lib.util.Text;
import lib.webhook.Headers;
import lib.webhook.WebhookDelivery;

/**
 * Deliveries that GitHub sent to a webhook.site token, read through webhook.site's API
 * ({@code GET /token/{token}/requests}, newest first, 100 per page, at most {@value #MAX_PAGES} pages a poll; a
 * longer backlog is read on by the next polls). Each request's raw {@code content} and headers become a
 * {@link WebhookDelivery}, so the HMAC is checked over the same bytes GitHub signed. Request uuids already returned
 * are skipped (in memory, the latest {@value #REMEMBERED}).
 */
public final class WebhookSiteSource implements DeliverySource {
    public static final String DEFAULT_URL = "https://webhook.site";
    public static final String API_KEY_ENV = "WEBHOOK_SITE_API_KEY";
    public static final String URL_ENV = "WEBHOOK_SITE_URL";
    /** webhook.site allows 120 requests a minute; every 2 s leaves room for other clients. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    /** Pages read per poll at most; only a first poll or a burst of over 100 requests needs more than one. */
    static final int MAX_PAGES = 10;
    /**
     * How many request uuids a source remembers: five times the 2,000 a poll reads at most ({@value #MAX_PAGES}
     * pages, and as many of a backlog), so the requests a poll stops at and those a backlog passes over are
     * still known. One forgotten is handed over again, and the store takes it as a duplicate (the same delivery id).
     */
    private static final int REMEMBERED = 10_000;

    private final URI listUrl;
    private final String apiKey;
    private final Duration interval;
    private final HttpClient http;
    private final RecentSet<String> seen;
    /** The page a poll goes on reading older unseen requests from, after one that stopped at {@value #MAX_PAGES}; 0: none. */
    private int backlogPage;

    /** {@code baseUrl} from {@code urlSource} (named if it is not an absolute http(s) URL with a host: bad input). */
    public WebhookSiteSource(String baseUrl, String urlSource, String token, String apiKey, Duration interval) {
        this(baseUrl, urlSource, token, apiKey, interval, REMEMBERED);
    }

    /** As above, remembering the latest {@code remembered} request uuids (tests use a few). */
    public WebhookSiteSource(String baseUrl, String urlSource, String token, String apiKey, Duration interval,
            int remembered) {
        if (token == null || !token.matches("[A-Za-z0-9-]{1,64}")) {
            throw new BadInputException("--from-webhook-site expects a webhook.site token (a UUID), got: " + token);
        }
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new BadInputException(urlSource + " is empty; give webhook.site's base URL, e.g. " + DEFAULT_URL);
        }
        String checked = WebhookUrls.requireHttp(baseUrl, urlSource).toString();
        String base = checked.endsWith("/") ? checked.substring(0, checked.length() - 1) : checked;
        this.listUrl = URI.create(base + "/token/" + Text.urlEncode(token)
                + "/requests?sorting=newest&per_page=100");
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        this.interval = interval;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.seen = new RecentSet<>(remembered);
    }

    /**
     * Base URL from the flag, else {@value #URL_ENV} (blank counts as unset), else {@value #DEFAULT_URL}; key from
     * {@value #API_KEY_ENV}. A base URL that is not http(s) with a host is bad input, naming where it came from.
     */
    public static WebhookSiteSource fromEnv(String token, String urlFlag, Map<String, String> env, Duration interval) {
        String fromEnv = env.get(URL_ENV);
        boolean envSet = fromEnv != null && !fromEnv.isBlank();
        String source = urlFlag != null ? "--webhook-site-url" : envSet ? URL_ENV : "the default URL";
        String base = urlFlag != null ? urlFlag : envSet ? fromEnv : DEFAULT_URL;
        return new WebhookSiteSource(base, source, token, env.get(API_KEY_ENV), interval);
    }

    @Override
    public String name() {
        return "webhook.site";
    }

    @Override
    public Duration interval() {
        return interval;
    }

    @Override
    public List<WebhookDelivery> poll() throws IOException, InterruptedException {
        // Newest first, page after page, until a request seen before (or the last page, or MAX_PAGES).
        List<JsonNode> items = new ArrayList<>();
        boolean done = false;
        int page = 1;
        for (; page <= MAX_PAGES && !done; page++) {
            JsonNode answer = page(page);
            for (JsonNode item : answer.path("data")) {
                if (seen.contains(Json.text(item, "uuid"))) {
                    done = true;
                    break;
                }
                items.add(item);
            }
            done |= lastPage(answer);
        }
        int nextBacklogPage = done ? backlogPage : page; // more unseen requests lie past the pages read
        if (done && backlogPage > 0) nextBacklogPage = readBacklog(items);
        // Marked seen only once every page was read: a failed page leaves them all for the next poll.
        backlogPage = nextBacklogPage;
        // The API lists newest first; oldest first, they are ingested in arrival order and the newest is remembered last.
        Collections.reverse(items);
        List<WebhookDelivery> fresh = new ArrayList<>();
        for (JsonNode item : items) {
            String uuid = Json.text(item, "uuid");
            if (uuid == null || !seen.add(uuid)) continue; // a request may shift onto the next page meanwhile
            String content = Json.text(item, "content");
            if (!"POST".equalsIgnoreCase(Json.text(item, "method")) || content == null || content.isEmpty()) continue;
            fresh.add(new WebhookDelivery(content.getBytes(StandardCharsets.UTF_8), Headers.fromJson(item.path("headers"))));
        }
        return fresh;
    }

    /** How many request uuids it remembers: at most {@code remembered}. */
    public int remembered() {
        return seen.size();
    }

    /**
     * Reads on from where a poll that hit {@value #MAX_PAGES} pages stopped (older requests only move to later
     * pages as new ones arrive, so none is skipped; seen ones are passed over), at most {@value #MAX_PAGES} pages;
     * returns where the next poll goes on, or 0 once the last page was read.
     */
    private int readBacklog(List<JsonNode> items) throws IOException, InterruptedException {
        for (int page = backlogPage; page < backlogPage + MAX_PAGES; page++) {
            JsonNode answer = page(page);
            for (JsonNode item : answer.path("data")) {
                if (!seen.contains(Json.text(item, "uuid"))) items.add(item);
            }
            if (lastPage(answer)) return 0;
        }
        return backlogPage + MAX_PAGES;
    }

    private static boolean lastPage(JsonNode answer) {
        return answer.path("is_last_page").asBoolean(true) || answer.path("data").isEmpty();
    }

    private JsonNode page(int page) throws IOException, InterruptedException {
        URI url = URI.create(listUrl + "&page=" + page);
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json")
                .GET();
        if (apiKey != null) request.header("Api-Key", apiKey);
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new IOException("the API answered " + response.statusCode() + "; set " + API_KEY_ENV
                    + " for an account or protected token");
        }
        if (response.statusCode() != 200) {
            throw new IOException("the API answered HTTP " + response.statusCode() + " for " + url.getPath());
        }
        return Json.parse(response.body(), "webhook.site's answer");
    }
}
