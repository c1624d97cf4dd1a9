package lib.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.hooks.HookTarget;
import lib.util.Sleeper;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which hook the hook commands act on: {@code --repo} / {@code --api-url} (from {@link GitHubOptions}),
 * {@code --org} for an organisation hook, and {@code --state-dir}, where the registered hook is recorded.
 */
public final class HookTargetOptions {
    @Mixin
    public GitHubOptions github;

    @Option(names = "--org", paramLabel = "ORG", description = "An organisation hook instead: one hook for every repository "
            + "of ORG (the token needs admin:org_hook). Only register needs it; the others follow the record.")
    public String org;

    @Mixin
    public StateDirOption state;

    /** The target for these options, with the state folder resolved against {@code workDir}. */
    public HookTarget target(Path workDir, Map<String, String> env, PrintWriter verboseLog, GitHubClient.Policy policy,
            Sleeper sleeper, Consumer<String> warn) {
        return new HookTarget(workDir.resolve(state.stateDir).normalize(), github.repo, org, github.apiUrl,
                new HookTarget.Clients() {
                    @Override
                    public GitHubClient forRepo(String repo, String apiUrl) {
                        return GitHubOptions.client(repo, apiUrl, env, workDir, verboseLog, policy, sleeper);
                    }

                    @Override
                    public GitHubClient withoutRepo(String apiUrl) {
                        return new GitHubClient(GitHubContext.resolveWithoutRepo(apiUrl, env), policy, sleeper, verboseLog);
                    }
                }, warn);
    }
}
