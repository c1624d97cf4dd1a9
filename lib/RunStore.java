package lib;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The {@code runs/} layout (see the README's storage section):
 * <pre>
 * runs/&lt;uuid&gt;.json                                  dispatch metadata (trigger-and-track)
 * runs/&lt;uuid|unknown&gt;/webhook/events/&lt;time&gt;-&lt;delivery&gt;.json   raw payloads, never overwritten
 * runs/&lt;uuid|unknown&gt;/webhook/index.json             one summary row per delivery
 * runs/webhook_orphans/&lt;run_id&gt;.json                deliveries whose metadata file is missing
 * runs/.locks/&lt;uuid|unknown&gt;.lock                     per-correlation lock (threads and processes)
 * </pre>
 * Every write is a temp file renamed into place; every read-modify-write holds the lock.
 */
public final class RunStore {
    public static final String UNKNOWN = "unknown";
    private static final DateTimeFormatter EVENT_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final int TIME_LENGTH = "20260101T000000.000Z".length();
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    @FunctionalInterface
    public interface IoWork<T> {
        T run() throws IOException;
    }

    private final Path root;

    public RunStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** The folder name for a correlation: its canonical UUID, or {@value #UNKNOWN}. */
    public static String folderFor(String correlationId) {
        return correlationId == null ? UNKNOWN : Correlation.canonical(correlationId);
    }

    public Path webhookDir(String folder) {
        return root.resolve(checked(folder)).resolve("webhook");
    }

    public Path indexFile(String folder) {
        return webhookDir(folder).resolve("index.json");
    }

    public Path eventsDir(String folder) {
        return webhookDir(folder).resolve("events");
    }

    /** Where trigger-and-track writes a correlation's metadata (lower case). */
    public Path metadataFile(String correlationId) {
        return root.resolve(Correlation.canonical(correlationId) + ".json");
    }

    /** The existing metadata file, also when older tooling named it in upper case. */
    public Optional<Path> findMetadata(String correlationId) {
        Path lower = metadataFile(correlationId);
        if (Files.exists(lower)) return Optional.of(lower);
        Path upper = root.resolve(correlationId.toUpperCase(Locale.ROOT) + ".json");
        return Files.exists(upper) ? Optional.of(upper) : Optional.empty();
    }

    public Path orphanFile(long runId) {
        return root.resolve("webhook_orphans").resolve(runId + ".json");
    }

    /** Runs {@code work} holding the folder's lock, against other threads and other processes. */
    public <T> T withLock(String folder, IoWork<T> work) throws IOException {
        Path lockFile = root.resolve(".locks").resolve(checked(folder) + ".lock").toAbsolutePath().normalize();
        ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        local.lock();
        try {
            Files.createDirectories(lockFile.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = channel.lock()) {
                return work.run();
            }
        } finally {
            local.unlock();
        }
    }

    /** Reads a JSON object file; absent gives an empty object; anything else is left untouched and reported. */
    public ObjectNode readObject(Path file) throws IOException {
        JsonNode node = readJson(file);
        if (node == null) return Json.object();
        if (!node.isObject()) throw CommandException.usage(file + " does not hold a JSON object; left unchanged");
        return (ObjectNode) node;
    }

    public void writeObject(Path file, ObjectNode node) throws IOException {
        SafeFiles.writeAtomically(file, Json.pretty(node));
    }

    /** Read-modify-write of {@code runs/<uuid>.json} under the correlation's lock; other keys are kept. */
    public ObjectNode updateMetadata(String correlationId, Consumer<ObjectNode> change) throws IOException {
        String folder = folderFor(correlationId);
        return withLock(folder, () -> {
            Path file = findMetadata(folder).orElse(metadataFile(folder));
            ObjectNode metadata = readObject(file);
            change.accept(metadata);
            writeObject(file, metadata);
            return metadata;
        });
    }

    /** The delivery rows of a folder's index (empty when none). Caller holds the lock when it will write. */
    public ArrayNode readIndex(String folder) throws IOException {
        Path file = indexFile(folder);
        JsonNode node = readJson(file);
        if (node == null) return Json.array();
        if (!node.isArray()) throw CommandException.usage(file + " does not hold a JSON array; left unchanged");
        return (ArrayNode) node;
    }

    public Optional<JsonNode> findRow(ArrayNode index, String deliveryId) {
        for (JsonNode row : index) {
            if (deliveryId.equals(Json.text(row, "delivery_id"))) return Optional.of(row);
        }
        return Optional.empty();
    }

    /** Appends one row; the caller holds the folder's lock and passes the index it read under it. */
    public void appendRow(String folder, ArrayNode index, ObjectNode row) throws IOException {
        index.add(row);
        SafeFiles.writeAtomically(indexFile(folder), Json.pretty(index));
    }

    /**
     * Stores the raw payload as {@code events/<time>-<delivery>.json}. When a file for this
     * delivery already exists (an earlier run stopped before indexing it), that file is kept and returned.
     */
    public Path writeEvent(String folder, Instant received, String deliveryId, byte[] raw) throws IOException {
        if (!SafeFiles.isSafeName(deliveryId)) throw CommandException.usage("unsafe delivery id: " + deliveryId);
        Path dir = eventsDir(folder);
        Optional<Path> earlier = existingEvent(dir, deliveryId);
        if (earlier.isPresent()) return earlier.get();
        Path file = dir.resolve(EVENT_TIME.format(received) + "-" + deliveryId + ".json");
        SafeFiles.writeNew(file, raw); // never replaces a file that is already there
        return file;
    }

    private static Optional<Path> existingEvent(Path dir, String deliveryId) throws IOException {
        if (!Files.isDirectory(dir)) return Optional.empty();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*-" + deliveryId + ".json")) {
            for (Path f : files) {
                // exactly "<time>-<delivery>.json": not another delivery whose id ends the same way
                if (f.getFileName().toString().length() == TIME_LENGTH + 1 + deliveryId.length() + 5) {
                    return Optional.of(f);
                }
            }
        }
        return Optional.empty();
    }

    private static JsonNode readJson(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw CommandException.usage(file + " is not valid JSON; left unchanged (fix or move it)");
        }
    }

    private static String checked(String folder) {
        if (!UNKNOWN.equals(folder) && !Correlation.isValid(folder)) {
            throw CommandException.usage("not a correlation id: " + folder);
        }
        return folder;
    }
}
