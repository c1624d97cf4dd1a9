package lib.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.util.BadInputException;
import lib.util.Json;
import lib.webhook.Secret;

/**
 * The webhooks of a repository or an organisation ({@link HookScope}) and their deliveries through GitHub's REST
 * API: the same endpoints under {@code /repos/OWNER/NAME/hooks} and {@code /orgs/ORG/hooks}. GitHub answers 404,
 * not 403, on an organisation's hooks to a token without the admin:org_hook scope; such a 404 is told apart from a
 * hook that is gone and explained. Never returns or logs the secret.
 */
public final class Hooks {
    /** What our hook subscribes to. */
    public static final List<String> EVENTS = List.of("workflow_run", "workflow_job");
    /** How many recent deliveries a GUID is searched among. */
    public static final int GUID_SEARCH_LIMIT = 1000;
    private static final Pattern NUMERIC = Pattern.compile("\\d{1,19}");
    private static final Pattern GUID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,99}");

    private final GitHubClient gh;
    private final HookScope scope;

    /** The hooks of {@code scope}, reached through {@code gh} (whose repository, if any, is not used). */
    public Hooks(GitHubClient gh, HookScope scope) {
        this.gh = gh;
        this.scope = scope;
    }

    /** The hooks of the client's own repository. */
    public static Hooks ofRepo(GitHubClient gh) {
        return new Hooks(gh, HookScope.repo(gh.context().repo(), "the repository"));
    }

    public GitHubClient client() {
        return gh;
    }

    public HookScope scope() {
        return scope;
    }

    /** The hooks collection's path plus {@code suffix}, e.g. {@code path("/42/deliveries")}. */
    public String path(String suffix) {
        return scope.hooksPath() + suffix;
    }

    /** POST /hooks: an active JSON hook for {@code events}, signed with the secret, TLS verified. */
    public JsonNode create(String url, Secret secret, List<String> events) {
        ObjectNode body = Json.object().put("name", "web").put("active", true);
        events.forEach(body.putArray("events")::add);
        ObjectNode config = body.putObject("config").put("url", url).put("content_type", "json");
        if (secret != null) config.put("secret", secret.reveal());
        config.put("insecure_ssl", "0");
        try {
            return gh.post(path(""), body);
        } catch (GitHubApiException e) {
            throw explainNotFound(e, true);
        }
    }

    /** The hook; empty when GitHub says it does not exist (a 404 that is not an organisation's refusal). */
    public Optional<JsonNode> find(long hookId) {
        try {
            return Optional.of(gh.get(path("/" + hookId)));
        } catch (GitHubApiException e) {
            GitHubApiException explained = explainNotFound(e, false);
            if (e.status() == 404 && explained == e) return Optional.empty();
            throw explained;
        }
    }

    /** DELETE the hook; false when GitHub says it does not exist (a 404 that is not an organisation's refusal). */
    public boolean delete(long hookId) {
        try {
            gh.delete(path("/" + hookId));
            return true;
        } catch (GitHubApiException e) {
            GitHubApiException explained = explainNotFound(e, false);
            if (e.status() == 404 && explained == e) return false;
            throw explained;
        }
    }

    /** Every hook of the repository or organisation whose config URL is {@code url} (all pages). */
    public List<JsonNode> withUrl(String url) {
        try {
            return gh.paginate(path("?per_page=100"), 0).stream()
                    .filter(h -> url.equals(Json.text(h.path("config"), "url")))
                    .toList();
        } catch (GitHubApiException e) {
            throw explainNotFound(e, true);
        }
    }

    /** POST /hooks/{id}/pings (204): GitHub sends a {@code ping} delivery. */
    public void ping(long hookId) {
        try {
            gh.send("POST", path("/" + hookId + "/pings"), null);
        } catch (GitHubApiException e) {
            throw explainNotFound(e, false);
        }
    }

    /** The path of a hook's deliveries list (no query). */
    public String deliveriesPath(long hookId) {
        return path("/" + hookId + "/deliveries");
    }

    /** Recent deliveries, newest first, at most {@code limit}; only failed ones with {@code failedOnly}. */
    public List<JsonNode> deliveries(long hookId, int limit, boolean failedOnly) {
        int perPage = Math.max(1, Math.min(100, limit));
        try {
            return gh.paginate(deliveriesPath(hookId) + "?per_page=" + perPage + (failedOnly ? "&status=failure" : ""), limit);
        } catch (GitHubApiException e) {
            throw explainNotFound(e, false);
        }
    }

    /**
     * A delivery by its numeric id, or by its GUID (the X-GitHub-Delivery header) searched among the latest
     * {@value #GUID_SEARCH_LIMIT}: the newest attempt. Bad input when the key has neither form or nothing matches.
     */
    public JsonNode lookupDelivery(long hookId, String guidOrId) {
        String key = guidOrId.strip();
        if (NUMERIC.matcher(key).matches()) {
            long id;
            try {
                id = Long.parseLong(key);
            } catch (NumberFormatException tooLarge) {
                throw new BadInputException("hook " + hookId + " has no delivery with id " + key + " (larger than any id)");
            }
            try {
                return delivery(hookId, id);
            } catch (GitHubApiException e) {
                GitHubApiException explained = explainNotFound(e, false);
                if (e.status() != 404 || explained != e) throw explained;
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
        return gh.get(deliveriesPath(hookId) + "/" + deliveryId);
    }

    /** POST .../deliveries/{id}/attempts (202): GitHub sends it again, with the same GUID. */
    public void redeliver(long hookId, long deliveryId) {
        try {
            gh.send("POST", deliveriesPath(hookId) + "/" + deliveryId + "/attempts", null);
        } catch (GitHubApiException e) {
            throw explainNotFound(e, false);
        }
    }

    /**
     * GitHub answers 404, not 403, on an organisation's hooks when the token lacks the admin:org_hook scope, and
     * when the organisation does not exist. For an organisation's 404 this returns the error told that way,
     * unless the organisation's hook list can be read (one more request), which means only the hook or delivery
     * asked for is gone: then, and for every other error, {@code e} itself. {@code onList}: the 404 answered the
     * hook list itself (or the create), so no second look is needed.
     */
    public GitHubApiException explainNotFound(GitHubApiException e, boolean onList) {
        if (e.status() != 404 || !scope.isOrg()) return e;
        if (!onList) {
            try {
                gh.get(path("?per_page=1"));
                return e; // the organisation's hooks are readable: the hook or delivery itself is gone
            } catch (GitHubApiException probe) {
                if (probe.status() != 404) return e;
            } catch (RuntimeException unreachable) {
                return e;
            }
        }
        return e.withMessage("GitHub answered 404 on the hooks of organisation " + scope.name() + ": the token from "
                + gh.context().tokenOrigin() + " needs the admin:org_hook scope (classic token) or the organisation"
                + " permission \"Webhooks\" (fine-grained token; read and write to register or unregister), and GitHub"
                + " answers 404, not 403, without it; or the organisation '" + scope.name() + "' does not exist."
                + " With gh: gh auth refresh -h " + GitHubContext.webHost(gh.context().apiUrl()) + " -s admin:org_hook");
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
