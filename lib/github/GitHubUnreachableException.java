package lib.github;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ConnectException;
import java.net.UnknownHostException;
import lib.util.Json;

/** No answer from GitHub: the connection was refused, the host unknown, or the answer never came (timeout). */
public final class GitHubUnreachableException extends GitHubException {
    public GitHubUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True when the request never left: the connection was refused or the host unknown (a timeout may have reached GitHub). */
    public boolean neverSent() {
        return getCause() instanceof ConnectException || getCause() instanceof UnknownHostException;
    }

    @Override
    public int status() {
        return 0;
    }

    @Override
    public JsonNode body() {
        return Json.object();
    }

    @Override
    public GitHubUnreachableException withMessage(String message) {
        return new GitHubUnreachableException(message, getCause());
    }
}
