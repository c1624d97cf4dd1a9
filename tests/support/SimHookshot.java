import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import lib.util.Json;
import lib.webhook.Hmac;

/** The simulator's "GitHub-Hookshot": POSTs one delivery to a hook URL the way GitHub does and records the attempt. */
final class SimHookshot {
    /** What one POST produced; the simulator turns it into a delivery record. */
    record Attempt(Map<String, String> requestHeaders, int statusCode, String status, Map<String, String> responseHeaders,
            String responsePayload, double durationSeconds, Instant deliveredAt) {}

    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    /**
     * Sends {@code payload} with GitHub's headers. JSON hooks get the JSON itself, form hooks get
     * {@code payload=<urlencoded JSON>}; the signatures cover the bytes actually sent.
     */
    Attempt send(String url, String contentType, String secret, String event, String guid, long hookId,
            long targetId, String targetType, String enterpriseVersion, String enterpriseHost, byte[] payload, Duration timeout) {
        boolean form = "form".equals(contentType);
        byte[] body = form
                ? ("payload=" + URLEncoder.encode(new String(payload, StandardCharsets.UTF_8), StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8)
                : payload;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept", "*/*");
        headers.put("User-Agent", "GitHub-Hookshot/sim");
        headers.put("X-GitHub-Delivery", guid);
        headers.put("X-GitHub-Event", event);
        headers.put("X-GitHub-Hook-ID", String.valueOf(hookId));
        headers.put("X-GitHub-Hook-Installation-Target-ID", String.valueOf(targetId));
        headers.put("X-GitHub-Hook-Installation-Target-Type", targetType);
        if (enterpriseVersion != null) {
            headers.put("X-GitHub-Enterprise-Version", enterpriseVersion);
            headers.put("X-GitHub-Enterprise-Host", enterpriseHost);
        }
        headers.put("Content-Type", form ? "application/x-www-form-urlencoded" : "application/json");
        if (secret != null && !secret.isEmpty()) {
            byte[] key = secret.getBytes(StandardCharsets.UTF_8);
            headers.put("X-Hub-Signature", "sha1=" + hmacSha1(key, body));
            headers.put("X-Hub-Signature-256", Hmac.sign(key, body));
        }
        Instant start = Instant.now();
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                    .timeout(timeout)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(request::header);
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> responseHeaders = new LinkedHashMap<>();
            response.headers().map().forEach((k, v) -> {
                if (!k.startsWith(":")) responseHeaders.put(k, String.join(", ", v));
            });
            int code = response.statusCode();
            String status = code >= 200 && code < 300 ? "OK" : "Invalid HTTP Response: " + code;
            return new Attempt(headers, code, status, responseHeaders, response.body(), seconds(start), start);
        } catch (HttpTimeoutException e) {
            return new Attempt(headers, 0, "timed out", Map.of(), null, seconds(start), start);
        } catch (ConnectException e) {
            return new Attempt(headers, 0, "failed to connect", Map.of(), null, seconds(start), start);
        } catch (IOException | IllegalArgumentException e) {
            return new Attempt(headers, 0, "failed to connect", Map.of(), null, seconds(start), start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(headers, 0, "failed to connect", Map.of(), null, seconds(start), start);
        }
    }

    /** The request part of a delivery record: headers and the JSON payload (as an object). */
    static ObjectNode requestJson(Map<String, String> headers, byte[] payload) {
        ObjectNode request = Json.object();
        ObjectNode h = request.putObject("headers");
        headers.forEach(h::put);
        request.set("payload", Json.parse(payload, "delivery payload"));
        return request;
    }

    static ObjectNode responseJson(Map<String, String> headers, String payload) {
        ObjectNode response = Json.object();
        if (headers.isEmpty() && payload == null) {
            response.putNull("headers");
            response.putNull("payload");
            return response;
        }
        ObjectNode h = response.putObject("headers");
        headers.forEach(h::put);
        response.put("payload", payload);
        return response;
    }

    static List<String> names(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    private static double seconds(Instant start) {
        return Duration.between(start, Instant.now()).toNanos() / 1e9;
    }

    private static String hmacSha1(byte[] key, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
