package lib.webhook;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What arrived: the exact body bytes (the signature covers them) and the request headers.
 * Every source (file, stdin, receiver, API fetcher) builds one of these.
 */
public record WebhookDelivery(byte[] body, Headers headers) {
    /** GitHub's payload cap. */
    public static final int MAX_BYTES = 25 * 1024 * 1024;

    public String event() {
        return headers.get(Headers.EVENT);
    }

    public String deliveryId() {
        return headers.get(Headers.DELIVERY);
    }

    public String signature256() {
        return headers.get(Headers.SIGNATURE_256);
    }

    /** Stand-in delivery id when none was given: derived from the bytes, so a re-run is a duplicate. */
    public String payloadHashId() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "payload-" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The JSON text of the payload: the body itself, or for GitHub's form content type
     * ({@code payload=<url-encoded JSON>}) the decoded parameter.
     */
    public String payloadText() {
        String text = strictUtf8(body);
        String type = headers.get(Headers.CONTENT_TYPE);
        boolean form = type != null ? type.toLowerCase().startsWith("application/x-www-form-urlencoded")
                : text.startsWith("payload=");
        if (!form) return text;
        for (String pair : text.split("&")) {
            if (pair.startsWith("payload=")) {
                try {
                    return URLDecoder.decode(pair.substring("payload=".length()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new BadDeliveryException("the form-encoded payload is malformed: " + e.getMessage());
                }
            }
        }
        throw new BadDeliveryException("the form-encoded body has no 'payload' parameter");
    }

    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new BadDeliveryException("the payload is not valid UTF-8");
        }
    }
}
