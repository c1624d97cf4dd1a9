import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.receiver.Receiver;
import lib.store.IndexRow;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Correlation;
import lib.webhook.Hmac;
import lib.webhook.WebhookDelivery;

/** 2. Ingest throughput: in-process over many correlations and over one, and the embedded receiver under concurrent signed senders. */
final class IngestBench extends BenchSection {
    IngestBench(Bench bench) {
        super(bench);
    }

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
                + "correlation, signed with `lib.Hmac` and verified. A stored delivery costs 7 fsyncs (event file, "
                + "metadata, index append, delivery marker, and the folders of the event file, metadata and marker; the "
                + "pending marker and the run-id pointer are unsynced hints), "
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
            for (IndexRow row : store.readIndex(RunStore.folderFor(c))) {
                count.merge(row.deliveryId(), 1, Integer::sum);
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
                    Json.tree(Files.readAllBytes(f));
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

    /** This process's CPU time (user + kernel), in ms. */
    static double cpuMs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e6;
    }
}
