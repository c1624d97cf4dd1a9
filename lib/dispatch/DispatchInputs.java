package lib.dispatch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import lib.util.BadInputException;
import lib.util.Json;

/**
 * The {@code inputs} of a {@code workflow_dispatch}: the operator's {@code key=value} pairs plus the ones
 * we add ({@code correlation_id}, and {@code webhook_url} when set). GitHub accepts at most
 * {@value #MAX_INPUTS}; more is a usage error before anything is sent.
 */
public final class DispatchInputs {
    public static final int MAX_INPUTS = 25;
    public static final String CORRELATION_ID = "correlation_id";
    public static final String WEBHOOK_URL = "webhook_url";
    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,99}");
    /** Input names whose values are not written to metadata files. */
    private static final Pattern SECRET_LIKE = Pattern.compile(
            "(?i).*(secret|token|passw|passphrase|credential|key|cert|auth|cookie|session).*|(.*[_-])?pat([_-].*)?");

    private final Map<String, String> values;

    private DispatchInputs(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /**
     * @param pairs {@code key=value} strings from {@code --input}; the value may be empty and may contain '='
     * @param webhookUrl added as {@code webhook_url} when not null
     */
    public static DispatchInputs of(List<String> pairs, String correlationId, String webhookUrl) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put(CORRELATION_ID, correlationId);
        if (webhookUrl != null) all.put(WEBHOOK_URL, webhookUrl);
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq).strip();
            if (eq < 0 || !KEY.matcher(key).matches()) {
                throw new BadInputException("--input needs KEY=VALUE with a name of letters, digits, '_' or '-': '"
                        + pair + "'");
            }
            if (key.equals(CORRELATION_ID)) {
                throw new BadInputException("the input correlation_id is set by this command; use --correlation-id");
            }
            if (key.equals(WEBHOOK_URL) && webhookUrl != null) {
                throw new BadInputException("webhook_url is given twice (--input and --webhook-url/WEBHOOK_URL)");
            }
            if (all.containsKey(key)) throw new BadInputException("the input '" + key + "' is given twice");
            all.put(key, pair.substring(eq + 1));
        }
        if (all.size() > MAX_INPUTS) {
            throw new BadInputException("GitHub accepts at most " + MAX_INPUTS + " inputs; this dispatch has "
                    + all.size() + " (including " + CORRELATION_ID + (webhookUrl != null ? " and " + WEBHOOK_URL : "")
                    + ")");
        }
        return new DispatchInputs(all);
    }

    public Map<String, String> values() {
        return values;
    }

    /** The inputs as recorded in {@code runs/<uuid>.json}: values of secret-looking names are masked. */
    public ObjectNode forRecord() {
        ObjectNode node = Json.object();
        values.forEach((k, v) -> node.put(k, SECRET_LIKE.matcher(k).matches() ? "***" : v));
        return node;
    }
}
