package lib.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import lib.util.Json;

/** HTTP header values by case-insensitive name, as captured from a delivery. */
public final class Headers {
    public static final String EVENT = "X-GitHub-Event";
    public static final String DELIVERY = "X-GitHub-Delivery";
    public static final String SIGNATURE_256 = "X-Hub-Signature-256";
    public static final String CONTENT_TYPE = "Content-Type";

    private final Map<String, String> values = new TreeMap<>();

    public Headers set(String name, String value) {
        if (name != null && value != null) values.put(name.trim().toLowerCase(Locale.ROOT), value.trim());
        return this;
    }

    /** Sets the value only when one is given, so command-line flags can override a headers file. */
    public Headers override(String name, String value) {
        return value == null ? this : set(name, value);
    }

    /** Headers as a JSON object of name to value, or to an array of values (the first counts), as webhook.site lists them. */
    public static Headers fromJson(JsonNode node) {
        Headers headers = new Headers();
        node.properties().forEach(e -> {
            JsonNode v = e.getValue();
            if (v.isArray()) v = v.size() == 0 ? null : v.get(0);
            if (v != null && !v.isNull() && !v.isContainerNode()) headers.set(e.getKey(), v.asText());
        });
        return headers;
    }

    public String get(String name) {
        return values.get(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Reads captured headers: a JSON object (values may be strings or arrays, as webhook.site
     * shows them) or "Name: value" lines as copied from a proxy log. Other lines are ignored.
     */
    public static Headers parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8).strip();
        if (text.startsWith("{")) return fromJson(Json.parse(bytes, "headers file"));
        Headers headers = new Headers();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            String name = line.substring(0, colon).trim();
            if (name.isEmpty() || name.contains(" ")) continue; // e.g. a request line
            headers.set(name, line.substring(colon + 1));
        }
        return headers;
    }
}
