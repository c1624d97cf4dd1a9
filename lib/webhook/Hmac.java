package lib.webhook;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** GitHub's X-Hub-Signature-256: HMAC-SHA256 over the raw body bytes, hex, with a "sha256=" prefix. */
public final class Hmac {
    public static final String PREFIX = "sha256=";
    private static final int BLOCK = 64; // SHA-256's block size in bytes

    public enum Result {
        VALID,
        MISSING,
        MALFORMED,
        MISMATCH;

        public String describe() {
            return switch (this) {
                case VALID -> "signature valid";
                case MISSING -> "no X-Hub-Signature-256 header was given";
                case MALFORMED -> "the X-Hub-Signature-256 value is not 'sha256=' followed by 64 hex digits";
                case MISMATCH -> "the X-Hub-Signature-256 signature does not match the payload and secret";
            };
        }
    }

    private Hmac() {}

    public static String sign(byte[] secret, byte[] body) {
        return PREFIX + HexFormat.of().formatHex(mac(secret, body));
    }

    public static Result verify(byte[] secret, byte[] body, String header) {
        if (header == null || header.isBlank()) return Result.MISSING;
        String value = header.trim();
        if (!value.startsWith(PREFIX) || value.length() != PREFIX.length() + 64) return Result.MALFORMED;
        byte[] given;
        try {
            given = HexFormat.of().parseHex(value.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return Result.MALFORMED;
        }
        return MessageDigest.isEqual(mac(secret, body), given) ? Result.VALID : Result.MISMATCH;
    }

    /**
     * HMAC-SHA256 as RFC 2104 defines it, over {@link MessageDigest}. Not {@code javax.crypto.Mac}: its first use
     * in a process costs more than a whole short command's verification (the JCE policy set-up looks up a URL
     * handler across every jar on the class path, and the provider search loads five providers).
     */
    private static byte[] mac(byte[] secret, byte[] body) {
        if (secret.length == 0) throw new IllegalArgumentException("empty webhook secret");
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
        byte[] key = secret.length > BLOCK ? sha256.digest(secret) : secret;
        byte[] inner = new byte[BLOCK];
        byte[] outer = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            byte k = i < key.length ? key[i] : 0;
            inner[i] = (byte) (k ^ 0x36);
            outer[i] = (byte) (k ^ 0x5c);
        }
        sha256.update(inner);
        byte[] innerHash = sha256.digest(body);
        sha256.update(outer);
        return sha256.digest(innerHash);
    }
}
