///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../../lib/**.java
//SOURCES ../support/GitHubSimulator.java
//SOURCES ../support/Sim*.java
//SOURCES ../support/LauncherCache.java
//SOURCES BenchSection.java
//SOURCES Live.java
//SOURCES StartupBench.java
//SOURCES IngestBench.java
//SOURCES WaitBench.java
//SOURCES TrackBench.java
//SOURCES FollowBench.java
//SOURCES LoadBench.java
//SOURCES LauncherBench.java
//DESCRIPTION Benchmarks start-up, ingest throughput, wait latency, time to run id, completion to exit (simulator), the receiver under an external load generator, and the launcher; prints a Markdown table.
//MAIN Bench

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import lib.receiver.Receiver;

/**
 * Usage: ./jbang tests/bench/bench.java [--quick] [--runs N] [--only startup,ingest,wait,track,follow,load,launcher] [--dir TMPDIR] [--keep]
 *            [--receiver-from CHECKOUT] [--load-seconds N]
 *
 * <p>Measures, on the loopback GitHub simulator and a temporary runs folder:
 * 1. start-up of each script's smallest real job through ./jbang, with and without the launcher's fast path;
 * 2. ingest throughput (in-process, many correlations; one correlation over thousands of deliveries;
 *    the embedded receiver under concurrent signed senders, with a zero-loss check);
 * 3. wait latency from a stored delivery to the run id (in-process watcher and the real script);
 * 4. time to run id and API requests per dispatch for the three strategies, with GitHub-like delays;
 * 5. the delay from a run's completion to trigger-and-track --until completed's exit, polling versus webhook;
 * 6. wait-for-webhook --serve through ./jbang under wrk in another process, and a SIGKILL durability check
 *    (skipped without wrk);
 * 7. the launcher: warm ingest through ./jbang against a bash reference, its own work, --help as the first
 *    run, and (not with --quick) a cold start from a copy of the checkout and an empty home.
 * Progress goes to stderr; the Markdown report to stdout.
 */
class Bench {
    final List<BenchSection.Row> rows = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final boolean quick;
    final int runs;
    final Set<String> only;
    final boolean keep;
    final Path repo;
    /** Section 6 runs this checkout's wait-for-webhook (another commit, for a before/after); else {@link #repo}'s. */
    final Path receiverRepo;
    /** Section 6: how long the warm round of each scenario lasts (0: the default, 20 s, or 5 s with --quick). */
    final int loadSeconds;
    final Path tmp;
    final byte[] completedFixture;
    final byte[] requestedFixture;
    final String loadAtStart = loadavg();

    Bench(boolean quick, int runs, Set<String> only, boolean keep, Path dir, Path receiverFrom, int loadSeconds)
            throws IOException {
        this.quick = quick;
        this.runs = runs;
        this.only = only;
        this.keep = keep;
        this.repo = findRepo();
        this.receiverRepo = receiverFrom == null ? repo : receiverFrom.toAbsolutePath().normalize();
        this.loadSeconds = loadSeconds;
        this.tmp = dir == null ? Files.createTempDirectory("awt-bench-")
                : Files.createTempDirectory(Files.createDirectories(dir), "awt-bench-");
        this.completedFixture = Files.readAllBytes(repo.resolve("tests/fixtures/workflow_run.completed.json"));
        this.requestedFixture = Files.readAllBytes(repo.resolve("tests/fixtures/workflow_run.requested.json"));
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean keep = false;
        Integer runs = null;
        Path dir = null;
        Path receiverFrom = null;
        int loadSeconds = 0;
        Set<String> only = new LinkedHashSet<>(List.of("startup", "ingest", "wait", "track", "follow", "load", "launcher"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--keep" -> keep = true;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--receiver-from" -> receiverFrom = Path.of(args[++i]);
                case "--load-seconds" -> loadSeconds = Integer.parseInt(args[++i]);
                case "--only" -> only = new LinkedHashSet<>(List.of(args[++i].split(",")));
                case "-h", "--help" -> {
                    System.out.println("Usage: ./jbang tests/bench/bench.java [--quick] [--runs N] [--only startup,ingest,wait,track,follow,load,launcher] [--dir TMPDIR] [--keep] [--receiver-from CHECKOUT] [--load-seconds N]");
                    return;
                }
                default -> {
                    System.err.println("unknown option: " + args[i]);
                    System.exit(2);
                }
            }
        }
        // As in wait-for-webhook --listen, the receiver's class (which turns off Nagle's algorithm for the
        // JDK HTTP server) is initialised before any other HTTP server of this JVM (the simulator's) starts.
        Receiver.parseListen("0");
        Bench bench = new Bench(quick, runs != null ? runs : quick ? 3 : 7, only, keep, dir, receiverFrom, loadSeconds);
        long t0 = System.nanoTime();
        try {
            bench.runAll();
        } finally {
            if (!keep) BenchSection.deleteTree(bench.tmp);
        }
        bench.report(System.nanoTime() - t0, args);
        System.exit(0); // simulator and receiver threads are daemons, but HttpClient's selector may linger
    }

    void runAll() throws Exception {
        if (only.contains("startup")) new StartupBench(this).startup();
        if (only.contains("ingest")) new IngestBench(this).ingest();
        if (only.contains("wait")) new WaitBench(this).waitLatency();
        if (only.contains("track")) new TrackBench(this).timeToRunId();
        if (only.contains("follow")) new FollowBench(this).completionToExit();
        if (only.contains("load")) new LoadBench(this).load();
        if (only.contains("launcher")) new LauncherBench(this).launcher();
    }

    // ================================================================ report

    static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    void report(long nanos, String[] args) throws Exception {
        StringBuilder md = new StringBuilder();
        md.append("## Benchmark\n\n");
        md.append("Command: `./jbang tests/bench/bench.java").append(args.length == 0 ? "" : " " + String.join(" ", args)).append("`  \n");
        md.append("Machine: ").append(machine()).append("; load average (1 min) at start ").append(loadAtStart)
                .append(", at end ").append(loadavg()).append("  \n");
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
        md.append("Bench JVM: ").append(jvmArgs.contains("-XX:TieredStopAtLevel=1")
                ? "`-XX:TieredStopAtLevel=1` (C1 only, the launcher's fast-path default, as the scripts run)"
                : "full tiered JIT").append(jvmArgs.stream().anyMatch(a -> a.startsWith("-XX:SharedArchiveFile")) ? ", AppCDS" : "")
                .append("  \n");
        md.append(String.format(Locale.ROOT, "Whole bench: %.0f s%n%n", nanos / 1e9));
        md.append("| section | measurement | how (command / code path) | n | median / rate | spread | target / reference | verdict |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (BenchSection.Row r : rows) {
            md.append("| ").append(r.section()).append(" | ").append(r.what()).append(" | ").append(r.how()).append(" | ").append(r.n())
                    .append(" | ").append(r.median()).append(" | ").append(r.spread()).append(" | ").append(r.target())
                    .append(" | ").append(r.verdict()).append(" |\n");
        }
        md.append('\n');
        for (String n : notes) md.append("- ").append(n).append('\n');
        System.out.print(md);
        System.out.flush();
    }

    static String machine() {
        String cpu = "unknown CPU";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        long memMb = -1;
        try {
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            memMb = os.getTotalMemorySize() / (1024 * 1024);
        } catch (RuntimeException ignored) {
            // not HotSpot
        }
        return String.format(Locale.ROOT, "%d cores (%s), %s MB RAM; Java %s (%s); %s %s %s", Runtime.getRuntime().availableProcessors(),
                cpu, memMb < 0 ? "?" : String.valueOf(memMb), System.getProperty("java.version"), System.getProperty("java.vm.name"),
                System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
    }

    static Path findRepo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("jbang")) && Files.isDirectory(p.resolve("tests/fixtures"))) return p;
        }
        throw new IllegalStateException("run from inside the repository (no ./jbang and tests/fixtures above " + Path.of("").toAbsolutePath() + ")");
    }
}
