package lib.github;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.util.BadInputException;
import lib.util.Processes;

/**
 * Where GitHub is, which repository we act on, and the token to use.
 * Resolved from flags, then the conventional environment, then {@code git} and {@code gh}.
 * A context made {@link #withoutRepo} serves endpoints outside any repository (an organisation's hooks).
 * The token never appears in {@link #toString()} or in any error message.
 */
public final class GitHubContext {
    public static final String DEFAULT_API_URL = "https://api.github.com";

    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Pattern VISIBLE_ASCII = Pattern.compile("[\\x21-\\x7e]+");
    // https://host/o/r(.git), ssh://git@host(:port)/o/r(.git), git@host:o/r(.git)
    private static final Pattern URL_REMOTE = Pattern.compile("^[a-z+]+://(?:[^@/]+@)?[^/]+/([^/]+)/([^/]+?)(?:\\.git)?/?$");
    private static final Pattern SCP_REMOTE = Pattern.compile("^(?:[^@/]+@)?[^:/]+:/?([^/]+)/([^/]+?)(?:\\.git)?/?$");

    private final String apiUrl;
    private final String owner;
    private final String name;
    private final String token;
    private final String tokenOrigin;

    /** A context for one repository; {@code repo} must be OWNER/NAME. */
    public GitHubContext(String apiUrl, String repo, String token, String tokenOrigin) {
        this(apiUrl, splitRepo(repo, "repository"), token, tokenOrigin);
    }

    private GitHubContext(String apiUrl, String[] ownerAndName, String token, String tokenOrigin) {
        this.apiUrl = normalizeApiUrl(apiUrl);
        this.owner = ownerAndName == null ? null : ownerAndName[0];
        this.name = ownerAndName == null ? null : ownerAndName[1];
        if (token == null || token.isBlank()) throw new BadInputException("no GitHub token given");
        this.token = token.strip();
        this.tokenOrigin = tokenOrigin;
        // An HTTP header takes visible ASCII only; said here, as bad input, rather than by the HTTP client later.
        if (!VISIBLE_ASCII.matcher(this.token).matches()) {
            throw new BadInputException("the GitHub token from " + tokenOrigin + " holds a line break, space or non-ASCII"
                    + " character, which no GitHub token has; set it again without (e.g. copy it anew)");
        }
    }

    /**
     * A context with no repository, for endpoints outside one (e.g. {@code /orgs/{org}/hooks}):
     * {@link #repo()} is null and {@link GitHubClient#repoPath} refuses.
     */
    public static GitHubContext withoutRepo(String apiUrl, String token, String tokenOrigin) {
        return new GitHubContext(apiUrl, (String[]) null, token, tokenOrigin);
    }

    /** As {@link #resolve}, but no repository is looked for: only the API URL and the token. */
    public static GitHubContext resolveWithoutRepo(String apiUrlFlag, Map<String, String> env) {
        String apiUrl = resolveApiUrl(apiUrlFlag, env);
        String[] token = resolveToken(apiUrl, env);
        return withoutRepo(apiUrl, token[0], token[1]);
    }

    /**
     * Resolves everything: {@code --api-url}/{@code GITHUB_API_URL}, {@code --repo}/{@code GITHUB_REPOSITORY}/
     * {@code GH_REPO}/the {@code origin} remote in {@code workDir}, and the token (see {@link #resolveToken}).
     */
    public static GitHubContext resolve(String repoFlag, String apiUrlFlag, Map<String, String> env, Path workDir) {
        String apiUrl = resolveApiUrl(apiUrlFlag, env);
        String repo = resolveRepo(repoFlag, env, workDir);
        String[] token = resolveToken(apiUrl, env);
        return new GitHubContext(apiUrl, repo, token[0], token[1]);
    }

    public static String resolveApiUrl(String flag, Map<String, String> env) {
        if (present(flag)) return normalizeApiUrl(flag);
        String fromEnv = env.get("GITHUB_API_URL");
        return present(fromEnv) ? normalizeApiUrl(fromEnv) : DEFAULT_API_URL;
    }

    /** OWNER/NAME from the flag, GITHUB_REPOSITORY, GH_REPO, or the git origin remote; exit 2 when none. */
    public static String resolveRepo(String flag, Map<String, String> env, Path workDir) {
        if (present(flag)) return validRepo(flag, "--repo");
        for (String var : new String[] {"GITHUB_REPOSITORY", "GH_REPO"}) {
            String value = env.get(var);
            if (present(value)) return validRepo(value, var);
        }
        String remote = workDir == null ? null : gitOriginUrl(workDir);
        if (remote != null) {
            String parsed = parseRemote(remote);
            if (parsed == null) {
                throw new BadInputException("cannot read OWNER/NAME from the git origin remote '" + remote
                        + "'; pass --repo OWNER/NAME");
            }
            return validRepo(parsed, "the git origin remote");
        }
        throw new BadInputException("no repository given: pass --repo OWNER/NAME, set GITHUB_REPOSITORY or GH_REPO,"
                + " or run inside a git checkout with an 'origin' remote");
    }

    /**
     * The token and where it came from: GH_TOKEN, GITHUB_TOKEN, for a non-github.com API also
     * GH_ENTERPRISE_TOKEN and GITHUB_ENTERPRISE_TOKEN, then {@code gh auth token} when gh is on the PATH.
     */
    public static String[] resolveToken(String apiUrl, Map<String, String> env) {
        return resolveToken(apiUrl, env, Processes.DEFAULT_TIMEOUT);
    }

    /** As {@link #resolveToken(String, Map)}, giving up on {@code gh auth token} after {@code ghTimeout}. */
    public static String[] resolveToken(String apiUrl, Map<String, String> env, Duration ghTimeout) {
        boolean enterprise = !isGitHubCom(apiUrl);
        String[] vars = enterprise
                ? new String[] {"GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"}
                : new String[] {"GH_TOKEN", "GITHUB_TOKEN"};
        for (String var : vars) {
            String value = env.get(var);
            if (present(value)) return new String[] {value.strip(), var};
        }
        String fromGh = ghAuthToken(apiUrl, env, ghTimeout);
        if (fromGh != null) return new String[] {fromGh, "gh auth token"};
        throw new BadInputException("no GitHub token: set GH_TOKEN or GITHUB_TOKEN"
                + (enterprise ? " (or GH_ENTERPRISE_TOKEN)" : "") + ", or log in with 'gh auth login'");
    }

    /** OWNER/NAME from an https, ssh:// or scp-style git remote URL; null when it has another shape. */
    public static String parseRemote(String url) {
        String u = url.strip();
        Matcher m = URL_REMOTE.matcher(u);
        if (!m.matches()) m = u.contains("://") ? null : SCP_REMOTE.matcher(u);
        if (m == null || !m.matches()) return null;
        String repo = m.group(1) + "/" + m.group(2);
        return isValidRepo(repo) ? repo : null;
    }

    /** A GitHub user or organisation name: letters, digits and hyphens, at most 39, not starting with a hyphen. */
    public static boolean isValidOwner(String owner) {
        return owner != null && OWNER.matcher(owner).matches();
    }

    public static boolean isValidRepo(String repo) {
        if (repo == null) return false;
        String[] parts = repo.split("/", -1);
        return parts.length == 2 && OWNER.matcher(parts[0]).matches() && NAME.matcher(parts[1]).matches()
                && !parts[1].equals(".") && !parts[1].equals("..");
    }

    public String apiUrl() {
        return apiUrl;
    }

    public String owner() {
        return owner;
    }

    public String name() {
        return name;
    }

    /** OWNER/NAME, or null for a context {@link #withoutRepo}. */
    public String repo() {
        return owner == null ? null : owner + "/" + name;
    }

    /** False for a context {@link #withoutRepo}. */
    public boolean hasRepo() {
        return owner != null;
    }

    /** Where the token came from (an environment variable name or "gh auth token"); safe to show. */
    public String tokenOrigin() {
        return tokenOrigin;
    }

    /** The token itself: only for the Authorization header. */
    String token() {
        return token;
    }

    @Override
    public String toString() {
        return "GitHubContext(api " + apiUrl + (hasRepo() ? ", repo " + repo() : ", no repo") + ", token from " + tokenOrigin + ")";
    }

    public static boolean isGitHubCom(String apiUrl) {
        String host = URI.create(apiUrl).getHost();
        return host != null && (host.equals("api.github.com") || host.equals("github.com") || host.endsWith(".ghe.com"));
    }

    /** The API URL as every client uses it (no trailing slash); a usage error when it is no http(s) URL. */
    public static String normalizeApiUrl(String url) {
        String u = url.strip();
        while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("the API URL '" + u + "' is not a valid URL");
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getQuery() != null || uri.getUserInfo() != null) {
            throw new BadInputException("the API URL must look like https://api.github.com or https://HOST/api/v3, not '"
                    + u + "'");
        }
        return u;
    }

    private static String validRepo(String value, String source) {
        String repo = value == null ? "" : value.strip();
        if (!isValidRepo(repo)) throw new BadInputException(source + " must be OWNER/NAME, not '" + repo + "'");
        return repo;
    }

    private static String[] splitRepo(String repo, String source) {
        return validRepo(repo, source).split("/");
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank();
    }

    private static String gitOriginUrl(Path workDir) {
        return Processes.run(List.of("git", "-C", workDir.toString(), "remote", "get-url", "origin"), null, null,
                Processes.DEFAULT_TIMEOUT).map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
    }

    private static String ghAuthToken(String apiUrl, Map<String, String> env, Duration timeout) {
        Path gh = findOnPath("gh", env.get("PATH"));
        if (gh == null) return null;
        return Processes.run(List.of(gh.toString(), "auth", "token", "--hostname", webHost(apiUrl)), null, env, timeout)
                .map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
    }

    /** The host gh and browsers know the API's GitHub by: github.com for api.github.com, else the API's own host. */
    public static String webHost(String apiUrl) {
        String host = URI.create(apiUrl).getHost();
        return isGitHubCom(apiUrl) && host.startsWith("api.") ? host.substring(4) : host;
    }

    private static Path findOnPath(String command, String path) {
        if (path == null) return null;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate;
        }
        return null;
    }
}
