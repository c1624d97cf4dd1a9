package lib.webhook;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A webhook secret. It prints as where it came from, never as its value. */
public final class Secret {
    private final byte[] bytes;
    private final String origin;

    public Secret(String value, String origin) {
        this.bytes = value.getBytes(StandardCharsets.UTF_8);
        this.origin = origin;
    }

    public byte[] bytes() {
        return Arrays.copyOf(bytes, bytes.length);
    }

    /** Where the secret came from, safe to show: a file path or an environment variable name. */
    public String origin() {
        return origin;
    }

    /** The value itself: only for sending it to GitHub or writing the secret file. */
    public String reveal() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "Secret(from " + origin + ")";
    }
}
