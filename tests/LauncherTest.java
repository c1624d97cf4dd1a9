import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/** Runs the real ./jbang launcher as a subprocess. */
@Order(1) // one of the slowest classes: started first (see run-tests.java)
@Execution(ExecutionMode.CONCURRENT) // each test has its own caches and projects
class LauncherTest {
    static final String VERSION = "0.132.1";
    static final String JAR = "jbang-cli-" + VERSION + "-all.jar";
    static final String JAR_PATH = "/repo/dev/jbang/jbang-cli/" + VERSION + "/" + JAR;
    static final String JBANG_ARTIFACT = "dev.jbang:jbang-cli:" + VERSION + ":jar:all";

    static Path root;
    static Path launcher;
    static String cleanPath;   // PATH without any directory holding another jbang
    static Path warmCache;     // the launcher's default cache, populated in setUp
    static byte[] jarBytes;

    @TempDir Path tmp;
    HttpServer server;   // the test's mirror, if it needs one
    ServerSocket proxy;  // the test's HTTP proxy, if it needs one
    final List<String> proxied = new CopyOnWriteArrayList<>();   // request lines the proxy saw
    final AtomicInteger hits = new AtomicInteger();

    // Tests that build the same content take a lock: JBang builds a script into a folder named by its content,
    // shared by every launcher cache, and two builds of one content at once corrupt each other.
    static final String LEARNING_PROJECT = "learning-project";      // learningProject(...)
    static final String COLLECTION_PROJECT = "collection-project";  // one.java and a lib/Greeting saying "hi"

    /**
     * Waits for the launcher's background work (class-data archives) in the temp dir, which must not
     * write into folders JUnit is deleting; then removes symlinks, which spares JUnit's cleanup a warning per link.
     */
    @AfterEach
    void cleanUp() throws Exception {
        if (server != null) server.stop(0);
        if (proxy != null) proxy.close();
        List<Path> busy;
        try (Stream<Path> files = Files.walk(tmp)) {
            busy = files.filter(f -> f.getFileName().toString().equals(".busy")).toList();
        }
        for (Path b : busy) awaitBackground(b.getParent().getParent());
        try (Stream<Path> files = Files.walk(tmp)) {
            for (Path f : (Iterable<Path>) files::iterator) if (Files.isSymbolicLink(f)) Files.delete(f);
        }
    }

    static void awaitBackground(Path cache) throws Exception {
        assertTrue(LauncherCache.awaitBackground(cache, Duration.ofSeconds(100)), "the launcher's background work in " + cache);
    }

    @BeforeAll
    static void setUp() throws Exception {
        root = Path.of("").toAbsolutePath();
        while (!(Files.isRegularFile(root.resolve("jbang")) && Files.isDirectory(root.resolve("lib")))) {
            root = root.getParent();
            if (root == null) fail("no folder with jbang and lib/ above " + Path.of("").toAbsolutePath());
        }
        launcher = root.resolve("jbang");
        cleanPath = Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
                .filter(d -> !d.isEmpty() && !Files.isExecutable(Path.of(d, "jbang")))
                .collect(Collectors.joining(File.pathSeparator));
        // With the default environment this guarantees the default cache holds the jar.
        ProcessResult r = run(root, Map.of(), null, launcher.toString(), "version");
        assertEquals(0, r.code(), r.err());
        warmCache = LauncherCache.dir(System.getenv());
        jarBytes = Files.readAllBytes(warmCache.resolve(JAR));
    }

    @Test
    void downloadsOnceFromTheRepoUrlIntoAnEmptyCache() throws Exception {
        Path cache = tmp.resolve("new/cache");
        Map<String, String> env = serve(200, jarBytes, cache);
        ProcessResult first = jbang(env, null, "version");
        assertEquals(0, first.code(), first.err());
        assertEquals(VERSION + "\n", first.out());
        assertTrue(first.err().contains("fetching"), first.err());
        assertEquals(List.of(JAR), list(cache));
        assertArrayEquals(jarBytes, Files.readAllBytes(cache.resolve(JAR)));

        ProcessResult second = jbang(env, null, "version");
        assertEquals(0, second.code(), second.err());
        assertEquals(VERSION + "\n", second.out());
        assertFalse(second.err().contains("fetching"), second.err());
        assertEquals(1, hits.get(), "the jar must be downloaded exactly once");
    }

    @Test
    void wrongBytesAreRejectedAndNothingIsKept() throws Exception {
        Path cache = tmp.resolve("cache");
        ProcessResult r = jbang(serve(200, "not the jar".getBytes(StandardCharsets.UTF_8), cache), null, "version");
        assertNotEquals(0, r.code());
        assertEquals("", r.out());
        List<String> errors = r.err().lines().filter(l -> l.contains("checksum")).toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).startsWith("jbang launcher: checksum mismatch for " + JAR), r.err());
        assertEquals(List.of(), list(cache), "no jar and no temporary files may stay behind");
    }

    @Test
    void aMissingArtifactIsAClearErrorAndNothingIsKept() throws Exception {
        Path cache = tmp.resolve("cache");
        ProcessResult r = jbang(serve(404, null, cache), null, "version");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("download of JBang failed from http://"), r.err());
        assertTrue(hits.get() > 0, "the server was never asked");
        assertEquals(List.of(), list(cache));
    }

    /** Through Maven (no mirror URL given): a failing fetch shows Maven's own words, then one clear line. */
    @Test
    void aFailedMavenFetchIsAClearErrorAndNothingIsKept() throws Exception {
        Path cache = tmp.resolve("cache");
        Map<String, String> env = new java.util.HashMap<>(serve(404, null, cache));
        String mirror = env.remove("JBANG_LAUNCHER_REPO_URL");
        env.put("JBANG_LAUNCHER_REPO_URL", null); // Maven, pointed at the 404 server by settings.xml
        Path home = Files.createDirectories(tmp.resolve("home/.m2"));
        Files.writeString(home.resolve("settings.xml"), "<settings><offline>false</offline><mirrors><mirror><id>dead</id>"
                + "<mirrorOf>*</mirrorOf><url>" + mirror + "</url></mirror></mirrors></settings>");
        env.put("JAVA_TOOL_OPTIONS", "-Duser.home=" + home.getParent());
        env.put("MAVEN_OPTS", "-Duser.home=" + home.getParent());
        ProcessResult r = jbang(env, null, "version");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("Maven could not fetch dev.jbang:jbang-cli:0.132.1"), r.err());
        assertTrue(hits.get() > 0, "Maven asked the mirror");
        assertEquals(List.of(), list(cache), "no jar and no temporary files may stay behind");
    }

    @Test
    void prefersARealJbangOnPathButNotItself() throws Exception {
        Path self = Files.createDirectories(tmp.resolve("self"));
        Files.createSymbolicLink(self.resolve("jbang"), launcher);
        Path fake = Files.createDirectories(tmp.resolve("fake"));
        Files.writeString(fake.resolve("jbang"), "#!/bin/sh\necho \"FAKE-JBANG $*\"\n");
        fake.resolve("jbang").toFile().setExecutable(true);

        // Itself first on PATH (through a symlink) is skipped; the fake one after it wins.
        ProcessResult preferred = jbang(Map.of("PATH", self + ":" + fake + ":" + cleanPath), null, "version");
        assertEquals(0, preferred.code(), preferred.err());
        assertEquals("FAKE-JBANG version\n", preferred.out());

        // Only itself on PATH, invoked through that symlink from another folder: no loop, runs the jar.
        ProcessResult alone = run(tmp, Map.of("PATH", self + ":" + cleanPath, "JBANG_LAUNCHER_CACHE", warmCache.toString()),
                null, self.resolve("jbang").toString(), "version");
        assertEquals(0, alone.code(), alone.err());
        assertEquals(VERSION + "\n", alone.out());

        // Copies of the launcher (two checkouts on PATH) are no installed JBang: they do not exec each other
        // forever, and a real one after them still wins.
        List<String> copies = new ArrayList<>();
        for (String name : List.of("copy1", "copy2")) {
            Path copy = Files.createDirectories(tmp.resolve(name)).resolve("jbang");
            Files.copy(launcher, copy, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            copies.add(copy.getParent().toString());
        }
        String first = copies.get(0) + "/jbang";
        ProcessResult copied = run(tmp, Map.of("PATH", String.join(":", copies) + ":" + cleanPath, "JBANG_LAUNCHER_CACHE",
                warmCache.toString()), null, "timeout", "20", first, "version");
        assertEquals(0, copied.code(), "124: the copies exec each other\n" + copied.err());
        assertEquals(VERSION + "\n", copied.out());
        ProcessResult real = run(tmp, Map.of("PATH", String.join(":", copies) + ":" + fake + ":" + cleanPath), null, "timeout", "20",
                first, "version");
        assertEquals("FAKE-JBANG version\n", real.out(), real.err());
    }

    @Test
    void passesArgsStdinOutputAndExitCodeThrough() throws Exception {
        Path script = tmp.resolve("Echo.java");
        Files.writeString(script, """
                ///usr/bin/env jbang "$0" "$@" ; exit $?
                class Echo {
                    public static void main(String[] args) throws Exception {
                        for (String a : args) System.out.println("[" + a + "]");
                        System.out.println("stdin=" + new String(System.in.readAllBytes(), "UTF-8").strip());
                        System.err.println("to-stderr");
                        System.exit(7);
                    }
                }
                """);
        // Empty ones too: JBang 0.132.1 prints them unquoted, so the launcher puts them back.
        String[] args = {"", "hello world", "it's \"quoted\"", "", "", "$HOME `x` $(y)", "back\\slash", "*", "  ", ""};
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        ProcessResult r = jbang(Map.of("JBANG_LAUNCHER_CACHE", warmCache.toString()), "from stdin\n", cmd.toArray(String[]::new));
        assertEquals(7, r.code(), r.err());
        StringBuilder expected = new StringBuilder();
        for (String a : args) expected.append('[').append(a).append("]\n");
        expected.append("stdin=from stdin\n");
        assertEquals(expected.toString(), r.out());
        assertTrue(r.err().contains("to-stderr"), r.err());

        // The same under a bash without EPOCHREALTIME (before 5.0, e.g. macOS's 3.2), which set -u would stop at.
        List<String> olderBash = new ArrayList<>(List.of("bash", "-c", "unset EPOCHREALTIME; source \"$0\" \"$@\"",
                launcher.toString()));
        olderBash.addAll(cmd);
        ProcessResult older = run(tmp, Map.of("JBANG_LAUNCHER_CACHE", warmCache.toString()), "from stdin\n",
                olderBash.toArray(String[]::new));
        assertEquals(7, older.code(), older.err());
        assertEquals(expected.toString(), older.out());

        // A final answer from JBang itself (not 255) keeps its exit code and message.
        ProcessResult missing = jbang(Map.of("JBANG_LAUNCHER_CACHE", warmCache.toString()), null, "Missing.java");
        assertNotEquals(0, missing.code());
        assertNotEquals(255, missing.code());
        assertTrue(missing.err().contains("Missing.java"), missing.err());
    }

    @Test
    void refusesJavaOlderThan17OrNoJavaAtAll() throws Exception {
        Path old = tmp.resolve("jdk11");
        Files.createDirectories(old.resolve("bin"));
        Files.writeString(old.resolve("bin/java"), "#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n");
        old.resolve("bin/java").toFile().setExecutable(true);
        Files.writeString(old.resolve("release"), "JAVA_VERSION=\"11.0.2\"\n");
        Path cache = tmp.resolve("cache");
        // A PATH with every usual tool but java (and jbang).
        Path tools = Files.createDirectories(tmp.resolve("tools"));
        Map<String, String> env = new HashMap<>(Map.of("PATH", tools.toString(), "JAVA_HOME", old.toString(),
                "JBANG_LAUNCHER_CACHE", cache.toString()));
        for (String dir : cleanPath.split(File.pathSeparator)) {
            if (!Files.isDirectory(Path.of(dir))) continue;
            try (Stream<Path> files = Files.list(Path.of(dir))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path link = tools.resolve(f.getFileName().toString());
                    if (!Set.of("java", "jbang").contains(link.getFileName().toString()) && Files.isExecutable(f)
                            && !Files.isDirectory(f) && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, f);
                    }
                }
            }
        }
        ProcessResult tooOld = jbang(env, null, "version");
        assertNotEquals(0, tooOld.code());
        assertTrue(tooOld.err().contains("Java 17 or newer is required, found '11.0.2'"), tooOld.err());

        Files.delete(old.resolve("release"));   // now read from `java -version`
        ProcessResult noRelease = jbang(env, null, "version");
        assertNotEquals(0, noRelease.code());
        assertTrue(noRelease.err().contains("found '11.0.2'"), noRelease.err());

        env.put("JAVA_HOME", null);
        ProcessResult none = jbang(env, null, "version");
        assertNotEquals(0, none.code());
        assertEquals(1, none.err().lines().count(), none.err());
        assertTrue(none.err().contains("no 'java' was found"), none.err());
        assertFalse(Files.exists(cache), "nothing may be downloaded without a usable Java");
    }

    /** Starts a loopback mirror serving the jar path; returns the environment that points the launcher at it. */
    Map<String, String> serve(int status, byte[] body, Path cache) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            hits.incrementAndGet();
            boolean known = exchange.getRequestURI().getPath().equals(JAR_PATH) && body != null;
            exchange.sendResponseHeaders(known ? status : 404, known ? body.length : -1);
            if (known) try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            exchange.close();
        });
        server.start();
        return Map.of("JBANG_LAUNCHER_CACHE", cache.toString(),
                "JBANG_LAUNCHER_REPO_URL", "http://127.0.0.1:" + server.getAddress().getPort() + "/repo/");
    }

    ProcessResult jbang(Map<String, String> envChanges, String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        return run(tmp, envChanges, stdin, command.toArray(String[]::new));
    }

    /** The fast path must run what the sources say now: any change to a lib file means JBang again. */
    @Test
    void fastPathReusesTheResolvedCommandUntilASourceChanges() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project/lib"));
        Path app = project.getParent().resolve("app.java");
        Files.writeString(app, """
                //SOURCES lib/**.java
                class app {
                    public static void main(String[] args) throws Exception {
                        String in = new String(System.in.readAllBytes()).strip();
                        System.out.println(lib.Greeting.text() + " " + args.length + " [" + String.join("|", args) + "] " + in);
                        if (args.length > 0 && args[0].equals("fail")) System.exit(7);
                    }
                }
                """);
        Path greeting = project.resolve("Greeting.java");
        Files.writeString(greeting, "package lib; public final class Greeting { public static String text() { return \"v1\"; } }\n");
        Path cache = Files.createDirectories(tmp.resolve("fast-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        String secret = "s3cret-" + Long.toHexString(System.nanoTime());   // JBang's credentials for a repository
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_DEBUG", "1",
                "JBANG_LAUNCHER_FASTPATH", "1", "JBANG_AUTH_BASIC_PASSWORD", secret);
        String a = app.toString();

        ProcessResult first = run(root, env, "in1", launcher.toString(), a, "x y");
        assertEquals("v1 1 [x y] in1\n", first.out(), first.err());
        assertTrue(first.err().contains("fast path miss"), first.err());

        ProcessResult hit = run(root, env, "in2", launcher.toString(), a, "", "it's \"q\"", "$HOME");
        assertEquals("v1 3 [|it's \"q\"|$HOME] in2\n", hit.out(), "empty arguments survive too");
        assertTrue(hit.err().contains("fast path hit"), hit.err());
        awaitBackground(cache);
        assertTrue(list(cache.resolve("fastpath")).stream().anyMatch(f -> f.matches(".*-app\\.[0-9]+\\.jsa")), "AppCDS archive built");

        ProcessResult failing = run(root, env, null, launcher.toString(), a, "fail");
        assertEquals(7, failing.code());
        assertTrue(failing.err().contains("fast path hit"));

        // Same size, new content: only the nanosecond timestamp and the bytes differ.
        Files.writeString(greeting, "package lib; public final class Greeting { public static String text() { return \"v2\"; } }\n");
        ProcessResult edited = run(root, env, null, launcher.toString(), a);
        assertEquals("v2 0 [] \n", edited.out(), edited.err());
        assertTrue(edited.err().contains("fast path miss"), edited.err());

        // A new file matched by the //SOURCES glob also means JBang again.
        Files.writeString(project.resolve("Extra.java"), "package lib; final class Extra {}\n");
        ProcessResult added = run(root, env, null, launcher.toString(), a);
        assertTrue(added.err().contains("fast path miss"), added.err());
        assertEquals("v2 0 [] \n", added.out());

        // The records depend on JBang's variables, credentials too, yet no file of the cache (which a CI cache
        // saves) holds one, and the records are the user's own; another value still means JBang again.
        awaitBackground(cache);
        try (Stream<Path> files = Files.walk(cache)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(secret), f + " holds the password");
            }
        }
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(cache.resolve("fastpath"))));
        Map<String, String> other = new HashMap<>(env);
        other.put("JBANG_AUTH_BASIC_PASSWORD", secret + "2");
        ProcessResult changed = run(root, other, null, launcher.toString(), a);
        assertEquals("v2 0 [] \n", changed.out(), changed.err());
        assertTrue(changed.err().contains("fast path miss"), changed.err());

        // No HOME at all (a service manager, env -i): the record depends on it, so JBang again, and the run works.
        other.put("HOME", null);
        ProcessResult homeless = run(root, other, null, launcher.toString(), a);
        assertEquals(0, homeless.code(), homeless.err());
        assertEquals("v2 0 [] \n", homeless.out(), homeless.err());
        assertTrue(homeless.err().contains("fast path miss"), homeless.err());

        ProcessResult off = run(root, Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_DEBUG", "1",
                "JBANG_LAUNCHER_FASTPATH", "0"), null, launcher.toString(), a);
        assertEquals("v2 0 [] \n", off.out());
        assertFalse(off.err().contains("fast path"), off.err());
    }

    /** Short runs get C1 only with raised compile thresholds; a long-lived receiver (--serve) the full JIT. */
    @Test
    void aServeCommandLineGetsTheFullJitOthersC1Only() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("jit-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Path script = Files.writeString(Files.createDirectories(tmp.resolve("jit")).resolve("jitprobe.java"), """
                import com.sun.management.HotSpotDiagnosticMXBean;
                import java.lang.management.ManagementFactory;
                import java.nio.file.*;
                class jitprobe {
                    public static void main(String[] a) throws Exception {
                        if (a.length == 2 && a[0].equals("hold")) {   // a long-lived run: a shutdown hook, its pid, a wait
                            Path dir = Path.of(a[1]);
                            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                                try { Files.writeString(dir.resolve("hook"), "ran"); } catch (Exception e) { throw new RuntimeException(e); }
                            }));
                            Files.writeString(dir.resolve("pid.tmp"), Long.toString(ProcessHandle.current().pid()));
                            Files.move(dir.resolve("pid.tmp"), dir.resolve("pid"), StandardCopyOption.ATOMIC_MOVE);
                            Thread.sleep(60_000);
                        }
                        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
                        System.out.println(vm.getVMOption("TieredStopAtLevel").getValue() + " "
                                + vm.getVMOption("CompileThresholdScaling").getValue());
                        if (System.getProperty("probe") != null) System.out.println(System.getProperty("probe"));
                    }
                }
                """);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_DEBUG", "1",
                "JBANG_LAUNCHER_FASTPATH", "1");
        String s = script.toString();
        run(root, env, null, launcher.toString(), s); // the miss that records the command
        ProcessResult shortRun = run(root, env, null, launcher.toString(), s, "--listen", "8080");
        assertTrue(shortRun.err().contains("fast path hit"), shortRun.err());
        assertEquals("1 4.0\n", shortRun.out(), shortRun.err());
        ProcessResult serve = run(root, env, null, launcher.toString(), s, "--serve", "--listen", "8080");
        assertTrue(serve.err().contains("fast path hit"), serve.err());
        assertEquals("4 1.0\n", serve.out(), serve.err());

        Map<String, String> c1 = new HashMap<>(env);
        c1.put("JBANG_LAUNCHER_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1");
        assertEquals("1 1.0\n", run(root, c1, null, launcher.toString(), s, "--serve").out(), "the operator's choice wins");
        Map<String, String> full = new HashMap<>(env);
        full.put("JBANG_LAUNCHER_JAVA_OPTIONS", "");
        assertEquals("4 1.0\n", run(root, full, null, launcher.toString(), s).out(), "empty means the JVM's defaults");
        // The options are words for the JVM, never shell code: a nonProxyHosts list, a command substitution.
        for (String value : List.of("localhost|127.*", "$(echo${IFS}INJECTED>&2)")) {
            Map<String, String> odd = new HashMap<>(env);
            odd.put("JBANG_LAUNCHER_JAVA_OPTIONS", "-Dprobe=" + value);
            ProcessResult r = run(root, odd, null, launcher.toString(), s);
            assertEquals(0, r.code(), r.err());
            assertEquals("4 1.0\n" + value + "\n", r.out(), r.err());
            assertFalse(r.err().contains("INJECTED"), r.err());
        }

        // A learning run (the first of a new shape, "hold") is not exec'd: the launcher waits for the JVM. A TERM
        // to the launcher (a service manager stopping a receiver) must reach the JVM, whose shutdown hooks run,
        // and leave nothing of the run behind.
        Path dir = Files.createDirectories(tmp.resolve("term"));
        Path out = dir.resolve("out");
        Process p = builder(root, env, launcher.toString(), s, "hold", dir.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        List<ProcessHandle> started = List.of();
        try {
            Path pid = dir.resolve("pid");
            for (int i = 0; i < 1200 && !Files.exists(pid) && p.isAlive(); i++) Thread.sleep(25);
            assertTrue(Files.exists(pid), "the script did not start: " + Files.readString(out));
            ProcessHandle jvm = ProcessHandle.of(Long.parseLong(Files.readString(pid))).orElseThrow();
            started = p.descendants().toList();
            assertTrue(started.contains(jvm), "the JVM runs under the launcher");
            p.destroy();   // SIGTERM to the launcher only
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the launcher did not exit");
            for (ProcessHandle h : started) {
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("still running after the launcher exited: " + h.info().commandLine().orElse("pid " + h.pid()));
                }
            }
            assertTrue(Files.exists(dir.resolve("hook")), "the JVM's shutdown hook ran");
            assertEquals(143, p.exitValue(), "the JVM's exit code on TERM");
            assertTrue(Files.readString(out).contains("fast path hit"), Files.readString(out));
        } finally {
            p.destroyForcibly();
            started.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** What JBang's protocol promises the script: the shell, the launcher as invoked, and whether stdin is a tty. */
    @Test
    void scriptsSeeTheLaunchEnvironmentOnBothPaths() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("env-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Path script = Files.writeString(Files.createDirectories(tmp.resolve("probe")).resolve("envprobe.java"), """
                class envprobe {
                    public static void main(String[] a) {
                        for (String n : new String[] {"JBANG_RUNTIME_SHELL", "JBANG_LAUNCH_CMD", "JBANG_STDIN_NOTTY"}) {
                            System.out.println(n + "=" + System.getenv(n));
                        }
                    }
                }
                """);
        // Invoked by a relative path, which the script must see as given (it re-invokes the launcher with it).
        String expected = "JBANG_RUNTIME_SHELL=bash\nJBANG_LAUNCH_CMD=./jbang\nJBANG_STDIN_NOTTY=true\n";
        List<String> how = List.of("off", "fast path miss", "fast path hit");
        for (int i = 0; i < how.size(); i++) {
            Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_CDS", "0",
                    "JBANG_LAUNCHER_FASTPATH", i == 0 ? "0" : "1", "JBANG_LAUNCHER_DEBUG", "1");
            // run() feeds stdin from a pipe, so it is not a tty; no `exec`, which would make bash pass a full path
            ProcessResult r = run(root, env, "", "bash", "-c", "./jbang \"$@\"", "-", script.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(expected, r.out(), how.get(i) + "\n" + r.err());
            if (i > 0) assertTrue(r.err().contains(how.get(i)), r.err());
        }
    }

    /** Parallel first runs of one script (parallel CI steps): JBang builds it once, every run gets its output. */
    @Test
    void parallelFirstRunsOfOneScriptAllSucceed() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("parallel-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        // Big enough to build for a while (dependencies, several sources): a tiny script rarely collides.
        Path project = Files.createDirectories(tmp.resolve("par/lib"));
        for (int i = 1; i <= 8; i++) {
            Files.writeString(project.resolve("C" + i + ".java"),
                    "package lib; public final class C" + i + " { public static int v() { return " + i + "; } }\n");
        }
        Path script = Files.writeString(project.getParent().resolve("par.java"), """
                //DEPS info.picocli:picocli:4.7.7
                //DEPS com.fasterxml.jackson.core:jackson-databind:2.23.0
                //SOURCES lib/**.java
                class par { public static void main(String[] a) { System.out.println("ran " + a[0] + " " + lib.C8.v()); } }
                """);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1",
                "JBANG_LAUNCHER_CDS", "0");   // no archive work here: the test is about the build lock
        List<java.util.concurrent.Future<ProcessResult>> runs = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            for (int i = 0; i < 6; i++) {
                String n = Integer.toString(i);
                runs.add(pool.submit(() -> run(root, env, null, launcher.toString(), script.toString(), n)));
            }
            for (int i = 0; i < 6; i++) {
                ProcessResult r = runs.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(0, r.code(), r.err());
                assertEquals("ran " + i + " 8\n", r.out());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Where stat does not speak GNU's -c (BSD, macOS) the stamp cannot be trusted: always JBang, never stale. */
    @Test
    void withoutGnuStatTheFastPathStepsAside() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("bsd-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Path bin = Files.createDirectories(tmp.resolve("bsd-bin"));
        Path stat = Files.writeString(bin.resolve("stat"), "#!/bin/sh\necho 'stat: illegal option -- c' >&2\nexit 1\n");
        stat.toFile().setExecutable(true);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1",
                "JBANG_LAUNCHER_DEBUG", "1", "PATH", bin + File.pathSeparator + cleanPath);
        Path script = tmp.resolve("bsd.java");
        Files.writeString(script, "class bsd { public static void main(String[] a) { System.out.println(\"one\"); } }\n");
        ProcessResult first = run(root, env, null, launcher.toString(), script.toString());
        assertEquals("one\n", first.out(), first.err());
        assertFalse(first.err().contains("fast path"), first.err());
        Files.writeString(script, "class bsd { public static void main(String[] a) { System.out.println(\"two\"); } }\n");
        assertEquals("two\n", run(root, env, null, launcher.toString(), script.toString()).out());
    }

    /** A hit takes a checksum only of settings the user set: the launcher's own JBANG_ constants are not settings. */
    @Test
    void aHitWithoutSettingsRunsNoChecksumProgram() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("sum-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Path bin = Files.createDirectories(tmp.resolve("sum-bin"));
        Path calls = tmp.resolve("sha256sum-calls");
        Path real = Stream.of(cleanPath.split(File.pathSeparator)).map(d -> Path.of(d, "sha256sum")).filter(Files::isExecutable)
                .findFirst().orElseThrow();
        Path sum = Files.writeString(bin.resolve("sha256sum"), "#!/bin/sh\necho called >> '" + calls + "'\nexec '" + real
                + "' \"$@\"\n");
        sum.toFile().setExecutable(true);
        Map<String, String> env = new HashMap<>(Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1",
                "JBANG_LAUNCHER_CDS", "0", "JBANG_LAUNCHER_DEBUG", "1", "PATH", bin + File.pathSeparator + cleanPath));
        String toolOptions = System.getenv("JAVA_TOOL_OPTIONS");   // CI's -Duser.home: a setting, which the launcher hashes
        if (toolOptions != null) {
            env.put("JAVA_TOOL_OPTIONS", null);
            env.put("JDK_JAVA_OPTIONS", toolOptions);   // the same for the java launcher, and not a setting of the fast path's
        }
        Path script = Files.createDirectories(tmp.resolve("sums")).resolve("sums.java");   // a folder of its own: the calls file changes tmp
        Files.writeString(script, "class sums { public static void main(String[] a) { System.out.println(\"ran\"); } }\n");
        assertEquals("ran\n", run(root, env, null, launcher.toString(), script.toString()).out());
        awaitBackground(cache);
        assertTrue(Files.exists(calls), "the record's content sums are taken with sha256sum");
        Files.delete(calls);
        ProcessResult hit = run(root, env, null, launcher.toString(), script.toString());
        assertEquals("ran\n", hit.out(), hit.err());
        assertTrue(hit.err().contains("fast path hit"), hit.err());
        assertFalse(Files.exists(calls), "a hit ran sha256sum");
    }

    /**
     * `sub/../x.java`, `./x.java` and `a//x.java` name the script `x.java` names, so they share its record (a
     * hit, no build); through a symlinked folder `..` leaves the folder the link points to, so `link/../x.java`
     * is another script and must run as such.
     */
    @Test
    void otherSpellingsOfAScriptsPathShareItsRecordButNotThroughASymlink() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("spell/project/sub"));
        Path other = Files.createDirectories(tmp.resolve("spell/other/deep"));
        Files.writeString(project.resolve("../x.java"), "class x { public static void main(String[] a) { System.out.println(\"project\"); } }\n");
        Files.writeString(other.resolve("../x.java"), "class x { public static void main(String[] a) { System.out.println(\"other\"); } }\n");
        Files.createSymbolicLink(project.resolveSibling("link"), other);
        Path cache = Files.createDirectories(tmp.resolve("spell-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1",
                "JBANG_LAUNCHER_CDS", "0", "JBANG_LAUNCHER_DEBUG", "1");
        Path top = project.getParent();
        assertEquals("project\n", run(top, env, null, launcher.toString(), "x.java").out());
        awaitBackground(cache);
        for (String spelling : List.of("sub/../x.java", "./sub/./../x.java", top + "//sub/..//x.java", "sub/../sub/../x.java")) {
            ProcessResult r = run(top, env, null, launcher.toString(), spelling);
            assertEquals("project\n", r.out(), spelling + ": " + r.err());
            assertTrue(r.err().contains("fast path hit"), spelling + ": " + r.err());
        }
        ProcessResult throughLink = run(top, env, null, launcher.toString(), "link/../x.java");
        assertEquals("other\n", throughLink.out(), throughLink.err());
        awaitBackground(cache);
        assertEquals(2, list(cache.resolve("fastpath")).stream().filter(f -> f.endsWith("-x.rec")).count(), "two scripts, two records");
    }

    /** Cache entries (with their AppCDS archives) of scripts that no longer exist are removed on the next miss. */
    @Test
    void fastPathForgetsScriptsThatAreGone() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("prune-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1");
        Path gone = Files.writeString(tmp.resolve("gone.java"), "class gone { public static void main(String[] a) {} }\n");
        Path kept = Files.writeString(tmp.resolve("kept.java"), "class kept { public static void main(String[] a) {} }\n");
        assertEquals(0, run(root, env, null, launcher.toString(), gone.toString()).code());
        awaitBackground(cache);
        assertTrue(list(cache.resolve("fastpath")).stream().anyMatch(f -> f.contains("-gone.")));

        Files.delete(gone);
        assertEquals(0, run(root, env, null, launcher.toString(), kept.toString()).code());
        awaitBackground(cache);
        List<String> left = list(cache.resolve("fastpath"));
        assertFalse(left.stream().anyMatch(f -> f.contains("-gone.")), left.toString());
        assertTrue(left.stream().anyMatch(f -> f.contains("-kept.")), left.toString());
    }

    /**
     * //SOURCES lib/**.java with every lib file in a package folder (issue 10's layout): a file in a NEW
     * package folder changes only lib/'s own listing, which the stamp must cover, so it is never run stale.
     */
    @Test
    void aFileInANewPackageFolderIsNeverRunStale() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("pkgs"));
        Path app = Files.writeString(project.resolve("app.java"), """
                //SOURCES lib/**.java
                class app {
                    public static void main(String[] args) throws Exception {
                        String extra;
                        try {
                            extra = (String) Class.forName("lib.b.Extra").getMethod("text").invoke(null);
                        } catch (ClassNotFoundException e) {
                            extra = "none";
                        }
                        String more;
                        try {
                            more = (String) Class.forName("lib.c.More").getMethod("text").invoke(null);
                        } catch (ClassNotFoundException e) {
                            more = "none";
                        }
                        System.out.println(lib.a.Greeting.text() + " " + extra + " " + more);
                    }
                }
                """);
        Files.writeString(Files.createDirectories(project.resolve("lib/a")).resolve("Greeting.java"),
                "package lib.a; public final class Greeting { public static String text() { return \"v1\"; } }\n");
        Files.createDirectories(project.resolve("lib/c"));   // a package folder with no source yet
        Path cache = Files.createDirectories(tmp.resolve("pkg-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_DEBUG", "1",
                "JBANG_LAUNCHER_FASTPATH", "1", "JBANG_LAUNCHER_CDS", "0");

        ProcessResult first = run(root, env, null, launcher.toString(), app.toString());
        assertEquals("v1 none none\n", first.out(), first.err());
        ProcessResult hit = run(root, env, null, launcher.toString(), app.toString());
        assertEquals("v1 none none\n", hit.out(), hit.err());
        assertTrue(hit.err().contains("fast path hit"), hit.err());

        Files.writeString(Files.createDirectories(project.resolve("lib/b")).resolve("Extra.java"),
                "package lib.b; public final class Extra { public static String text() { return \"extra\"; } }\n");
        ProcessResult added = run(root, env, null, launcher.toString(), app.toString());
        assertEquals("v1 extra none\n", added.out(), "the new package must be compiled in\n" + added.err());
        assertTrue(added.err().contains("fast path miss"), added.err());
        awaitBackground(cache);

        // A first file in a folder that existed, empty, under the glob changes only that folder's listing.
        Files.writeString(project.resolve("lib/c/More.java"),
                "package lib.c; public final class More { public static String text() { return \"more\"; } }\n");
        ProcessResult more = run(root, env, null, launcher.toString(), app.toString());
        assertEquals("v1 extra more\n", more.out(), "the file in the empty folder must be compiled in\n" + more.err());
        assertTrue(more.err().contains("fast path miss"), more.err());
        awaitBackground(cache);
        assertEquals(List.of(), list(cache.resolve("fastpath")).stream()
                .filter(f -> f.endsWith(".jsa") || f.endsWith(".classes")).toList(), "JBANG_LAUNCHER_CDS=0: no archives");
    }

    /**
     * A fresh checkout with the same content (a CI cache restored into a new clone at the same path: new
     * inodes and times) reuses the record without asking JBang; different content goes back to JBang.
     */
    @Test
    void aFreshCheckoutWithTheSameContentReusesTheRecord() throws Exception {
        Path project = tmp.resolve("checkout");
        Map<String, String> files = Map.of("app.java", """
                //SOURCES lib/*.java
                class app { public static void main(String[] a) { System.out.println(lib.Greeting.text()); } }
                """, "lib/Greeting.java", "package lib; public final class Greeting { public static String text() { return \"v1\"; } }\n");
        checkout(project, files);
        Path cache = Files.createDirectories(tmp.resolve("restore-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_DEBUG", "1",
                "JBANG_LAUNCHER_FASTPATH", "1", "JBANG_LAUNCHER_CDS", "0");
        String app = project.resolve("app.java").toString();
        assertEquals("v1\n", run(root, env, null, launcher.toString(), app).out());
        awaitBackground(cache);   // the record is written in the background

        checkout(project, files);
        ProcessResult same = run(root, env, null, launcher.toString(), app);
        assertEquals("v1\n", same.out(), same.err());
        assertTrue(same.err().contains("fast path hit, same content as recorded"), same.err());
        ProcessResult again = run(root, env, null, launcher.toString(), app);
        assertTrue(again.err().contains("fast path hit\n"), "the stamp was renewed: " + again.err());

        Map<String, String> changed = new HashMap<>(files);   // only a new file matched by the glob
        changed.put("lib/Other.java", "package lib; final class Other {}\n");
        checkout(project, changed);
        ProcessResult added = run(root, env, null, launcher.toString(), app);
        assertEquals("v1\n", added.out(), added.err());
        assertTrue(added.err().contains("fast path miss") && !added.err().contains("same content"), added.err());
    }

    /**
     * After the first build of a script listed in the jbang-catalog.json beside it, the collection's
     * other scripts are built in the background, so their first run is a fast-path hit; a script the
     * catalog does not list is left alone, and JBANG_LAUNCHER_PREBUILD=0 turns it off.
     */
    @Test
    @ResourceLock(COLLECTION_PROJECT)
    void aCollectionsFurtherScriptsAreBuiltAfterTheFirst() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("collection"));
        Files.writeString(Files.createDirectories(project.resolve("lib")).resolve("Greeting.java"),
                "package lib; public final class Greeting { public static String text() { return \"hi\"; } }\n");
        for (String name : List.of("one", "two", "three", "loose")) {
            Files.writeString(project.resolve(name + ".java"), "//SOURCES lib/*.java\nclass " + name
                    + " { public static void main(String[] a) { System.out.println(lib.Greeting.text() + \" from " + name + "\"); } }\n");
        }
        Files.writeString(project.resolve("jbang-catalog.json"), """
                {
                  "aliases": {
                    "one": { "script-ref": "one.java" },
                    "two": { "script-ref": "two.java" },
                    "three": { "script-ref": "three.java" },
                    "elsewhere": { "script-ref": "https://example.invalid/x.java" }
                  }
                }
                """);
        Path cache = Files.createDirectories(tmp.resolve("collection-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_DEBUG", "1",
                "JBANG_LAUNCHER_FASTPATH", "1", "JBANG_LAUNCHER_CDS", "0");

        ProcessResult first = run(root, env, null, launcher.toString(), project.resolve("two.java").toString());
        assertEquals("hi from two\n", first.out(), first.err());
        assertTrue(first.err().contains("fast path miss"), first.err());
        awaitBackground(cache);
        List<String> records = list(cache.resolve("fastpath")).stream().filter(f -> f.endsWith(".rec")).sorted().toList();
        assertEquals(3, records.size(), records.toString());
        assertTrue(records.stream().noneMatch(f -> f.contains("-loose.")), records.toString());
        for (String name : List.of("one", "three")) {
            ProcessResult further = run(root, env, null, launcher.toString(), project.resolve(name + ".java").toString());
            assertEquals("hi from " + name + "\n", further.out(), further.err());
            assertTrue(further.err().contains("fast path hit\n"), "built before its first run: " + further.err());
        }

        Path off = Files.createDirectories(tmp.resolve("collection-cache-off"));
        Files.write(off.resolve(JAR), jarBytes);
        Map<String, String> offEnv = new HashMap<>(env);
        offEnv.put("JBANG_LAUNCHER_CACHE", off.toString());
        offEnv.put("JBANG_LAUNCHER_PREBUILD", "0");
        assertEquals(0, run(root, offEnv, null, launcher.toString(), project.resolve("one.java").toString()).code());
        offEnv.remove("JBANG_LAUNCHER_PREBUILD");
        assertEquals(0, run(root, offEnv, null, launcher.toString(), project.resolve("loose.java").toString()).code());
        awaitBackground(off);
        assertEquals(List.of("-loose.rec", "-one.rec"), list(off.resolve("fastpath")).stream().filter(f -> f.endsWith(".rec"))
                .map(f -> f.substring(f.indexOf('-'))).sorted().toList(), "only the scripts that ran");
    }

    /**
     * A further script of a collection, before its own build: javac compiles its one file against the jar of a
     * sibling that declares the same build, and it runs from that while JBang builds it in the background.
     * Right after the sibling's first run (its record still being written: a sha256sum that takes 2 s
     * while a marker file exists keeps it pending) parallel runs compile meanwhile and run once the record names that build; later,
     * against the fresh record, without waiting. A script declaring another build, a compile error, or a
     * sibling whose record is stale (a shared source changed) goes through JBang as before.
     */
    @Test
    @ResourceLock(COLLECTION_PROJECT)
    void aFurtherScriptRunsFromAProvisionalBuildUntilItsOwnIsRecorded() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("provisional"));
        Path greeting = Files.writeString(Files.createDirectories(project.resolve("lib")).resolve("Greeting.java"),
                "package lib; public final class Greeting { public static String text() { return \"hi\"; } }\n");
        for (String name : List.of("one", "five", "six")) {
            Files.writeString(project.resolve(name + ".java"), "//SOURCES lib/*.java\nclass " + name
                    + " { public static void main(String[] a) { System.out.println(lib.Greeting.text() + \" from " + name + "\"); } }\n");
        }
        Files.writeString(project.resolve("two.java"), """
                //SOURCES lib/*.java
                //MAIN Two
                //DESCRIPTION the second script
                import java.io.BufferedReader;
                import java.io.InputStreamReader;
                class Two {
                    record Line(String text) {}
                    public static void main(String[] a) throws Exception {
                        Line line = new Line(new BufferedReader(new InputStreamReader(System.in)).readLine());
                        System.out.println(lib.Greeting.text() + " from two " + java.util.Arrays.toString(a) + " " + line.text());
                        System.exit(3);
                    }
                }
                """);
        Files.writeString(project.resolve("three.java"), "//SOURCES lib/*.java\n//JAVA_OPTIONS -Dwho=three\n"
                + "class three { public static void main(String[] a) { System.out.println(lib.Greeting.text() + \" from \" + System.getProperty(\"who\")); } }\n");
        Files.writeString(project.resolve("four.java"), "//SOURCES lib/*.java\nclass four { void broken( }\n");
        StringBuilder catalog = new StringBuilder("{ \"aliases\": {");
        for (String name : List.of("one", "two", "three", "four", "five", "six")) {
            catalog.append(name.equals("one") ? "" : ",").append(" \"").append(name).append("\": { \"script-ref\": \"").append(name).append(".java\" }");
        }
        Files.writeString(project.resolve("jbang-catalog.json"), catalog.append(" } }\n").toString());
        Path bin = Files.createDirectories(tmp.resolve("slow-bin"));
        String sha256sum = run(root, Map.of(), null, "bash", "-c", "command -v sha256sum").out().trim();
        Path slow = Files.createFile(tmp.resolve("slow-sha256sum"));
        Files.writeString(bin.resolve("sha256sum"), "#!/bin/sh\n[ ! -f '" + slow + "' ] || sleep 2\nexec " + sha256sum + " \"$@\"\n");
        assertTrue(bin.resolve("sha256sum").toFile().setExecutable(true));
        Path cache = Files.createDirectories(tmp.resolve("provisional-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_DEBUG", "1",
                "JBANG_LAUNCHER_FASTPATH", "1", "JBANG_LAUNCHER_CDS", "0", "JBANG_LAUNCHER_PREBUILD", "0",
                "PATH", bin + File.pathSeparator + cleanPath);
        Path fastpath = cache.resolve("fastpath");

        ProcessResult first = run(root, env, null, launcher.toString(), project.resolve("one.java").toString());
        assertEquals("hi from one\n", first.out(), first.err());
        List<java.util.concurrent.Future<ProcessResult>> runs = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            for (int i = 0; i < 3; i++) {
                String n = Integer.toString(i);
                runs.add(pool.submit(() -> run(root, env, "line " + n + "\n", launcher.toString(), project.resolve("two.java").toString(),
                        "a b", "", n)));
            }
            for (int i = 0; i < 3; i++) {
                ProcessResult two = runs.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(3, two.code(), two.err());
                assertEquals("hi from two [a b, , " + i + "] line " + i + "\n", two.out(), two.err());
                assertTrue(two.err().contains("provisional build"), two.err());
                assertTrue(two.err().contains("waiting for the record of ") && two.err().contains("-one\n"), two.err());
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(list(fastpath).stream().noneMatch(f -> f.contains(".prov.")), "removed after the run: " + list(fastpath));
        Files.delete(slow);
        awaitBackground(cache);
        List<String> entries = list(fastpath);
        assertTrue(entries.stream().anyMatch(f -> f.endsWith("-two.rec")), "JBang's own build of two.java recorded: " + entries);
        assertTrue(entries.stream().noneMatch(f -> f.endsWith(".built")), entries.toString());
        ProcessResult again = run(root, env, "x\n", launcher.toString(), project.resolve("two.java").toString());
        assertEquals("hi from two [] x\n", again.out(), again.err());
        assertTrue(again.err().contains("fast path hit\n"), again.err());
        // Provisional builds left by killed launchers: removed, unless the JVM that runs from one is still alive.
        Path sixBase = fastpath.resolve(fnv1a(project.resolve("six.java").toString()) + "-six");
        Path gone = Files.createDirectories(Path.of(sixBase + ".prov." + deadPid()));
        Path inUse = Files.createDirectories(Path.of(sixBase + ".prov." + deadPid()));
        Files.writeString(inUse.resolve(".jvm"), ProcessHandle.current().pid() + "\n");
        ProcessResult six = run(root, env, null, launcher.toString(), project.resolve("six.java").toString());
        assertEquals("hi from six\n", six.out(), six.err());
        assertTrue(six.err().contains("provisional build") && !six.err().contains("waiting"), "against a fresh record: " + six.err());
        assertFalse(Files.exists(gone), "left by a launcher and a JVM that are gone");
        assertTrue(Files.exists(inUse.resolve(".jvm")), "its JVM still runs");
        Files.delete(inUse.resolve(".jvm"));
        Files.delete(inUse);

        ProcessResult three = run(root, env, null, launcher.toString(), project.resolve("three.java").toString());
        assertEquals("hi from three\n", three.out(), three.err());
        assertFalse(three.err().contains("provisional build"), "another build declared: " + three.err());
        ProcessResult four = run(root, env, null, launcher.toString(), project.resolve("four.java").toString());
        assertNotEquals(0, four.code());
        assertFalse(four.err().contains("provisional build"), four.err());
        assertTrue(four.err().contains("four.java") && four.err().contains("error"), "JBang's compile error: " + four.err());
        awaitBackground(cache);

        Files.writeString(greeting, "package lib; public final class Greeting { public static String text() { return \"hello\"; } }\n");
        ProcessResult five = run(root, env, null, launcher.toString(), project.resolve("five.java").toString());
        assertEquals("hello from five\n", five.out(), five.err());
        assertFalse(five.err().contains("provisional build"), "no fresh sibling after lib/ changed: " + five.err());
        assertTrue(list(fastpath).stream().noneMatch(f -> f.contains(".prov.")), list(fastpath).toString());
    }

    /**
     * JBang builds a script into a folder named by its content, shared by every path to it: a build in the
     * background (here the one that follows a provisional run) waits while any JBang JVM runs, and a run
     * that needs JBang waits while a background build holds the cache's build lock.
     */
    @Test
    @ResourceLock(COLLECTION_PROJECT)
    void backgroundBuildsAndRunsInJbangNeverOverlap() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("overlap"));
        Files.writeString(Files.createDirectories(project.resolve("lib")).resolve("Greeting.java"),
                "package lib; public final class Greeting { public static String text() { return \"hi\"; } }\n");
        for (String name : List.of("one", "two")) {
            Files.writeString(project.resolve(name + ".java"), "//SOURCES lib/*.java\nclass " + name
                    + " { public static void main(String[] a) { System.out.println(lib.Greeting.text() + \" from " + name + "\"); } }\n");
        }
        Files.writeString(project.resolve("jbang-catalog.json"),
                "{ \"aliases\": { \"one\": { \"script-ref\": \"one.java\" }, \"two\": { \"script-ref\": \"two.java\" } } }\n");
        Path cache = Files.createDirectories(tmp.resolve("overlap-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_DEBUG", "1",
                "JBANG_LAUNCHER_FASTPATH", "1", "JBANG_LAUNCHER_CDS", "0", "JBANG_LAUNCHER_PREBUILD", "0");
        assertEquals("hi from one\n", run(root, env, null, launcher.toString(), project.resolve("one.java").toString()).out());
        awaitBackground(cache);
        Path lock = cache.resolve("fastpath/builds.lock");
        Path release = tmp.resolve("release");

        // a JBang JVM at work (shared): two runs provisionally, its own build waits
        Process inJbang = holdLock("-s", lock, release);
        ProcessResult two = run(root, env, null, launcher.toString(), project.resolve("two.java").toString());
        assertEquals("hi from two\n", two.out(), two.err());
        assertTrue(two.err().contains("provisional build"), two.err());
        Thread.sleep(1500);
        String twoPath = project.resolve("two.java").toString();
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains(JAR)
                && p.info().commandLine().orElse("").contains(twoPath)), "JBang started on two.java while another JBang ran");
        assertTrue(list(cache.resolve("fastpath")).stream().noneMatch(f -> f.endsWith("-two.rec")), "built while JBang ran");
        Files.createFile(release);
        assertTrue(inJbang.waitFor(30, TimeUnit.SECONDS));
        awaitBackground(cache);
        assertTrue(list(cache.resolve("fastpath")).stream().anyMatch(f -> f.endsWith("-two.rec")), list(cache.resolve("fastpath")).toString());

        // a build in the background (exclusive): a run through JBang waits for it
        Files.delete(release);
        Process building = holdLock("-x", lock, release);
        ProcessBuilder viaJbang = builder(root, Map.of("JBANG_LAUNCHER_CACHE", cache.toString()), launcher.toString(), "version");
        Process version = viaJbang.redirectErrorStream(true).start();
        assertFalse(version.waitFor(1500, TimeUnit.MILLISECONDS), "ran JBang during a background build");
        Files.createFile(release);
        assertTrue(building.waitFor(30, TimeUnit.SECONDS));
        assertTrue(version.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, version.exitValue(), new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Holds {@code lock} (flock option {@code mode}) until {@code release} exists; returns once it holds it. */
    Process holdLock(String mode, Path lock, Path release) throws Exception {
        Path held = tmp.resolve("held" + mode);
        Files.deleteIfExists(held);
        Process p = new ProcessBuilder("flock", mode, lock.toString(), "sh", "-c",
                "touch \"$1\"; while [ ! -f \"$2\" ]; do sleep 0.1; done", "sh", held.toString(), release.toString()).start();
        for (int i = 0; i < 300 && !Files.exists(held); i++) Thread.sleep(20);
        assertTrue(Files.exists(held), "flock " + mode + " " + lock);
        return p;
    }

    /** The launcher's hash of a script's path (32-bit FNV-1a over its characters), which names its cache entry. */
    static long fnv1a(String s) {
        long h = 2166136261L;
        for (char c : s.toCharArray()) h = ((h ^ c) * 16777619L) & 0xFFFFFFFFL;
        return h;
    }

    /** The pid of a process that has exited. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    /** Deletes the folder and writes the files again: same content, new inodes and times, like a fresh clone. */
    static void checkout(Path dir, Map<String, String> files) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path f : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
            }
        }
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path file = dir.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, f.getValue());
        }
    }

    /**
     * The class-data archive covers what the real work loads, whatever run came first: a later run of a new
     * shape (here the word "heavy") that loads many classes outside it extends it, also once the first runs
     * after the build stopped learning; what was learned survives a change whose first run is light, and
     * seeds the same script in another clone.
     */
    @Test
    @ResourceLock(LEARNING_PROJECT)
    void theArchiveFollowsWhatRunsLoadNotJustTheFirstRun() throws Exception {
        Path app = learningProject(tmp.resolve("learn"));
        Path project = app.resolveSibling("lib");
        Path greeting = project.resolve("Greeting.java");
        Path cache = Files.createDirectories(tmp.resolve("learn-cache"));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1");
        Path log = tmp.resolve("class-load.log");
        Map<String, String> logging = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1",
                "JBANG_LAUNCHER_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -Xlog:class+load=info:file=" + log);

        for (int i = 0; i < 4; i++) {   // the first archive holds the light classes; then learning stops
            assertEquals("light\n", run(root, env, null, launcher.toString(), app.toString()).out());
            awaitBackground(cache);
        }
        assertFalse(list(cache.resolve("fastpath")).stream().anyMatch(f -> f.endsWith("-app.learn")), "still learning");
        // A learning run whose launcher was killed (KILL cannot be trapped) left its class list: the next learner removes it.
        String record = list(cache.resolve("fastpath")).stream().filter(f -> f.endsWith("-app.rec")).findFirst().orElseThrow();
        Path orphan = Files.writeString(cache.resolve("fastpath").resolve(record.replace(".rec", ".list.4194305.tmp")), "lib/Heavy\n");
        assertEquals("heavy 820\n", run(root, env, null, launcher.toString(), app.toString(), "heavy").out());
        awaitBackground(cache);
        assertFalse(Files.exists(orphan), "a dead launcher's list is removed");
        assertEquals("heavy 820\n", run(root, logging, null, launcher.toString(), app.toString(), "heavy").out());
        assertTrue(Files.readString(log).contains("lib.H7 source: shared objects file"), "learned from the heavy run");

        Files.writeString(greeting, Files.readString(greeting).replace("light", "light2"));   // a change, then a light first run
        assertEquals("light2\n", run(root, env, null, launcher.toString(), app.toString()).out());
        awaitBackground(cache);
        assertEquals("heavy 820\n", run(root, logging, null, launcher.toString(), app.toString(), "heavy").out());
        String loaded = Files.readString(log);
        assertTrue(loaded.contains("lib.H7 source: shared objects file"), "kept across the change");
        assertTrue(loaded.contains("app source: shared objects file"), "the rebuilt archive is used");

        // Another clone of the same project starts from what the script of the same name learned.
        Path clone = Files.createDirectories(tmp.resolve("learn-clone"));
        try (Stream<Path> files = Files.walk(project.getParent())) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = clone.resolve(project.getParent().relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
        String cloned = clone.resolve("app.java").toString();
        assertEquals("light2\n", run(root, env, null, launcher.toString(), cloned).out());
        awaitBackground(cache);
        assertEquals("heavy 820\n", run(root, logging, null, launcher.toString(), cloned, "heavy").out());
        assertTrue(Files.readString(log).contains("lib.H7 source: shared objects file"), "seeded from the other clone");
    }

    /**
     * A script whose run loads one class of lib/ (it prints "light"), or with the argument "heavy" 41 more
     * (it prints "heavy 820"), or with "more" 41 others (it prints "more 820"): each enough classes outside
     * an archive that lacks them to call for a new one.
     */
    static Path learningProject(Path dir) throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        for (String name : List.of("Heavy", "More")) {
            String part = name.substring(0, 1);
            StringBuilder work = new StringBuilder("package lib; public final class " + name + " { public static int work() { return 0");
            for (int i = 1; i <= 40; i++) {
                Files.writeString(lib.resolve(part + i + ".java"), "package lib; final class " + part + i + " { static int v() { return " + i + "; } }\n");
                work.append(" + ").append(part).append(i).append(".v()");
            }
            Files.writeString(lib.resolve(name + ".java"), work.append("; } }\n").toString());
        }
        Files.writeString(lib.resolve("Greeting.java"), "package lib; public final class Greeting { public static String text() { return \"light\"; } }\n");
        return Files.writeString(dir.resolve("app.java"), """
                //SOURCES lib/*.java
                class app {
                    public static void main(String[] a) {
                        if (a.length == 0) System.out.println(lib.Greeting.text());
                        else System.out.println(a[0] + " " + (a[0].equals("more") ? lib.More.work() : lib.Heavy.work()));
                    }
                }
                """);
    }

    /**
     * An archive that serves the runs badly, whatever made it so, is rebuilt while the script still learns:
     * what counts is where a learning run's classes came from, not only whether they were learned. Here the
     * test puts an archive of the JDK's classes alone in place of the script's (a state once found in a real
     * cache, cause unknown): once, then after every dump (a cause that persists, which costs at most three
     * rebuilds per build, while new classes still get one). An archive removed by hand is built again, and
     * one an older launcher built is checked.
     */
    @Test
    @ResourceLock(LEARNING_PROJECT)
    void anArchiveThatMissesTheClassPathIsRebuiltAndAPersistentCauseCostsBoundedRebuilds() throws Exception {
        Path jdkOnly = jdkOnlyArchive(tmp);
        Path log = tmp.resolve("class-load.log");
        for (int persistent = 0; persistent < 2; persistent++) {
            Path app = learningProject(tmp.resolve("bad-archive-" + persistent));
            Path cache = Files.createDirectories(tmp.resolve("bad-archive-cache-" + persistent));
            Files.write(cache.resolve(JAR), jarBytes);
            Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1");
            Map<String, String> logging = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1",
                    "JBANG_LAUNCHER_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -Xlog:class+load=info:file=" + log);
            Path fastpath = cache.resolve("fastpath");

            Set<Long> seen = new java.util.HashSet<>();   // the times of the archives there were, the test's copies among them
            int built = 0;
            for (int i = 0; i < 8 && (i < 2 || learning(fastpath)); i++) {
                assertEquals("heavy 820\n", run(root, env, null, launcher.toString(), app.toString(), "heavy").out());
                awaitBackground(cache);
                Path archive = appArchive(fastpath);
                if (!seen.add(Files.getLastModifiedTime(archive).toMillis())) continue;
                built++;   // one dump per run at most: a run leaves one class list
                if (built == 1 || persistent == 1) seen.add(replace(archive, jdkOnly));
            }
            assertEquals("heavy 820\n", run(root, logging, null, launcher.toString(), app.toString(), "heavy").out());
            String loaded = Files.readString(log);
            assertFalse(learning(fastpath), "learning ended: " + list(fastpath));
            assertTrue(list(fastpath).stream().anyMatch(f -> f.endsWith("-app.dump.log")), "the last dump's output is kept");
            if (persistent == 0) {
                assertTrue(loaded.contains("lib.H7 source: shared objects file"), "the archive was built again and is used");
                assertTrue(loaded.contains("app source: shared objects file"), loaded);
                assertEquals(2, built, "the archive replaced once, then one built again");

                // An archive removed by hand: the next run learns and the one after uses a new archive.
                Path archive = appArchive(fastpath);
                Files.delete(archive);
                assertEquals("heavy 820\n", run(root, env, null, launcher.toString(), app.toString(), "heavy").out());
                awaitBackground(cache);
                assertTrue(Files.exists(archive), "built again: " + list(fastpath));
                assertEquals("heavy 820\n", run(root, logging, null, launcher.toString(), app.toString(), "heavy").out());
                assertTrue(Files.readString(log).contains("lib.H7 source: shared objects file"), "the new archive is used");

                // The state found in a real cache: an older launcher's archive (it kept no count of dumps) of the
                // JDK's classes alone, learning ended. One run checks it, and the one after uses a new archive.
                for (int i = 0; i < 5 && learning(fastpath); i++) {
                    assertEquals("heavy 820\n", run(root, env, null, launcher.toString(), app.toString(), "heavy").out());
                    awaitBackground(cache);
                }
                assertFalse(learning(fastpath), "learning ended again");
                try (Stream<Path> counts = Files.list(fastpath)) {
                    for (Path f : counts.filter(f -> f.toString().endsWith(".rebuilds")).toList()) Files.delete(f);
                }
                replace(archive, jdkOnly);
                assertEquals("heavy 820\n", run(root, env, null, launcher.toString(), app.toString(), "heavy").out());
                awaitBackground(cache);
                assertEquals("heavy 820\n", run(root, logging, null, launcher.toString(), app.toString(), "heavy").out());
                assertTrue(Files.readString(log).contains("lib.H7 source: shared objects file"), "an older launcher's archive is checked");
            } else {
                assertEquals(4, built, "the first archive and three rebuilds, then the runs go on with the archive there is");
                assertTrue(loaded.contains("lib.H7 source: file:"), "every archive was replaced");
                // New classes still get an archive of their own: a new shape that loads 41 of them.
                assertEquals("more 820\n", run(root, env, null, launcher.toString(), app.toString(), "more").out());
                awaitBackground(cache);
                assertEquals("more 820\n", run(root, logging, null, launcher.toString(), app.toString(), "more").out());
                assertTrue(Files.readString(log).contains("lib.M7 source: shared objects file"), "new classes archived after the limit");
            }
        }
    }

    /**
     * A learning run names its class-load log to the JVM in -Xlog's syntax, where a " in the path would
     * keep the JVM from starting: in a cache folder whose name holds one, runs still learn (from the
     * class list) and succeed.
     */
    @Test
    @ResourceLock(LEARNING_PROJECT)
    void aCacheFolderWithAQuoteInItsNameStillRunsAndLearns() throws Exception {
        Path app = learningProject(tmp.resolve("quote"));
        Path cache = Files.createDirectories(tmp.resolve("cache \"quoted\""));
        Files.write(cache.resolve(JAR), jarBytes);
        Map<String, String> env = Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_FASTPATH", "1");
        for (int i = 0; i < 2; i++) {   // the first builds and archives; the second is a learning run with that archive
            ProcessResult r = run(root, env, null, launcher.toString(), app.toString(), "heavy");
            assertEquals("heavy 820\n", r.out(), r.err());
            assertEquals(0, r.code(), r.err());
            awaitBackground(cache);
        }
        appArchive(cache.resolve("fastpath"));
    }

    /** The archive of the learning project's script in a launcher cache's fastpath folder. */
    static Path appArchive(Path fastpath) throws IOException {
        return fastpath.resolve(list(fastpath).stream().filter(f -> f.contains("-app.") && f.endsWith(".jsa")).findFirst().orElseThrow());
    }

    /** Whether the learning project's script is still in its learning runs. */
    static boolean learning(Path fastpath) throws IOException {
        return list(fastpath).stream().anyMatch(f -> f.endsWith("-app.learn"));
    }

    /** Puts a copy of {@code by} in place of {@code archive}; returns the copy's time. */
    static long replace(Path archive, Path by) throws IOException {
        Files.delete(archive);
        Files.copy(by, archive);
        return Files.getLastModifiedTime(archive).toMillis();
    }

    /** An archive of the JDK's classes alone: the JDK's default one, or one dumped into {@code dir}. */
    static Path jdkOnlyArchive(Path dir) throws Exception {
        Path jdkDefault = Path.of(System.getProperty("java.home"), "lib", "server", "classes.jsa");
        if (Files.isRegularFile(jdkDefault)) return jdkDefault;
        Path dumped = dir.resolve("jdk-only.jsa");
        Process dump = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:dump",
                "-XX:SharedArchiveFile=" + dumped).redirectErrorStream(true).redirectOutput(dir.resolve("dump.log").toFile()).start();
        assertEquals(0, dump.waitFor(), Files.readString(dir.resolve("dump.log")));
        return dumped;
    }

    // ---------------------------------------------------------------- fetching through Maven's settings

    /** The host of the central repository in the super POM of the Maven installation whose lib/ is given. */
    static String superPomHost(Path lib) throws IOException {
        try (Stream<Path> jars = Files.list(lib)) {
            Path modelBuilder = jars.filter(j -> j.getFileName().toString().startsWith("maven-model-builder-")).findFirst().orElseThrow();
            try (ZipFile zip = new ZipFile(modelBuilder.toFile())) {
                String pom = new String(zip.getInputStream(zip.getEntry("org/apache/maven/model/pom-4.0.0.xml")).readAllBytes(),
                        StandardCharsets.UTF_8);
                String url = pom.substring(pom.indexOf("<url>", pom.indexOf("<id>central</id>")) + 5);
                return java.net.URI.create(url.substring(0, url.indexOf('<')).trim()).getHost();
            }
        }
    }

    /** The launcher reads the default repository from Maven at run time: no tracked file names its host. */
    @Test
    void noTrackedFileNamesTheDefaultRepositorysHost() throws Exception {
        String host = superPomHost(fakeMaven().resolve("lib"));
        ProcessResult grep = run(root, Map.of(), null, "git", "grep", "-l", "-i", "-F", host);
        Assumptions.assumeTrue(grep.code() == 0 || grep.code() == 1, "not a git checkout: " + grep.err());
        assertEquals("", grep.out(), "files naming " + host);
    }

    static final String DEAD_MIRROR = "http://jbang-mirror.invalid";

    /** A Maven installation whose bin/mvn only notes that it ran and fails; lib/ is the real one (its super POM). */
    Path fakeMaven() throws Exception {
        Path realMvn = Stream.of(cleanPath.split(File.pathSeparator)).map(d -> Path.of(d, "mvn"))
                .filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(realMvn != null, "Maven is not installed");
        Path realHome = realMvn.toRealPath().getParent().getParent();
        Path home = Files.createDirectories(tmp.resolve("maven"));
        Path mvn = Files.createDirectories(home.resolve("bin")).resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\necho \"$@\" >> '" + home.resolve("ran") + "'\nexit 1\n");
        mvn.toFile().setExecutable(true);
        Files.createSymbolicLink(home.resolve("lib"), realHome.resolve("lib"));
        Files.createDirectories(home.resolve("conf"));
        return home;
    }

    /** The environment for a fetch: a new cache, the fake Maven first on PATH, user.home with the given settings.xml. */
    Map<String, String> fetchEnv(Path maven, Path cache, String settings) throws IOException {
        Path home = Files.createDirectories(tmp.resolve("user-home/.m2")).getParent();
        Files.writeString(home.resolve(".m2/settings.xml"), settings);
        Map<String, String> env = new HashMap<>();
        env.put("JBANG_LAUNCHER_CACHE", cache.toString());
        env.put("PATH", maven.resolve("bin") + File.pathSeparator + cleanPath);
        env.put("JAVA_TOOL_OPTIONS", "-Duser.home=" + home);
        env.put("JBANG_LAUNCHER_DEBUG", "1");
        return env;
    }

    /** A plain HTTP proxy on loopback: serves the jar for GETs under DEAD_MIRROR, refuses anything else (CONNECT) with 403. */
    int startProxy() throws IOException {
        proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ServerSocket socket = proxy;
        Thread t = new Thread(() -> {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    String line = in.readLine();
                    for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                        // headers are not needed
                    }
                    if (line == null) continue;
                    proxied.add(line);
                    OutputStream out = s.getOutputStream();
                    if (line.equals("GET " + DEAD_MIRROR + JAR_PATH + " HTTP/1.1")) {
                        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + jarBytes.length + "\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                        out.write(jarBytes);
                    } else {
                        out.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.flush();
                } catch (IOException e) {
                    // closed at the end of the test, or a client gone
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return proxy.getLocalPort();
    }

    /** A settings.xml mirror of central is fetched from with curl, never through Maven (which would bootstrap a plugin first). */
    @Test
    void fetchesFromTheSettingsMirrorWithoutRunningMaven() throws Exception {
        Path maven = fakeMaven();
        Path cache = tmp.resolve("mirror-cache");
        String mirror = serve(200, jarBytes, cache).get("JBANG_LAUNCHER_REPO_URL");
        Map<String, String> env = fetchEnv(maven, cache, "<settings>\n  <!-- <mirrors><mirror><url>http://commented.out/</url></mirror></mirrors> -->\n"
                + "  <mirrors>\n    <mirror>\n      <id>company</id>\n      <mirrorOf>external:*,!snapshots</mirrorOf>\n"
                + "      <url>" + mirror + "</url>\n    </mirror>\n  </mirrors>\n</settings>\n");
        ProcessResult r = jbang(env, null, "version");
        assertEquals(0, r.code(), r.err());
        assertEquals(VERSION + "\n", r.out());
        assertEquals(1, hits.get(), r.err());
        assertFalse(Files.exists(maven.resolve("ran")), "Maven was run: " + r.err());
        assertEquals(List.of(JAR), list(cache));
    }

    /** A settings.xml proxy carries the download unless nonProxyHosts names the host. */
    @Test
    void fetchesThroughTheSettingsProxyUnlessTheHostIsExcluded() throws Exception {
        Path maven = fakeMaven();
        int port = startProxy();
        String proxySettings = "<proxies><proxy><id>p</id><protocol>http</protocol><host>127.0.0.1</host><port>" + port + "</port>%s</proxy></proxies>";
        Path cache = tmp.resolve("proxy-cache");
        ProcessResult viaProxy = jbang(fetchEnv(maven, cache, "<settings><mirrors><mirror><id>m</id><mirrorOf>central</mirrorOf><url>"
                + DEAD_MIRROR + "/repo</url></mirror></mirrors>" + proxySettings.formatted("") + "</settings>"), null, "version");
        assertEquals(0, viaProxy.code(), viaProxy.err());
        assertEquals(List.of("GET " + DEAD_MIRROR + JAR_PATH + " HTTP/1.1"), proxied);
        assertFalse(Files.exists(maven.resolve("ran")), viaProxy.err());

        Path direct = tmp.resolve("direct-cache");
        String mirror = serve(200, jarBytes, direct).get("JBANG_LAUNCHER_REPO_URL");
        ProcessResult bypassed = jbang(fetchEnv(maven, direct, "<settings><mirrors><mirror><id>m</id><mirrorOf>*</mirrorOf><url>" + mirror
                + "</url></mirror></mirrors>" + proxySettings.formatted("<nonProxyHosts>localhost|127.0.*</nonProxyHosts>")
                + "</settings>"), null, "version");
        assertEquals(0, bypassed.code(), bypassed.err());
        assertEquals(1, hits.get());
        assertEquals(1, proxied.size(), "the proxy was not asked again: " + proxied);
    }

    /**
     * Without a mirror the jar comes from the repository in the installed Maven's super POM (the test reads
     * which one, nothing names it here); a failed download, and anything the launcher is unsure of, goes to Maven.
     */
    @Test
    void withoutAMirrorTheSuperPomRepositoryIsUsedAndDoubtsGoToMaven() throws Exception {
        Path maven = fakeMaven();
        String host = superPomHost(maven.resolve("lib"));
        int port = startProxy();
        Path cache = tmp.resolve("super-pom-cache");
        ProcessResult r = jbang(fetchEnv(maven, cache, "<settings><proxies><proxy><protocol>https</protocol><host>127.0.0.1</host><port>"
                + port + "</port></proxy></proxies></settings>"), null, "version");
        assertNotEquals(0, r.code());
        assertTrue(proxied.get(0).startsWith("CONNECT " + host + ":443 "), proxied.toString());
        assertTrue(r.err().contains("asking Maven itself"), r.err());
        assertTrue(Files.readString(maven.resolve("ran")).contains("dependency:copy -Dartifact=" + JBANG_ARTIFACT), r.err());
        assertTrue(r.err().contains("Maven could not fetch " + JBANG_ARTIFACT), r.err());
        assertEquals(List.of(), list(cache));

        // Credentials for the mirror: the launcher leaves that to Maven without trying itself.
        Files.delete(maven.resolve("ran"));
        proxied.clear();
        ProcessResult doubt = jbang(fetchEnv(maven, cache, "<settings><mirrors><mirror><id>company</id><mirrorOf>*</mirrorOf><url>"
                + DEAD_MIRROR + "/repo</url></mirror></mirrors><servers><server><id>company</id><username>u</username>"
                + "<password>{encrypted}</password></server></servers><proxies><proxy><host>127.0.0.1</host><port>" + port
                + "</port></proxy></proxies></settings>"), null, "version");
        assertNotEquals(0, doubt.code());
        assertTrue(doubt.err().contains("fetching through Maven: settings.xml has credentials for company"), doubt.err());
        assertEquals(List.of(), proxied);
        assertTrue(Files.exists(maven.resolve("ran")));
    }

    /** A relative JBANG_LAUNCHER_CACHE is the caller's folder's: Maven, which runs in a folder of its own, fetches into it. */
    @Test
    void aRelativeCacheFolderWorksThroughMaven() throws Exception {
        Path maven = fakeMaven();
        Path jar = Files.write(tmp.resolve("the.jar"), jarBytes);
        Files.writeString(maven.resolve("bin/mvn"), "#!/bin/sh\nfor a in \"$@\"; do case $a in -DoutputDirectory=*) cp '" + jar
                + "' \"${a#-DoutputDirectory=}/" + JAR + "\" || exit 1 ;; esac; done\n");
        Map<String, String> env = fetchEnv(maven, tmp.resolve("unused"), "<settings><offline>true</offline></settings>");
        env.put("JBANG_LAUNCHER_CACHE", "relative/cache");
        ProcessResult r = jbang(env, null, "version");   // run in tmp
        assertEquals(0, r.code(), r.err());
        assertEquals(VERSION + "\n", r.out());
        assertTrue(r.err().contains("fetching through Maven: settings.xml says offline"), r.err());
        assertEquals(List.of(JAR), list(tmp.resolve("relative/cache")));
    }

    static List<String> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Runs a command with the test PATH plus env changes (a null value removes a variable). */
    static ProcessResult run(Path cwd, Map<String, String> envChanges, String stdin, String... command) throws Exception {
        return ProcessResult.run(builder(cwd, envChanges, command), stdin, Duration.ofSeconds(90));
    }

    /** A process builder for a command with the test PATH plus env changes (a null value removes a variable). */
    static ProcessBuilder builder(Path cwd, Map<String, String> envChanges, String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        Map<String, String> env = pb.environment();
        // the launcher's settings come from each test, not from the shell that runs the suite (its cache aside)
        env.keySet().removeIf(k -> k.startsWith("JBANG_LAUNCHER_") && !k.equals("JBANG_LAUNCHER_CACHE"));
        env.put("PATH", cleanPath);
        env.put("JBANG_LAUNCHER_FASTPATH", "0"); // most tests are about JBang's own protocol
        envChanges.forEach((k, v) -> {
            if (v == null) env.remove(k);
            else env.put(k, v);
        });
        return pb;
    }
}
