package lib.util;

//DEPS com.fasterxml.jackson.core:jackson-databind:2.23.0

import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON trees ({@link JsonNode}) read and written with jackson-core's streaming parser and generator, and the few
 * helpers every command needs. Databind lends only its node classes: no ObjectMapper (nor ObjectWriter, nor
 * {@code JsonNode.toString()}, which uses one), whose static set-up (a date format that loads the JDK's locale data,
 * its default settings) cost every command about 50 ms of its start. The trees, bytes and messages are the ones
 * ObjectMapper gave (readTree with FAIL_ON_TRAILING_TOKENS, writeValueAsString, writerWithDefaultPrettyPrinter);
 * tests/JsonTest.java checks them against it.
 */
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

    /** The node factory ObjectMapper used by default. */
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {}

    public static ObjectNode object() {
        return NODES.objectNode();
    }

    public static ArrayNode array() {
        return NODES.arrayNode();
    }

    /** Parses JSON; malformed input becomes a usage error naming {@code what}. */
    public static JsonNode parse(byte[] bytes, String what) {
        try {
            JsonNode node = tree(bytes);
            if (node.isMissingNode()) throw new BadInputException(what + " is empty");
            return node;
        } catch (JsonProcessingException e) {
            throw new BadInputException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadInputException(what + " could not be read: " + e.getMessage());
        }
    }

    /**
     * The tree of the one JSON value in {@code bytes}, or a {@link MissingNode} when they hold none (empty, or only
     * whitespace). Malformed JSON, and anything but whitespace after the value, throw a
     * {@link JsonProcessingException}.
     */
    public static JsonNode tree(byte[] bytes) throws IOException {
        try (JsonParser p = FACTORY.createParser(bytes)) {
            return tree(p);
        }
    }

    /** {@link #tree(byte[])} of a file's content; a missing file throws (FileNotFoundException). */
    public static JsonNode read(Path file) throws IOException {
        try (JsonParser p = FACTORY.createParser(file.toFile())) {
            return tree(p);
        }
    }

    private static JsonNode tree(JsonParser p) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) return MissingNode.getInstance();
        JsonNode root = value(p, first);
        JsonToken trailing = p.nextToken();
        if (trailing != null) throw new JsonParseException(p, "Trailing token (of type " + trailing + ") found after value");
        return root;
    }

    /**
     * The value that starts at {@code first}, read up to its last token. Containers are kept on a stack of their own,
     * not on the call stack, so any depth reads. As ObjectMapper's default: an integer becomes an IntNode, a LongNode
     * or a BigIntegerNode by its size, a number with a fraction or exponent a DoubleNode, and of a name given twice
     * in an object the last value wins (in the place of the first).
     */
    public static JsonNode value(JsonParser p, JsonToken first) throws IOException {
        ArrayDeque<ContainerNode<?>> open = new ArrayDeque<>();
        JsonNode root = null;
        String name = null;
        for (JsonToken t = first; ; t = p.nextToken()) {
            if (t == null) throw new JsonParseException(p, "Unexpected end-of-input"); // the parser reports it first
            JsonNode value;
            switch (t) {
                case FIELD_NAME:
                    name = p.currentName();
                    continue;
                case END_OBJECT:
                case END_ARRAY:
                    open.pop();
                    if (open.isEmpty()) return root;
                    continue;
                case START_OBJECT:
                    value = NODES.objectNode();
                    break;
                case START_ARRAY:
                    value = NODES.arrayNode();
                    break;
                case VALUE_STRING:
                    value = NODES.textNode(p.getText());
                    break;
                case VALUE_NUMBER_INT:
                    value = switch (p.getNumberType()) {
                        case INT -> NODES.numberNode(p.getIntValue());
                        case LONG -> NODES.numberNode(p.getLongValue());
                        default -> NODES.numberNode(p.getBigIntegerValue());
                    };
                    break;
                case VALUE_NUMBER_FLOAT:
                    value = NODES.numberNode(p.getDoubleValue());
                    break;
                case VALUE_TRUE:
                    value = NODES.booleanNode(true);
                    break;
                case VALUE_FALSE:
                    value = NODES.booleanNode(false);
                    break;
                case VALUE_NULL:
                    value = NODES.nullNode();
                    break;
                default: // no JSON parser returns any other token
                    throw new JsonParseException(p, "Unexpected token (" + t + ")");
            }
            ContainerNode<?> parent = open.peek();
            if (parent == null) root = value;
            else if (parent instanceof ObjectNode object) object.replace(name, value);
            else ((ArrayNode) parent).add(value);
            if (value.isContainerNode()) open.push((ContainerNode<?>) value);
            else if (parent == null) return value;
        }
    }

    /** Compact single-line JSON, as printed on stdout. */
    public static String compact(JsonNode node) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Indented JSON (Jackson's default pretty printer) with a trailing newline, as stored in files. */
    public static byte[] pretty(JsonNode node) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * Writes a tree as each node's own serialize method did under ObjectMapper's defaults (fields in their order,
     * nulls and empty arrays kept), without recursion: the open containers' iterators are on a stack.
     */
    private static void write(JsonGenerator g, JsonNode root) throws IOException {
        ArrayDeque<Iterator<?>> open = new ArrayDeque<>(); // an object's entries or an array's elements
        JsonNode next = root;
        while (true) {
            if (next != null) {
                if (next.isObject()) {
                    g.writeStartObject();
                    open.push(next.properties().iterator());
                } else if (next.isArray()) {
                    g.writeStartArray();
                    open.push(next.elements());
                } else {
                    writeScalar(g, next);
                }
            }
            Iterator<?> top = open.peek();
            if (top == null) return;
            if (!top.hasNext()) {
                open.pop();
                if (g.getOutputContext().inObject()) g.writeEndObject();
                else g.writeEndArray();
                next = null;
            } else {
                Object item = top.next();
                if (item instanceof Map.Entry<?, ?> field) {
                    g.writeFieldName((String) field.getKey());
                    next = (JsonNode) field.getValue();
                } else {
                    next = (JsonNode) item;
                }
            }
        }
    }

    private static void writeScalar(JsonGenerator g, JsonNode node) throws IOException {
        switch (node.getNodeType()) {
            case STRING -> {
                if (node.textValue() == null) g.writeNull();
                else g.writeString(node.textValue());
            }
            case NUMBER -> {
                switch (node.numberType()) {
                    case INT -> g.writeNumber(node.intValue());
                    case LONG -> g.writeNumber(node.longValue());
                    case BIG_INTEGER -> g.writeNumber(node.bigIntegerValue());
                    case FLOAT -> g.writeNumber(node.floatValue());
                    case DOUBLE -> g.writeNumber(node.doubleValue());
                    case BIG_DECIMAL -> g.writeNumber(node.decimalValue());
                }
            }
            case BOOLEAN -> g.writeBoolean(node.booleanValue());
            case NULL, MISSING -> g.writeNull();
            case BINARY -> {
                byte[] data = node.binaryValue();
                if (data == null) g.writeNull();
                else g.writeBinary(Base64Variants.getDefaultVariant(), data, 0, data.length);
            }
            default -> throw new IllegalArgumentException("not a JSON value: a " + node.getNodeType() + " node");
        }
    }

    /** Text of a field, or null when absent or JSON null. */
    public static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
