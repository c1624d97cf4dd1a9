package lib.github;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import lib.util.Json;

/** GitHub answered with an error status (4xx, 5xx), e.g. 404 or 422 "Hook already exists". */
public final class GitHubApiException extends GitHubException {
    private final int status;
    private final JsonNode body;
    private final Duration retryIn;

    public GitHubApiException(int status, JsonNode body, String message) {
        this(status, body, message, null);
    }

    /** @param retryIn for a rate limit that was not waited out: how long until GitHub takes requests again */
    public GitHubApiException(int status, JsonNode body, String message, Duration retryIn) {
        super(message, null);
        this.status = status;
        this.body = body == null || !body.isObject() ? Json.object() : body;
        this.retryIn = retryIn;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public JsonNode body() {
        return body;
    }

    /**
     * For a rate limit (primary or secondary) that was not waited out (too long, past a deadline, or still in
     * force at the last try): how long until it lifts; else null.
     */
    public Duration retryIn() {
        return retryIn;
    }

    @Override
    public GitHubApiException withMessage(String message) {
        return new GitHubApiException(status, body, message, retryIn);
    }
}
