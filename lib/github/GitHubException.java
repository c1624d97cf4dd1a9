package lib.github;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Locale;
import lib.cli.CommandException;
import lib.cli.ExitCode;
import lib.util.Json;

/**
 * GitHub answered with an error (or could not be reached: status 0). Exit code {@link ExitCode#GITHUB}.
 * Carries the status and the parsed error body so callers can branch, e.g. on 422 "already exists".
 */
public final class GitHubException extends CommandException {
    private final int status;
    private final JsonNode body;

    public GitHubException(int status, JsonNode body, String message) {
        super(ExitCode.GITHUB, message);
        this.status = status;
        this.body = body == null ? Json.object() : body;
    }

    public GitHubException(String message, Throwable cause) {
        super(ExitCode.GITHUB, message, cause);
        this.status = 0;
        this.body = Json.object();
    }

    /** True when the request never left: the connection was refused or the host unknown. */
    public boolean neverSent() {
        return getCause() instanceof ConnectException || getCause() instanceof UnknownHostException;
    }

    /** The HTTP status, or 0 when GitHub was not reached or gave no answer. */
    public int status() {
        return status;
    }

    /** GitHub's parsed error body ({@code message}, {@code errors}, {@code documentation_url}); empty object if none. */
    public JsonNode body() {
        return body;
    }

    /** GitHub's top-level {@code message}, or null. */
    public String githubMessage() {
        return Json.text(body, "message");
    }

    /** True when the message or any {@code errors[].message} contains {@code fragment}, ignoring case. */
    public boolean mentions(String fragment) {
        String f = fragment.toLowerCase(Locale.ROOT);
        String m = githubMessage();
        if (m != null && m.toLowerCase(Locale.ROOT).contains(f)) return true;
        for (JsonNode e : body.path("errors")) {
            String em = e.isTextual() ? e.asText() : Json.text(e, "message");
            if (em != null && em.toLowerCase(Locale.ROOT).contains(f)) return true;
        }
        return false;
    }
}
