import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import lib.util.BadInputException;
import lib.util.Json;
import lib.webhook.PayloadFields;
import lib.webhook.WorkflowJobEvent;
import lib.webhook.WorkflowRunEvent;
import org.junit.jupiter.api.Test;

/** The partial read of a delivery's JSON tells ingest what the whole tree would, and rejects what it would reject. */
class PayloadFieldsTest {
    static final Path FIXTURES = Path.of("tests/fixtures");

    static List<Path> payloads() throws IOException {
        try (Stream<Path> files = Files.list(FIXTURES)) {
            return Stream.concat(files.filter(f -> f.toString().endsWith(".json")), Stream.of(FIXTURES.resolve("sample/payload.json")))
                    .sorted().toList();
        }
    }

    @Test
    void everyFixtureReadsAsTheWholeTreeDoesForWhatIngestUses() throws IOException {
        List<Path> files = payloads();
        assertTrue(files.size() >= 5, files.toString());
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            JsonNode whole = Json.parse(bytes, f.toString());
            JsonNode part = PayloadFields.read(bytes, f.toString());
            assertSameShape(whole, part, f.toString());
            if (whole.has("workflow_run")) assertEquals(WorkflowRunEvent.from(whole), WorkflowRunEvent.from(part), f.toString());
            if (whole.has("workflow_job")) assertEquals(WorkflowJobEvent.from(whole), WorkflowJobEvent.from(part), f.toString());
            assertTrue(part.path("workflow_run").path("head_commit").isEmpty(), "not kept: " + f);
            assertTrue(part.path("sender").isEmpty(), "not kept: " + f);
        }
    }

    /** Top-level fields and the kept objects' fields: present alike, scalars equal, containers of the same kind. */
    static void assertSameShape(JsonNode whole, JsonNode part, String what) {
        for (Iterator<String> names = whole.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            JsonNode w = whole.get(name);
            JsonNode p = part.get(name);
            assertTrue(p != null, what + ": " + name + " missing");
            assertEquals(w.getNodeType(), p.getNodeType(), what + ": " + name);
            if (w.isValueNode()) assertEquals(w, p, what + ": " + name);
            if (List.of("workflow_run", "workflow_job", "repository").contains(name)) {
                for (Iterator<String> inner = w.fieldNames(); inner.hasNext(); ) {
                    String n = inner.next();
                    assertEquals(w.get(n).getNodeType(), p.path(n).getNodeType(), what + ": " + name + "." + n);
                    if (w.get(n).isValueNode()) assertEquals(w.get(n), p.get(n), what + ": " + name + "." + n);
                }
            }
        }
        assertEquals(whole.size(), part.size(), what);
    }

    @Test
    void numbersKeepTheirTypesAndALaterDuplicateWins() {
        String json = "{\"hook_id\": 12, \"workflow_run\": {\"id\": 1}, \"workflow_run\": {\"id\": 9223372036854775807,"
                + " \"run_number\": 99999999999999999999, \"ratio\": 0.5, \"ok\": true, \"no\": false, \"none\": null,"
                + " \"head_commit\": {\"id\": \"x\"}, \"pull_requests\": [1, {\"a\": [2]}]}, \"sender\": [], \"sender\": {\"login\": \"x\"}}";
        JsonNode p = read(json);
        assertSameShape(Json.parse(json.getBytes(StandardCharsets.UTF_8), "x"), p, json);
        assertTrue(p.get("hook_id").isInt());
        JsonNode run = p.get("workflow_run");
        assertTrue(run.get("id").isLong());
        assertEquals(Long.MAX_VALUE, run.get("id").asLong());
        assertTrue(run.get("run_number").isBigInteger());
        assertTrue(run.get("ratio").isDouble());
        assertTrue(run.get("ok").asBoolean() && !run.get("no").asBoolean() && run.get("none").isNull());
        assertTrue(run.get("head_commit").isObject() && run.get("head_commit").isEmpty());
        assertTrue(run.get("pull_requests").isArray() && run.get("pull_requests").isEmpty());
        assertTrue(p.get("sender").isObject(), "the later duplicate, an object, replaced the array");
    }

    @Test
    void malformedJsonIsRejectedAnywhereEvenInWhatIsNotKept() {
        for (String bad : List.of("{\"sender\": {\"login\": \"x\",}}", "{\"workflow_run\": {\"id\": 1}", "{\"a\": [1, 2}",
                "{\"commits\": [\"unterminated]}", "{\"a\": tru}", "{\"a\": 1} {\"b\": 2}", "{\"a\": 1} x", "")) {
            BadInputException e = assertThrows(BadInputException.class, () -> read(bad), bad);
            assertTrue(e.getMessage().startsWith("the payload is"), e.getMessage());
            assertThrows(BadInputException.class, () -> Json.parse(bad.getBytes(StandardCharsets.UTF_8), "the payload"),
                    "the whole-tree reader rejects it too: " + bad);
        }
    }

    @Test
    void aPayloadThatIsNotAnObjectReadsWhole() {
        assertTrue(read("[1, {\"workflow_run\": {}}]").isArray());
        assertEquals(3, read("[1, 2, 3]").size());
        assertTrue(read("\"text\"").isTextual());
    }

    @Test
    void deepNestingInWhatIsNotKeptIsSkippedWithoutRecursion() {
        int depth = 200_000;
        String deep = "{\"workflow_run\": {\"id\": 5, \"deep\": " + "[".repeat(depth) + "]".repeat(depth) + "}, \"sender\": "
                + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}";
        JsonNode p = read(deep);
        assertEquals(5, p.path("workflow_run").path("id").asLong());
        assertFalse(p.path("workflow_run").path("deep").isMissingNode());
        assertTrue(p.path("sender").isObject());
    }

    static JsonNode read(String json) {
        return PayloadFields.read(json.getBytes(StandardCharsets.UTF_8), "the payload");
    }
}
