import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import lib.ingest.CheckedDelivery;
import lib.ingest.Ingest;
import lib.store.RunStore;
import lib.util.Json;
import lib.webhook.BadDeliveryException;
import lib.webhook.Headers;
import lib.webhook.Secret;
import lib.webhook.WebhookDelivery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Any payload under GitHub's 25 MB cap is read whatever its shape, and a JSON body is parsed without a copy. */
class PayloadShapeTest {
    static final String CORR = "0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19";

    @TempDir Path tmp;

    CheckedDelivery check(byte[] body, String contentType) {
        Ingest ingest = new Ingest(new RunStore(tmp.resolve("runs")), Ingest.Options.verifying(Optional.of(
                new Secret(Deliveries.SECRET, "test"))), Clock.systemUTC(), m -> {});
        Headers headers = new Headers().set(Headers.EVENT, "workflow_run").set(Headers.DELIVERY, "shape-1")
                .set(Headers.SIGNATURE_256, Deliveries.sign(body));
        if (contentType != null) headers.set(Headers.CONTENT_TYPE, contentType);
        return ingest.check(new WebhookDelivery(body, headers));
    }

    static String withField(String json) {
        String run = new String(Fixtures.workflowRun("requested", CORR, Fixtures.RUN_ID), StandardCharsets.UTF_8);
        return run.substring(0, run.lastIndexOf('}')) + ", \"extra\": " + json + "}";
    }

    @Test
    void aStringOverTwentyMillionCharactersIsRead() {
        CheckedDelivery c = check(withField("\"" + "x".repeat(21_000_000) + "\"").getBytes(StandardCharsets.UTF_8), "application/json");
        assertEquals(21_000_000, c.payload().get("extra").asText().length());
    }

    @Test
    void longNamesAndDeepNestingAreRead() {
        String deep = "[".repeat(5_000) + "1" + "]".repeat(5_000);
        String name = "n".repeat(60_000);
        byte[] payload = withField("{\"" + name + "\": " + deep + "}").getBytes(StandardCharsets.UTF_8);
        CheckedDelivery c = check(payload, "application/json"); // ingest reads past it (keeping only what it uses)
        assertTrue(c.payload().get("extra").isObject());
        assertEquals(Fixtures.RUN_ID, c.payload().path("workflow_run").path("id").asLong());
        assertTrue(Json.parse(payload, "payload").get("extra").has(name), "the whole tree, as a followed run's stored payload is read");
    }

    @Test
    void aJsonBodyIsParsedFromItsOwnBytesAndAFormBodyIsDecoded() {
        byte[] json = withField("1").getBytes(StandardCharsets.UTF_8);
        WebhookDelivery d = new WebhookDelivery(json, new Headers().set(Headers.CONTENT_TYPE, "application/json"));
        assertSame(json, d.payloadBytes(), "no copy of a JSON body");
        byte[] form = ("payload=" + URLEncoder.encode(withField("2"), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        assertEquals(2, check(form, "application/x-www-form-urlencoded").payload().get("extra").asInt());
        assertEquals(2, check(form, null).payload().get("extra").asInt(), "recognised by its shape without a content type");
    }

    @Test
    void aBodyThatIsNotUtf8IsRefused() {
        byte[] body = withField("\"x\"").getBytes(StandardCharsets.UTF_8);
        body[body.length - 4] = (byte) 0xC3; // a lead byte without its continuation
        BadDeliveryException e = assertThrows(BadDeliveryException.class, () -> check(body, "application/json"));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }
}
