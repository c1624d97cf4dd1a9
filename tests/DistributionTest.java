import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import lib.util.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * JBang-native distribution: the catalog's aliases, {@code jbang app install} into a temporary
 * JBang home, the scripts run directly through their first line, and the launcher from elsewhere
 * and through a symlink. A temporary JBang home never touches the user's shell start-up files:
 * its bin/ is on PATH (so JBang sees nothing to set up) and user.home points into the temp folder.
 *
 * Each test runs JBang several times as subprocesses, each bounded by {@link #run}'s own 120 s. In a
 * fresh clone or source archive the first runs also build the scripts and the launcher's fast-path
 * archives, so a test as a whole may need more than the suite's default 120 s on a busy machine.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
@Order(3) // one of the slowest classes: started first (see run-tests.java)
class DistributionTest {
    static Path root;
    static String cleanPath;   // PATH without any other jbang, so our launcher is the one found

    @TempDir Path tmp;

    @BeforeAll
    static void setUp() throws Exception {
        root = SandboxFlow.repoRoot();
        SandboxFlow.ensureBuilt(root);
        cleanPath = Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
                .filter(d -> !d.isEmpty() && !Files.isExecutable(Path.of(d, "jbang")))
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** Removes symlinks first, which spares JUnit's cleanup a warning per link. */
    @AfterEach
    void cleanUp() throws IOException {
        try (Stream<Path> files = Files.walk(tmp)) {
            for (Path f : (Iterable<Path>) files::iterator) if (Files.isSymbolicLink(f)) Files.delete(f);
        }
    }

    /** A folder holding only a symlink named jbang to our launcher, first on PATH. */
    private Path jbangOnPath() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("path-bin"));
        Path link = dir.resolve("jbang");
        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, root.resolve("jbang"));
        return dir;
    }

    private static ProcessResult run(Path dir, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("PATH", cleanPath);
        pb.environment().put("JBANG_LAUNCHER_FASTPATH", "0"); // leave the fast path's records to the other tests
        pb.environment().putAll(env);
        return ProcessResult.run(pb, null, Duration.ofSeconds(120));
    }

    /**
     * The keys JBang reads in a catalog alias (as {@code jbang alias add} writes them). JBang ignores any
     * other key without a word, so a misspelt one (say {@code java-version} for {@code java}) would
     * silently drop the setting.
     */
    static final Set<String> ALIAS_KEYS = Set.of("script-ref", "description", "arguments", "runtime-options",
            "java-options", "sources", "files", "dependencies", "repositories", "classpaths", "properties", "java",
            "main", "module", "compile-options", "native-image", "native-options", "jfr", "debug", "cds",
            "interactive", "enable-preview", "enable-assertions", "enable-system-assertions", "manifest-options",
            "java-agents", "docs");

    @Test
    void theCatalogHasOneDescribedAliasPerScript() throws Exception {
        JsonNode aliases = Json.read(root.resolve("jbang-catalog.json")).path("aliases");
        Set<String> names = new TreeSet<>();
        aliases.fieldNames().forEachRemaining(names::add);
        assertEquals(new TreeSet<>(SandboxFlow.SCRIPTS.stream().map(s -> s.replace(".java", "")).toList()), names);
        aliases.properties().forEach(e -> {
            JsonNode a = e.getValue();
            Set<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            keys.removeAll(ALIAS_KEYS);
            assertEquals(Set.of(), keys, e.getKey() + ": keys JBang does not read (and ignores without a warning)");
            assertEquals(e.getKey() + ".java", Json.text(a, "script-ref"), "a path relative to the catalog");
            assertEquals("17+", Json.text(a, "java"), e.getKey() + ": JBang's alias key for the Java version is 'java'");
            assertTrue(Json.text(a, "description").length() > 20, e.getKey());
        });
    }

    @Test
    void eachAliasRunsFromTheCatalogOfThisCheckout() throws Exception {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        for (String script : SandboxFlow.SCRIPTS) {
            String name = script.replace(".java", "");
            ProcessResult r = run(elsewhere, Map.of(), root.resolve("jbang").toString(), name + "@" + root, "--version");
            assertEquals(0, r.code(), r.err());
            assertEquals(name + " 1.0.0", r.out().strip());
        }
        // the catalog file itself works too
        ProcessResult byFile = run(elsewhere, Map.of(), root.resolve("jbang").toString(),
                "wait-for-webhook@" + root.resolve("jbang-catalog.json"), "--version");
        assertEquals(0, byFile.code(), byFile.err());
        assertEquals("wait-for-webhook 1.0.0", byFile.out().strip());
    }

    @Test
    void appInstallPutsAWorkingCommandIntoTheJbangHome() throws Exception {
        Path jbangDir = tmp.resolve("jbang-home");
        Path home = Files.createDirectories(tmp.resolve("user-home"));
        Path bin = jbangDir.resolve("bin");
        Map<String, String> env = new HashMap<>();
        env.put("JBANG_DIR", jbangDir.toString());
        // built jars are shared with the user's cache (no rebuild); dependencies come from the local repository
        env.put("JBANG_CACHE_DIR", Path.of(System.getProperty("user.home"), ".jbang", "cache").toString());
        env.put("JBANG_REPO", Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        env.put("JAVA_TOOL_OPTIONS", "-Duser.home=" + home);
        env.put("PATH", bin + File.pathSeparator + jbangOnPath() + File.pathSeparator + cleanPath);
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));

        List<String> installed = new ArrayList<>();
        for (String script : SandboxFlow.SCRIPTS) {
            String alias = script.replace(".java", "");
            String command = "awt-" + alias;
            ProcessResult r = run(elsewhere, env, root.resolve("jbang").toString(), "app", "install", "--name", command, alias + "@" + root);
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(Files.isExecutable(bin.resolve(command)), "installed: " + bin.resolve(command));
            installed.add(command);
        }
        for (String command : installed) {
            // the installed file calls 'jbang' from PATH: our launcher, through the symlink
            ProcessResult r = run(elsewhere, env, bin.resolve(command).toString(), "--version");
            assertEquals(0, r.code(), r.err());
            assertEquals(command.substring("awt-".length()) + " 1.0.0", r.out().strip());
        }
        // nothing was set up in any shell start-up file
        try (Stream<Path> files = Files.list(home)) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString()).toList());
        }
    }

    @Test
    void anInstallFromTheScriptPathBuildsInAFreshJbangHome() throws Exception {
        Path jbangDir = tmp.resolve("fresh-jbang-home");
        Path home = Files.createDirectories(tmp.resolve("user-home"));
        Path bin = jbangDir.resolve("bin");
        Map<String, String> env = new HashMap<>();
        env.put("JBANG_DIR", jbangDir.toString()); // its own, empty cache: JBang builds the script there
        env.put("JBANG_REPO", Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        env.put("JAVA_TOOL_OPTIONS", "-Duser.home=" + home);
        env.put("PATH", bin + File.pathSeparator + jbangOnPath() + File.pathSeparator + cleanPath);
        ProcessResult install = run(tmp, env, root.resolve("jbang").toString(), "app", "install", "--name", "pww",
                root.resolve("process-workflow-webhook.java").toString());
        assertEquals(0, install.code(), install.out() + install.err());
        assertTrue(Files.readString(bin.resolve("pww")).contains(root.resolve("process-workflow-webhook.java").toString()));
        ProcessResult r = run(tmp, env, bin.resolve("pww").toString(), "--version");
        assertEquals(0, r.code(), r.err());
        assertEquals("process-workflow-webhook 1.0.0", r.out().strip());
    }

    @Test
    void scriptsRunDirectlyWhenJbangIsOnPath() throws Exception {
        Map<String, String> env = Map.of("PATH", jbangOnPath() + File.pathSeparator + cleanPath, "JBANG_LAUNCHER_FASTPATH", "1");
        for (String script : SandboxFlow.SCRIPTS) {
            Path file = root.resolve(script);
            assertTrue(Files.isExecutable(file), script + " must be executable");
            assertTrue(Files.readString(file).startsWith("///usr/bin/env jbang \"$0\" \"$@\" ; exit $?\n"), script);
            ProcessResult r = run(root, env, "./" + script, "--version");
            assertEquals(0, r.code(), r.err());
            assertEquals(script.replace(".java", "") + " 1.0.0", r.out().strip());
        }
        ProcessResult fromElsewhere = run(tmp, env, root.resolve("trigger-and-track.java").toString(), "--version");
        assertEquals(0, fromElsewhere.code(), fromElsewhere.err());
        assertEquals("trigger-and-track 1.0.0", fromElsewhere.out().strip());
    }

    /**
     * The modes as committed, not only as on this disk. In a checkout git's index says (a local chmod
     * would hide a file committed as 100644); in a source archive ({@code git archive}, no .git) the
     * files carry the committed modes, so the disk says, and the test still runs there.
     */
    @Test
    void theExecutableBitIsCommittedForTheScriptsAndTheLauncher() throws Exception {
        List<String> files = new ArrayList<>(List.of("jbang", "tests/sandbox.java"));
        files.addAll(SandboxFlow.SCRIPTS);
        if (isGitCheckout(root)) {
            List<String> command = new ArrayList<>(List.of("git", "ls-files", "-s", "--"));
            command.addAll(files);
            ProcessResult r = run(root, Map.of(), command.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            List<String> modes = r.out().lines().map(l -> l.split("\\s+")[0] + " " + l.substring(l.indexOf('\t') + 1)).toList();
            assertEquals(files.size(), modes.size(), r.out());
            for (String m : modes) assertTrue(m.startsWith("100755 "), m);
        } else {
            for (String f : files) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(root.resolve(f));
                assertTrue(perms.containsAll(Set.of(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_EXECUTE)), f + " is " + PosixFilePermissions.toString(perms));
            }
        }
    }

    /** Whether {@code dir} is the top of a git work tree (and git is here to ask), not a folder unpacked from an archive. */
    static boolean isGitCheckout(Path dir) throws Exception {
        ProcessResult top;
        try {
            top = run(dir, Map.of(), "git", "rev-parse", "--show-toplevel");
        } catch (IOException noGit) {
            return false;
        }
        return top.code() == 0 && Path.of(top.out().strip()).toRealPath().equals(dir.toRealPath());
    }

    @Test
    void theLauncherWorksFromAnotherFolderAndThroughASymlink() throws Exception {
        Path link = jbangOnPath().resolve("jbang");
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Map<String, String> env = Map.of("JBANG_LAUNCHER_FASTPATH", "1"); // the fast path resolves the script's real path
        ProcessResult viaLink = run(elsewhere, env, link.toString(), root.resolve("wait-for-webhook.java").toString(), "--version");
        assertEquals(0, viaLink.code(), viaLink.err());
        assertEquals("wait-for-webhook 1.0.0", viaLink.out().strip());
        // From another folder, with '..' in the script's path (the launcher folds it: the top folder's record).
        ProcessResult relative = run(root.resolve("tests"), env, "../jbang", "../process-workflow-webhook.java", "--version");
        assertEquals(0, relative.code(), relative.err());
        assertEquals("process-workflow-webhook 1.0.0", relative.out().strip());
        ProcessResult jbangItself = run(elsewhere, Map.of(), link.toString(), "version");
        assertEquals(0, jbangItself.code(), jbangItself.err());
        assertFalse(jbangItself.out().isBlank());
    }
}
