package lib.github;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import lib.util.Json;
import lib.util.TrackerException;

/**
 * A request to GitHub failed: either GitHub answered with an error ({@link GitHubApiException}) or
 * gave no answer at all ({@link GitHubUnreachableException}). Callers branch on the type or the status.
 */
public abstract sealed class GitHubException extends TrackerException
        permits GitHubApiException, GitHubUnreachableException {
    GitHubException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The HTTP status, or 0 when GitHub was not reached or gave no answer. */
    public abstract int status();

    /** GitHub's parsed error body ({@code message}, {@code errors}, {@code documentation_url}); empty object if none. */
    public abstract JsonNode body();

    /** The same failure told in other words, e.g. with a hint for the command at hand. */
    public abstract GitHubException withMessage(String message);

    /** GitHub's top-level {@code message}, or null. */
    public String githubMessage() {
        return Json.text(body(), "message");
    }

    /** True when the message or any {@code errors[].message} contains {@code fragment}, ignoring case. */
    public boolean mentions(String fragment) {
        String f = fragment.toLowerCase(Locale.ROOT);
        String m = githubMessage();
        if (m != null && m.toLowerCase(Locale.ROOT).contains(f)) return true;
        for (JsonNode e : body().path("errors")) {
            String em = e.isTextual() ? e.asText() : Json.text(e, "message");
            if (em != null && em.toLowerCase(Locale.ROOT).contains(f)) return true;
        }
        return false;
    }
}
