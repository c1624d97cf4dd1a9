package lib.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.function.Consumer;
import lib.github.ApiFeatures;
import lib.github.GitHubClient;
import lib.github.GitHubException;
import lib.github.GitHubUnreachableException;
import lib.util.Json;
import lib.util.Text;

/**
 * {@code POST .../actions/workflows/{wf}/dispatches} with {@code return_run_details: true} where the server
 * may have it, one fallback without the field when the server rejects it (older GHES: 400/422
 * "... is not a permitted key"), and a memory of that rejection per API URL ({@link ApiFeatures}).
 * A dispatch is never retried for any other reason: GitHub may have started the run already.
 */
public final class Dispatcher {
    /** What the dispatch answered. {@code runId}, {@code runApiUrl}, {@code htmlUrl} are null on 204. */
    public record Result(int status, Long runId, String runApiUrl, String htmlUrl, boolean askedForDetails,
            boolean fellBack) {
        public boolean hasRunId() {
            return runId != null;
        }
    }

    private final GitHubClient client;
    private final ApiFeatures features;
    private final Consumer<String> info;

    /** @param info where to say that the server lacks run details (a human note), never null */
    public Dispatcher(GitHubClient client, ApiFeatures features, Consumer<String> info) {
        this.client = client;
        this.features = features;
        this.info = info;
    }

    /**
     * Dispatches {@code workflow} (id or file name) on {@code ref} with {@code inputs}.
     * {@code serverVersion} is the {@code X-GitHub-Enterprise-Version} seen earlier (null on github.com).
     * Throws {@link GitHubException} for any rejection; see {@link #isUncertain} for failures where the
     * run may have started anyway.
     */
    public Result dispatch(String workflow, String ref, Map<String, String> inputs, String serverVersion) {
        String apiUrl = client.context().apiUrl();
        boolean ask = features.mayHave(apiUrl, ApiFeatures.RETURN_RUN_DETAILS, serverVersion);
        String path = client.repoPath("/actions/workflows/" + Text.urlEncode(workflow)
                + "/dispatches");
        if (ask) {
            try {
                return result(client.send("POST", path, body(ref, inputs, true)), true, false);
            } catch (GitHubException e) {
                if (!rejectsRunDetails(e)) throw e;
                boolean remembered = features.recordMissing(apiUrl, ApiFeatures.RETURN_RUN_DETAILS, serverVersion);
                String why = e.githubMessage() != null ? e.githubMessage() : e.getMessage();
                info.accept("this server does not know return_run_details (" + why.replaceAll("\\s+", " ").strip()
                        + "); dispatching again without it, and " + (remembered ? "remembering that in "
                        : "could not remember that (later runs will ask again) in ") + features.file());
            }
            return result(client.send("POST", path, body(ref, inputs, false)), true, true);
        }
        return result(client.send("POST", path, body(ref, inputs, false)), false, false);
    }

    /**
     * A 400/422 saying the field is not a permitted key ({@code "return_run_details" is not a permitted key}): the
     * server does not have it, and nothing was dispatched. Not one that merely names it (e.g. an input of that name
     * the workflow does not declare): that would be remembered as the server lacking the field.
     */
    public static boolean rejectsRunDetails(GitHubException e) {
        return (e.status() == 400 || e.status() == 422)
                && e.mentions(ApiFeatures.RETURN_RUN_DETAILS) && e.mentions("not a permitted key");
    }

    /**
     * Sent but no answer (timeout, connection lost) or a 5xx: the dispatch may or may not have happened.
     * A refused connection is certain: nothing reached GitHub.
     */
    public static boolean isUncertain(GitHubException e) {
        return (e instanceof GitHubUnreachableException u && !u.neverSent()) || e.status() >= 500;
    }

    static ObjectNode body(String ref, Map<String, String> inputs, boolean returnRunDetails) {
        ObjectNode body = Json.object().put("ref", ref);
        ObjectNode in = body.putObject("inputs");
        inputs.forEach(in::put);
        if (returnRunDetails) body.put(ApiFeatures.RETURN_RUN_DETAILS, true);
        return body;
    }

    private static Result result(GitHubClient.Reply reply, boolean asked, boolean fellBack) {
        JsonNode b = reply.body();
        if (reply.status() == 200 && b != null && b.hasNonNull("workflow_run_id")) {
            return new Result(200, b.get("workflow_run_id").asLong(), Json.text(b, "run_url"), Json.text(b, "html_url"),
                    asked, fellBack);
        }
        return new Result(reply.status(), null, null, null, asked, fellBack);
    }
}
