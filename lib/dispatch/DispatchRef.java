package lib.dispatch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.util.Json;
import lib.util.Processes;
import lib.util.TrackerException;

/**
 * Which ref to dispatch on: {@code --ref}; else the current branch when the working directory is a
 * checkout of the target repository (its {@code origin} remote names it); else the repository's
 * default branch ({@code GET /repos/{o}/{r}}).
 */
public final class DispatchRef {
    /** The ref and where it came from ("--ref", "the current git branch", "the default branch"). */
    public record Choice(String ref, String origin) {
        public boolean fromGit() {
            return origin.equals(GIT);
        }
    }

    static final String FLAG = "--ref";
    static final String GIT = "the current git branch";
    static final String DEFAULT = "the repository's default branch";

    private DispatchRef() {}

    public static Choice resolve(String flag, GitHubClient client, Path workDir) {
        if (flag != null && !flag.isBlank()) return new Choice(flag.strip(), FLAG);
        String branch = workDir == null ? null : currentBranch(workDir, client.context().repo());
        if (branch != null) return new Choice(branch, GIT);
        String defaultBranch = Json.text(client.get(client.repoPath("")), "default_branch");
        if (defaultBranch == null || defaultBranch.isBlank()) {
            throw new TrackerException("the repository " + client.context().repo()
                    + " has no default branch (is it empty?); pass --ref");
        }
        return new Choice(defaultBranch, DEFAULT);
    }

    /** The branch name for the runs list's {@code branch} filter: {@code refs/heads/x} and {@code refs/tags/x} become x. */
    public static String branchFilter(String ref) {
        if (ref.startsWith("refs/heads/")) return ref.substring("refs/heads/".length());
        if (ref.startsWith("refs/tags/")) return ref.substring("refs/tags/".length());
        return ref;
    }

    /** The checked-out branch of {@code workDir} when its origin remote is {@code repo}; null otherwise (or detached). */
    static String currentBranch(Path workDir, String repo) {
        String origin = git(workDir, "remote", "get-url", "origin");
        if (origin == null) return null;
        String parsed = GitHubContext.parseRemote(origin);
        if (parsed == null || !parsed.equalsIgnoreCase(repo)) return null;
        return git(workDir, "symbolic-ref", "--quiet", "--short", "HEAD");
    }

    /** Stdout of one git command (stripped), or null when it fails, prints nothing, or takes too long. */
    private static String git(Path workDir, String... args) {
        List<String> command = new ArrayList<>(List.of("git", "-C", workDir.toString()));
        command.addAll(List.of(args));
        return Processes.run(command, null, null, Processes.DEFAULT_TIMEOUT)
                .map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
    }
}
