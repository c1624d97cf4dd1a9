import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lib.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many writers on one correlation: no row lost, no invalid JSON, every delivery stored once. */
class ConcurrentIngestTest {
    static final String CORR = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    static final long RUN = 4242424242L;

    @TempDir Path tmp;

    @Test
    void threadsIngestingOneCorrelationLoseNoRow() throws Exception {
        Path runs = tmp.resolve("runs");
        Files.createDirectories(runs);
        Files.writeString(runs.resolve(CORR + ".json"), "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        byte[] body = Fixtures.workflowRun("in_progress", CORR, RUN);
        String secret = Deliveries.secretFile(tmp).toString(); // signed: only a verified delivery names the run
        int deliveries = 60;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Testing.Run>> results = new ArrayList<>();
        for (int i = 0; i < deliveries; i++) {
            String id = "t-" + (i % 50); // 10 of them are duplicates
            results.add(pool.submit(() ->
                    Testing.ingest(Map.of(), body, "--runs-dir", runs.toString(), "--secret-file", secret,
                            "--signature", Deliveries.sign(body), "--delivered", id)));
        }
        int duplicates = 0;
        for (Future<Testing.Run> f : results) {
            Testing.Run r = f.get(60, TimeUnit.SECONDS);
            assertEquals(0, r.exitCode(), r.err());
            if (r.out().contains("\"duplicate\":true")) duplicates++;
        }
        pool.shutdown();
        assertEquals(10, duplicates);
        assertStoredExactly(runs, 50);
    }

    @Test
    void separateProcessesIngestingOneCorrelationLoseNoRow() throws Exception {
        Path runs = tmp.resolve("runs");
        Files.createDirectories(runs);
        Files.writeString(runs.resolve(CORR + ".json"), "{\"correlation_id\":\"" + CORR + "\",\"run_id\":null}");
        byte[] body = Fixtures.workflowRun("completed", CORR, RUN);
        Path payload = Files.write(tmp.resolve("payload.json"), body);
        Path secret = Deliveries.secretFile(tmp);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");
        int processes = 4;
        int perProcess = 6;
        List<Process> started = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            // each process ingests several deliveries in a shell loop, so their writes interleave
            StringBuilder script = new StringBuilder();
            for (int i = 0; i < perProcess; i++) {
                script.append(String.format("'%s' -XX:TieredStopAtLevel=1 -cp '%s' ProcessWorkflowWebhook --runs-dir '%s' --file '%s'"
                        + " --secret-file '%s' --signature '%s' --delivered p%d-%d || exit 1%n",
                        java, classpath, runs, payload, secret, Deliveries.sign(body), p, i));
            }
            started.add(new ProcessBuilder("bash", "-c", script.toString())
                    .redirectErrorStream(true).redirectOutput(new File(tmp.resolve("proc" + p + ".log").toString())).start());
        }
        for (Process p : started) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), () -> Files.exists(tmp.resolve("proc0.log")) ? "see " + tmp : "");
        }
        assertStoredExactly(runs, processes * perProcess);
    }

    private static void assertStoredExactly(Path runs, int expected) throws Exception {
        JsonNode index = Json.read(runs.resolve(CORR).resolve("webhook/index.json"));
        assertEquals(expected, index.size());
        Set<String> ids = new HashSet<>();
        index.forEach(row -> ids.add(row.get("delivery_id").asText()));
        assertEquals(expected, ids.size(), "each delivery once");
        JsonNode meta = Json.read(runs.resolve(CORR + ".json"));
        assertEquals(expected, meta.get("webhook_deliveries").size());
        assertEquals(RUN, meta.get("run_id").asLong());
        try (Stream<Path> files = Files.walk(runs)) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            for (Path f : all) {
                if (f.toString().endsWith(".json")) Json.parse(Files.readAllBytes(f), f.toString());
                assertTrue(!f.getFileName().toString().endsWith(".tmp"), "no temp file left: " + f);
            }
            assertEquals(expected, all.stream().filter(f -> f.getParent().endsWith("events")).count());
        }
        assertTrue(new String(Files.readAllBytes(runs.resolve(CORR + ".json")), StandardCharsets.UTF_8).contains("correlation_id"));
    }
}
