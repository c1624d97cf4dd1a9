package lib.hooks;

import java.nio.file.Path;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import lib.github.GitHubClient;
import lib.util.BadInputException;

/**
 * Which hook the hook commands act on and through which API: the hook recorded in
 * {@code <state-dir>/active-hook.json}, reached in its own repository and API unless --repo / --api-url
 * say otherwise.
 */
public final class HookTarget {
    private final Path stateDir;
    private final String repoFlag;
    private final String apiUrlFlag;
    private final BiFunction<String, String, GitHubClient> clients;
    private final Consumer<String> warn;

    /** @param clients a client for (repo, API URL) as given, each null one resolved from the environment */
    public HookTarget(Path stateDir, String repoFlag, String apiUrlFlag, BiFunction<String, String, GitHubClient> clients,
            Consumer<String> warn) {
        this.stateDir = stateDir;
        this.repoFlag = repoFlag;
        this.apiUrlFlag = apiUrlFlag;
        this.clients = clients;
        this.warn = warn;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** A client for this repo and API URL; null ones come from --repo / --api-url, else the environment. */
    public GitHubClient client(String repo, String apiUrl) {
        return clients.apply(repo != null ? repo : repoFlag, apiUrl != null ? apiUrl : apiUrlFlag);
    }

    /** The recorded hook; bad input when none is recorded. */
    public HookState recorded() {
        return HookState.read(stateDir).orElseThrow(() -> new BadInputException("no hook recorded in "
                + HookState.file(stateDir) + "; run '" + HookRegistration.COMMAND + " register' first (or pass --state-dir)"));
    }

    /** The API of the recorded hook's repository: its own repo and API URL unless --repo / --api-url say otherwise. */
    public RepoHooks hooksOf(HookState hook) {
        if (repoFlag != null && !repoFlag.strip().equalsIgnoreCase(hook.repo())) {
            warn.accept("warning: --repo " + repoFlag.strip() + " differs from the recorded repository " + hook.repo()
                    + "; looking for hook " + hook.id() + " in " + repoFlag.strip());
        }
        return new RepoHooks(client(repoFlag != null ? repoFlag : hook.repo(), apiUrlFlag != null ? apiUrlFlag : hook.apiUrl()));
    }
}
