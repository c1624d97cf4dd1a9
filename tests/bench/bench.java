///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../../lib/*.java
//SOURCES ../support/GitHubSimulator.java
//SOURCES ../support/Sim*.java
//DESCRIPTION Benchmarks start-up, ingest throughput, wait latency and time to run id on the GitHub simulator; prints a Markdown table.
//MAIN Bench

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import lib.Correlation;
import lib.DeliveryIntake;
import lib.DeliveryWatcher;
import lib.Headers;
import lib.Hmac;
import lib.Ingest;
import lib.Json;
import lib.Receiver;
import lib.RunStore;
import lib.Secret;
import lib.WaitCondition;
import lib.WebhookDelivery;

/**
 * Usage: ./jbang tests/bench/bench.java [--quick] [--runs N] [--only startup,ingest,wait,track] [--dir TMPDIR] [--keep]
 *
 * <p>Measures, on the loopback GitHub simulator and a temporary runs folder:
 * 1. start-up of each script's smallest real job through ./jbang, with and without the launcher's fast path;
 * 2. ingest throughput (in-process, many correlations; one correlation over thousands of deliveries;
 *    the embedded receiver under concurrent signed senders, with a zero-loss check);
 * 3. wait latency from a stored delivery to the run id (in-process watcher and the real script);
 * 4. time to run id and API requests per dispatch for the three strategies, with GitHub-like delays.
 * Progress goes to stderr; the Markdown report to stdout.
 */
class Bench {
    static final String SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
    static final byte[] SECRET_BYTES = SECRET.getBytes(StandardCharsets.UTF_8);
    static final String FIXTURE_CORRELATION = "5b0b2ad4-3c1f-4f7e-9a55-8d3f2f0d7c11";
    static final long FIXTURE_RUN_ID = 30433642L;

    record Row(String section, String what, String how, int n, String median, String spread, String target, String verdict) {}

    final List<Row> rows = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final boolean quick;
    final int runs;
    final Set<String> only;
    final boolean keep;
    final Path repo;
    final Path tmp;
    final byte[] completedFixture;
    final byte[] requestedFixture;
    final String loadAtStart = loadavg();

    Bench(boolean quick, int runs, Set<String> only, boolean keep, Path dir) throws IOException {
        this.quick = quick;
        this.runs = runs;
        this.only = only;
        this.keep = keep;
        this.repo = findRepo();
        this.tmp = dir == null ? Files.createTempDirectory("awt-bench-") : Files.createTempDirectory(dir, "awt-bench-");
        this.completedFixture = Files.readAllBytes(repo.resolve("tests/fixtures/workflow_run.completed.json"));
        this.requestedFixture = Files.readAllBytes(repo.resolve("tests/fixtures/workflow_run.requested.json"));
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean keep = false;
        Integer runs = null;
        Path dir = null;
        Set<String> only = new LinkedHashSet<>(List.of("startup", "ingest", "wait", "track"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--keep" -> keep = true;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--only" -> only = new LinkedHashSet<>(List.of(args[++i].split(",")));
                case "-h", "--help" -> {
                    System.out.println("Usage: ./jbang tests/bench/bench.java [--quick] [--runs N] [--only startup,ingest,wait,track] [--dir TMPDIR] [--keep]");
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
        Bench bench = new Bench(quick, runs != null ? runs : quick ? 3 : 7, only, keep, dir);
        long t0 = System.nanoTime();
        try {
            bench.runAll();
        } finally {
            if (!keep) deleteTree(bench.tmp);
        }
        bench.report(System.nanoTime() - t0, args);
        System.exit(0); // simulator and receiver threads are daemons, but HttpClient's selector may linger
    }

    void runAll() throws Exception {
        if (only.contains("startup")) startup();
        if (only.contains("ingest")) ingest();
        if (only.contains("wait")) waitLatency();
        if (only.contains("track")) timeToRunId();
    }

    // ================================================================ 1. start-up

    void startup() throws Exception {
        progress("start-up: warming up (builds, fast-path records, AppCDS archives)");
        Path pwwRuns = tmp.resolve("startup/pww-runs");
        Path noState = tmp.resolve("startup/no-state");
        Path sample = repo.resolve("tests/fixtures/sample/payload.json");

        // wait-for-webhook: a verified delivery is already stored.
        Path waitRuns = tmp.resolve("startup/wait-runs");
        String waitCorr = Correlation.newId();
        ingestSigned(new Ingest(new RunStore(waitRuns), verifying(), Clock.systemUTC(), m -> {}),
                payload(completedFixture, waitCorr, 900_000_001L), "startup-wait-1");

        try (GitHubSimulator manageSim = GitHubSimulator.start();
                GitHubSimulator triggerSim = GitHubSimulator.start()) {
            manageSim.phaseDelays(Duration.ofSeconds(600), Duration.ofSeconds(600));
            triggerSim.phaseDelays(Duration.ofSeconds(600), Duration.ofSeconds(600));
            Path manageState = tmp.resolve("startup/manage-state");
            Map<String, String> manageEnv = Map.of("GH_TOKEN", manageSim.token(), "GITHUB_REPOSITORY", manageSim.repo(),
                    "GITHUB_API_URL", manageSim.apiUrl());
            Proc reg = jbang(manageEnv, true, "manage-actions-webhook.java", "register", "--state-dir", manageState.toString(),
                    "--url", "http://127.0.0.1:9/hook");
            if (reg.exit != 0) throw new IllegalStateException("register failed: " + reg.err);
            Path triggerRuns = tmp.resolve("startup/trigger-runs");
            Map<String, String> triggerEnv = Map.of("GH_TOKEN", triggerSim.token());

            record Job(String name, String reference, Map<String, String> env, java.util.function.IntFunction<String[]> args) {}
            List<Job> jobs = List.of(
                    new Job("process-workflow-webhook (ingest one file)", "bash+jq+python: ~0.55 s (jbang-notes.md)", Map.of(),
                            i -> new String[] {"process-workflow-webhook.java", "--file", sample.toString(), "--skip-verify",
                                "--runs-dir", pwwRuns.toString(), "--state-dir", noState.toString(),
                                "--delivered", "startup-" + i, "--event", "workflow_run"}),
                    new Job("wait-for-webhook (already stored)", "", Map.of(),
                            i -> new String[] {"wait-for-webhook.java", "--correlation-id", waitCorr, "--timeout", "5",
                                "--runs-dir", waitRuns.toString(), "--state-dir", noState.toString()}),
                    new Job("manage-actions-webhook status", "", manageEnv,
                            i -> new String[] {"manage-actions-webhook.java", "status", "--state-dir", manageState.toString()}),
                    new Job("trigger-and-track --webhook-only", "", triggerEnv,
                            i -> new String[] {"trigger-and-track.java", "--webhook-only", "--json-only", "--repo", triggerSim.repo(),
                                "--api-url", triggerSim.apiUrl(), "--store-dir", triggerRuns.toString(), "--ref", "main"}));
            int counter = 0;
            for (Job job : jobs) { // warm-up: JBang build, fast-path record, then the AppCDS archive
                for (int w = 0; w < 2; w++) {
                    Proc p = jbang(job.env, true, job.args.apply(counter++));
                    if (p.exit != 0) throw new IllegalStateException(job.name + " failed in warm-up: " + p.err);
                }
                Proc p = jbang(job.env, false, job.args.apply(counter++));
                if (p.exit != 0) throw new IllegalStateException(job.name + " failed through plain JBang: " + p.err);
            }
            for (Job job : jobs) {
                List<Double> fast = new ArrayList<>();
                List<Double> plain = new ArrayList<>();
                for (int r = 0; r < runs; r++) { // interleaved, so drift hits both alike
                    Proc f = jbang(job.env, true, job.args.apply(counter++));
                    Proc s = jbang(job.env, false, job.args.apply(counter++));
                    if (f.exit != 0 || s.exit != 0) throw new IllegalStateException(job.name + " failed: " + f.err + s.err);
                    fast.add(f.seconds);
                    plain.add(s.seconds);
                }
                progress(String.format(Locale.ROOT, "start-up %s: fast %.2f s, plain %.2f s", job.name, median(fast), median(plain)));
                rows.add(new Row("1. Start-up (warm, wall)", job.name, "`./jbang` plain JBang (`JBANG_LAUNCHER_FASTPATH=0`)",
                        plain.size(), sec(median(plain)), range(plain, "s"), job.reference.isEmpty() ? "" : job.reference, ""));
                rows.add(new Row("1. Start-up (warm, wall)", job.name, "`./jbang` fast path (default)", fast.size(),
                        sec(median(fast)), range(fast, "s"),
                        String.format(Locale.ROOT, "%.1fx faster than plain", median(plain) / median(fast)), ""));
            }
        }
        notes.add("Start-up: each job runs as `./jbang SCRIPT.java ...` from the repository root, wall time from process start "
                + "to exit, everything warm (2 fast-path runs and 1 plain run first). Fast and plain runs are interleaved. "
                + "process-workflow-webhook stores a new delivery id each run; manage status and trigger-and-track talk to "
                + "the loopback simulator (trigger dispatches for real: 2 API requests).");
    }

    // ================================================================ 2. ingest throughput

    void ingest() throws Exception {
        warmIngest();
        manyCorrelations(tmp, "");
        Path shm = Path.of("/dev/shm");
        boolean tmpfs = !quick && Files.isDirectory(shm) && Files.isWritable(shm);
        if (tmpfs) manyCorrelations(shm, " — tmpfs (/dev/shm), for comparison");
        oneCorrelation();
        // (c) the receiver under concurrent signed senders
        for (int[] shape : quick ? new int[][] {{16, 64}} : new int[][] {{8, 64}, {16, 64}, {16, 1}}) {
            receiverLoad(tmp, "", shape[0], shape[1], Duration.ofSeconds(quick ? 2 : 5));
        }
        if (tmpfs) receiverLoad(shm, " — tmpfs (/dev/shm), for comparison", 16, 64, Duration.ofSeconds(5));
        notes.add("Ingest: each delivery is the 22 KB `tests/fixtures/workflow_run.completed.json` re-targeted at its "
                + "correlation, signed with `lib.Hmac` and verified. A stored delivery costs 4 fsyncs (event file, "
                + "metadata, index append, delivery marker; the pending marker and the run-id pointer are unsynced hints), "
                + "creates 4 inodes and frees 2 (the pending marker, the replaced metadata file). CPU is this JVM's "
                + "user+kernel time.");
    }

    void manyCorrelations(Path base, String label) throws Exception {
        int nA = quick ? 500 : 2000;
        Path runsA = Files.createTempDirectory(base, "awt-bench-ingest-a-");
        RunStore storeA = new RunStore(runsA);
        Ingest ingestA = new Ingest(storeA, verifying(), Clock.systemUTC(), m -> {});
        List<String> corrs = new ArrayList<>();
        for (int i = 0; i < nA; i++) {
            String c = Correlation.newId();
            corrs.add(c);
            writeDispatchMetadata(storeA, c);
        }
        List<WebhookDelivery> deliveriesA = new ArrayList<>();
        for (int i = 0; i < nA; i++) deliveriesA.add(signed(payload(completedFixture, corrs.get(i), 700_000_000L + i), "a-" + i));
        progress("ingest (a): " + nA + " deliveries, " + nA + " correlations, in-process" + label);
        double[] perA = new double[nA];
        double cpuA = cpuMs();
        long startA = System.nanoTime();
        for (int i = 0; i < nA; i++) {
            long t = System.nanoTime();
            ingestA.process(deliveriesA.get(i));
            perA[i] = (System.nanoTime() - t) / 1e6;
        }
        double secondsA = (System.nanoTime() - startA) / 1e9;
        cpuA = (cpuMs() - cpuA) / nA;
        rows.add(new Row("2. Ingest throughput", "(a) many correlations, one thread" + label,
                "`lib.Ingest.process`, HMAC-verified, metadata file present, " + nA + " deliveries / " + nA + " correlations",
                nA, String.format(Locale.ROOT, "%.0f deliveries/s", nA / secondsA),
                "per delivery p50 " + ms(pct(perA, 50)) + ", p99 " + ms(pct(perA, 99)) + "; CPU " + ms(cpuA) + "/delivery", "", ""));
        if (base != tmp) deleteTree(runsA);
    }

    void oneCorrelation() throws Exception {
        // (b) one correlation, thousands of deliveries: does the cost grow?
        int nB = quick ? 2000 : 5000;
        int window = 500;
        Path runsB = tmp.resolve("ingest-b");
        RunStore storeB = new RunStore(runsB);
        Ingest ingestB = new Ingest(storeB, verifying(), Clock.systemUTC(), m -> {});
        String corrB = Correlation.newId();
        writeDispatchMetadata(storeB, corrB);
        byte[] bodyB = payload(completedFixture, corrB, 800_000_001L);
        String sigB = Hmac.sign(SECRET_BYTES, bodyB);
        progress("ingest (b): " + nB + " deliveries into one correlation");
        double[] perB = new double[nB];
        double cpuB = cpuMs();
        long startB = System.nanoTime();
        for (int i = 0; i < nB; i++) {
            WebhookDelivery d = new WebhookDelivery(bodyB, headers("b-" + i, sigB));
            long t = System.nanoTime();
            ingestB.process(d);
            perB[i] = (System.nanoTime() - t) / 1e6;
        }
        double secondsB = (System.nanoTime() - startB) / 1e9;
        cpuB = (cpuMs() - cpuB) / nB;
        double first = mean(perB, 0, window);
        double last = mean(perB, nB - window, nB);
        int indexRows = storeB.readIndex(RunStore.folderFor(corrB)).size();
        if (indexRows != nB) throw new IllegalStateException("ingest (b): index has " + indexRows + " rows, expected " + nB);
        rows.add(new Row("2. Ingest throughput", "(b) one correlation, " + nB + " deliveries",
                "`lib.Ingest.process`, same correlation each time", nB,
                String.format(Locale.ROOT, "%.0f deliveries/s", nB / secondsB),
                String.format(Locale.ROOT, "first %d: %s mean (p50 %s); last %d: %s mean (p50 %s)", window, ms(first),
                        ms(pct(Arrays.copyOfRange(perB, 0, window), 50)), window, ms(last),
                        ms(pct(Arrays.copyOfRange(perB, nB - window, nB), 50))) + "; CPU " + ms(cpuB) + "/delivery",
                "last/first ≤ 3x", String.format(Locale.ROOT, "%.2fx %s", last / first, last / first <= 3 ? "ok" : "MISSED")));
    }

    void receiverLoad(Path base, String label, int senders, int correlations, Duration duration) throws Exception {
        Path runs = Files.createTempDirectory(base, "awt-bench-receiver-" + senders + "x" + correlations + "-");
        RunStore store = new RunStore(runs);
        List<String> corrs = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        List<String> sigs = new ArrayList<>();
        for (int i = 0; i < correlations; i++) {
            String c = Correlation.newId();
            corrs.add(c);
            writeDispatchMetadata(store, c);
            byte[] b = payload(completedFixture, c, 600_000_000L + i);
            bodies.add(b);
            sigs.add(Hmac.sign(SECRET_BYTES, b));
        }
        DeliveryIntake intake = new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {});
        ConcurrentLinkedQueue<String> receiverLog = new ConcurrentLinkedQueue<>();
        progress("ingest (c): receiver, " + senders + " senders, " + correlations + " correlation(s), " + duration.toSeconds() + " s");
        ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        List<double[]> latencies = Collections.synchronizedList(new ArrayList<>());
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        double seconds;
        double cpu;
        try (Receiver receiver = Receiver.start(Receiver.parseListen("0"), "/", intake, receiverLog::add)) {
            URI url = receiver.url();
            // warm-up: JIT, connections
            for (int i = 0; i < 200; i++) {
                int k = i % correlations;
                if (post(http, url, bodies.get(k), sigs.get(k), "warm-" + i) == 200) acked.add(corrs.get(k) + " warm-" + i);
                else failed.add("warm-" + i);
            }
            CountDownLatch go = new CountDownLatch(1);
            long[] stopAt = new long[1];
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                Thread t = new Thread(() -> {
                    double[] lat = new double[1 << 16];
                    int n = 0;
                    try {
                        go.await();
                        for (int i = 0; System.nanoTime() < stopAt[0]; i++) {
                            int k = (sender + i * senders) % correlations;
                            String id = "c-" + sender + "-" + i;
                            long t0 = System.nanoTime();
                            int status;
                            try {
                                status = post(http, url, bodies.get(k), sigs.get(k), id);
                            } catch (IOException e) {
                                status = -1;
                            }
                            if (n < lat.length) lat[n++] = (System.nanoTime() - t0) / 1e6;
                            if (status == 200) acked.add(corrs.get(k) + " " + id);
                            else failed.add(id + " -> " + status);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    latencies.add(Arrays.copyOf(lat, n));
                }, "sender-" + s);
                threads.add(t);
                t.start();
            }
            stopAt[0] = System.nanoTime() + duration.toNanos();
            cpu = cpuMs();
            long start = System.nanoTime();
            go.countDown();
            for (Thread t : threads) t.join();
            seconds = (System.nanoTime() - start) / 1e9;
            cpu = cpuMs() - cpu;
        }
        double[] all = latencies.stream().flatMapToDouble(Arrays::stream).toArray();
        Arrays.sort(all);
        int measured = all.length;
        Loss loss = checkNoLoss(store, acked, corrs);
        double rate = measured / seconds;
        boolean ok = rate >= 1000 && pct(all, 99) < 50 && loss.ok() && failed.isEmpty();
        rows.add(new Row("2. Ingest throughput",
                "(c) receiver, " + senders + " senders, " + (correlations == 1 ? "ONE correlation" : correlations + " correlations") + label,
                "`lib.Receiver` in-process, `java.net.http.HttpClient` (HTTP/1.1), signed, " + duration.toSeconds() + " s sustained",
                measured, String.format(Locale.ROOT, "%.0f deliveries/s", rate),
                "answer p50 " + ms(pct(all, 50)) + ", p99 " + ms(pct(all, 99)) + ", max " + ms(all.length == 0 ? 0 : all[all.length - 1])
                        + "; CPU " + ms(cpu / Math.max(1, measured)) + "/delivery (senders included)"
                        + "; " + loss.describe() + (failed.isEmpty() ? "" : "; " + failed.size() + " not acknowledged (" + failed.peek() + ")"),
                "≥ 1,000/s, p99 < 50 ms, zero loss", ok ? "ok" : "MISSED"));
        if (base != tmp) deleteTree(runs);
    }

    record Loss(long acked, long rows, long missing, long duplicated, long extra, long invalidFiles) {
        boolean ok() {
            return missing == 0 && duplicated == 0 && invalidFiles == 0;
        }

        String describe() {
            return String.format(Locale.ROOT, "%d acked, %d rows, missing %d, twice %d, unacked extra %d, invalid JSON files %d",
                    acked, rows, missing, duplicated, extra, invalidFiles);
        }
    }

    /** Every acknowledged delivery is in its correlation's index exactly once, and every stored JSON file parses. */
    static Loss checkNoLoss(RunStore store, ConcurrentLinkedQueue<String> acked, List<String> corrs) throws IOException {
        Map<String, Map<String, Integer>> seen = new HashMap<>();
        long rows = 0;
        for (String c : corrs) {
            Map<String, Integer> count = new HashMap<>();
            for (JsonNode row : store.readIndex(RunStore.folderFor(c))) {
                count.merge(Json.text(row, "delivery_id"), 1, Integer::sum);
                rows++;
            }
            seen.put(c, count);
        }
        long missing = 0;
        long twice = 0;
        Set<String> ackedIds = new java.util.HashSet<>();
        for (String a : acked) {
            String[] p = a.split(" ", 2);
            ackedIds.add(a);
            int n = seen.getOrDefault(p[0], Map.of()).getOrDefault(p[1], 0);
            if (n == 0) missing++;
            if (n > 1) twice++;
        }
        long extra = 0;
        for (var e : seen.entrySet()) {
            for (String id : e.getValue().keySet()) if (!ackedIds.contains(e.getKey() + " " + id)) extra++;
        }
        long invalid = 0;
        try (Stream<Path> files = Files.walk(store.root())) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".json") && Files.isRegularFile(p))::iterator) {
                try {
                    Json.MAPPER.readTree(Files.readAllBytes(f));
                } catch (IOException e) {
                    invalid++;
                }
            }
        }
        return new Loss(acked.size(), rows, missing, twice, extra, invalid);
    }

    static int post(HttpClient http, URI url, byte[] body, String signature, String deliveryId) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-GitHub-Event", "workflow_run")
                .header("X-GitHub-Delivery", deliveryId)
                .header("X-Hub-Signature-256", signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    // ================================================================ 3. wait latency

    void waitLatency() throws Exception {
        warmIngest();
        int n = quick ? 10 : 30;
        Path inprocRuns = tmp.resolve("wait-inproc");
        RunStore store = new RunStore(inprocRuns);
        Ingest ingest = new Ingest(store, verifying(), Clock.systemUTC(), m -> {});
        WaitCondition condition = new WaitCondition(false, false);
        progress("wait latency: in-process DeliveryWatcher x " + n);
        List<Double> lat = new ArrayList<>();
        for (int i = 0; i < n + 3; i++) {
            String corr = Correlation.newId();
            writeDispatchMetadata(store, corr);
            AtomicLong doneAt = new AtomicLong();
            AtomicReference<Optional<JsonNode>> answer = new AtomicReference<>();
            try (DeliveryWatcher watcher = new DeliveryWatcher(store, corr, DeliveryWatcher.DEFAULT_FALLBACK_POLL)) {
                Thread waiter = new Thread(() -> {
                    try {
                        answer.set(watcher.await(condition::match, Duration.ofSeconds(10)));
                        doneAt.set(System.nanoTime());
                    } catch (Exception e) {
                        answer.set(Optional.empty());
                    }
                });
                waiter.start();
                Thread.sleep(60); // the waiter is blocked by now
                long t0 = System.nanoTime();
                ingestSigned(ingest, payload(requestedFixture, corr, 500_000_000L + i), "w-" + i); // no wake(): another "process"
                waiter.join(15_000);
                if (answer.get() == null || answer.get().isEmpty()) throw new IllegalStateException("watcher saw nothing");
                if (i >= 3) lat.add((doneAt.get() - t0) / 1e6); // the first 3 warm up
            }
        }
        rows.add(new Row("3. Wait latency", "delivery stored -> run id seen",
                "`lib.DeliveryWatcher` in-process (inotify WatchService, 250 ms fallback poll), store by `lib.Ingest` in another thread, no wake()",
                lat.size(), ms(median(lat)), "p10–p90 " + ms(pctL(lat, 10)) + "–" + ms(pctL(lat, 90)) + ", max " + ms(Collections.max(lat)),
                "< 50 ms", median(lat) < 50 ? "ok" : "MISSED"));

        int m = quick ? 3 : Math.max(5, runs);
        progress("wait latency: wait-for-webhook subprocess x " + m);
        Path runs2 = tmp.resolve("wait-proc");
        RunStore store2 = new RunStore(runs2);
        Ingest ingest2 = new Ingest(store2, verifying(), Clock.systemUTC(), x -> {});
        List<Double> procLat = new ArrayList<>();
        List<Double> waited = new ArrayList<>();
        for (int i = 0; i < m + 1; i++) {
            String corr = Correlation.newId();
            writeDispatchMetadata(store2, corr);
            Live live = Live.start(command(true, "wait-for-webhook.java", "--correlation-id", corr, "--timeout", "30",
                    "--runs-dir", runs2.toString(), "--state-dir", tmp.resolve("no-state").toString()), env(Map.of(), true), repo);
            Thread.sleep(1500); // well past its start-up (~0.4 s): it is watching
            if (!live.process.isAlive()) throw new IllegalStateException("wait-for-webhook exited early: " + live.stderr());
            long t0 = System.nanoTime();
            ingestSigned(ingest2, payload(requestedFixture, corr, 510_000_000L + i), "wp-" + i);
            String line = live.awaitStdoutLine(Duration.ofSeconds(20));
            long t1 = live.firstLineAt.get();
            live.process.waitFor(10, TimeUnit.SECONDS);
            if (line == null) throw new IllegalStateException("wait-for-webhook printed nothing: " + live.stderr());
            if (i >= 1) {
                procLat.add((t1 - t0) / 1e6);
                waited.add((double) Json.parse(line.getBytes(StandardCharsets.UTF_8), "out").path("waited_ms").asLong());
            }
        }
        rows.add(new Row("3. Wait latency", "delivery stored -> run id printed",
                "`./jbang wait-for-webhook.java --correlation-id U` (fast path) started 1.5 s before the store; time to its stdout line",
                procLat.size(), ms(median(procLat)), "min–max " + ms(Collections.min(procLat)) + "–" + ms(Collections.max(procLat)),
                "< 50 ms", median(procLat) < 50 ? "ok" : "MISSED"));
        notes.add("Wait latency: measured from the start of the storing call (an `Ingest.process` of ~1 ms in the bench JVM) "
                + "to the watcher returning / the script's JSON line arriving on the bench's pipe.");
    }

    // ================================================================ 4. time to run id

    void timeToRunId() throws Exception {
        int n = quick ? 2 : Math.max(3, Math.min(runs, 5));
        Duration visibility = Duration.ofSeconds(2);
        Duration queued = Duration.ofSeconds(1);
        Duration inProgress = Duration.ofSeconds(3);
        Duration deliveryDelay = Duration.ofMillis(300);
        String delays = "run listed after 2 s, queued 1 s, in_progress 3 s, each delivery 300 ms after its change";

        // Strategy 1: the dispatch answer (github.com-like)
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            sim.visibilityDelay(visibility).phaseDelays(queued, inProgress).deliveryDelay(deliveryDelay);
            Path store = tmp.resolve("track-api");
            List<double[]> m = new ArrayList<>();
            for (int i = 0; i < n + 1; i++) {
                progress("time to run id: dispatch answer, run " + (i + 1));
                int before = sim.requests().size();
                int remaining = sim.rateLimitRemaining();
                Proc p = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--json-only", "--repo", sim.repo(),
                        "--api-url", sim.apiUrl(), "--store-dir", store.toString(), "--ref", "main", "--timeout", "60");
                JsonNode out = Json.parse(p.out.getBytes(StandardCharsets.UTF_8), "stdout");
                if (p.exit != 0 || !out.hasNonNull("run_id") || !"api".equals(Json.text(out, "source"))) {
                    throw new IllegalStateException("dispatch-answer run failed: " + p.out + p.err);
                }
                if (i > 0) m.add(new double[] {p.seconds, sim.requests().size() - before, remaining - sim.rateLimitRemaining()});
            }
            addTrackRow("dispatch answer (`source: api`)", "`./jbang trigger-and-track.java --ref main` on the github.com-like simulator",
                    m, "", "");
        }

        // Strategy 2: webhook (--webhook-only + receiver + wait)
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            sim.visibilityDelay(visibility).phaseDelays(queued, inProgress).deliveryDelay(deliveryDelay);
            Path runsDir = tmp.resolve("track-webhook");
            Path secretFile = tmp.resolve("track-webhook-secret");
            Files.writeString(secretFile, SECRET + "\n");
            HttpClient http = HttpClient.newHttpClient();
            long hookId = Json.parse(simCall(http, sim, "POST", "/hooks", "{\"name\":\"web\",\"active\":true,\"events\":[\"workflow_run\",\"workflow_job\"],"
                    + "\"config\":{\"url\":\"http://127.0.0.1:9/\",\"content_type\":\"json\",\"secret\":\"" + SECRET + "\"}}").getBytes(StandardCharsets.UTF_8), "hook").path("id").asLong();
            List<double[]> m = new ArrayList<>();
            for (int i = 0; i < n + 1; i++) {
                progress("time to run id: webhook, run " + (i + 1));
                String corr = Correlation.newId();
                Live wait = Live.start(command(true, "wait-for-webhook.java", "--listen", "0", "--correlation-id", corr,
                        "--timeout", "60", "--runs-dir", runsDir.toString(), "--secret-file", secretFile.toString(),
                        "--state-dir", tmp.resolve("no-state").toString()), env(Map.of(), true), repo);
                String listenUrl = wait.awaitStderr("listening on ", Duration.ofSeconds(20));
                if (listenUrl == null) throw new IllegalStateException("wait-for-webhook did not listen: " + wait.stderr());
                simCall(http, sim, "PATCH", "/hooks/" + hookId + "/config", "{\"url\":\"" + listenUrl.trim()
                        + "\",\"content_type\":\"json\",\"secret\":\"" + SECRET + "\"}");
                int before = sim.requests().size();
                int remaining = sim.rateLimitRemaining();
                long t0 = System.nanoTime();
                Proc trigger = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--webhook-only", "--json-only",
                        "--correlation-id", corr, "--repo", sim.repo(), "--api-url", sim.apiUrl(), "--store-dir", runsDir.toString(),
                        "--ref", "main");
                int requests = sim.requests().size() - before;
                int charged = remaining - sim.rateLimitRemaining();
                String line = wait.awaitStdoutLine(Duration.ofSeconds(30));
                long t1 = wait.firstLineAt.get();
                wait.process.waitFor(10, TimeUnit.SECONDS);
                if (trigger.exit != 0 || line == null || !Json.parse(line.getBytes(StandardCharsets.UTF_8), "out").hasNonNull("run_id")) {
                    throw new IllegalStateException("webhook run failed: " + trigger.err + " / " + line + " / " + wait.stderr());
                }
                if (i > 0) m.add(new double[] {(t1 - t0) / 1e9, requests, charged});
                // The simulator's single hookshot thread sends one delivery at a time, 300 ms each: let this run's
                // six (3 workflow_run, 3 workflow_job) go out first, or the next run queues behind them.
                sim.awaitRun(sim.runs().get(sim.runs().size() - 1).id, "completed", Duration.ofSeconds(30));
                sim.awaitDeliveries(1 + 6 * (i + 1), Duration.ofSeconds(30));
            }
            addTrackRow("webhook (`--webhook-only` + `wait-for-webhook --listen`)",
                    "`./jbang wait-for-webhook.java --listen 0 --correlation-id U` running, then `./jbang trigger-and-track.java "
                            + "--webhook-only --correlation-id U --ref main`; time from the trigger's start to wait's run id; "
                            + "each run starts once the previous run's deliveries are out",
                    m, "≤ 2 requests per dispatch", "webhook");
        }

        // Strategy 3: polling (GHES 3.20: no run details), --interval 3 (the default)
        try (GitHubSimulator sim = GitHubSimulator.start(GitHubSimulator.Config.defaults().enterprise("3.20.0"))) {
            sim.visibilityDelay(visibility).phaseDelays(queued, inProgress).deliveryDelay(deliveryDelay);
            Path store = tmp.resolve("track-poll");
            List<double[]> m = new ArrayList<>();
            String runsPath = "/repos/" + sim.repo() + "/actions/workflows/dispatch-webhook.yml/runs";
            double firstRequests = 0;
            for (int i = 0; i < n + 1; i++) {
                progress("time to run id: polling, run " + (i + 1));
                int before = sim.requests().size();
                long listBefore = sim.requestCount("GET", runsPath);
                int remaining = sim.rateLimitRemaining();
                Proc p = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--json-only", "--repo", sim.repo(),
                        "--api-url", sim.apiUrl(), "--store-dir", store.toString(), "--ref", "main", "--interval", "3", "--timeout", "60");
                JsonNode out = Json.parse(p.out.getBytes(StandardCharsets.UTF_8), "stdout");
                if (p.exit != 0 || !out.hasNonNull("run_id") || !"poll".equals(Json.text(out, "source"))) {
                    throw new IllegalStateException("polling run failed: " + p.out + p.err);
                }
                double[] r = {p.seconds, sim.requests().size() - before, remaining - sim.rateLimitRemaining(),
                    sim.requestCount("GET", runsPath) - listBefore};
                if (i == 0) firstRequests = r[1];
                else m.add(r);
            }
            addTrackRow("polling (`source: poll`), `--interval 3`",
                    "`./jbang trigger-and-track.java --ref main --interval 3` on the GHES 3.20 simulator (`enterprise(\"3.20.0\")`, "
                            + "no run details); steady state with the feature memory", m, "≤ 1 charged request per interval", "poll");
            // A run that shows up late: unchanged list answers come back 304 and cost nothing.
            sim.visibilityDelay(Duration.ofSeconds(10));
            List<double[]> late = new ArrayList<>();
            for (int i = 0; i < (quick ? 1 : 2); i++) {
                progress("time to run id: polling, run listed after 10 s, run " + (i + 1));
                int before = sim.requests().size();
                long listBefore = sim.requestCount("GET", runsPath);
                int remaining = sim.rateLimitRemaining();
                Proc p = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--json-only", "--repo", sim.repo(),
                        "--api-url", sim.apiUrl(), "--store-dir", store.toString(), "--ref", "main", "--interval", "3", "--timeout", "60");
                if (p.exit != 0) throw new IllegalStateException("polling run failed: " + p.out + p.err);
                late.add(new double[] {p.seconds, sim.requests().size() - before, remaining - sim.rateLimitRemaining(),
                    sim.requestCount("GET", runsPath) - listBefore});
            }
            addTrackRow("polling, run listed only after 10 s", "as above, `visibilityDelay(10 s)`", late,
                    "≤ 1 charged request per interval", "poll");
            notes.add(String.format(Locale.ROOT, "Polling: the very first dispatch against a GHES 3.20 API URL costs %.0f requests "
                    + "(the rejected `return_run_details` try included); the feature memory then skips that try.", firstRequests));
        }
        notes.add("Time to run id: simulator delays " + delays + "; wall times include the script's JVM start "
                + "(fast path). Requests are the simulator's request log; charged = drop of its core rate limit (304s are free).");
    }

    void addTrackRow(String strategy, String how, List<double[]> m, String target, String kind) {
        List<Double> secs = m.stream().map(r -> r[0]).toList();
        List<Double> req = m.stream().map(r -> r[1]).toList();
        List<Double> charged = m.stream().map(r -> r[2]).toList();
        String spread = "min–max " + sec(Collections.min(secs)) + "–" + sec(Collections.max(secs))
                + String.format(Locale.ROOT, "; requests/dispatch %s (charged %s)", num(req), num(charged));
        String verdict = "";
        if (kind.equals("webhook")) verdict = Collections.max(req) <= 2 ? "ok" : "MISSED";
        if (kind.equals("poll")) {
            List<Double> lists = m.stream().map(r -> r[3]).toList();
            // charged requests other than the list: the workflow GET and the dispatch
            double worstChargedLists = m.stream().mapToDouble(r -> r[2] - 2).max().orElse(0);
            double fewestIntervals = m.stream().mapToDouble(r -> Math.max(1, r[3])).min().orElse(1);
            spread += String.format(Locale.ROOT, "; list requests (one per interval) %s, of them charged at most %.0f (the rest 304)",
                    num(lists), worstChargedLists);
            verdict = worstChargedLists <= fewestIntervals ? "ok" : "MISSED";
        }
        rows.add(new Row("4. Time to run id", strategy, how, m.size(), sec(median(secs)), spread, target, verdict));
    }

    String simCall(HttpClient http, GitHubSimulator sim, String method, String path, String json) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(sim.apiUrl() + "/repos/" + sim.repo() + path))
                .header("Authorization", "Bearer " + sim.token()).header("Accept", "application/vnd.github+json")
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
        return r.body();
    }

    // ================================================================ helpers: ingest

    static Ingest.Options verifying() {
        return Ingest.Options.verifying(Optional.of(new Secret(SECRET, "bench")));
    }

    /** One pass over the ingest path so the JIT and class loading do not count against the first measurements. */
    void warmIngest() throws IOException {
        Path runs = tmp.resolve("warm-" + System.nanoTime());
        Ingest ingest = new Ingest(new RunStore(runs), verifying(), Clock.systemUTC(), m -> {});
        String corr = Correlation.newId();
        writeDispatchMetadata(new RunStore(runs), corr);
        for (int i = 0; i < 300; i++) ingestSigned(ingest, payload(completedFixture, i % 2 == 0 ? corr : Correlation.newId(), 1000L + i), "warm-" + i);
    }

    static void ingestSigned(Ingest ingest, byte[] body, String deliveryId) {
        ingest.process(signed(body, deliveryId));
    }

    static WebhookDelivery signed(byte[] body, String deliveryId) {
        return new WebhookDelivery(body, headers(deliveryId, Hmac.sign(SECRET_BYTES, body)));
    }

    static Headers headers(String deliveryId, String signature) {
        return new Headers().set(Headers.EVENT, "workflow_run").set(Headers.DELIVERY, deliveryId)
                .set(Headers.SIGNATURE_256, signature).set(Headers.CONTENT_TYPE, "application/json");
    }

    static byte[] payload(byte[] fixture, String correlation, long runId) {
        return new String(fixture, StandardCharsets.UTF_8).replace(FIXTURE_CORRELATION, correlation)
                .replace(Long.toString(FIXTURE_RUN_ID), Long.toString(runId)).getBytes(StandardCharsets.UTF_8);
    }

    /** What trigger-and-track writes before dispatching (the fields ingest looks at). */
    static void writeDispatchMetadata(RunStore store, String corr) throws IOException {
        ObjectNode m = Json.object();
        m.putNull("run_id");
        m.put("correlation_id", corr);
        m.put("repo", "octo-org/octo-repo");
        m.put("workflow", "dispatch-webhook.yml");
        m.put("dispatched_at", java.time.Instant.now().toString());
        m.put("webhook_pending", true);
        store.writeObject(store.metadataFile(corr), m);
    }

    // ================================================================ helpers: processes

    record Proc(int exit, String out, String err, double seconds) {}

    List<String> command(boolean fast, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(repo.resolve("jbang").toString());
        for (String a : args) cmd.add(a.endsWith(".java") && !a.contains("/") ? repo.resolve(a).toString() : a);
        return cmd;
    }

    /** The inherited environment without anything that points the scripts elsewhere, plus {@code extra}. */
    static Map<String, String> env(Map<String, String> extra, boolean fast) {
        Map<String, String> env = new HashMap<>(System.getenv());
        for (String k : List.of("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "WEBHOOK_URL",
                "GITHUB_REPOSITORY", "GH_REPO", "GITHUB_API_URL", "GITHUB_OUTPUT", "GITHUB_WEBHOOK_SECRET", "JBANG_LAUNCHER_DEBUG",
                "JBANG_LAUNCHER_FASTPATH")) {
            env.remove(k);
        }
        env.putAll(extra);
        if (!fast) env.put("JBANG_LAUNCHER_FASTPATH", "0");
        return env;
    }

    Proc jbang(Map<String, String> extraEnv, boolean fast, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command(fast, args)).directory(repo.toFile());
        pb.environment().clear();
        pb.environment().putAll(env(extraEnv, fast));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        long t0 = System.nanoTime();
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", args));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Proc(p.exitValue(), out.get(), err.get(), seconds);
    }

    static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** A long-running subprocess whose first stdout line is timestamped as it arrives. */
    static final class Live {
        final Process process;
        final AtomicLong firstLineAt = new AtomicLong();
        final CompletableFuture<String> firstLine = new CompletableFuture<>();
        final StringBuffer err = new StringBuffer();
        final ConcurrentLinkedQueue<String> errLines = new ConcurrentLinkedQueue<>();

        private Live(Process process) {
            this.process = process;
        }

        static Live start(List<String> cmd, Map<String, String> env, Path dir) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Live live = new Live(pb.start());
            Thread out = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(live.process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line = r.readLine();
                    live.firstLineAt.set(System.nanoTime());
                    live.firstLine.complete(line);
                    while (r.readLine() != null) { /* drain */ }
                } catch (IOException e) {
                    live.firstLine.complete(null);
                }
            });
            out.setDaemon(true);
            out.start();
            Thread errT = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(live.process.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        live.err.append(line).append('\n');
                        live.errLines.add(line);
                    }
                } catch (IOException ignored) {
                    // process gone
                }
            });
            errT.setDaemon(true);
            errT.start();
            return live;
        }

        String awaitStdoutLine(Duration timeout) throws Exception {
            try {
                return firstLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                process.destroy();
                return null;
            }
        }

        /** The rest of the first stderr line that starts with {@code prefix}, or null. */
        String awaitStderr(String prefix, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (String l : errLines) if (l.startsWith(prefix)) return l.substring(prefix.length());
                if (!process.isAlive()) return null;
                Thread.sleep(5);
            }
            return null;
        }

        String stderr() {
            return err.toString();
        }
    }

    // ================================================================ helpers: statistics and report

    /** This process's CPU time (user + kernel), in ms. */
    static double cpuMs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e6;
    }

    static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    static double median(List<Double> v) {
        return pctL(v, 50);
    }

    static double pctL(List<Double> v, double p) {
        return pct(v.stream().mapToDouble(Double::doubleValue).toArray(), p);
    }

    /** Nearest-rank percentile. */
    static double pct(double[] v, double p) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    static double mean(double[] v, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) sum += v[i];
        return sum / (to - from);
    }

    static String sec(double s) {
        return String.format(Locale.ROOT, "%.2f s", s);
    }

    static String ms(double m) {
        return m < 10 ? String.format(Locale.ROOT, "%.2f ms", m) : String.format(Locale.ROOT, "%.0f ms", m);
    }

    static String range(List<Double> v, String unit) {
        return String.format(Locale.ROOT, "min–max %.2f–%.2f %s", Collections.min(v), Collections.max(v), unit);
    }

    static String num(List<Double> v) {
        double lo = Collections.min(v);
        double hi = Collections.max(v);
        return lo == hi ? String.format(Locale.ROOT, "%.0f", lo) : String.format(Locale.ROOT, "%.0f–%.0f", lo, hi);
    }

    static void progress(String s) {
        System.err.println("bench: " + s);
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
        for (Row r : rows) {
            md.append("| ").append(r.section).append(" | ").append(r.what).append(" | ").append(r.how).append(" | ").append(r.n)
                    .append(" | ").append(r.median).append(" | ").append(r.spread).append(" | ").append(r.target)
                    .append(" | ").append(r.verdict).append(" |\n");
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

    static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
