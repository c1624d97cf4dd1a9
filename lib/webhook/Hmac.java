package lib.webhook;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** GitHub's X-Hub-Signature-256: HMAC-SHA256 over the raw body bytes, hex, with a "sha256=" prefix. */
public final class Hmac {
    public static final String PREFIX = "sha256=";

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

    private static byte[] mac(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            if (secret.length == 0) throw new IllegalArgumentException("empty webhook secret");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }
}
