import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.sources.DeliverySource;
import lib.sources.GitHubDeliveriesSource;
import lib.sources.SourcePoller;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.Headers;
import lib.webhook.WebhookDelivery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A delivery that could not be fetched or stored is tried again at the next poll, never dropped. */
class DeliverySourceRetryTest {
    static final String CORR = "0d5e8f3a-7b2c-4e1d-9a6f-3c8b2e7d1f40";

    @TempDir Path tmp;

    @Test
    void aFailedFetchKeepsItAndTheLaterDeliveriesForTheNextPoll() throws Exception {
        HttpServer api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        boolean[] failTwo = {true};
        api.createContext("/repos/o/r/hooks/7/deliveries", ex -> {
            String path = ex.getRequestURI().getPath();
            String id = path.substring(path.lastIndexOf('/') + 1);
            int status = 200;
            String body;
            if (id.equals("deliveries")) { // newest first
                body = "[" + item(3) + "," + item(2) + "," + item(1) + "]";
            } else if (id.equals("2") && failTwo[0]) {
                status = 500;
                body = "{\"message\":\"Server Error\"}";
            } else {
                body = "{\"id\":" + id + ",\"request\":{\"headers\":{},\"payload\":{\"n\":" + id + "}}}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        api.start();
        try {
            String url = "http://127.0.0.1:" + api.getAddress().getPort();
            GitHubClient client = new GitHubClient(new GitHubContext(url, "o/r", "t", "test"),
                    GitHubClient.Policy.defaults().withMaxAttempts(1), d -> {}, null);
            GitHubDeliveriesSource source = new GitHubDeliveriesSource(client, 7, Duration.ofMillis(100));
            List<String> delivered = new ArrayList<>();
            source.poll().forEach(d -> delivered.add(d.deliveryId()));
            assertEquals(List.of("g1"), delivered, "the one fetched before the failure is handed over");
            failTwo[0] = false;
            source.poll().forEach(d -> delivered.add(d.deliveryId()));
            assertEquals(List.of("g1", "g2", "g3"), delivered);
        } finally {
            api.stop(0);
        }
    }

    private static String item(int id) {
        return "{\"id\":" + id + ",\"guid\":\"g" + id + "\",\"event\":\"workflow_run\"}";
    }

    @Test
    void aDeliveryTheStoreCouldNotTakeIsIngestedAgainAtTheNextPoll() throws Exception {
        Path runs = tmp.resolve("runs");
        Files.writeString(runs, "not a folder"); // every store fails with an I/O error
        OnceSource source = new OnceSource(delivery("d1"), delivery("d2"));
        ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
        SourcePoller poller = poller(source, runs, log);

        poller.pollOnce();
        assertEquals(2, log.stream().filter(l -> l.contains("retrying")).count(), "both were tried: " + log);
        assertTrue(log.stream().anyMatch(l -> l.contains("d1") && l.contains(runs.toString())), log.toString());

        Files.delete(runs);
        poller.pollOnce();
        assertEquals(2, Json.read(runs.resolve(CORR).resolve("webhook/index.json")).size(), log.toString());
    }

    /** A job delivery whose run's never comes is kept a bounded number of polls, holding back "all stored", then given up. */
    @Test
    void aJobDeliveryIsKeptForItsRunABoundedNumberOfPolls() throws Exception {
        OnceSource source = new OnceSource(job("job-1"));
        ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
        SourcePoller poller = poller(source, tmp.resolve("runs"), log);
        for (int i = 1; i < SourcePoller.POLLS_BEFORE_ITS_RUN; i++) {
            poller.pollOnce();
            assertEquals(0, source.allStored, "kept after poll " + i);
        }
        assertTrue(log.isEmpty(), log.toString());
        poller.pollOnce();
        assertEquals(1, source.allStored);
        assertEquals(1, log.stream().filter(l -> l.contains("job-1 not stored: its run's workflow_run delivery did not come")).count(),
                log.toString());
    }

    /** The job of a run stored without a correlation id (an organisation's other runs) is not waited for: nothing held back. */
    @Test
    void aJobOfARunWithoutCorrelationIdIsNotKeptForIt() throws Exception {
        long runId = 30433642L; // the job fixture's run
        OnceSource source = new OnceSource(new WebhookDelivery(Fixtures.workflowRun("requested", "no-correlation-id", runId),
                new Headers().set(Headers.DELIVERY, "run-1").set(Headers.EVENT, "workflow_run")), job("job-1"));
        ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
        Path runs = tmp.resolve("runs");
        poller(source, runs, log).pollOnce();
        assertEquals(1, source.allStored, log.toString());
        assertEquals(1, Json.read(runs.resolve("unknown/webhook/index.json")).size(), "the run is stored under unknown/");
    }

    /** Hands each delivery over once, as the real sources do, and counts the polls it was told were all stored. */
    static final class OnceSource implements DeliverySource {
        final List<WebhookDelivery> pending;
        int allStored;

        OnceSource(WebhookDelivery... deliveries) {
            pending = new ArrayList<>(List.of(deliveries));
        }

        public String name() {
            return "test";
        }

        public Duration interval() {
            return Duration.ofSeconds(1);
        }

        public List<WebhookDelivery> poll() {
            List<WebhookDelivery> batch = new ArrayList<>(pending);
            pending.clear();
            return batch;
        }

        public void allStored() {
            allStored++;
        }
    }

    static SourcePoller poller(DeliverySource source, Path runs, ConcurrentLinkedQueue<String> log) {
        Ingest.Options trusted = Ingest.Options.verifying(Optional.empty()).trustedBy("test");
        return new SourcePoller(source, new DeliveryIntake(new RunStore(runs), trusted, Clock.systemUTC(), log::add), log::add);
    }

    private static WebhookDelivery job(String id) {
        return new WebhookDelivery(Fixtures.bytes("workflow_job.queued.json"),
                new Headers().set(Headers.DELIVERY, id).set(Headers.EVENT, "workflow_job"));
    }

    private static WebhookDelivery delivery(String id) {
        byte[] body = Fixtures.workflowRun("requested", CORR, 4242);
        return new WebhookDelivery(body, new Headers().set(Headers.DELIVERY, id).set(Headers.EVENT, "workflow_run"));
    }
}
