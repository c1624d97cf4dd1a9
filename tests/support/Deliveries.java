import java.io.IOException;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import lib.ingest.DeliveryIntake;
import lib.ingest.Ingest;
import lib.store.RunStore;
import lib.webhook.Headers;
import lib.webhook.Hmac;
import lib.webhook.Secret;
import lib.webhook.WebhookDelivery;

/** Signed deliveries for tests: stored in-process through process-workflow-webhook, or POSTed over HTTP. */
final class Deliveries {
    static final String SECRET = "wait-test-secret-0123456789abcdef";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Deliveries() {}

    static String sign(byte[] body) {
        return Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), body);
    }

    static Path secretFile(Path dir) throws IOException {
        Path file = dir.resolve("webhook-secret");
        if (!Files.exists(file)) Files.writeString(file, SECRET + "\n");
        return file;
    }

    /** A workflow_run payload with the given conclusion (the completed fixture concludes success). */
    static byte[] completed(String correlation, long runId, String conclusion) {
        String text = new String(Fixtures.workflowRun("completed", correlation, runId), StandardCharsets.UTF_8);
        return text.replace("\"conclusion\": \"success\"", "\"conclusion\": \"" + conclusion + "\"")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Stores a signed delivery the way an operator would: process-workflow-webhook, in-process. */
    static Testing.Run storeSigned(Path runs, Path secretFile, byte[] body, String deliveryId) {
        return store(runs, body, "--secret-file", secretFile.toString(), "--signature", sign(body),
                "--delivered", deliveryId, "--event", "workflow_run");
    }

    /** Stores a delivery that cannot be verified ("verified": false). */
    static Testing.Run storeUnverified(Path runs, byte[] body, String deliveryId) {
        return store(runs, body, "--skip-verify", "--delivered", deliveryId, "--event", "workflow_run");
    }

    private static Testing.Run store(Path runs, byte[] body, String... args) {
        List<String> all = new ArrayList<>(List.of("--runs-dir", runs.toString(), "--state-dir", runs.resolve("../no-state").toString()));
        all.addAll(List.of(args));
        Testing.Run r = Testing.ingest(Map.of(), body, all.toArray(String[]::new));
        if (r.exitCode() != 0) throw new AssertionError("storing failed: " + r.all());
        return r;
    }

    /**
     * Stores a signed workflow_job delivery as the receiver does: filed beside its run's deliveries, so a
     * workflow_run delivery of the run must be stored first (process-workflow-webhook refuses job events).
     */
    static void storeJob(Path runs, byte[] body, String deliveryId) {
        DeliveryIntake intake = new DeliveryIntake(new RunStore(runs),
                Ingest.Options.verifying(Optional.of(new Secret(SECRET, "test"))), Clock.systemUTC(), m -> {});
        Headers headers = new Headers().set(Headers.EVENT, "workflow_job").set(Headers.DELIVERY, deliveryId)
                .set(Headers.SIGNATURE_256, sign(body)).set(Headers.CONTENT_TYPE, "application/json");
        DeliveryIntake.Outcome o = intake.accept(new WebhookDelivery(body, headers));
        if (o.kind() != DeliveryIntake.Kind.STORED) throw new AssertionError("the job delivery was not stored: " + o);
    }

    /** POSTs a body signed with the test secret, as GitHub would. */
    static HttpResponse<String> postSigned(URI url, String event, String deliveryId, byte[] body) throws Exception {
        return post(url, body, "X-GitHub-Event", event, "X-GitHub-Delivery", deliveryId, "X-Hub-Signature-256", sign(body));
    }

    static HttpResponse<String> post(URI url, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.toString().contains("/.locks/")).toList();
        }
    }
}
