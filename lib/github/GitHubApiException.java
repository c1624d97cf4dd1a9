package lib.github;

import com.fasterxml.jackson.databind.JsonNode;
import lib.util.Json;

/** GitHub answered with an error status (4xx, 5xx), e.g. 404 or 422 "Hook already exists". */
public final class GitHubApiException extends GitHubException {
    private final int status;
    private final JsonNode body;

    public GitHubApiException(int status, JsonNode body, String message) {
        super(message, null);
        this.status = status;
        this.body = body == null || !body.isObject() ? Json.object() : body;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public JsonNode body() {
        return body;
    }

    @Override
    public GitHubApiException withMessage(String message) {
        return new GitHubApiException(status, body, message);
    }
}
