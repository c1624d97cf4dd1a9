import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import lib.util.BadInputException;
import lib.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Json reads and writes trees with jackson-core's streaming API, not with ObjectMapper (whose static set-up cost every
 * command ~50 ms of its start): the trees, the bytes and the messages must be ObjectMapper's, which these tests use as
 * the oracle, set up as Json's mapper was (readTree with FAIL_ON_TRAILING_TOKENS, Json's read limits).
 */
class JsonTest {
    /** What Json.MAPPER was, on a copy of Json's factory (the same read limits; the shared one keeps no codec). */
    static final ObjectMapper ORACLE = new ObjectMapper(Json.FACTORY.copy()).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @TempDir Path tmp;

    @Test
    void theFixturesReadToObjectMappersTreesAndWriteToItsBytes() throws IOException {
        List<Path> fixtures;
        try (Stream<Path> files = Files.walk(Fixtures.dir())) {
            fixtures = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(fixtures.size() >= 6, fixtures.toString());
        for (Path f : fixtures) {
            byte[] bytes = Files.readAllBytes(f);
            JsonNode expected = ORACLE.readTree(bytes);
            assertSameTree(expected, Json.parse(bytes, f.toString()), f.toString());
            assertSameTree(expected, Json.tree(bytes), f.toString());
            assertSameTree(expected, Json.read(f), f.toString());
            assertWrittenAsObjectMapperDid(expected, f.toString());
        }
    }

    @Test
    void everyNodeTypeIsWrittenAsObjectMapperWroteIt() throws IOException {
        ObjectNode all = Samples.everyType();
        assertWrittenAsObjectMapperDid(all, "every type");
        for (JsonNode value : all) {
            assertWrittenAsObjectMapperDid(value, "root " + value.getNodeType()); // each one alone, at the root
            assertWrittenAsObjectMapperDid(Json.array().add(value).add(value), "in an array");
        }
        for (String text : Samples.TEXTS) assertWrittenAsObjectMapperDid(Json.object().put(text, text), "name " + text);
        // and what was written reads back to ObjectMapper's tree of it
        for (byte[] written : List.of(Json.pretty(all), Json.compact(all).getBytes(StandardCharsets.UTF_8))) {
            assertSameTree(ORACLE.readTree(written), Json.tree(written), "read back");
        }
    }

    /** The exact bytes a stored file has: fields in order, two-space indent, " : ", arrays on one line, a newline. */
    @Test
    void prettyIsJacksonsDefaultPrettyPrinterWithANewline() {
        ObjectNode node = Json.object().put("a", 1).putNull("b");
        node.putArray("c").add(1).add("x").addObject();
        node.putObject("d").putArray("e");
        node.putObject("f");
        assertEquals("{\n  \"a\" : 1,\n  \"b\" : null,\n  \"c\" : [ 1, \"x\", { } ],\n  \"d\" : {\n    \"e\" : [ ]\n  },\n  \"f\" : { }\n}\n",
                new String(Json.pretty(node), StandardCharsets.UTF_8));
        assertEquals("{\"a\":1,\"b\":null,\"c\":[1,\"x\",{}],\"d\":{\"e\":[]},\"f\":{}}", Json.compact(node));
        assertEquals("\"\\u0000\\n\\\"</script>\u00e9\"", Json.compact(Json.array().add("\u0000\n\"</script>\u00e9").get(0)));
    }

    @Test
    void randomTreesAreWrittenAndReadAsObjectMapperDid() throws IOException {
        Random random = new Random(20240611);
        for (int i = 0; i < 300; i++) {
            JsonNode tree = Samples.random(random, 5);
            assertWrittenAsObjectMapperDid(tree, "random tree " + i);
            byte[] written = ORACLE.writeValueAsBytes(tree);
            assertSameTree(ORACLE.readTree(written), Json.tree(written), "random tree " + i);
        }
    }

    @Test
    void integersKeepTheirSizeAndOtherNumbersAreDoubles() throws IOException {
        String json = "[0, -0, 2147483647, -2147483648, 2147483648, -2147483649, 9223372036854775807, -9223372036854775808,"
                + " 9223372036854775808, -9223372036854775809, 123456789012345678901234567890, 1.0, -0.0, 0.1, 1E2, 1e-2, 1e400,"
                + " -1e400, 1e-400, 4.9e-324, 1.7976931348623157e308, 123456789012345678901234567890.5]";
        JsonNode read = Json.tree(json.getBytes(StandardCharsets.UTF_8));
        assertSameTree(ORACLE.readTree(json), read, "numbers");
        List<Class<?>> expected = List.of(IntNode.class, IntNode.class, IntNode.class, IntNode.class, LongNode.class, LongNode.class,
                LongNode.class, LongNode.class, BigIntegerNode.class, BigIntegerNode.class, BigIntegerNode.class);
        for (int i = 0; i < read.size(); i++) {
            assertEquals(i < expected.size() ? expected.get(i) : DoubleNode.class, read.get(i).getClass(), "number " + i);
        }
        assertEquals(Double.POSITIVE_INFINITY, read.get(16).doubleValue());
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(read.get(12).doubleValue()));
        assertWrittenAsObjectMapperDid(read, "numbers read");
        // over 1,000 digits is refused, with the parser's message
        String longNumber = "[" + "9".repeat(1001) + "]";
        assertSameFailure(longNumber.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void ofANameGivenTwiceTheLastValueWinsInTheFirstOnesPlace() throws IOException {
        String json = "{\"a\": 1, \"b\": [1, {\"x\": 1, \"x\": [2]}], \"a\": {\"c\": 3}, \"d\": null, \"b\": \"last\", \"d\": 4}";
        JsonNode read = Json.tree(json.getBytes(StandardCharsets.UTF_8));
        assertSameTree(ORACLE.readTree(json), read, "duplicates");
        assertEquals("{\"a\":{\"c\":3},\"b\":\"last\",\"d\":4}", Json.compact(read));
        String nested = "[{\"x\": 1, \"y\": 2, \"x\": {\"x\": 3, \"x\": 4}}]";
        assertSameTree(ORACLE.readTree(nested), Json.tree(nested.getBytes(StandardCharsets.UTF_8)), "nested duplicates");
        assertEquals("[{\"x\":{\"x\":4},\"y\":2}]", Json.compact(Json.tree(nested.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void inputWithoutAValueIsEmpty() throws IOException {
        for (String blank : List.of("", " ", "\n\t\r ")) {
            byte[] bytes = blank.getBytes(StandardCharsets.UTF_8);
            assertTrue(ORACLE.readTree(bytes).isMissingNode());
            assertTrue(Json.tree(bytes).isMissingNode(), "'" + blank + "'");
            BadInputException e = assertThrows(BadInputException.class, () -> Json.parse(bytes, "the payload"));
            assertEquals("the payload is empty", e.getMessage());
        }
        Path empty = Files.write(tmp.resolve("empty.json"), new byte[0]);
        assertTrue(Json.read(empty).isMissingNode());
        assertThrows(IOException.class, () -> Json.read(tmp.resolve("absent.json")));
    }

    @Test
    void aValueAtTheRootIsReadAlone() throws IOException {
        for (String json : List.of("null", "true", "false", "0", "-12", "9223372036854775807", "1.5", "\"text\"", "{}", "[]", " [1] \n")) {
            JsonNode read = Json.tree(json.getBytes(StandardCharsets.UTF_8));
            assertSameTree(ORACLE.readTree(json), read, json);
            assertFalse(read.isMissingNode(), json);
        }
    }

    @Test
    void anythingAfterTheValueIsRefused() {
        for (String json : List.of("{} {}", "{}{}", "1 2", "[] 3", "\"a\" \"b\"", "null null", "{\"a\":1} [", "[1]]", "{}}",
                "true false", "[] x", "{} 1x")) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            JsonProcessingException expected = assertThrows(JsonProcessingException.class, () -> ORACLE.readTree(bytes), json);
            JsonProcessingException actual = assertThrows(JsonProcessingException.class, () -> Json.tree(bytes), json);
            BadInputException e = assertThrows(BadInputException.class, () -> Json.parse(bytes, "the payload"), json);
            assertTrue(e.getMessage().startsWith("the payload is not valid JSON: "), e.getMessage());
            if (expected.getOriginalMessage().startsWith("Trailing token")) {
                // the same words, but for ObjectMapper's "(bound as `JsonNode`): not allowed as per FAIL_ON_TRAILING_TOKENS"
                String trailing = actual.getOriginalMessage();
                assertTrue(trailing.matches("Trailing token \\(of type [A-Z_]+\\) found after value"), trailing);
                assertTrue(expected.getOriginalMessage().startsWith(trailing), expected.getOriginalMessage() + " vs " + trailing);
                assertEquals("the payload is not valid JSON: " + trailing, e.getMessage());
            } else { // the trailing text is itself malformed: the parser says so, as before
                assertEquals("the payload is not valid JSON: " + expected.getOriginalMessage(), e.getMessage());
            }
        }
    }

    @Test
    void malformedJsonIsReportedWithTheParsersMessage() throws IOException {
        List<String> malformed = List.of("{", "[", "[1,", "[1,]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "[1 2]", "tru", "nul",
                "'a'", "[01]", "[-]", "[1.]", "[.5]", "\"\\u00\"", "\"\\x\"", "\"open", "\"tab\there\"", "[NaN]", "[Infinity]",
                "{\"a\":1 \"b\":2}", "]", "}", ":", ",", "/* comment */ 1", "[\"a\" : 1]", "{\"a\" 1}", "\u00e9");
        for (String json : malformed) assertSameFailure(json.getBytes(StandardCharsets.UTF_8));
        assertSameFailure(new byte[] {'"', (byte) 0xC3, '"'}); // broken UTF-8
        assertSameFailure(new byte[] {'[', '"', (byte) 0xFF, '"', ']'});
    }

    /**
     * 100,000 levels read (the parser and the reader keep no call per level), here on a thread with a stack of
     * 256 KB: a reader that called itself per level would need megabytes.
     */
    @Test
    void aHundredThousandLevelsReadWithoutRecursion() throws Exception {
        int depth = 100_000;
        String arrays = "[".repeat(depth) + "]".repeat(depth);
        String objects = "{\"a\":".repeat(depth) + "[1,{\"b\":\"c\"}]" + "}".repeat(depth);
        StringBuilder mixed = new StringBuilder();
        for (int i = 0; i < depth / 2; i++) mixed.append("[{\"k\":");
        mixed.append("null");
        for (int i = 0; i < depth / 2; i++) mixed.append("}]");
        for (String json : List.of(arrays, objects, mixed.toString())) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            JsonNode[] read = new JsonNode[1];
            Throwable[] failed = new Throwable[1];
            Thread small = new Thread(null, () -> {
                try {
                    read[0] = Json.parse(bytes, "deep JSON");
                } catch (Throwable t) {
                    failed[0] = t;
                }
            }, "small-stack", 256 * 1024);
            small.start();
            small.join();
            if (failed[0] != null) throw new AssertionError("reading " + depth + " levels failed", failed[0]);
            assertSameTree(ORACLE.readTree(bytes), read[0], json.substring(0, 10) + "...");
        }
    }

    /**
     * Writing keeps the generator's default limit of 1,000 levels, as ObjectMapper's writers did (a deeper tree is
     * refused, not written).
     */
    @Test
    void writingStopsPastAThousandLevelsAsBefore() throws IOException {
        for (int levels : List.of(999, 1000)) { // the innermost an object
            String json = "[".repeat(levels - 1) + "{\"a\":1}" + "]".repeat(levels - 1);
            JsonNode tree = Json.tree(json.getBytes(StandardCharsets.UTF_8));
            assertWrittenAsObjectMapperDid(tree, levels + " levels");
            assertEquals(json, Json.compact(tree));
        }
        JsonNode deeper = Json.tree(("[".repeat(1001) + "]".repeat(1001)).getBytes(StandardCharsets.UTF_8));
        assertThrows(JsonProcessingException.class, () -> ORACLE.writeValueAsString(deeper));
        assertThrows(JsonProcessingException.class, () -> ORACLE.writerWithDefaultPrettyPrinter().writeValueAsBytes(deeper));
        assertThrows(UncheckedIOException.class, () -> Json.compact(deeper));
        assertThrows(UncheckedIOException.class, () -> Json.pretty(deeper));
    }

    /**
     * No command loads ObjectMapper (nor ObjectWriter, databind's InternalNodeMapper behind JsonNode.toString(), or
     * StdDateFormat): in JVMs of their own, with the class-load log, Json's every method and an ingest of the sample
     * payload (the other commands' --help never loaded it).
     */
    @Test
    void neitherJsonNorTheCommandsLoadObjectMapper() throws Exception {
        Path payload = Files.write(tmp.resolve("payload.json"), Fixtures.bytes("sample/payload.json"));
        Path secretFile = Deliveries.secretFile(tmp);
        List<List<String>> runs = List.of(
                List.of(JsonOnly.class.getName(), payload.toString()),
                List.of("ProcessWorkflowWebhook", "--runs-dir", tmp.resolve("runs").toString(), "--state-dir", tmp.resolve("state").toString(),
                        "--file", payload.toString(), "--secret-file", secretFile.toString(),
                        "--signature", Deliveries.sign(Files.readAllBytes(payload)), "--delivered", "json-test-1", "--event", "workflow_run"));
        for (List<String> run : runs) {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-Xlog:class+load=info:stdout", "-cp", System.getProperty("java.class.path")));
            command.addAll(run);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), run + ": " + out.lines().filter(l -> !l.contains("[class,load]")).toList());
            Set<String> loaded = new TreeSet<>();
            out.lines().filter(l -> l.contains("[class,load] ")).forEach(l -> loaded.add(l.split("\\[class,load\\] ")[1].split(" ")[0]));
            assertTrue(loaded.contains("com.fasterxml.jackson.databind.JsonNode"), run + " loaded no JsonNode: is the log read?");
            for (String forbidden : List.of("com.fasterxml.jackson.databind.ObjectMapper", "com.fasterxml.jackson.databind.ObjectWriter",
                    "com.fasterxml.jackson.databind.ObjectReader", "com.fasterxml.jackson.databind.json.JsonMapper",
                    "com.fasterxml.jackson.databind.node.InternalNodeMapper", "com.fasterxml.jackson.databind.util.StdDateFormat")) {
                assertFalse(loaded.contains(forbidden), run.get(0) + " loaded " + forbidden);
            }
        }
    }

    /** Every method of Json, in a JVM of its own (see above). */
    static final class JsonOnly {
        public static void main(String[] args) throws IOException {
            byte[] payload = Files.readAllBytes(Path.of(args[0]));
            JsonNode parsed = Json.parse(payload, "payload");
            if (!Json.tree(payload).equals(parsed) || !Json.read(Path.of(args[0])).equals(parsed)) throw new AssertionError("read");
            ObjectNode all = Samples.everyType();
            all.set("payload", parsed);
            Json.tree(Json.pretty(all));
            Json.parse(Json.compact(all).getBytes(StandardCharsets.UTF_8), "compact");
            Json.text(all, "text");
            try {
                Json.parse("{} {}".getBytes(StandardCharsets.UTF_8), "two values");
                throw new AssertionError("two values were read");
            } catch (BadInputException expected) {
                // the trailing-token path
            }
            try {
                Json.parse("{".getBytes(StandardCharsets.UTF_8), "half an object");
                throw new AssertionError("half an object was read");
            } catch (BadInputException expected) {
                // the parser's own error
            }
        }
    }

    /** Trees of every node type, with the texts and numbers that writers get wrong. Loads no ObjectMapper. */
    static final class Samples {
        static final List<String> TEXTS = List.of("", "plain", "quote \" backslash \\ slash /", "</script><!--", "caf\u00e9 \u65e5\u672c \u00ff",
                "emoji \ud83d\ude00 pair", "nul \u0000 soh \u0001 bel \u0007 bs \b tab \t lf \n vt \u000b ff \f cr \r esc \u001b us \u001f",
                "del \u007f c1 \u0085 nbsp \u00a0 ls \u2028 ps \u2029 bom \ufeff", "\u0000", "${{ secrets.X }} & <b> 'single'",
                "lone surrogates \ud800 \udc00 x\ud83d", "long " + "x".repeat(5000)); // a "\ud800" escape reads to a lone one

        static ObjectNode everyType() {
            JsonNodeFactory f = JsonNodeFactory.instance;
            ObjectNode o = Json.object();
            for (int i = 0; i < TEXTS.size(); i++) o.put("text" + i, TEXTS.get(i));
            o.put("int", 42).put("int_zero", 0).put("int_min", Integer.MIN_VALUE).put("int_max", Integer.MAX_VALUE);
            o.put("long", 30433642123L).put("long_min", Long.MIN_VALUE).put("long_max", Long.MAX_VALUE);
            o.put("big_int", new BigInteger("123456789012345678901234567890")).put("big_int_negative", new BigInteger("-9223372036854775809"));
            o.put("double", 0.1).put("double_negative_zero", -0.0).put("double_whole", 3.0).put("double_huge", 1e300)
                    .put("double_tiny", 4.9e-324).put("double_max", Double.MAX_VALUE).put("double_exp", 1.5e-7)
                    .put("double_nan", Double.NaN).put("double_infinite", Double.POSITIVE_INFINITY);
            o.put("float", 1.25f);
            o.put("decimal", new BigDecimal("1.10")).put("decimal_exponent", new BigDecimal("1E+3"))
                    .put("decimal_negative_zero", new BigDecimal("-0.000")).put("decimal_long", new BigDecimal("12345678901234567890.0987654321"));
            o.put("short", (short) 7);
            o.put("true", true).put("false", false).putNull("null");
            o.put("binary", new byte[] {0, 1, 2, (byte) 0xFF, 'a'});
            o.putObject("empty_object");
            o.putArray("empty_array");
            ObjectNode nested = o.putObject("nested");
            nested.putArray("list").add(1).add("two").add(3.0).addNull().add(false).addObject().put("deep", Json.array());
            nested.putArray("nested_empty").addArray().addArray();
            o.set("text_node", f.textNode("\u00e9\n"));
            return o;
        }

        static JsonNode random(Random r, int depth) {
            int kind = r.nextInt(depth <= 0 ? 8 : 11);
            switch (kind) {
                case 0: return JsonNodeFactory.instance.textNode(TEXTS.get(r.nextInt(TEXTS.size() - 1)) + randomText(r));
                case 1: return JsonNodeFactory.instance.numberNode(r.nextInt());
                case 2: return JsonNodeFactory.instance.numberNode(r.nextLong());
                case 3: return JsonNodeFactory.instance.numberNode(new BigInteger(64 + r.nextInt(100), r).negate());
                case 4: return JsonNodeFactory.instance.numberNode(r.nextBoolean() ? r.nextDouble() * Math.pow(10, r.nextInt(600) - 300)
                        : Double.longBitsToDouble(r.nextLong()));
                case 5: return JsonNodeFactory.instance.numberNode(new BigDecimal(new BigInteger(80, r), r.nextInt(40) - 20));
                case 6: return JsonNodeFactory.instance.booleanNode(r.nextBoolean());
                case 7: return JsonNodeFactory.instance.nullNode();
                case 8:
                case 9: {
                    ObjectNode o = Json.object();
                    for (int i = r.nextInt(6); i > 0; i--) o.set(randomText(r), random(r, depth - 1));
                    return o;
                }
                default: {
                    ArrayNode a = Json.array();
                    for (int i = r.nextInt(6); i > 0; i--) a.add(random(r, depth - 1));
                    return a;
                }
            }
        }

        /** Up to 8 code points of any plane (whole ones: TEXTS has the lone surrogates). */
        static String randomText(Random r) {
            StringBuilder s = new StringBuilder();
            for (int i = r.nextInt(9); i > 0; i--) {
                int cp = switch (r.nextInt(4)) {
                    case 0 -> r.nextInt(0x20);
                    case 1 -> 0x20 + r.nextInt(0x60);
                    case 2 -> r.nextInt(0x10000);
                    default -> 0x10000 + r.nextInt(0x100000);
                };
                if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
                s.appendCodePoint(cp);
            }
            return s.toString();
        }
    }

    /** compact and pretty give exactly ObjectMapper's bytes (pretty: and a newline). */
    static void assertWrittenAsObjectMapperDid(JsonNode node, String what) throws IOException {
        assertEquals(ORACLE.writeValueAsString(node), Json.compact(node), what);
        byte[] pretty = ORACLE.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        byte[] expected = Arrays.copyOf(pretty, pretty.length + 1);
        expected[pretty.length] = '\n';
        byte[] actual = Json.pretty(node);
        if (!Arrays.equals(expected, actual)) {
            assertEquals(new String(expected, StandardCharsets.UTF_8), new String(actual, StandardCharsets.UTF_8), what);
            assertArrayEquals(expected, actual, what);
        }
    }

    /** Malformed input: both readers refuse it, with the same message, and Json.parse says it as before. */
    static void assertSameFailure(byte[] bytes) {
        String shown = new String(bytes, StandardCharsets.UTF_8);
        JsonProcessingException expected = assertThrows(JsonProcessingException.class, () -> ORACLE.readTree(bytes), shown);
        JsonProcessingException actual = assertThrows(JsonProcessingException.class, () -> Json.tree(bytes), shown);
        assertEquals(expected.getOriginalMessage(), actual.getOriginalMessage(), shown);
        BadInputException e = assertThrows(BadInputException.class, () -> Json.parse(bytes, "the payload"), shown);
        assertEquals("the payload is not valid JSON: " + expected.getOriginalMessage(), e.getMessage());
    }

    /**
     * The same tree, node class for node class and field order too (JsonNode.equals ignores the order and calls
     * itself per level), without recursion.
     */
    static void assertSameTree(JsonNode expected, JsonNode actual, String what) {
        ArrayDeque<Pair> pairs = new ArrayDeque<>();
        pairs.push(new Pair(null, "$", expected, actual));
        while (!pairs.isEmpty()) {
            Pair p = pairs.pop();
            assertEquals(p.expected().getClass(), p.actual().getClass(), () -> what + " at " + p.path());
            if (p.expected().isObject()) {
                List<String> names = new ArrayList<>();
                p.expected().fieldNames().forEachRemaining(names::add);
                List<String> actualNames = new ArrayList<>();
                p.actual().fieldNames().forEachRemaining(actualNames::add);
                assertEquals(names, actualNames, () -> what + " at " + p.path());
                for (String n : names) pairs.push(new Pair(p, "." + n, p.expected().get(n), p.actual().get(n)));
            } else if (p.expected().isArray()) {
                assertEquals(p.expected().size(), p.actual().size(), () -> what + " at " + p.path());
                for (int i = 0; i < p.expected().size(); i++) pairs.push(new Pair(p, "[" + i + "]", p.expected().get(i), p.actual().get(i)));
            } else {
                assertEquals(p.expected(), p.actual(), () -> what + " at " + p.path());
            }
        }
    }

    /** Two nodes at the same place, and how they were reached (built only for a failure's message). */
    record Pair(Pair parent, String step, JsonNode expected, JsonNode actual) {
        String path() {
            StringBuilder path = new StringBuilder();
            int steps = 0;
            for (Pair p = this; p != null; p = p.parent(), steps++) {
                if (steps == 20) return "..." + path;
                path.insert(0, p.step());
            }
            return path.toString();
        }
    }
}
