package lib.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.regex.Pattern;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.util.BadInputException;
import lib.util.Json;
import lib.webhook.Secret;

/** A repository's webhooks and their deliveries through GitHub's REST API. Never returns or logs the secret. */
public final class RepoHooks {
    /** What our hook subscribes to. */
    public static final List<String> EVENTS = List.of("workflow_run", "workflow_job");
    /** How many recent deliveries a GUID is searched among. */
    public static final int GUID_SEARCH_LIMIT = 1000;
    private static final Pattern NUMERIC = Pattern.compile("\\d{1,19}");
    private static final Pattern GUID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,99}");

    private final GitHubClient gh;

    public RepoHooks(GitHubClient gh) {
        this.gh = gh;
    }

    public GitHubClient client() {
        return gh;
    }

    /** POST /hooks: an active JSON hook for {@code events}, signed with the secret, TLS verified. */
    public JsonNode create(String url, Secret secret, List<String> events) {
        ObjectNode body = Json.object().put("name", "web").put("active", true);
        events.forEach(body.putArray("events")::add);
        ObjectNode config = body.putObject("config").put("url", url).put("content_type", "json");
        if (secret != null) config.put("secret", secret.reveal());
        config.put("insecure_ssl", "0");
        return gh.post(gh.repoPath("/hooks"), body);
    }

    public JsonNode get(long hookId) {
        return gh.get(gh.repoPath("/hooks/" + hookId));
    }

    /** DELETE the hook; false when GitHub says it does not exist (404). */
    public boolean delete(long hookId) {
        try {
            gh.delete(gh.repoPath("/hooks/" + hookId));
            return true;
        } catch (GitHubApiException e) {
            if (e.status() == 404) return false;
            throw e;
        }
    }

    /** Every hook of the repository whose config URL is {@code url} (all pages). */
    public List<JsonNode> withUrl(String url) {
        return gh.paginate(gh.repoPath("/hooks?per_page=100"), 0).stream()
                .filter(h -> url.equals(Json.text(h.path("config"), "url")))
                .toList();
    }

    /** POST /hooks/{id}/pings (204): GitHub sends a {@code ping} delivery. */
    public void ping(long hookId) {
        gh.send("POST", gh.repoPath("/hooks/" + hookId + "/pings"), null);
    }

    /** Recent deliveries, newest first, at most {@code limit}; only failed ones with {@code failedOnly}. */
    public List<JsonNode> deliveries(long hookId, int limit, boolean failedOnly) {
        int perPage = Math.max(1, Math.min(100, limit));
        String path = "/hooks/" + hookId + "/deliveries?per_page=" + perPage + (failedOnly ? "&status=failure" : "");
        return gh.paginate(gh.repoPath(path), limit);
    }

    /**
     * A delivery by its numeric id, or by its GUID (the X-GitHub-Delivery header) searched among the latest
     * {@value #GUID_SEARCH_LIMIT}: the newest attempt. Bad input when the key has neither form or nothing matches.
     */
    public JsonNode lookupDelivery(long hookId, String guidOrId) {
        String key = guidOrId.strip();
        if (NUMERIC.matcher(key).matches()) {
            try {
                return delivery(hookId, Long.parseLong(key));
            } catch (GitHubApiException e) {
                if (e.status() != 404) throw e;
                throw new BadInputException("hook " + hookId + " has no delivery with id " + key);
            }
        }
        if (!GUID.matcher(key).matches()) {
            throw new BadInputException("'" + guidOrId + "' is neither a delivery GUID nor a numeric delivery id");
        }
        return deliveries(hookId, GUID_SEARCH_LIMIT, false).stream()
                .filter(d -> key.equalsIgnoreCase(Json.text(d, "guid")))
                .findFirst()
                .orElseThrow(() -> new BadInputException("no delivery with GUID " + key + " among the latest "
                        + GUID_SEARCH_LIMIT + " deliveries of hook " + hookId + "; see '" + HookRegistration.COMMAND
                        + " deliveries'"));
    }

    /** GET one delivery (with request and response); a 404 propagates. */
    public JsonNode delivery(long hookId, long deliveryId) {
        return gh.get(gh.repoPath("/hooks/" + hookId + "/deliveries/" + deliveryId));
    }

    /** POST .../deliveries/{id}/attempts (202): GitHub sends it again, with the same GUID. */
    public void redeliver(long hookId, long deliveryId) {
        gh.send("POST", gh.repoPath("/hooks/" + hookId + "/deliveries/" + deliveryId + "/attempts"), null);
    }

    /** Looks the delivery up (see {@link #lookupDelivery}), asks GitHub to send it again, and returns it. */
    public JsonNode redeliver(long hookId, String guidOrId) {
        JsonNode delivery = lookupDelivery(hookId, guidOrId);
        redeliver(hookId, delivery.path("id").asLong());
        return delivery;
    }

    /** {@link #deliveries} in the shape of {@link #deliverySummary}. */
    public ArrayNode deliverySummaries(long hookId, int limit, boolean failedOnly) {
        ArrayNode result = Json.array();
        deliveries(hookId, limit, failedOnly).forEach(d -> result.add(deliverySummary(d)));
        return result;
    }

    /** The fields of a delivery worth showing. */
    public static ObjectNode deliverySummary(JsonNode d) {
        ObjectNode s = Json.object();
        for (String f : new String[] {"id", "guid", "delivered_at", "event", "action", "status", "status_code", "redelivery"}) {
            s.set(f, d.has(f) ? d.get(f) : Json.object().nullNode());
        }
        return s;
    }

    /** The hook's configuration without the (masked) secret: only whether one is set. */
    public static ObjectNode hookSummary(JsonNode hook) {
        JsonNode config = hook.path("config");
        ObjectNode s = Json.object().put("id", hook.path("id").asLong()).put("url", Json.text(config, "url"));
        s.set("events", hook.path("events").deepCopy());
        s.put("active", hook.path("active").asBoolean())
                .put("content_type", Json.text(config, "content_type"))
                .put("secret_set", config.has("secret") && !config.get("secret").isNull())
                .put("insecure_ssl", Json.text(config, "insecure_ssl"));
        s.set("last_response", hook.has("last_response") ? hook.get("last_response").deepCopy() : Json.object().nullNode());
        s.put("created_at", Json.text(hook, "created_at")).put("updated_at", Json.text(hook, "updated_at"));
        return s;
    }

    /** True for a 2xx status code. */
    public static boolean succeeded(JsonNode delivery) {
        int code = delivery.path("status_code").asInt(0);
        return code >= 200 && code < 300;
    }
}
