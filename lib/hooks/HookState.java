package lib.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lib.github.GitHubContext;
import lib.util.BadInputException;
import lib.util.Json;
import lib.util.SafeFiles;

/**
 * The registered hook as recorded in {@code <state-dir>/active-hook.json}: which hook (id), where
 * (scope, api_url), what it sends and to where (events, url). Never holds the secret, only where it came from.
 * The scope is written as {@code "scope": "repo", "repo": "OWNER/NAME"} or {@code "scope": "org", "org": "ORG"};
 * a file without {@code "scope"} (written before organisation hooks existed) is a repository hook.
 *
 * @param id        the hook id on GitHub
 * @param scope     the repository or organisation the hook belongs to
 * @param apiUrl    the API base URL, e.g. https://api.github.com or https://HOST/api/v3
 * @param url       the hook's delivery URL (WEBHOOK_URL)
 * @param events    subscribed events
 * @param createdAt GitHub's created_at, or null
 * @param hookUrl   the hook's API URL, or null
 * @param htmlUrl   the webhook's settings page (repository's or organisation's), or null
 * @param secretSource where the secret came from: "generated", an environment variable name or a file path
 */
public record HookState(long id, HookScope scope, String apiUrl, String url, List<String> events, String createdAt,
        String hookUrl, String htmlUrl, String secretSource) {

    public static final String FILE_NAME = "active-hook.json";

    public HookState {
        events = List.copyOf(events);
    }

    /** OWNER/NAME of a repository hook; null for an organisation hook. */
    public String repo() {
        return scope.isOrg() ? null : scope.name();
    }

    /** {@code <stateDir>/active-hook.json}. */
    public static Path file(Path stateDir) {
        return stateDir.resolve(FILE_NAME);
    }

    /** The recorded hook, or empty when none is recorded. A damaged file is a usage error naming it. */
    public static Optional<HookState> read(Path stateDir) {
        Path file = file(stateDir);
        JsonNode node;
        try {
            node = Json.parse(Files.readAllBytes(file), file.toString());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage());
        }
        JsonNode id = node.get("id");
        String kind = node.hasNonNull("scope") ? node.get("scope").asText() : HookScope.Kind.REPO.key;
        String owner = Json.text(node, kind);
        String apiUrl = Json.text(node, "api_url");
        if (!kind.equals(HookScope.Kind.REPO.key) && !kind.equals(HookScope.Kind.ORG.key)) {
            throw new BadInputException(file + " has \"scope\": \"" + kind + "\"; expected \"repo\" or \"org\"");
        }
        if (id == null || !id.canConvertToLong() || owner == null || apiUrl == null) {
            throw new BadInputException(file + " lacks id, " + kind + " or api_url; fix it or delete it and register again");
        }
        HookScope scope = kind.equals(HookScope.Kind.ORG.key) ? HookScope.org(owner, "\"org\" in " + file)
                : HookScope.repo(owner, "\"repo\" in " + file);
        List<String> events = new ArrayList<>();
        node.path("events").forEach(e -> events.add(e.asText()));
        return Optional.of(new HookState(id.asLong(), scope, apiUrl, Json.text(node, "url"), events,
                Json.text(node, "created_at"), Json.text(node, "hook_url"), Json.text(node, "html_url"),
                Json.text(node, "secret_source")));
    }

    /** What GitHub answered to the create call, plus where it lives and where the secret came from. */
    public static HookState fromHook(JsonNode hook, HookScope scope, String apiUrl, String secretSource) {
        long id = hook.path("id").asLong();
        List<String> events = new ArrayList<>();
        hook.path("events").forEach(e -> events.add(e.asText()));
        return new HookState(id, scope, apiUrl, Json.text(hook.path("config"), "url"), events,
                Json.text(hook, "created_at"), Json.text(hook, "url"), scope.settingsPage(apiUrl, id), secretSource);
    }

    /** Writes the file atomically (temp file and rename). */
    public void write(Path stateDir) throws IOException {
        SafeFiles.writeAtomically(file(stateDir), Json.pretty(toJson()));
    }

    /** Deletes the file; false when there was none. */
    public static boolean delete(Path stateDir) throws IOException {
        return Files.deleteIfExists(file(stateDir));
    }

    public ObjectNode toJson() {
        ObjectNode j = Json.object().put("id", id).put("scope", scope.kind().key).put(scope.kind().key, scope.name())
                .put("api_url", apiUrl).put("url", url);
        ArrayNode e = j.putArray("events");
        events.forEach(e::add);
        j.put("created_at", createdAt).put("hook_url", hookUrl).put("html_url", htmlUrl).put("secret_source", secretSource);
        return j;
    }

    /**
     * The hook's settings page: {@code https://github.com/OWNER/NAME/settings/hooks/ID} for github.com,
     * {@code https://HOST/OWNER/NAME/settings/hooks/ID} for GHES ({@code https://HOST/api/v3}).
     */
    public static String settingsPage(String apiUrl, String repo, long id) {
        return webUrl(apiUrl) + "/" + repo + "/settings/hooks/" + id;
    }

    /** The web URL that belongs to an API URL. */
    static String webUrl(String apiUrl) {
        URI u = URI.create(apiUrl);
        String host = u.getHost();
        String origin = u.getScheme() + "://" + (host.startsWith("api.") && GitHubContext.isGitHubCom(apiUrl)
                ? host.substring(4) : host) + (u.getPort() == -1 ? "" : ":" + u.getPort());
        return origin;
    }
}
