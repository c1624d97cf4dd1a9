package lib.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.github.GitHubException;
import lib.github.GitHubUnreachableException;
import lib.util.BadInputException;
import lib.util.FileLocks;
import lib.util.Json;
import lib.webhook.Secret;
import lib.webhook.Secrets;

/**
 * {@code register}: creates the repository (or organisation) hook for workflow_run and workflow_job and
 * records it in {@code <state-dir>/active-hook.json}. Refuses when a hook is already recorded, unless
 * {@code force}: then it deletes the recorded hook (carrying on when it is already gone) and every hook of the
 * repository (or organisation) with the same URL before creating the new one. Hooks with other URLs and the
 * secret file are left alone.
 */
public final class HookRegistration {
    /** The command operators run; named in hints. */
    public static final String COMMAND = "manage-actions-webhook";

    /** The hook as recorded (in {@code recordFile}), whether its secret was generated now, and the hooks it replaced. */
    public record Result(HookState hook, Path recordFile, boolean secretGenerated, List<Long> replaced) {
        public String message() {
            return "registered hook " + hook.id() + " on " + hook.scope().describe() + " (" + String.join(", ", hook.events())
                    + " -> " + hook.url() + "); recorded in " + recordFile;
        }

        /** The record plus {registered, secret_generated, replaced}, as register prints it. */
        public ObjectNode toJson() {
            ObjectNode json = hook.toJson().put("registered", true).put("secret_generated", secretGenerated);
            replaced.forEach(json.putArray("replaced")::add);
            return json;
        }
    }

    /**
     * What unregister did: the hook (null when none was recorded), the repository or organisation it was deleted
     * from, whether it was already gone, the record file removed, and the secret file kept (or null).
     */
    public record Removal(HookState hook, HookScope scope, boolean alreadyGone, Path recordFile, Path secretFileKept) {
        public ObjectNode toJson() {
            if (hook == null) return Json.object().put("unregistered", false).put("reason", "nothing recorded");
            return Json.object().put("unregistered", true).put("id", hook.id()).put("scope", scope.kind().key)
                    .put(scope.kind().key, scope.name()).put("already_gone", alreadyGone)
                    .put("secret_file_kept", secretFileKept == null ? null : secretFileKept.toString());
        }

        /** What to tell the operator, line by line. */
        public List<String> messages() {
            if (hook == null) return List.of("nothing to unregister: no hook recorded in " + recordFile);
            String where = scope.describe();
            return List.of(alreadyGone ? "hook " + hook.id() + " was already gone from " + where
                            : "deleted hook " + hook.id() + " on " + where,
                    "removed " + recordFile + (secretFileKept == null ? "" : "; kept the webhook secret in " + secretFileKept
                            + " (delete it yourself once nothing needs to verify old deliveries)"));
        }
    }

    private final HookTarget target;
    private final Path stateDir;
    private final Map<String, String> env;
    private final Consumer<String> info;

    public HookRegistration(HookTarget target, Map<String, String> env, Consumer<String> info) {
        this.target = target;
        this.stateDir = target.stateDir();
        this.env = env;
        this.info = info;
    }

    /**
     * Registers a hook for {@code url}. Two registers on one state folder take turns (a lock file in it): one could
     * otherwise adopt the secret the other generated, and the other delete it when GitHub refused its hook.
     */
    public Result register(URI url, Path secretFile, boolean force) throws IOException {
        return FileLocks.withLock(stateDir.resolve(".register.lock"), () -> registerAlone(url, secretFile, force));
    }

    private Result registerAlone(URI url, Path secretFile, boolean force) throws IOException {
        String hookUrl = url.toString();
        Optional<HookState> recorded = HookState.read(stateDir);
        if (recorded.isPresent() && !force) {
            HookState r = recorded.get();
            throw new BadInputException("a hook is already recorded in " + HookState.file(stateDir) + " (id " + r.id()
                    + " on " + r.scope().describe() + ", delivering to " + r.url() + "); run '" + COMMAND + " unregister' first, or"
                    + " pass --force to delete it and register a new one");
        }
        if (WebhookUrls.isLocalOrPrivate(url)) {
            info.accept("warning: " + url.getHost() + " is a loopback or private address: github.com refuses to"
                    + " deliver there (GHES and test servers may accept it); trying anyway");
        }
        Hooks hooks = target.fromFlags();
        GitHubClient gh = hooks.client();
        Optional<Secret> configured = Secrets.resolveAndSay(secretFile, env, stateDir, info);
        List<Long> replaced = force ? replace(recorded, hooks, hookUrl) : List.of();
        // Generated only now, and never over a file another run wrote meanwhile (then that secret is used).
        Secret secret = configured.isPresent() ? configured.get() : Secrets.generateInto(stateDir, info);
        boolean generated = secret.origin().equals(Secrets.GENERATED);

        JsonNode created;
        try {
            created = hooks.create(hookUrl, secret, Hooks.EVENTS);
        } catch (GitHubException e) {
            if (generated) keepOrForgetGenerated(e, secret);
            if (e.status() == 422 && e.mentions("already exists")) {
                throw e.withMessage(e.getMessage() + " - " + hooks.scope().describe() + " already has a hook delivering to "
                        + hookUrl + "; pass --force to delete it and create a new one");
            }
            throw e;
        } catch (RuntimeException e) {
            if (generated) info.accept(Secrets.generatedNote(stateDir)); // the hook may exist
            throw e;
        }
        if (generated) info.accept(Secrets.generatedNote(stateDir));
        HookState registered = HookState.fromHook(created, hooks.scope(), gh.context().apiUrl(), secret.origin());
        registered.write(stateDir);
        return new Result(registered, HookState.file(stateDir), generated, replaced);
    }

    /**
     * A secret generated for a hook that was certainly not made (GitHub refused it with a 4xx, or the request never
     * left) is deleted, so that no secret is left that no hook uses; after no answer or a 5xx the hook may exist, so
     * the secret is kept and announced.
     */
    private void keepOrForgetGenerated(GitHubException e, Secret generated) throws IOException {
        boolean notMade = e instanceof GitHubApiException ? e.status() < 500
                : e instanceof GitHubUnreachableException u && u.neverSent();
        if (notMade) {
            Secrets.forget(stateDir, generated);
        } else {
            info.accept(Secrets.generatedNote(stateDir));
        }
    }

    /**
     * Deletes the recorded hook on GitHub (already gone is fine) and then its record; keeps the secret file.
     * Nothing recorded is fine too (idempotent). A hook not found where --repo / --org / --api-url sent us, when that
     * is not the recorded repository, organisation or API, is bad input and the record is kept: the hook may well
     * still exist where the record says.
     */
    public Removal unregister() throws IOException {
        Optional<HookState> recorded = HookState.read(stateDir);
        if (recorded.isEmpty()) return new Removal(null, null, false, HookState.file(stateDir), null);
        HookState hook = recorded.get();
        Hooks hooks = target.hooksOf(hook);
        boolean deleted = hooks.delete(hook.id());
        if (!deleted && !hooks.scope().matches(hook.scope())) {
            throw new BadInputException("hook " + hook.id() + " is not on " + hooks.scope().describe() + " ("
                    + hooks.scope().asFlag() + "); kept " + HookState.file(stateDir) + ", which records it on "
                    + hook.scope().describe() + "; run '" + COMMAND + " unregister' without --repo/--org to delete it there");
        }
        if (!deleted && target.overridesApi(hook)) {
            throw new BadInputException("hook " + hook.id() + " is not on " + hooks.scope().describe() + " at the --api-url given;"
                    + " kept " + HookState.file(stateDir) + ", which records it at " + hook.apiUrl() + "; run '" + COMMAND
                    + " unregister' without --api-url to delete it there");
        }
        HookState.delete(stateDir);
        Path secret = Secrets.defaultFile(stateDir);
        return new Removal(hook, hooks.scope(), !deleted, HookState.file(stateDir),
                Files.exists(secret) ? secret : null);
    }

    /** --force: the recorded hook (wherever it lives) and every hook here with the same URL go first. */
    private List<Long> replace(Optional<HookState> recorded, Hooks hooks, String hookUrl) throws IOException {
        List<Long> replaced = new ArrayList<>();
        String where = hooks.scope().describe();
        if (recorded.isPresent()) {
            HookState r = recorded.get();
            boolean sameTarget = r.scope().matches(hooks.scope()) && r.apiUrl().equals(hooks.client().context().apiUrl());
            Hooks old = sameTarget ? hooks : target.of(r.scope(), r.apiUrl());
            if (old.delete(r.id())) {
                replaced.add(r.id());
                info.accept("--force: deleted the recorded hook " + r.id() + " on " + r.scope().describe());
            } else {
                info.accept("--force: the recorded hook " + r.id() + " was already gone from " + r.scope().describe());
            }
            HookState.delete(stateDir);
        }
        for (JsonNode h : hooks.withUrl(hookUrl)) {
            long id = h.path("id").asLong();
            if (hooks.delete(id)) {
                replaced.add(id);
                info.accept("--force: deleted hook " + id + " on " + where + ", which also delivered to " + hookUrl);
            }
        }
        return replaced;
    }
}
