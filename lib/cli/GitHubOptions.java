package lib.cli;

//DEPS info.picocli:picocli:4.7.7

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import picocli.CommandLine.Option;

/**
 * picocli mixin for commands that talk to GitHub: {@code --repo}, {@code --api-url}, {@code --verbose}.
 * The token is deliberately not an option: it comes from the environment or {@code gh}.
 * A command mixing this in must not also mix in {@link Cli.VerboseOption}.
 */
public final class GitHubOptions {
    @Option(names = "--repo", paramLabel = "OWNER/NAME",
            description = "Repository; default: GITHUB_REPOSITORY, GH_REPO, or the git 'origin' remote.")
    public String repo;

    @Option(names = "--api-url", paramLabel = "URL",
            description = "GitHub API URL, e.g. https://HOST/api/v3 for GHES; default: GITHUB_API_URL or "
                    + GitHubContext.DEFAULT_API_URL + ".")
    public String apiUrl;

    @Option(names = "--verbose", description = "Log each GitHub request to stderr and show stack traces.")
    public boolean verbose;

    /** A client with the default policy, logging requests to {@code err} when {@code --verbose} is given. */
    public GitHubClient client(Map<String, String> env, Path workDir, PrintWriter err) {
        return client(env, workDir, err, GitHubClient.Policy.defaults(), GitHubClient.Sleeper.REAL);
    }

    public GitHubClient client(Map<String, String> env, Path workDir, PrintWriter err,
            GitHubClient.Policy policy, GitHubClient.Sleeper sleeper) {
        return client(repo, apiUrl, env, workDir, err, policy, sleeper);
    }

    /** As above for another repository or API URL (e.g. a recorded hook's); null ones are resolved as usual. */
    public GitHubClient client(String repo, String apiUrl, Map<String, String> env, Path workDir, PrintWriter err,
            GitHubClient.Policy policy, GitHubClient.Sleeper sleeper) {
        return new GitHubClient(GitHubContext.resolve(repo, apiUrl, env, workDir), policy, sleeper, verbose ? err : null);
    }
}
