package lib.webhook;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
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
     * The JSON of the payload as UTF-8 bytes: the body itself, checked to be UTF-8 without copying it (a 25 MB
     * body stays one array), or for GitHub's form content type ({@code payload=<url-encoded JSON>}) the decoded parameter.
     */
    public byte[] payloadBytes() {
        if (!isForm()) {
            requireUtf8(body);
            return body;
        }
        return payloadText().getBytes(StandardCharsets.UTF_8);
    }

    /** The JSON text of the payload (see {@link #payloadBytes}). */
    public String payloadText() {
        String text = strictUtf8(body);
        if (!isForm()) return text;
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

    private boolean isForm() {
        String type = headers.get(Headers.CONTENT_TYPE);
        if (type != null) return type.toLowerCase().startsWith("application/x-www-form-urlencoded");
        byte[] prefix = "payload=".getBytes(StandardCharsets.US_ASCII);
        return body.length >= prefix.length && Arrays.equals(body, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Checks that {@code bytes} are UTF-8, decoding them in small pieces (no copy of the whole). */
    private static void requireUtf8(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isError()) throw new BadDeliveryException("the payload is not valid UTF-8");
            if (r.isUnderflow()) break;
            out.clear();
        }
        out.clear();
        if (decoder.flush(out).isError()) throw new BadDeliveryException("the payload is not valid UTF-8");
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
