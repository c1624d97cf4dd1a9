import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import lib.cli.ExitCode;
import lib.github.GitHubContext;
import lib.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitHubContextTest {
    @TempDir
    Path tmp;

    @Test
    void apiUrlComesFromFlagThenEnvironmentThenGitHubCom() {
        Map<String, String> env = Testing.env("GITHUB_API_URL", "https://ghe.example/api/v3/");
        assertEquals("https://flag.example", GitHubContext.resolveApiUrl("https://flag.example/", env));
        assertEquals("https://ghe.example/api/v3", GitHubContext.resolveApiUrl(null, env));
        assertEquals("https://api.github.com", GitHubContext.resolveApiUrl(null, Map.of()));
    }

    @Test
    void rejectsAnApiUrlThatIsNotHttp() {
        BadInputException e = assertThrows(BadInputException.class, () -> GitHubContext.resolveApiUrl("ftp://x", Map.of()));
        assertEquals(ExitCode.USAGE, ExitCode.of(e));
    }

    @Test
    void repoComesFromFlagThenGithubRepositoryThenGhRepo() throws Exception {
        Path git = gitRepo("https://github.com/remote-owner/remote-repo.git");
        Map<String, String> env = Testing.env("GITHUB_REPOSITORY", "env-owner/env-repo", "GH_REPO", "gh/repo");
        assertEquals("flag/repo", GitHubContext.resolveRepo("flag/repo", env, git));
        assertEquals("env-owner/env-repo", GitHubContext.resolveRepo(null, env, git));
        assertEquals("gh/repo", GitHubContext.resolveRepo(null, Testing.env("GH_REPO", "gh/repo"), git));
        assertEquals("remote-owner/remote-repo", GitHubContext.resolveRepo(null, Map.of(), git));
    }

    @Test
    void repoFromAnSshOriginRemote() throws Exception {
        assertEquals("o/r.dots", GitHubContext.resolveRepo(null, Map.of(), gitRepo("git@github.com:o/r.dots.git")));
    }

    @Test
    void parsesHttpsSshAndScpRemotes() {
        assertEquals("o/r", GitHubContext.parseRemote("https://github.com/o/r.git"));
        assertEquals("o/r", GitHubContext.parseRemote("https://github.com/o/r"));
        assertEquals("o/r", GitHubContext.parseRemote("git@github.com:o/r.git"));
        assertEquals("o/r", GitHubContext.parseRemote("ssh://git@host.example:2222/o/r"));
        assertEquals("o/r", GitHubContext.parseRemote("https://user@ghe.example/o/r.git/"));
        assertNull(GitHubContext.parseRemote("/local/path/repo"));
        assertNull(GitHubContext.parseRemote("https://ghe.example/group/sub/repo.git"));
    }

    @Test
    void noRepositoryAnywhereIsAUsageError() {
        BadInputException e = assertThrows(BadInputException.class, () -> GitHubContext.resolveRepo(null, Map.of(), tmp));
        assertEquals(ExitCode.USAGE, ExitCode.of(e));
        assertTrue(e.getMessage().contains("--repo OWNER/NAME"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void rejectsMalformedRepoNames() {
        for (String bad : new String[] {"noslash", "a/b/c", "-bad/repo", "o/..", "o/", "o/r p"}) {
            BadInputException e = assertThrows(BadInputException.class, () -> GitHubContext.resolveRepo(bad, Map.of(), tmp), bad);
            assertEquals(ExitCode.USAGE, ExitCode.of(e));
        }
    }

    @Test
    void tokenComesFromGhTokenThenGithubToken() {
        String api = "https://api.github.com";
        assertEquals("GH_TOKEN", GitHubContext.resolveToken(api, Testing.env("GH_TOKEN", "a", "GITHUB_TOKEN", "b"))[1]);
        assertEquals("b", GitHubContext.resolveToken(api, Testing.env("GITHUB_TOKEN", "b"))[0]);
    }

    @Test
    void enterpriseTokensCountOnlyForAnotherHost() {
        Map<String, String> env = Testing.env("GH_ENTERPRISE_TOKEN", "e");
        assertEquals("GH_ENTERPRISE_TOKEN", GitHubContext.resolveToken("https://ghe.example/api/v3", env)[1]);
        assertThrows(BadInputException.class, () -> GitHubContext.resolveToken("https://api.github.com", env));
        assertEquals("GITHUB_ENTERPRISE_TOKEN", GitHubContext.resolveToken("https://ghe.example/api/v3",
                Testing.env("GITHUB_ENTERPRISE_TOKEN", "e"))[1]);
    }

    @Test
    void tokenFromGhAuthTokenWhenGhIsOnThePath() throws Exception {
        Path bin = fakeGh("bin", "[ \"$1 $2\" = \"auth token\" ] && echo gh-secret-token");
        String[] token = GitHubContext.resolveToken("https://api.github.com", Testing.env("PATH", bin.toString()));
        assertEquals("gh-secret-token", token[0]);
        assertEquals("gh auth token", token[1]);
    }

    @Test
    void missingTokenIsAUsageErrorNamingTheVariables() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> GitHubContext.resolve("o/r", null, Testing.env("PATH", tmp.toString()), tmp));
        assertEquals(ExitCode.USAGE, ExitCode.of(e));
        assertTrue(e.getMessage().contains("GH_TOKEN"), e.getMessage());
    }

    @Test
    void aTokenThatCannotBeSentIsAUsageErrorNamingWhereItCameFromButNotTheToken() {
        Map<String, String[]> cases = Map.of(
                "GH_TOKEN", new String[] {"GH_TOKEN", "sim-tok\nen-part"},
                "GITHUB_TOKEN", new String[] {"GITHUB_TOKEN", "sim-tök-en-part"},
                "GH_ENTERPRISE_TOKEN", new String[] {"GH_ENTERPRISE_TOKEN", "Bearer sim-token-part"});
        cases.forEach((origin, variable) -> {
            BadInputException e = assertThrows(BadInputException.class, () -> GitHubContext.resolve("o/r",
                    "https://ghe.example/api/v3", Testing.env(variable[0], variable[1], "PATH", tmp.toString()), tmp));
            assertEquals(ExitCode.USAGE, ExitCode.of(e));
            assertTrue(e.getMessage().contains("the GitHub token from " + origin), e.getMessage());
            assertFalse(e.getMessage().contains("sim-") || e.getMessage().contains("-part"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        });
        // blanks around the token are no part of it
        assertEquals("GH_TOKEN", GitHubContext.resolve("o/r", null, Testing.env("GH_TOKEN", " ghp_abc\n"), tmp).tokenOrigin());
    }

    @Test
    void toStringNamesTheTokenSourceButNeverTheToken() {
        GitHubContext ctx = GitHubContext.resolve("o/r", null, Testing.env("GH_TOKEN", "ghp_supersecret123"), tmp);
        assertFalse(ctx.toString().contains("ghp_supersecret123"));
        assertTrue(ctx.toString().contains("GH_TOKEN"));
        assertEquals("o", ctx.owner());
        assertEquals("r", ctx.name());
    }

    @Test
    void aContextWithoutARepositoryNeedsNoneButARepositoryIsStillValidated() {
        // no GITHUB_REPOSITORY and no git checkout: an organisation's endpoints need no repository
        GitHubContext org = GitHubContext.resolveWithoutRepo(null, Testing.env("GH_TOKEN", "t", "PATH", tmp.toString()));
        assertFalse(org.hasRepo());
        assertNull(org.repo());
        assertEquals("https://api.github.com", org.apiUrl());
        assertFalse(org.toString().contains("null"), org.toString());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new lib.github.GitHubClient(org).repoPath("/hooks"));
        assertTrue(e.getMessage().contains("no repository"), e.getMessage());

        assertThrows(BadInputException.class, () -> new GitHubContext("https://api.github.com", "not-a-repo", "t", "test"));
        assertThrows(BadInputException.class, () -> new GitHubContext("https://api.github.com", null, "t", "test"));
        assertTrue(new GitHubContext("https://api.github.com", "o/r", "t", "test").hasRepo());
        assertTrue(GitHubContext.isValidOwner("octo-org"));
        assertFalse(GitHubContext.isValidOwner("-octo"));
        assertFalse(GitHubContext.isValidOwner("octo/org"));
        assertFalse(GitHubContext.isValidOwner("../x"));
    }

    private Path gitRepo(String originUrl) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(tmp, "checkout");
        run(dir, "git", "init", "-q");
        run(dir, "git", "remote", "add", "origin", originUrl);
        Path sub = Files.createDirectories(dir.resolve("sub/dir"));
        return sub; // resolution must work from anywhere inside the checkout
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    @Test
    void aHangingGhIsGivenUpOnAfterTheTimeout() throws Exception {
        Path bin = fakeGh("slow-bin", "sleep 5\necho too-late-token");
        long start = System.nanoTime();
        BadInputException e = assertThrows(BadInputException.class, () -> GitHubContext.resolveToken("https://api.github.com",
                Testing.env("PATH", bin + ":/usr/bin:/bin"), java.time.Duration.ofMillis(300)));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(ExitCode.USAGE, ExitCode.of(e));
        assertTrue(millis < 3000, "gave up after " + millis + " ms");
    }

    /** A folder holding an executable {@code gh} that runs {@code script}: put it on the PATH. */
    private Path fakeGh(String folder, String script) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve(folder));
        Path gh = bin.resolve("gh");
        Files.writeString(gh, "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(gh, PosixFilePermissions.fromString("rwx------"));
        return bin;
    }
}
