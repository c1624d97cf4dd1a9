package lib.webhook;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Set;
import lib.util.BadInputException;
import lib.util.Json;

/**
 * Reads what ingest uses of a delivery's JSON without building the whole tree. A {@code workflow_run} payload
 * is about 22 KB, most of it the repository's and the head commit's details; building all of it as a tree
 * took a quarter of a busy receiver's CPU for a dozen fields. The result keeps the payload's top-level scalars
 * (e.g. {@code action}, {@code zen}, {@code hook_id}) and the scalars of {@link #KEPT_OBJECTS}; every other
 * object or array is still read as JSON (malformed input is rejected as {@link Json#parse} rejects it) but kept
 * empty, so the payload's shape ({@code has}, {@code isObject}) is as in a full tree. A payload that is not a
 * JSON object is read whole.
 */
public final class PayloadFields {
    /** The top-level objects whose scalars {@link WorkflowRunEvent} and {@link WorkflowJobEvent} read. */
    static final Set<String> KEPT_OBJECTS = Set.of("workflow_run", "workflow_job", "repository");

    private PayloadFields() {}

    /** The payload's kept fields; {@code what} names it in errors, as {@link Json#parse} does. */
    public static JsonNode read(byte[] json, String what) {
        try (JsonParser p = Json.FACTORY.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) return Json.parse(json, what);
            ObjectNode root = Json.object();
            readObject(p, root, true);
            if (p.nextToken() != null) {
                throw new BadInputException(what + " is not valid JSON: more content after the JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new BadInputException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadInputException(what + " could not be read: " + e.getMessage());
        }
    }

    /** Reads an object's fields up to its end: scalars kept; at the top, the kept objects' scalars too. */
    private static void readObject(JsonParser p, ObjectNode into, boolean top) throws IOException {
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.START_OBJECT && top && KEPT_OBJECTS.contains(name)) {
                ObjectNode kept = Json.object();
                readObject(p, kept, false);
                into.set(name, kept);
            } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                p.skipChildren();
                into.set(name, value == JsonToken.START_OBJECT ? Json.object() : Json.array());
            } else {
                into.set(name, Json.value(p, value));
            }
        }
    }
}
