package lib.hooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import lib.github.GitHubApiException;
import lib.util.Json;

/**
 * {@code status}: the recorded hook as GitHub shows it now, and what is off about it: inactive, moved to
 * another URL, a failed last delivery, or not delivering to the URL the operator expects (WEBHOOK_URL).
 *
 * @param summary   the hook's configuration (see {@link RepoHooks#hookSummary}) plus its repository
 * @param warnings  things worth saying that do not make the check fail
 * @param mismatch  why the hook does not deliver where expected, or null when it does
 */
public record HookStatus(ObjectNode summary, List<String> warnings, String mismatch) {

    /** Fetches the hook; a hook gone from GitHub is a 404 that says how to recover. */
    public static HookStatus check(RepoHooks hooks, HookState hook, String expectedUrl) {
        ObjectNode summary;
        String repo = hooks.client().context().repo();
        try {
            summary = RepoHooks.hookSummary(hooks.get(hook.id())).put("repo", repo);
        } catch (GitHubApiException e) {
            if (e.status() != 404) throw e;
            throw e.withMessage("hook " + hook.id() + " no longer exists on " + repo + " (deleted on GitHub, or the token"
                    + " from " + hooks.client().context().tokenOrigin() + " cannot see it); run '" + HookRegistration.COMMAND
                    + " register --force' to create a new one, or '" + HookRegistration.COMMAND + " unregister' to clear"
                    + " the record");
        }
        String actual = Json.text(summary, "url");
        List<String> warnings = new ArrayList<>();
        if (!summary.path("active").asBoolean()) warnings.add("the hook is inactive: GitHub sends it nothing");
        if (hook.url() != null && !hook.url().equals(actual)) {
            warnings.add("the hook now delivers to " + actual + ", not to the recorded " + hook.url());
        }
        if ("failed".equals(Json.text(summary.path("last_response"), "status"))) {
            warnings.add("the last delivery failed (" + Json.text(summary.path("last_response"), "message") + "); see '"
                    + HookRegistration.COMMAND + " deliveries --failed'");
        }
        String mismatch = null;
        if (expectedUrl != null && !expectedUrl.isBlank() && !expectedUrl.strip().equals(actual)) {
            mismatch = "WEBHOOK_URL is " + expectedUrl.strip() + " but hook " + hook.id() + " delivers to " + actual
                    + "; run '" + HookRegistration.COMMAND + " register --force' to point a new hook at WEBHOOK_URL";
        }
        return new HookStatus(summary, warnings, mismatch);
    }

    public boolean active() {
        return summary.path("active").asBoolean();
    }

    /** The closing line when all is well. */
    public String message() {
        return "hook " + summary.path("id").asLong() + " on " + Json.text(summary, "repo") + " is "
                + (active() ? "active" : "inactive") + " and delivers to " + Json.text(summary, "url");
    }
}
