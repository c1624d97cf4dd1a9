import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lib.util.Json;

/**
 * The webhooks endpoints of the repository and of its organisation: /hooks, /hooks/{id}, its config, pings (and, for
 * repository hooks, tests), and its deliveries. Each sees only its own kind of hook.
 */
final class SimHooksApi extends SimApi {
    private final SimJson json;
    private final SimWebhooks webhooks;

    SimHooksApi(GitHubSimulator sim, SimState state, SimJson json, SimWebhooks webhooks) {
        super(sim, state);
        this.json = json;
        this.webhooks = webhooks;
    }

    Answer hooksRoute(String method, String[] r, Map<String, String> q, byte[] body) {
        return hooksRoute(false, method, r, q, body);
    }

    /** {@code org}: the organisation's hooks ({@code /orgs/{org}/hooks...}), else the repository's. */
    Answer hooksRoute(boolean org, String method, String[] r, Map<String, String> q, byte[] body) {
        if (r.length == 1) {
            if (method.equals("GET")) {
                List<JsonNode> all = state.hooks.values().stream().filter(h -> h.org == org).map(h -> (JsonNode) json.hookJson(h))
                        .toList();
                return org ? pagedUnder(all, q, "/orgs/" + config.owner + "/hooks") : paged(all, q, "/hooks");
            }
            if (method.equals("POST")) return createHook(org, body);
            return notFound();
        }
        SimState.Hook hook = state.hooks.get(parseLong(r[1]));
        if (hook == null || hook.org != org) return notFound(DOCS + (org ? "/orgs/webhooks" : "/repos/webhooks"));
        if (r.length == 2) {
            switch (method) {
                case "GET": return Answer.of(200, json.hookJson(hook));
                case "PATCH": return updateHook(hook, body);
                case "DELETE":
                    state.hooks.remove(hook.id);
                    return Answer.of(204, null);
                default: return notFound();
            }
        }
        String sub = r[2];
        if (sub.equals("config") && r.length == 3) {
            if (method.equals("GET")) return Answer.of(200, SimJson.configJson(hook));
            if (method.equals("PATCH")) {
                JsonNode b = parseBody(body);
                if (b == null) return error(400, "Problems parsing JSON");
                applyConfig(hook, b, true);
                return Answer.of(200, SimJson.configJson(hook));
            }
        }
        boolean test = sub.equals("tests") || sub.equals("test");
        if ((sub.equals("pings") || test && !org) && r.length == 3 && method.equals("POST")) {
            if (sub.equals("pings")) webhooks.sendPing(hook);
            return Answer.of(204, null);
        }
        if (sub.equals("deliveries")) return deliveriesRoute(hook, method, r, q);
        return notFound();
    }

    private Answer createHook(boolean org, byte[] body) {
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
        for (SimState.Hook other : state.hooks.values()) {
            if (other.org == org && other.url.equals(url) && !Collections.disjoint(other.events, events)) {
                return validation(Json.object().put("resource", "Hook").put("code", "custom")
                        .put("message", "Hook already exists on this " + (org ? "organization" : "repository")));
            }
        }
        SimState.Hook hook = new SimState.Hook(state.nextHookId++, org);
        hook.active = !b.has("active") || b.get("active").asBoolean();
        hook.events = List.copyOf(new LinkedHashSet<>(events));
        hook.contentType = "form";
        hook.insecureSsl = "0";
        applyConfig(hook, cfg, false);
        state.hooks.put(hook.id, hook);
        if (hook.active) webhooks.sendPing(hook);
        return Answer.of(201, json.hookJson(hook)).header("Location", sim.apiUrl() + json.hooksPath(hook) + "/" + hook.id);
    }

    private Answer updateHook(SimState.Hook hook, byte[] body) {
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
        return Answer.of(200, json.hookJson(hook));
    }

    /** GitHub's rule: a config update without {@code secret} removes the secret. */
    private static void applyConfig(SimState.Hook hook, JsonNode cfg, boolean update) {
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

    private Answer deliveriesRoute(SimState.Hook hook, String method, String[] r, Map<String, String> q) {
        if (r.length == 3 && method.equals("GET")) {
            int perPage = perPage(q);
            long startBefore = Long.MAX_VALUE;
            String cursor = q.get("cursor");
            if (cursor != null) {
                if (!cursor.startsWith("v1_")) return error(422, "Invalid cursor");
                startBefore = parseLong(cursor.substring(3)) + 1;
            }
            String statusFilter = q.get("status");
            List<SimState.Delivery> mine = new ArrayList<>();
            for (int i = state.deliveries.size() - 1; i >= 0; i--) {
                SimState.Delivery d = state.deliveries.get(i);
                if (d.hookId() != hook.id || d.id() >= startBefore) continue;
                boolean ok = d.statusCode() >= 200 && d.statusCode() < 400;
                if ("success".equals(statusFilter) && !ok) continue;
                if ("failure".equals(statusFilter) && ok) continue;
                mine.add(d);
            }
            ArrayNode page = Json.array();
            mine.stream().limit(perPage).forEach(d -> page.add(json.deliveryItemJson(d, false)));
            Answer a = Answer.of(200, page);
            if (mine.size() > perPage) {
                String next = sim.apiUrl() + json.hooksPath(hook) + "/" + hook.id + "/deliveries?per_page=" + perPage
                        + "&cursor=v1_" + mine.get(perPage).id() + (statusFilter == null ? "" : "&status=" + statusFilter);
                a.header("Link", "<" + next + ">; rel=\"next\"");
            }
            return a;
        }
        SimState.Delivery d = state.deliveries.stream().filter(x -> x.hookId() == hook.id && String.valueOf(x.id()).equals(r[3]))
                .findFirst().orElse(null);
        if (d == null) return notFound(DOCS + (hook.org ? "/orgs/webhooks" : "/repos/webhooks"));
        if (r.length == 4 && method.equals("GET")) return Answer.of(200, json.deliveryItemJson(d, true));
        if (r.length == 5 && r[4].equals("attempts") && method.equals("POST")) {
            webhooks.redeliver(hook, d);
            return Answer.of(202, Json.object());
        }
        return notFound();
    }
}
