package lib.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.util.Sleeper;
import picocli.CommandLine.Option;

/**
 * {@code --repo} and {@code --api-url} for commands that talk to GitHub. The token is deliberately
 * not an option: it comes from the environment or {@code gh}.
 */
public final class GitHubOptions {
    @Option(names = "--repo", paramLabel = "OWNER/NAME",
            description = "Repository; default: GITHUB_REPOSITORY, GH_REPO, or the git 'origin' remote.")
    public String repo;

    @Option(names = "--api-url", paramLabel = "URL",
            description = "GitHub API URL, e.g. https://HOST/api/v3 for GHES; default: GITHUB_API_URL or "
                    + GitHubContext.DEFAULT_API_URL + ".")
    public String apiUrl;

    /** A client for --repo / --api-url (resolved from the environment when not given). */
    public GitHubClient client(Map<String, String> env, Path workDir, PrintWriter verboseLog, GitHubClient.Policy policy,
            Sleeper sleeper) {
        return client(repo, apiUrl, env, workDir, verboseLog, policy, sleeper);
    }

    /** A client for another repository or API URL (e.g. a recorded hook's); null ones are resolved as usual. */
    public static GitHubClient client(String repo, String apiUrl, Map<String, String> env, Path workDir,
            PrintWriter verboseLog, GitHubClient.Policy policy, Sleeper sleeper) {
        return new GitHubClient(GitHubContext.resolve(repo, apiUrl, env, workDir), policy, sleeper, verboseLog);
    }
}
