import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lib.ingest.Ingest;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Correlation;
import lib.webhook.Headers;
import lib.webhook.Hmac;
import lib.webhook.Secret;
import lib.webhook.WebhookDelivery;

/**
 * What every benchmark section shares: the run's options and folders, the table rows and notes it adds to,
 * signed fixture deliveries for the ingest path, running the scripts through ./jbang, and the statistics.
 */
abstract class BenchSection {
    static final String SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
    static final byte[] SECRET_BYTES = SECRET.getBytes(StandardCharsets.UTF_8);
    static final String FIXTURE_CORRELATION = "5b0b2ad4-3c1f-4f7e-9a55-8d3f2f0d7c11";
    static final long FIXTURE_RUN_ID = 30433642L;

    record Row(String section, String what, String how, int n, String median, String spread, String target, String verdict) {}

    final List<Row> rows;
    final List<String> notes;
    final boolean quick;
    final int runs;
    final Path repo;
    final Path tmp;
    final byte[] completedFixture;
    final byte[] requestedFixture;

    BenchSection(Bench bench) {
        this.rows = bench.rows;
        this.notes = bench.notes;
        this.quick = bench.quick;
        this.runs = bench.runs;
        this.repo = bench.repo;
        this.tmp = bench.tmp;
        this.completedFixture = bench.completedFixture;
        this.requestedFixture = bench.requestedFixture;
    }

    // ================================================================ helpers: the launcher's cache

    void awaitBackground(Map<String, String> env) throws Exception {
        if (!LauncherCache.awaitBackground(LauncherCache.dir(env), Duration.ofMinutes(10))) {
            throw new IllegalStateException("the launcher's background work did not end within 10 minutes");
        }
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
        store.updateMetadata(corr, metadata -> metadata.json().setAll(m));
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
                "JBANG_LAUNCHER_FASTPATH", "JBANG_LAUNCHER_WARM", "JBANG_LAUNCHER_WARM_IDLE")) {
            env.remove(k);
        }
        env.putAll(extra);
        if (!fast) env.put("JBANG_LAUNCHER_FASTPATH", "0");
        return env;
    }

    Proc jbang(Map<String, String> extraEnv, boolean fast, String... args) throws Exception {
        return exec(command(fast, args), env(extraEnv, fast), repo, 120);
    }

    /** Runs {@code command} in {@code dir} with exactly {@code env}, stdin empty, within 600 s. */
    Proc exec(List<String> command, Map<String, String> env, Path dir) throws Exception {
        return exec(command, env, dir, 600);
    }

    private static Proc exec(List<String> command, Map<String, String> env, Path dir, int timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        long t0 = System.nanoTime();
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", command));
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

    // ================================================================ helpers: statistics

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

    static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
