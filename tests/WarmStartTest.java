import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The launcher's warm start (JBANG_LAUNCHER_WARM=1): a run leaves a JVM that did the script's work once, and the next
 * run of the same script from the same place is handed to it. Real ./jbang runs, real FIFOs and /proc; the script
 * prints whether its warm-up ran in its JVM, so each run shows whether it was warm.
 */
@Execution(ExecutionMode.CONCURRENT) // each test has its own cache and project
class WarmStartTest {
    static Path root;
    static Path launcher;

    @TempDir Path tmp;
    Path cache;
    Path project;
    Path data;   // what runs write and read: a change in the project's folder would make the next run build again
    Map<String, String> env;

    static final String SCRIPT = """
            ///usr/bin/env jbang "$0" "$@" ; exit $?
            //SOURCES lib/warm/*.java
            //MAIN warm
            import java.nio.file.*;
            import java.util.*;

            class warm {
                static int warmUps;

                static void warmUp(Path scratch) throws Exception {
                    Files.writeString(scratch.resolve("work"), "done");
                    System.out.println("the warm-up's output goes nowhere");
                    warmUps++;
                }

                public static void main(String[] args) throws Exception {
                    System.out.println("warm=" + warmUps);
                    List<String> rest = new ArrayList<>(Arrays.asList(args));
                    String mode = rest.isEmpty() ? "" : rest.remove(0);
                    switch (mode) {
                        case "show" -> {
                            for (String a : rest) System.out.println("[" + a + "]");
                            new TreeMap<>(System.getenv()).forEach((k, v) -> System.out.println("env " + k + "=" + v));
                            System.out.println("folder " + Path.of("").toAbsolutePath());
                            System.out.println("stdin " + new String(System.in.readAllBytes()));
                            System.err.println("to stderr");
                            System.exit(7);
                        }
                        case "write" -> Files.writeString(Path.of(rest.get(0)), "written");
                        case "sleep" -> { System.out.println("sleeping"); Thread.sleep(60_000); }
                        default -> {}
                    }
                }
            }
            """;

    @BeforeAll
    static void findRoot() {
        root = Path.of("").toAbsolutePath();
        while (!(Files.isRegularFile(root.resolve("jbang")) && Files.isDirectory(root.resolve("lib/warm")))) {
            root = root.getParent();
            if (root == null) fail("no folder with jbang and lib/warm above " + Path.of("").toAbsolutePath());
        }
        launcher = root.resolve("jbang");
    }

    /** A project with the warm script and lib/warm, its own launcher cache (the jar from the default one), warm starts on. */
    void project(String script) throws IOException {
        project = Files.createDirectories(tmp.resolve("project"));
        Files.createDirectories(project.resolve("lib/warm"));
        try (Stream<Path> files = Files.list(root.resolve("lib/warm"))) {
            for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, project.resolve("lib/warm").resolve(f.getFileName()));
        }
        // JBang builds one content into one folder for every cache, and two builds of it at once collide: one per test
        Files.writeString(project.resolve("warm.java"), script + "// " + tmp + "\n");
        data = Files.createDirectories(tmp.resolve("data"));
        cache = Files.createDirectories(tmp.resolve("cache"));
        Path defaultCache = LauncherCache.dir(System.getenv());
        try (Stream<Path> files = Files.list(defaultCache)) {
            for (Path jar : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".jar"))::iterator) {
                Files.copy(jar, cache.resolve(jar.getFileName()));
            }
        }
        env = new HashMap<>(Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_WARM", "1",
                "JBANG_LAUNCHER_WARM_IDLE", "60", "JBANG_LAUNCHER_CDS", "0", "JBANG_LAUNCHER_DEBUG", "1", "WARM_TEST", tmp.toString()));
    }

    /** Builds the script (a JBang run), then a cold hit that leaves a warm JVM; waits until it is ready. */
    void warmedUp() throws Exception {
        ProcessResult built = jbang(project, null, "warm.java");
        assertEquals(0, built.code(), built.err());
        assertTrue(LauncherCache.awaitBackground(cache, Duration.ofSeconds(100)));
        ProcessResult cold = jbang(project, null, "warm.java");
        assertEquals("warm=0\n", cold.out(), cold.err());
        awaitReady();
    }

    /** The ready warm JVM's folder, once there is one. */
    Path awaitReady() throws Exception {
        return awaitReady("-warm.");
    }

    /** The ready warm JVM's folder for a script whose cache entries' names hold {@code name}, once there is one. */
    Path awaitReady(String name) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            Optional<Path> ready = warmFolders().stream().filter(d -> d.getFileName().toString().contains(name))
                    .filter(d -> Files.exists(d.resolve("ready")) && !Files.exists(d.resolve("claim")) && alive(d)).findFirst();
            if (ready.isPresent()) return ready.get();
            Thread.sleep(50);
        }
        throw new AssertionError("no warm JVM got ready; folder: " + listing());
    }

    /** Whether the folder's JVM runs (a folder whose JVM and starter were killed stays until a launcher cleans up). */
    static boolean alive(Path warmFolder) {
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(warmFolder.resolve("pid")).strip())).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    List<Path> warmFolders() throws IOException {
        Path fastpath = cache.resolve("fastpath");
        if (!Files.isDirectory(fastpath)) return List.of();
        try (Stream<Path> files = Files.list(fastpath)) {
            return files.filter(f -> f.getFileName().toString().contains(".warm.") && Files.isDirectory(f)).toList();
        }
    }

    String listing() throws IOException {
        try (Stream<Path> files = Files.list(cache.resolve("fastpath"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList().toString();
        }
    }

    /**
     * Warm JVMs outlive their runs, and a run's last act starts the next one: each test ends every process its runs
     * left (they all carry the test's marker in their environment) before JUnit deletes the folders.
     */
    @AfterEach
    void endWarmJvms() throws Exception {
        if (env == null) return;
        byte[] marker = ("WARM_TEST=" + tmp + "\0").getBytes(StandardCharsets.UTF_8);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int quiet = 0;
        while (quiet < 3 && System.nanoTime() < end) {
            List<ProcessHandle> left = ProcessHandle.allProcesses().filter(p -> carries(p.pid(), marker)).toList();
            left.forEach(ProcessHandle::destroyForcibly);
            quiet = left.isEmpty() ? quiet + 1 : 0;
            Thread.sleep(100);
        }
    }

    static boolean carries(long pid, byte[] marker) {
        try {
            byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
            outer:
            for (int i = 0; i + marker.length <= environ.length; i++) {
                for (int k = 0; k < marker.length; k++) if (environ[i + k] != marker[k]) continue outer;
                return true;
            }
            return false;
        } catch (IOException | SecurityException gone) {
            return false;
        }
    }

    @Test
    void aRunAfterARunIsWarmAndSeesWhatAColdRunSees() throws Exception {
        project(SCRIPT);
        warmedUp();
        Path folder = awaitReady();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)), "only the user's");
        for (String fifo : List.of("request", "reply", "status", "out", "err")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.resolve(fifo))), fifo);
        }
        String[] args = {"warm.java", "show", "", "hello world", "it's \"quoted\"", "$HOME `x` $(y)", "back\\slash", "*", "é ü 日本", "  "};
        ProcessResult warm = jbang(project, "from stdin\n", args);
        assertTrue(warm.err().contains("warm start"), warm.err());
        assertTrue(warm.out().startsWith("warm=1\n"), warm.out());
        Path next = awaitReady();
        assertNotEquals(folder, next, "each warm JVM serves one run");

        env.put("JBANG_LAUNCHER_WARM", "0");   // the same run, cold: in the same environment but this setting
        ProcessResult cold = jbang(project, "from stdin\n", args);
        env.put("JBANG_LAUNCHER_WARM", "1");
        assertTrue(cold.out().startsWith("warm=0\n"), cold.out());
        assertEquals(7, cold.code());
        assertEquals(cold.code(), warm.code());
        assertEquals(cold.out().substring(7).replace("JBANG_LAUNCHER_WARM=0", "JBANG_LAUNCHER_WARM=1"), warm.out().substring(7));
        assertTrue(warm.out().contains("\n[]\n[hello world]\n[it's \"quoted\"]\n[$HOME `x` $(y)]\n[back\\slash]\n[*]\n[é ü 日本]\n[  ]\n"),
                warm.out());
        assertTrue(warm.out().contains("\nfolder " + project + "\nstdin from stdin\n"), warm.out());
        assertTrue(warm.err().contains("to stderr"), warm.err());
        assertFalse(warm.out().contains("the warm-up's output"), warm.out());

        // A relative path is the run's folder's; the warm-up's scratch folder is gone.
        ProcessResult wrote = jbang(project, null, "warm.java", "write", "../data/out.txt");
        assertEquals("warm=1\n", wrote.out(), wrote.err());
        assertEquals("written", Files.readString(data.resolve("out.txt")));
        assertFalse(Files.exists(folder), "a served JVM's folder is removed");
    }

    @Test
    void aRunWithAnotherEnvironmentFolderOrUmaskIsCold() throws Exception {
        project(SCRIPT);
        warmedUp();
        env.put("SOME_SETTING", "x");
        ProcessResult otherEnv = jbang(project, null, "warm.java", "write", data.resolve("a.txt").toString());
        assertEquals("warm=0\n", otherEnv.out(), otherEnv.err());
        assertTrue(otherEnv.err().contains("warm JVM not used: no: another environment"), otherEnv.err());
        assertEquals("written", Files.readString(data.resolve("a.txt")));
        awaitReady();   // the cold run left one for its own environment
        ProcessResult same = jbang(project, null, "warm.java", "write", data.resolve("b.txt").toString());
        assertEquals("warm=1\n", same.out(), same.err());
        awaitReady();

        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        ProcessResult otherFolder = jbang(elsewhere, null, project.resolve("warm.java").toString(), "write", data.resolve("c.txt").toString());
        assertEquals("warm=0\n", otherFolder.out(), otherFolder.err());
        assertTrue(otherFolder.err().contains("no: another working folder"), otherFolder.err());
        assertEquals("written", Files.readString(data.resolve("c.txt")));

        awaitReady();   // the run from there left one for there
        ProcessResult otherUmask = run(elsewhere, null, "bash", "-c", "umask 0027 && exec \"$0\" \"$1\" write \"$2\"", launcher.toString(),
                project.resolve("warm.java").toString(), data.resolve("d.txt").toString());
        assertEquals("warm=0\n", otherUmask.out(), otherUmask.err());
        assertTrue(otherUmask.err().contains("no: another umask"), otherUmask.err());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("d.txt"))));
    }

    /** A run that reads no input leaves it to its caller; a file's is read from where the caller stands. */
    @Test
    void standardInputIsTheCallersAndOnlyReadWhenTheScriptReadsIt() throws Exception {
        project(SCRIPT);
        warmedUp();
        ProcessResult unread = run(project, "first\nsecond\n", "bash", "-c", "\"$0\" warm.java && read -r line && echo \"caller read $line\"",
                launcher.toString());
        assertEquals("warm=1\ncaller read first\n", unread.out(), unread.err());
        awaitReady();

        Path input = Files.writeString(data.resolve("input.txt"), "line one\nthe rest\n");
        ProcessResult fromFile = run(project, null, "bash", "-c", "{ read -r line; \"$0\" warm.java show; } < \"$1\"", launcher.toString(),
                input.toString());
        assertTrue(fromFile.out().startsWith("warm=1\n"), fromFile.err());
        assertTrue(fromFile.out().contains("\nstdin the rest\n"), fromFile.out());
    }

    /** The JVM a run leaves holds none of the caller's descriptors: a caller reading the run's output to its end is not kept waiting. */
    @Test
    void aCallerReadingToTheEndIsNotKeptWaitingByTheJvmARunLeaves() throws Exception {
        project(SCRIPT);
        warmedUp();
        for (String run : List.of("\"$0\" warm.java", "exec 5>&1 && \"$0\" warm.java")) {   // a descriptor beyond 0-2 too
            Process p = builder(project, "bash", "-c", run, launcher.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            var all = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertEquals("warm=1\n", all.get(20, TimeUnit.SECONDS), run);   // the JVM it leaves waits 60 s
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            awaitReady();
        }
    }

    @Test
    void aSignalToTheRunEndsTheWarmJvm() throws Exception {
        project(SCRIPT);
        warmedUp();
        Path folder = awaitReady();
        long jvm = Long.parseLong(Files.readString(folder.resolve("pid")).strip());
        Process run = builder(project, launcher.toString(), "warm.java", "sleep").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String first = new String(run.getInputStream().readNBytes("warm=1\nsleeping\n".length()), StandardCharsets.UTF_8);
        assertEquals("warm=1\nsleeping\n", first);
        run.destroy();   // TERM to the launcher, which passes it on
        assertTrue(run.waitFor(20, TimeUnit.SECONDS), "the run ended");
        assertEquals(143, run.exitValue());
        Optional<ProcessHandle> handle = ProcessHandle.of(jvm);
        if (handle.isPresent()) assertTrue(handle.get().onExit().orTimeout(20, TimeUnit.SECONDS).join() != null);
    }

    @Test
    void aScriptWithoutAWarmUpIsNeverWarmAndSaysWhy() throws Exception {
        project(SCRIPT.replace("static void warmUp(Path scratch)", "static void noWarmUp(Path scratch)"));
        ProcessResult built = jbang(project, null, "warm.java");
        assertEquals(0, built.code(), built.err());
        assertTrue(LauncherCache.awaitBackground(cache, Duration.ofSeconds(100)));
        for (int i = 0; i < 3; i++) {
            ProcessResult r = jbang(project, null, "warm.java");
            assertEquals("warm=0\n", r.out(), r.err());
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (noWarm().isEmpty() && System.nanoTime() < end) Thread.sleep(50);
            assertTrue(noWarm().isPresent(), "the build is marked: " + listing());
        }
        String why = Files.readString(noWarm().get());   // the JVM's output (JAVA_TOOL_OPTIONS's note, if set, first)
        assertTrue(why.endsWith("no warm start: warm has no static warmUp(java.nio.file.Path) and main(String[])\n"), why);
        assertEquals(List.of(), warmFolders());
    }

    /** A JVM for a caller whose environment changes every run would only cost: after three declined in a row, none. */
    @Test
    void aCallerWhoseEnvironmentChangesEveryRunGetsNoMoreWarmJvms() throws Exception {
        project(SCRIPT);
        warmedUp();
        for (int i = 1; i <= 3; i++) {
            awaitReady();
            env.put("DELIVERY", Integer.toString(i));
            ProcessResult r = jbang(project, null, "warm.java");
            assertEquals("warm=0\n", r.out(), r.err());
            assertTrue(r.err().contains("no: another environment"), r.err());
        }
        String files = listing();
        Path noWarm = noWarm().orElseThrow(() -> new AssertionError("no .nowarm: " + files));
        assertTrue(Files.readString(noWarm).contains("three runs in a row were declined"), Files.readString(noWarm));
        Thread.sleep(1000);
        assertEquals(List.of(), warmFolders().stream().filter(WarmStartTest::alive).toList(), "no JVM left for the next run");
        assertEquals("warm=0\n", jbang(project, null, "warm.java").out());
    }

    /** A receiver (--serve) gets the full JIT, which a warm JVM started for any run has not: it is cold and leaves none. */
    @Test
    void aReceiverRunIsColdAndLeavesNoJvm() throws Exception {
        project(SCRIPT);
        warmedUp();
        Path ready = awaitReady();
        ProcessResult serve = jbang(project, null, "warm.java", "--serve");
        assertEquals("warm=0\n", serve.out(), serve.err());
        Thread.sleep(1000);
        assertEquals(List.of(ready), warmFolders(), "the JVM that was ready is still there, and no other");
        assertFalse(Files.exists(ready.resolve("claim")));
    }

    Optional<Path> noWarm() throws IOException {
        try (Stream<Path> files = Files.list(cache.resolve("fastpath"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".nowarm")).findFirst();
        }
    }

    @Test
    void anIdleWarmJvmEndsAndAChangedScriptIsNotServedByAnOldOne() throws Exception {
        project(SCRIPT);
        env.put("JBANG_LAUNCHER_WARM_IDLE", "1");
        warmedUp();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!warmFolders().isEmpty() && System.nanoTime() < end) Thread.sleep(50);
        assertEquals(List.of(), warmFolders(), "an idle warm JVM ends and its folder goes");
        assertEquals("warm=0\n", jbang(project, null, "warm.java").out());

        env.put("JBANG_LAUNCHER_WARM_IDLE", "60");
        assertEquals("warm=0\n", jbang(project, null, "warm.java").out());   // another environment: declined
        awaitReady();
        Files.writeString(project.resolve("warm.java"), SCRIPT.replace("\"warm=\"", "\"changed, warm=\"") + "// " + tmp + "\n");
        ProcessResult changed = jbang(project, null, "warm.java");
        assertEquals("changed, warm=0\n", changed.out(), changed.err());
    }

    @Test
    void twoRunsAtOnceBothRun() throws Exception {
        project(SCRIPT);
        warmedUp();
        Process a = builder(project, launcher.toString(), "warm.java", "write", data.resolve("a.txt").toString()).start();
        Process b = builder(project, launcher.toString(), "warm.java", "write", data.resolve("b.txt").toString()).start();
        assertTrue(a.waitFor(60, TimeUnit.SECONDS) && b.waitFor(60, TimeUnit.SECONDS));
        String outs = new String(a.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                + new String(b.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, a.exitValue());
        assertEquals(0, b.exitValue());
        assertTrue(outs.equals("warm=1\nwarm=0\n") || outs.equals("warm=0\nwarm=1\n"), outs);
        assertEquals("written", Files.readString(data.resolve("a.txt")));
        assertEquals("written", Files.readString(data.resolve("b.txt")));
    }

    /** The real ingest: a warm run stores and prints what a cold run does. */
    @Test
    void theIngestRunsWarmAndDoesWhatAColdRunDoes() throws Exception {
        cache = LauncherCache.dir(System.getenv());   // the suite's own cache, which holds the script's build
        data = Files.createDirectories(tmp.resolve("data"));
        env = new HashMap<>(Map.of("JBANG_LAUNCHER_WARM", "1", "JBANG_LAUNCHER_DEBUG", "1", "WARM_TEST", tmp.toString()));
        Path sample = root.resolve("tests/fixtures/sample");
        Path payload = sample.resolve("payload.json");
        List<String> ingest = List.of("process-workflow-webhook.java", "--file", payload.toString(), "--headers",
                sample.resolve("headers.txt").toString(), "--secret-file", sample.resolve("webhook-secret").toString(),
                "--runs-dir", data.resolve("runs").toString(), "--delivered");
        Map<String, ProcessResult> runs = new HashMap<>();
        for (String delivery : List.of("first", "warm", "cold")) {
            // the first may build the script (its record is written in the background): a later run leaves a JVM
            if (delivery.equals("warm")) awaitReady("process-workflow-webhook");
            if (delivery.equals("cold")) env.put("JBANG_LAUNCHER_WARM", "0");
            List<String> args = new ArrayList<>(ingest);
            args.add(delivery);
            ProcessResult r = jbang(root, null, args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            runs.put(delivery, r);
            if (delivery.equals("first") && !r.err().contains("fast path hit")) {
                assertTrue(LauncherCache.awaitBackground(cache, Duration.ofSeconds(100)));
                assertEquals(0, jbang(root, null, args.toArray(String[]::new)).code());   // a duplicate delivery
            }
        }
        assertTrue(runs.get("warm").err().contains("warm start"), runs.get("warm").err());
        assertFalse(runs.get("cold").err().contains("warm start"), runs.get("cold").err());
        String cold = runs.get("cold").out().replaceAll("\"stored\":\"[^\"]*\"", "").replace("cold", "ID");
        String warm = runs.get("warm").out().replaceAll("\"stored\":\"[^\"]*\"", "").replace("warm", "ID");
        assertEquals(cold, warm);
        assertTrue(warm.contains("\"verified\":true"), warm);
        try (Stream<Path> files = Files.walk(data.resolve("runs"))) {
            List<Path> stored = files.filter(f -> f.getFileName().toString().endsWith("-warm.json")).toList();
            assertEquals(1, stored.size(), stored.toString());
            assertEquals(Files.readString(payload), Files.readString(stored.get(0)));
        }
    }

    ProcessResult jbang(Path cwd, String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        return run(cwd, stdin, command.toArray(String[]::new));
    }

    ProcessResult run(Path cwd, String stdin, String... command) throws Exception {
        return ProcessResult.run(builder(cwd, command), stdin, Duration.ofSeconds(90));
    }

    ProcessBuilder builder(Path cwd, String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("JBANG_LAUNCHER_"));
        pb.environment().putAll(env);
        return pb;
    }
}
