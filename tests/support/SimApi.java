import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lib.util.Json;

/** What the simulator's endpoint groups share: the answer type, GitHub's error bodies, Link pagination, request parsing. */
abstract class SimApi {
    static final String DOCS = GitHubSimulator.DOCS;

    record Answer(int status, JsonNode body, Map<String, String> headers) {
        static Answer of(int status, JsonNode body) {
            return new Answer(status, body, new LinkedHashMap<>());
        }

        Answer header(String k, String v) {
            headers.put(k, v);
            return this;
        }
    }

    final GitHubSimulator sim;
    final SimState state;
    final GitHubSimulator.Config config;

    SimApi(GitHubSimulator sim, SimState state) {
        this.sim = sim;
        this.state = state;
        this.config = state.config;
    }

    /** A page of a list under the repository: {@code path} follows {@code /repos/OWNER/NAME}. */
    Answer paged(List<JsonNode> all, Map<String, String> q, String path) {
        return pagedUnder(all, q, sim.repoPrefix() + path);
    }

    /** A page of a list at {@code fullPath} (without the API URL), e.g. {@code /orgs/ORG/hooks}. */
    Answer pagedUnder(List<JsonNode> all, Map<String, String> q, String fullPath) {
        int perPage = perPage(q);
        int page = Math.max(1, (int) parseLong(q.getOrDefault("page", "1")));
        ArrayNode items = Json.array();
        all.stream().skip((long) (page - 1) * perPage).limit(perPage).forEach(items::add);
        Answer a = Answer.of(200, items);
        String link = linkHeaderAt(fullPath, q, page, perPage, all.size());
        if (link != null) a.header("Link", link);
        return a;
    }

    /** The Link header of a page of a list under the repository ({@code path} follows {@code /repos/OWNER/NAME}). */
    String linkHeader(String path, Map<String, String> q, int page, int perPage, int total) {
        return linkHeaderAt(sim.repoPrefix() + path, q, page, perPage, total);
    }

    private String linkHeaderAt(String path, Map<String, String> q, int page, int perPage, int total) {
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
        StringBuilder url = new StringBuilder(sim.apiUrl() + path + "?");
        Map<String, String> params = new LinkedHashMap<>(q);
        params.put("page", String.valueOf(page));
        params.forEach((k, v) -> url.append(k).append('=').append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
        url.setLength(url.length() - 1);
        return url.toString();
    }

    static int perPage(Map<String, String> q) {
        int n = (int) parseLong(q.getOrDefault("per_page", "30"));
        return Math.max(1, Math.min(100, n <= 0 ? 30 : n));
    }

    static Map<String, String> parseQuery(String query) {
        Map<String, String> q = new LinkedHashMap<>();
        if (query.isEmpty()) return q;
        for (String pair : query.split("&")) {
            String[] kv = pair.split("=", 2);
            q.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length == 2 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return q;
    }

    static JsonNode parseBody(byte[] body) {
        if (body.length == 0) return Json.object();
        try {
            return Json.tree(body);
        } catch (IOException e) {
            return null;
        }
    }

    static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static Answer error(int status, String message) {
        return error(status, message, DOCS);
    }

    static Answer error(int status, String message, String docs) {
        return Answer.of(status, Json.object().put("message", message).put("documentation_url", docs)
                .put("status", String.valueOf(status)));
    }

    static Answer notFound() {
        return error(404, "Not Found");
    }

    static Answer notFound(String docs) {
        return error(404, "Not Found", docs);
    }

    static Answer validation(ObjectNode err) {
        ObjectNode body = Json.object().put("message", "Validation Failed");
        body.putArray("errors").add(err);
        body.put("documentation_url", DOCS + "/repos/webhooks#create-a-repository-webhook").put("status", "422");
        return Answer.of(422, body);
    }
}
