import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import lib.webhook.Hmac;
import org.junit.jupiter.api.Test;

class HmacTest {
    private static final byte[] SECRET = "It's a Secret to Everybody".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BODY = "Hello, World!".getBytes(StandardCharsets.UTF_8);
    private static final String DOCUMENTED =
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    @Test
    void signsGitHubsDocumentedVector() {
        assertEquals(DOCUMENTED, Hmac.sign(SECRET, BODY));
    }

    @Test
    void acceptsTheDocumentedSignature() {
        assertEquals(Hmac.Result.VALID, Hmac.verify(SECRET, BODY, DOCUMENTED));
    }

    @Test
    void rejectsTamperedBytes() {
        byte[] tampered = "Hello, World?".getBytes(StandardCharsets.UTF_8);
        assertEquals(Hmac.Result.MISMATCH, Hmac.verify(SECRET, tampered, DOCUMENTED));
    }

    @Test
    void rejectsAnotherSecret() {
        assertEquals(Hmac.Result.MISMATCH, Hmac.verify("other".getBytes(StandardCharsets.UTF_8), BODY, DOCUMENTED));
    }

    @Test
    void requiresTheSha256Prefix() {
        String bare = DOCUMENTED.substring("sha256=".length());
        assertEquals(Hmac.Result.MALFORMED, Hmac.verify(SECRET, BODY, bare));
        assertEquals(Hmac.Result.MALFORMED, Hmac.verify(SECRET, BODY, "sha1=" + bare));
        assertEquals(Hmac.Result.MALFORMED, Hmac.verify(SECRET, BODY, "sha256=zz" + bare.substring(2)));
    }

    @Test
    void reportsAMissingHeader() {
        assertEquals(Hmac.Result.MISSING, Hmac.verify(SECRET, BODY, null));
        assertEquals(Hmac.Result.MISSING, Hmac.verify(SECRET, BODY, "  "));
    }
}
