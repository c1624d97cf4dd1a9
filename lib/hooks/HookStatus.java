package lib.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import lib.util.Json;

/**
 * {@code status}: the recorded hook as GitHub shows it now, and what is off about it: inactive, moved to
 * another URL, a failed last delivery, or not delivering to the URL the operator expects (WEBHOOK_URL).
 *
 * @param summary   the hook's configuration (see {@link Hooks#hookSummary}) plus its scope and repository or organisation
 * @param warnings  things worth saying that do not make the check fail
 * @param mismatch  why the hook does not deliver where expected, or null when it does
 * @param scope     the repository or organisation the hook was looked for in
 */
public record HookStatus(ObjectNode summary, List<String> warnings, String mismatch, HookScope scope) {

    /** Fetches the hook; a hook gone from GitHub is a {@link HookGoneException} that says how to recover. */
    public static HookStatus check(Hooks hooks, HookState hook, String expectedUrl) {
        HookScope scope = hooks.scope();
        JsonNode found = hooks.find(hook.id()).orElseThrow(() -> new HookGoneException("hook " + hook.id()
                + " no longer exists on " + scope.describe() + " (deleted on GitHub, or the token from "
                + hooks.client().context().tokenOrigin() + " cannot see it); run '" + HookRegistration.COMMAND
                + " register --force' to create a new one, or '" + HookRegistration.COMMAND + " unregister' to clear the record"));
        ObjectNode summary = Hooks.hookSummary(found).put("scope", scope.kind().key).put(scope.kind().key, scope.name());
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
        return new HookStatus(summary, warnings, mismatch, scope);
    }

    public boolean active() {
        return summary.path("active").asBoolean();
    }

    /** The closing line when all is well. */
    public String message() {
        return "hook " + summary.path("id").asLong() + " on " + scope.describe() + " is "
                + (active() ? "active" : "inactive") + " and delivers to " + Json.text(summary, "url");
    }
}
