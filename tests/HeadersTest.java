import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import lib.webhook.Headers;
import org.junit.jupiter.api.Test;

class HeadersTest {
    @Test
    void readsNameValueLinesCaseInsensitively() {
        Headers h = Headers.parse(("POST /hook HTTP/1.1\r\nx-github-event: workflow_run\r\n"
                + "X-HUB-SIGNATURE-256:  sha256=abc \r\n\r\n").getBytes(StandardCharsets.UTF_8));
        assertEquals("workflow_run", h.get("X-GitHub-Event"));
        assertEquals("sha256=abc", h.get(Headers.SIGNATURE_256));
        assertNull(h.get("POST /hook HTTP/1.1"));
    }

    @Test
    void readsAJsonObjectWithArrayValuesAsWebhookSiteShowsThem() {
        Headers h = Headers.parse("{\"x-github-delivery\": [\"d-1\"], \"X-GitHub-Event\": \"ping\", \"content-length\": [42]}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("d-1", h.get(Headers.DELIVERY));
        assertEquals("ping", h.get(Headers.EVENT));
        assertEquals("42", h.get("Content-Length"));
    }

    @Test
    void overrideOnlyReplacesGivenValues() {
        Headers h = new Headers().set(Headers.EVENT, "ping").override(Headers.EVENT, null).override(Headers.DELIVERY, "x");
        assertEquals("ping", h.get(Headers.EVENT));
        assertEquals("x", h.get(Headers.DELIVERY));
    }
}
