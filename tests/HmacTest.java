import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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

    @Test
    void signsTheRfc4231Vectors() {
        HexFormat hex = HexFormat.of();
        byte[] longKey = new byte[131];
        java.util.Arrays.fill(longKey, (byte) 0xaa);
        assertEquals("sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                Hmac.sign(hex.parseHex("0b".repeat(20)), "Hi There".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                Hmac.sign("Jefe".getBytes(StandardCharsets.US_ASCII), "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("sha256=60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", Hmac.sign(longKey,
                "Test Using Larger Than Block-Size Key - Hash Key First".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void signsAsTheJdksMacDoesForKeysAroundTheBlockSize() throws Exception {
        Random random = new Random(42);
        for (int keyLength : new int[] {1, 20, 63, 64, 65, 100, 200}) {
            byte[] key = new byte[keyLength];
            byte[] body = new byte[random.nextInt(3000)];
            random.nextBytes(key);
            random.nextBytes(body);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            assertEquals("sha256=" + HexFormat.of().formatHex(mac.doFinal(body)), Hmac.sign(key, body), "key length " + keyLength);
        }
    }
}
