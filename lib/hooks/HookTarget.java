package lib.hooks;

import java.nio.file.Path;
import java.util.function.Consumer;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.util.BadInputException;

/**
 * Which hook the hook commands act on and through which API: the hook recorded in
 * {@code <state-dir>/active-hook.json}, reached in its own repository or organisation and API unless
 * --repo / --org / --api-url say otherwise; for register, the repository or organisation the flags name.
 */
public final class HookTarget {
    /** Makes clients for a scope's API URL (null: from the environment). */
    public interface Clients {
        /** A client for {@code repo}; null for the repository from the environment (or git). */
        GitHubClient forRepo(String repo, String apiUrl);

        /** A client with no repository, e.g. for an organisation's hooks. */
        GitHubClient withoutRepo(String apiUrl);
    }

    private final Path stateDir;
    private final String repoFlag;
    private final String orgFlag;
    private final String apiUrlFlag;
    private final Clients clients;
    private final Consumer<String> warn;

    /** A usage error when both --repo and --org are given. */
    public HookTarget(Path stateDir, String repoFlag, String orgFlag, String apiUrlFlag, Clients clients, Consumer<String> warn) {
        if (repoFlag != null && orgFlag != null) {
            throw new BadInputException("pass --repo OWNER/NAME for a repository hook or --org ORG for an organisation hook, not both");
        }
        this.stateDir = stateDir;
        this.repoFlag = repoFlag;
        this.orgFlag = orgFlag;
        this.apiUrlFlag = apiUrlFlag;
        this.clients = clients;
        this.warn = warn;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** The recorded hook; bad input when none is recorded. */
    public HookState recorded() {
        return HookState.read(stateDir).orElseThrow(() -> new BadInputException("no hook recorded in "
                + HookState.file(stateDir) + "; run '" + HookRegistration.COMMAND + " register' first (or pass --state-dir)"));
    }

    /** What register creates a hook on: --org's organisation, else --repo's (or the environment's) repository. */
    public Hooks fromFlags() {
        if (orgFlag != null) return new Hooks(clients.withoutRepo(apiUrlFlag), HookScope.org(orgFlag, "--org"));
        return Hooks.ofRepo(clients.forRepo(repoFlag, apiUrlFlag));
    }

    /** The hooks of {@code scope} at {@code apiUrl} (null: --api-url, else the environment). */
    public Hooks of(HookScope scope, String apiUrl) {
        String api = apiUrl != null ? apiUrl : apiUrlFlag;
        return new Hooks(scope.isOrg() ? clients.withoutRepo(api) : clients.forRepo(scope.name(), api), scope);
    }

    /** Whether --api-url names another API than the one the hook was recorded on. */
    public boolean overridesApi(HookState hook) {
        return apiUrlFlag != null && (hook.apiUrl() == null
                || !GitHubContext.normalizeApiUrl(apiUrlFlag).equals(GitHubContext.normalizeApiUrl(hook.apiUrl())));
    }

    /**
     * The recorded hook's repository or organisation and API URL, unless --repo / --org / --api-url say otherwise;
     * a flag that names another repository or organisation than the record wins, with a warning.
     */
    public Hooks hooksOf(HookState hook) {
        HookScope scope = hook.scope();
        HookScope flagged = orgFlag != null ? HookScope.org(orgFlag, "--org")
                : repoFlag != null ? HookScope.repo(repoFlag, "--repo") : null;
        if (flagged != null && !flagged.matches(scope)) {
            String recorded = (scope.isOrg() ? "organisation " : "repository ") + scope.name();
            warn.accept("warning: " + flagged.asFlag() + " differs from the recorded " + recorded + "; looking for hook "
                    + hook.id() + " in " + flagged.describe());
            scope = flagged;
        }
        return of(scope, apiUrlFlag != null ? apiUrlFlag : hook.apiUrl());
    }
}
