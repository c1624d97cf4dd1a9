package lib.util;

//DEPS com.fasterxml.jackson.core:jackson-databind:2.23.0

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;

/** One shared Jackson mapper and the few helpers every command needs. */
public final class Json {
    /**
     * Reads any payload under GitHub's 25 MB cap whatever its shape: Jackson's defaults refuse a string over
     * 20,000,000 characters, a name over 50,000 and nesting deeper than 1,000, so those limits are lifted (the
     * payload cap bounds them, and parsing stays linear and without recursion). Numbers keep Jackson's limit of
     * 1,000 digits: converting a longer one costs CPU far beyond linear, and GitHub's numbers are 64-bit.
     */
    static final StreamReadConstraints READ_LIMITS = StreamReadConstraints.builder()
            .maxStringLength(Integer.MAX_VALUE)
            .maxNameLength(Integer.MAX_VALUE)
            .maxNestingDepth(Integer.MAX_VALUE)
            .build();

    /** The parser and generator factory every reader and writer here uses (with {@link #READ_LIMITS}). */
    public static final JsonFactory FACTORY = JsonFactory.builder().streamReadConstraints(READ_LIMITS).build();

    public static final ObjectMapper MAPPER = new ObjectMapper(FACTORY).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

    private Json() {}

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** Parses JSON; malformed input becomes a usage error naming {@code what}. */
    public static JsonNode parse(byte[] bytes, String what) {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) throw new BadInputException(what + " is empty");
            return node;
        } catch (JsonProcessingException e) {
            throw new BadInputException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadInputException(what + " could not be read: " + e.getMessage());
        }
    }

    public static JsonNode read(Path file) throws IOException {
        return MAPPER.readTree(file.toFile());
    }

    /** Compact single-line JSON, as printed on stdout. */
    public static String compact(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Indented JSON with a trailing newline, as stored in files. */
    public static byte[] pretty(JsonNode node) {
        try {
            byte[] json = PRETTY.writeValueAsBytes(node);
            byte[] line = Arrays.copyOf(json, json.length + 1);
            line[json.length] = '\n';
            return line;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Text of a field, or null when absent or JSON null. */
    public static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
