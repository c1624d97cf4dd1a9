import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import lib.ingest.DeliveryIntake;
import lib.store.IndexRow;
import lib.store.RunStore;
import lib.webhook.Correlation;
import lib.webhook.Hmac;

/**
 * 6. The receiver as users run it: {@code ./jbang wait-for-webhook.java --serve} in its own process, loaded by
 * wrk in another with real-size signed deliveries (a unique delivery id each), then killed with SIGKILL right
 * after the load: every delivery answered 2xx must be on disk. Needs wrk (a Debian package); skipped without it.
 * Where a scenario has a target rate, a last round offers exactly that rate from {@code OpenLoad.java}, an open-loop
 * generator: wrk keeps every connection busy, so its latencies are those of a saturated receiver, and it does not
 * charge a stall for the requests it held back; the open loop gives the latency at the target rate.
 */
final class LoadBench extends BenchSection {
    private static final Pattern RESULT = Pattern.compile(
            "RESULT rate=([0-9.]+) p50=([0-9.]+) p99=([0-9.]+) max=([0-9.]+) requests=(\\d+) not2xx=(\\d+) socket_errors=(\\d+)");
    private static final Duration OPEN_LOOP = Duration.ofSeconds(20);

    /** How the deliveries are spread: over 64 correlations, over none (runs/unknown/), or into one. */
    private record Scenario(String name, int correlations, boolean correlated, String target, double minRate) {}

    private record Result(double rate, double p50, double p99, double max, long requests, long not2xx, long socketErrors) {}

    private final Path receiverRepo;
    private final int warmSeconds;

    LoadBench(Bench bench) {
        super(bench);
        this.receiverRepo = bench.receiverRepo;
        this.warmSeconds = bench.loadSeconds > 0 ? bench.loadSeconds : quick ? 5 : 20;
    }

    void load() throws Exception {
        if (!wrkInstalled()) {
            notes.add("External load: skipped, wrk is not installed (Debian: apt-get install wrk).");
            return;
        }
        for (int i = 0; i < 2; i++) { // built and recorded by the launcher before anything is timed
            Live help = Live.start(receiverCommand("--help"), env(Map.of(), true), receiverRepo);
            if (!help.process.waitFor(600, TimeUnit.SECONDS) || help.process.exitValue() != 0) {
                throw new IllegalStateException("wait-for-webhook --help failed: " + help.stderr());
            }
        }
        learnTheServeShape();
        List<Scenario> scenarios = List.of(
                new Scenario("64 correlations", 64, true, "≥ 1,500/s, p99 < 50 ms", 1500),
                new Scenario("no correlation (runs/unknown/)", 64, false, "≥ 1,000/s, p99 < 50 ms", 1000),
                new Scenario("one correlation", 1, true, "", 0));
        for (Scenario s : scenarios) run(s, null);
        // Compiler settings for a long-running receiver (the launcher's default C1-only helps short scripts).
        run(scenarios.get(0), "-XX:TieredStopAtLevel=1");
        run(scenarios.get(0), "");
        notes.add("External load: `./jbang wait-for-webhook.java --serve --listen 127.0.0.1:0` (fast path, warm build) loaded by "
                + "`wrk -t2 -c16` with `tests/bench/wrk-deliveries.lua`: the 22 KB `workflow_run.completed` fixture re-targeted "
                + "per correlation (or titled without one), signed, a unique X-GitHub-Delivery per request. Each scenario "
                + "starts a fresh receiver: one round from the fresh JVM, one warm round, then SIGKILL right after the last "
                + "answer and a count of what is on disk once the journal is replayed (as the next receiver does before it "
                + "listens: a kill may cut an index row in half): every delivery answered 2xx must have its marker and index row. "
                + "The launcher runs `--serve` with the full JIT; rows with a JVM option set JBANG_LAUNCHER_JAVA_OPTIONS for "
                + "the receiver. `--receiver-from CHECKOUT` runs another checkout's receiver (e.g. a `git worktree` of an "
                + "older commit) under the same load, for a before/after.");
    }

    /**
     * The launcher's first run of a new command-line shape learns its classes (it waits for the JVM instead of
     * exec'ing it, then rebuilds the archive in the background): done here once, so no scenario is timed
     * while the learner competes for the CPU.
     */
    private void learnTheServeShape() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("load-learn"));
        Path secret = Files.writeString(dir.resolve("secret"), SECRET + "\n");
        Map<String, String> env = env(Map.of(), true);
        Live receiver = Live.start(receiverCommand("--serve", "--listen", "127.0.0.1:0", "--runs-dir", dir.resolve("runs").toString(),
                "--secret-file", secret.toString(), "--state-dir", dir.resolve("state").toString()), env, receiverRepo);
        try {
            if (receiver.awaitStderr("listening on ", Duration.ofSeconds(120)) == null) {
                throw new IllegalStateException("the receiver did not start: " + receiver.stderr());
            }
        } finally {
            receiver.process.destroy(); // SIGTERM: the launcher forwards it and the receiver drains and exits
            if (!receiver.process.waitFor(30, TimeUnit.SECONDS)) killHard(receiver.process);
        }
        awaitBackground(env);
    }

    /** {@code ./jbang wait-for-webhook.java ARGS} of the checkout under test. */
    private List<String> receiverCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(receiverRepo.resolve("jbang").toString(),
                receiverRepo.resolve("wait-for-webhook.java").toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void run(Scenario s, String jvmOptions) throws Exception {
        Duration first = Duration.ofSeconds(quick ? 5 : 10);
        Duration then = Duration.ofSeconds(warmSeconds);
        Path dir = Files.createDirectories(tmp.resolve("load-" + s.name().replaceAll("[^a-z0-9]+", "-")
                + (jvmOptions == null ? "" : jvmOptions.isEmpty() ? "-fulljit" : "-c1")));
        Path runs = dir.resolve("runs");
        Path secret = Files.writeString(dir.resolve("secret"), SECRET + "\n");
        writeBodies(dir, s, new RunStore(runs));
        Map<String, String> env = new HashMap<>();
        if (jvmOptions != null) env.put("JBANG_LAUNCHER_JAVA_OPTIONS", jvmOptions);
        String label = s.name() + (jvmOptions == null ? "" : jvmOptions.isEmpty() ? ", full JIT" : ", C1 only");
        progress("external load: " + label);
        Live receiver = Live.start(receiverCommand("--serve", "--listen", "127.0.0.1:0",
                "--runs-dir", runs.toString(), "--secret-file", secret.toString(), "--state-dir", dir.resolve("state").toString()),
                env(env, true), receiverRepo);
        try {
            String url = receiver.awaitStderr("listening on ", Duration.ofSeconds(120));
            if (url == null) throw new IllegalStateException("the receiver did not start: " + receiver.stderr());
            Result fresh = wrk(url.strip(), dir, "fresh", first);
            Result warm = wrk(url.strip(), dir, "warm", then);
            Result open = s.minRate() > 0 && jvmOptions == null && !quick ? openLoop(url.strip(), dir, s.minRate()) : null;
            killHard(receiver.process);
            long answered = fresh.requests() - fresh.not2xx() + warm.requests() - warm.not2xx()
                    + (open == null ? 0 : open.requests() - open.not2xx());
            long[] onDisk = storedAndTwice(runs);
            boolean lossless = onDisk[0] >= answered && onDisk[1] == 0;
            String how = "`./jbang wait-for-webhook.java --serve`" + (receiverRepo.equals(repo) ? "" : " of " + receiverRepo)
                    + (jvmOptions == null ? "" : " with `" + (jvmOptions.isEmpty() ? "full tiered JIT" : jvmOptions) + "`")
                    + ", `wrk -t2 -c16`";
            String freshPhase = "fresh JVM, first " + first.toSeconds() + " s";
            for (String phase : List.of(freshPhase, "warm, the next " + then.toSeconds() + " s")) {
                Result r = phase.equals(freshPhase) ? fresh : warm;
                boolean ok = r.rate() >= s.minRate() && r.p99() < 50 && r.not2xx() == 0 && r.socketErrors() == 0;
                rows.add(new Row("6. External load (wrk)", label + ", " + phase, how, (int) r.requests(),
                        String.format(Locale.ROOT, "%.0f deliveries/s", r.rate()),
                        String.format(Locale.ROOT, "p50 %.1f ms, p99 %.1f ms, max %.0f ms; non-2xx %d, socket errors %d",
                                r.p50(), r.p99(), r.max(), r.not2xx(), r.socketErrors()),
                        s.target(), s.minRate() == 0 ? "" : ok ? "ok" : "MISSED"));
            }
            if (open != null) {
                boolean ok = open.rate() >= 0.98 * s.minRate() && open.p99() < 50 && open.not2xx() == 0 && open.socketErrors() == 0;
                rows.add(new Row("6. External load (wrk)", label + ", open loop at " + (int) s.minRate() + "/s offered, the next "
                        + OPEN_LOOP.toSeconds() + " s", "`tests/bench/OpenLoad.java` in its own JVM, 16 connections, latency from "
                        + "each request's due time", (int) open.requests(), String.format(Locale.ROOT, "%.0f deliveries/s", open.rate()),
                        String.format(Locale.ROOT, "p50 %.1f ms, p99 %.1f ms, max %.0f ms; non-2xx %d, socket errors %d",
                                open.p50(), open.p99(), open.max(), open.not2xx(), open.socketErrors()),
                        s.target(), ok ? "ok" : "MISSED"));
            }
            rows.add(new Row("6. External load (wrk)", label + ", SIGKILL right after the load",
                    "count on disk after the kill and the next receiver's journal replay",
                    (int) answered, onDisk[0] + " stored", "answered 2xx " + answered + ", stored twice " + onDisk[1]
                            + ", replayed from the journal " + onDisk[2],
                    "every 2xx on disk, none twice", lossless ? "ok" : "LOST"));
        } finally {
            killHard(receiver.process);
        }
    }

    /** One body per correlation (or 64 titled without one), signed; plus each correlation's dispatch metadata. */
    private void writeBodies(Path dir, Scenario s, RunStore store) throws IOException {
        Files.createDirectories(dir.resolve("bodies"));
        StringBuilder sigs = new StringBuilder();
        for (int i = 0; i < s.correlations(); i++) {
            String corr = Correlation.newId();
            byte[] body = payload(completedFixture, corr, 910_000_000L + i);
            if (s.correlated()) {
                writeDispatchMetadata(store, corr);
            } else {
                body = new String(body, StandardCharsets.UTF_8).replace("Dispatch Webhook (" + corr + ")", "Nightly build " + i)
                        .getBytes(StandardCharsets.UTF_8);
            }
            Files.write(dir.resolve("bodies").resolve(i + ".json"), body);
            sigs.append(Hmac.sign(SECRET_BYTES, body)).append('\n');
        }
        Files.writeString(dir.resolve("sigs.txt"), sigs);
    }

    /** The open-loop round: OpenLoad.java run from source by this JVM's java, C1 only so it takes little of the CPU. */
    private Result openLoop(String url, Path dir, double rate) throws Exception {
        progress("external load: open loop at " + (int) rate + "/s");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                repo.resolve("tests/bench/OpenLoad.java").toString(), url, dir.toString(), Double.toString(rate),
                Long.toString(OPEN_LOOP.toSeconds()), "16", "open").redirectErrorStream(true);
        return result(pb, "OpenLoad", OPEN_LOOP);
    }

    private Result wrk(String url, Path dir, String prefix, Duration duration) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("wrk", "-t2", "-c16", "-d" + duration.toSeconds() + "s", "--timeout", "10s",
                "-s", repo.resolve("tests/bench/wrk-deliveries.lua").toString(), url).redirectErrorStream(true);
        pb.environment().put("AWT_WRK_DIR", dir.toString());
        pb.environment().put("AWT_WRK_PREFIX", prefix);
        return result(pb, "wrk", duration);
    }

    private static Result result(ProcessBuilder pb, String what, Duration duration) throws Exception {
        Process p = pb.start();
        String out = readAll(p.getInputStream());
        p.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS);
        Matcher m = RESULT.matcher(out);
        if (!m.find()) throw new IllegalStateException(what + " printed no result: " + out);
        return new Result(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                Double.parseDouble(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7)));
    }

    /**
     * Deliveries stored (a "stored" marker, its row in the index), rows that appear twice, and how many deliveries
     * the killed receiver's journal held: counted as the next receiver finds them, once it has replayed that journal
     * (which repairs an index row the kill cut in half, say).
     */
    private long[] storedAndTwice(Path runs) throws IOException {
        long replayed;
        try (RunStore next = RunStore.journaled(runs, m -> {})) {
            replayed = new DeliveryIntake(next, verifying(), Clock.systemUTC(), m -> {}).recoverJournal();
        }
        RunStore store = new RunStore(runs);
        long stored = 0;
        long twice = 0;
        try (Stream<Path> folders = Files.list(store.root())) {
            for (Path folder : folders.filter(Files::isDirectory).toList()) {
                String name = folder.getFileName().toString();
                if (!Correlation.isValid(name) && !RunStore.UNKNOWN.equals(name)) continue;
                Map<String, Integer> seen = new HashMap<>();
                for (IndexRow row : store.readIndex(name)) seen.merge(row.deliveryId(), 1, Integer::sum);
                for (Map.Entry<String, Integer> e : seen.entrySet()) {
                    if (e.getValue() > 1) twice++;
                    if (store.storedDelivery(name, e.getKey()).isPresent()) stored++;
                }
            }
        }
        return new long[] {stored, twice, replayed};
    }

    /** SIGKILL to the process and everything it started (the launcher may still be its parent). */
    private static void killHard(Process p) throws InterruptedException {
        List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
        all.add(p.toHandle());
        all.forEach(ProcessHandle::destroyForcibly);
        p.waitFor(10, TimeUnit.SECONDS);
    }

    private static boolean wrkInstalled() {
        try {
            Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
            readAll(p.getInputStream());
            p.waitFor(10, TimeUnit.SECONDS);
            return true;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
