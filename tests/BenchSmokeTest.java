import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.receiver.Receiver;
import lib.store.IndexRow;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Correlation;
import lib.webhook.Headers;
import lib.webhook.Secret;
import lib.webhook.WebhookDelivery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cheap guards for what tests/bench/bench.java measures at length: the store's per-delivery cost does
 * not grow with a correlation's deliveries, a concurrent receiver burst loses nothing, and the receiver
 * answers without the 40 ms Nagle / delayed-ACK stall. Generous bounds: a loaded 2-core machine passes.
 */
class BenchSmokeTest {
    @TempDir Path tmp;

    /** tmpfs when there is one: the guard is about our code's growth, not the disk's mood. */
    Path base() throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            Path dir = Files.createTempDirectory(shm, "awt-bench-smoke-");
            dir.toFile().deleteOnExit();
            return dir;
        }
        return tmp;
    }

    static Ingest.Options verifying() {
        return Ingest.Options.verifying(Optional.of(new Secret(Deliveries.SECRET, "test")));
    }

    static WebhookDelivery signed(byte[] body, String deliveryId) {
        return new WebhookDelivery(body, new Headers().set(Headers.EVENT, "workflow_run").set(Headers.DELIVERY, deliveryId)
                .set(Headers.SIGNATURE_256, Deliveries.sign(body)));
    }

    static double median(double[] v, int from, int to) {
        double[] w = Arrays.copyOfRange(v, from, to);
        Arrays.sort(w);
        return w[w.length / 2];
    }

    @Test
    void perDeliveryCostDoesNotGrowWithOneCorrelationsDeliveries() throws Exception {
        Path runs = base().resolve("runs");
        try {
            RunStore store = new RunStore(runs);
            Ingest ingest = new Ingest(store, verifying(), Clock.systemUTC(), m -> {});
            String corr = Correlation.newId();
            byte[] body = Fixtures.workflowRun("completed", corr, 77_000_001L);
            int n = 3000;
            int window = 500;
            double[] ms = new double[n];
            for (int i = 0; i < n; i++) {
                WebhookDelivery d = signed(body, "smoke-" + i);
                long t = System.nanoTime();
                ingest.process(d);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            double first = median(ms, 0, window);
            double last = median(ms, n - window, n);
            assertEquals(n, store.readIndex(corr).size());
            assertTrue(last <= 3 * first + 0.5, String.format("median per delivery: first %d %.3f ms, last %d %.3f ms", window, first, window, last));
        } finally {
            deleteTree(runs.getParent().equals(tmp) ? runs : runs.getParent());
        }
    }

    @Test
    void concurrentReceiverBurstLosesNothing() throws Exception {
        Path runs = base().resolve("runs");
        try {
            RunStore store = new RunStore(runs);
            List<String> corrs = List.of(Correlation.newId(), Correlation.newId(), Correlation.newId(), Correlation.newId());
            Map<String, byte[]> bodies = new HashMap<>();
            for (int i = 0; i < corrs.size(); i++) bodies.put(corrs.get(i), Fixtures.workflowRun("completed", corrs.get(i), 78_000_001L + i));
            DeliveryIntake intake = new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {});
            ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
            try (Receiver receiver = Receiver.start(Receiver.parseListen("0"), "/", intake, line -> {})) {
                URI url = receiver.url();
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int sender = t;
                    Thread th = new Thread(() -> {
                        for (int i = 0; i < 40; i++) {
                            String corr = corrs.get((sender + i) % corrs.size());
                            String id = "burst-" + sender + "-" + i;
                            try {
                                HttpResponse<String> r = Deliveries.postSigned(url, "workflow_run", id, bodies.get(corr));
                                if (r.statusCode() == 200) acked.add(corr + " " + id);
                                else failed.add(id + " " + r.statusCode() + " " + r.body());
                            } catch (Exception e) {
                                failed.add(id + " " + e);
                            }
                        }
                    });
                    threads.add(th);
                    th.start();
                }
                for (Thread th : threads) th.join();
            }
            assertTrue(failed.isEmpty(), "not acknowledged: " + failed);
            assertEquals(320, acked.size());
            Map<String, Integer> rows = new HashMap<>();
            for (String corr : corrs) {
                for (IndexRow row : store.readIndex(corr)) rows.merge(corr + " " + row.deliveryId(), 1, Integer::sum);
            }
            for (String a : acked) assertEquals(1, rows.getOrDefault(a, 0), "rows for " + a);
            assertEquals(acked.size(), rows.size(), "rows that were never acknowledged");
            try (Stream<Path> files = Files.walk(runs)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".json") && Files.isRegularFile(p)).toList()) {
                    Json.MAPPER.readTree(Files.readAllBytes(f)); // throws on invalid JSON
                }
            }
        } finally {
            deleteTree(runs.getParent().equals(tmp) ? runs : runs.getParent());
        }
    }

    /**
     * In a fresh JVM (as wait-for-webhook --listen runs), sequential deliveries over one connection are
     * answered well under the 40 ms that a Nagle / delayed-ACK stall costs each of them.
     */
    @Test
    void receiverAnswersWithoutTheDelayedAckStall() throws Exception {
        Path runs = base().resolve("runs");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ReceiverMain.class.getName(), runs.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            URI url = URI.create(out.readLine());
            String corr = Correlation.newId();
            byte[] body = Fixtures.workflowRun("completed", corr, 79_000_001L);
            int n = 30;
            double[] ms = new double[n];
            for (int i = 0; i < n + 5; i++) { // the first 5 warm up
                long t = System.nanoTime();
                HttpResponse<String> r = Deliveries.postSigned(url, "workflow_run", "seq-" + i, body);
                assertEquals(200, r.statusCode(), r.body());
                if (i >= 5) ms[i - 5] = (System.nanoTime() - t) / 1e6;
            }
            // With the stall every answer waits for a ~40 ms delayed ACK, so even the fastest is slow;
            // the few fastest answers stay quick on a loaded machine (parallel test classes on 2 cores),
            // where a median, or even the fastest quarter, may not.
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            double thirdFastest = sorted[2];
            assertTrue(thirdFastest < 35, String.format("the third fastest answer took %.1f ms:"
                    + " the 40 ms delayed-ACK stall is back? %s", thirdFastest, Arrays.toString(ms)));
        } finally {
            p.destroy();
            deleteTree(runs.getParent().equals(tmp) ? runs : runs.getParent());
        }
    }

    /** A bare receiver in its own JVM: prints its URL, serves until stdin closes or it is killed. */
    static final class ReceiverMain {
        public static void main(String[] args) throws Exception {
            RunStore store = new RunStore(Path.of(args[0]));
            DeliveryIntake intake = new DeliveryIntake(store, verifying(), Clock.systemUTC(), m -> {});
            try (Receiver receiver = Receiver.start(Receiver.parseListen("0"), "/", intake, line -> {})) {
                System.out.println(receiver.url());
                System.out.flush();
                System.in.read();
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted((a, b) -> b.compareTo(a)).toList()) Files.deleteIfExists(p);
        }
    }
}
