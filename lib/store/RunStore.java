package lib.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import lib.util.BadInputException;
import lib.util.FileLocks;
import lib.util.Json;
import lib.util.Processes;
import lib.util.SafeFiles;
import lib.webhook.Correlation;

/**
 * The {@code runs/} layout (see docs/storage.md):
 * <pre>
 * runs/&lt;uuid&gt;.json                                   dispatch metadata (trigger-and-track)
 * runs/&lt;uuid|unknown&gt;/webhook/events/&lt;time&gt;-&lt;delivery&gt;.json   raw payloads, never overwritten
 * runs/&lt;uuid|unknown&gt;/webhook/index.json              one summary row per delivery, one per line
 * runs/&lt;uuid|unknown&gt;/webhook/deliveries/&lt;delivery&gt;.json  the row again: marks the delivery as stored
 * runs/webhook_orphans/&lt;run_id&gt;.json                 deliveries whose metadata file is missing
 * runs/.by-run-id/&lt;run_id&gt;                           which correlation a run id belongs to
 * runs/.locks/&lt;uuid|unknown&gt;.lock                      per-correlation lock (threads and processes)
 * </pre>
 * Storing a delivery costs the same however many are already stored for its correlation: the
 * duplicate check is one file lookup and the index grows by one in-place append. Whole-file
 * writes go through a temp file renamed into place; every read-modify-write holds the lock.
 * <p>
 * Durability: a plain store flushes each file as it writes it, and the folder of each name it creates or
 * replaces (before the delivery's marker is written, the marker's own after it). A {@link #journaled} store (a busy
 * receiver) appends each delivery to its {@link Journal} first and writes the files without their
 * own flush: one journal flush makes all the deliveries that arrived meanwhile durable, and the
 * files are flushed together at the journal's next checkpoint ({@code runs/.journal/}), which also
 * writes the deliveries' metadata merges, once per file ({@link DeferredMetadata}).
 */
public final class RunStore implements AutoCloseable {
    public static final String UNKNOWN = "unknown";
    private static final java.time.Duration SYNC_TIMEOUT = java.time.Duration.ofSeconds(60);
    private static final DateTimeFormatter EVENT_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final byte[] INDEX_END = "\n]\n".getBytes(StandardCharsets.UTF_8);
    private static final int TORN_READ_ATTEMPTS = 5;

    /** Where a delivery's payload goes; {@code resumed} when an earlier, interrupted attempt chose it. */
    public record EventSlot(Path file, boolean resumed) {}

    private final Path root;
    private final Journal journal; // null: every file is flushed as it is written
    private final DeferredMetadata deferred; // a journaled store's metadata merges, written at checkpoints
    private final Consumer<String> warn;
    private Map<String, Set<String>> replayIndexed; // during recover(): each folder's indexed delivery ids, read once

    public RunStore(Path root) {
        this(root, false, m -> {});
    }

    private RunStore(Path root, boolean journaled, Consumer<String> warn) {
        this.root = root;
        this.warn = warn;
        this.deferred = journaled ? new DeferredMetadata() : null;
        this.journal = journaled ? new Journal(root.resolve(Journal.DIR), this::flush, warn) : null;
    }

    /** A store for a long-running receiver: deliveries are journaled and made durable in groups (see the class comment). */
    public static RunStore journaled(Path root, Consumer<String> warn) {
        return new RunStore(root, true, warn);
    }

    /** Checkpoints and closes the journal (nothing to do for a plain store). */
    @Override
    public void close() {
        if (journal != null) journal.close();
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

    /** Runs {@code work} holding the folder's lock, against other threads and other processes. Not reentrant. */
    public <T> T withLock(String folder, FileLocks.IoWork<T> work) throws IOException {
        return FileLocks.withLock(root.resolve(".locks").resolve(checked(folder) + ".lock"), work);
    }

    /** The metadata of a correlation ({@code runs/<uuid>.json}); empty when there is none yet. */
    public RunMetadata readMetadata(String correlationId) throws IOException {
        return readMetadata(findMetadata(correlationId).orElse(metadataFile(correlationId)));
    }

    /** A metadata or orphan file; an absent one reads as empty, a damaged one is left untouched and reported. */
    public RunMetadata readMetadata(Path file) throws IOException {
        JsonNode node = readJson(file);
        return node == null ? new RunMetadata(Json.object()) : metadataOf(file, node);
    }

    /** A correlation's metadata file and what it holds. */
    public record StoredMetadata(Path file, RunMetadata content) {}

    /**
     * The metadata of a correlation that has a file (as {@link #findMetadata}), read without a separate
     * existence check: ingest reads it for every delivery (a journaled store keeps it, with the merges its
     * checkpoint has yet to write, while the file is unchanged). A damaged file is reported.
     */
    public Optional<StoredMetadata> existingMetadata(String correlationId) throws IOException {
        Path file = metadataFile(correlationId);
        Optional<RunMetadata> content = mergeable(file);
        if (content.isEmpty()) {
            file = root.resolve(correlationId.toUpperCase(Locale.ROOT) + ".json");
            content = isAbsent(file) ? Optional.empty() : mergeable(file);
            if (content.isEmpty()) return Optional.empty();
        }
        return Optional.of(new StoredMetadata(file, content.get()));
    }

    /** An orphan record to merge a delivery into (as {@link #existingMetadata}); a new one when there is none. */
    public RunMetadata orphanRecord(Path file) throws IOException {
        return mergeable(file).orElseGet(() -> new RunMetadata(Json.object()));
    }

    /** What ingest merges a delivery into: what the file holds, and in a journaled store the merges not written yet. */
    private Optional<RunMetadata> mergeable(Path file) throws IOException {
        return deferred == null ? metadataIfAny(file) : deferred.current(file, this::metadataIfAny);
    }

    private Optional<RunMetadata> metadataIfAny(Path file) throws IOException {
        JsonNode node = readJson(file);
        return node == null ? Optional.empty() : Optional.of(metadataOf(file, node));
    }

    /**
     * Writes a delivery's merge into a metadata or orphan file ({@code content}, from {@link #existingMetadata} or
     * {@link #orphanRecord}, already holds it): now, or in a journaled store at the checkpoint of the delivery's
     * journal segment ({@code ticket}), where {@code change} merges it into what the file holds then.
     */
    public void mergeMetadata(Path file, String folder, RunMetadata content, Journal.Ticket ticket,
            Consumer<RunMetadata> change) throws IOException {
        if (deferred != null && ticket != null) deferred.later(file, folder, content, ticket.segment(), change);
        else writeMetadata(file, content);
    }

    private static RunMetadata metadataOf(Path file, JsonNode node) {
        if (!node.isObject()) throw new DamagedFileException(file + " does not hold a JSON object; left unchanged");
        return new RunMetadata((ObjectNode) node);
    }

    public void writeMetadata(Path file, RunMetadata metadata) throws IOException {
        replace(file, Json.pretty(metadata.json()));
    }

    /** Read-modify-write of {@code runs/<uuid>.json} under the correlation's lock; other keys are kept. */
    public RunMetadata updateMetadata(String correlationId, Consumer<RunMetadata> change) throws IOException {
        String folder = folderFor(correlationId);
        return withLock(folder, () -> {
            Path file = findMetadata(folder).orElse(metadataFile(folder));
            RunMetadata metadata = readMetadata(file);
            change.accept(metadata);
            writeMetadata(file, metadata);
            return metadata;
        });
    }

    /**
     * The delivery rows of a folder's index (empty when none). Readers take no lock, so a read can meet a
     * row being appended (one positional write, which a concurrent read may see half done, just like a
     * file torn by a crash): an unparsable index is read again a few times, over about 15 ms, before it
     * is reported as damaged.
     */
    public List<IndexRow> readIndex(String folder) throws IOException {
        Path file = indexFile(folder);
        JsonNode node;
        try {
            node = readSettled(file);
        } catch (DamagedFileException e) {
            throw new DamagedFileException(file + " is not valid JSON; left unchanged (fix it, or delete it: the next"
                    + " delivery stored here rebuilds it from the rows in " + webhookDir(folder).resolve("deliveries") + ")");
        }
        if (node == null) return List.of();
        if (!node.isArray()) throw new DamagedFileException(file + " does not hold a JSON array; left unchanged");
        List<IndexRow> rows = new ArrayList<>(node.size());
        node.forEach(r -> rows.add(IndexRow.of(r)));
        return rows;
    }

    /**
     * The raw bytes of a stored delivery (the event file its index row names); empty when the row names
     * none, the file is gone, or the name would lead outside the folder's {@code webhook/} directory.
     */
    public Optional<byte[]> readEvent(String folder, IndexRow row) throws IOException {
        String file = row.file();
        if (file == null) return Optional.empty();
        Path dir = webhookDir(folder);
        Path path = dir.resolve(file).normalize();
        if (!path.startsWith(dir.normalize())) return Optional.empty();
        try {
            return Optional.of(Files.readAllBytes(path));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    // --- storing one delivery: call these in order, holding the folder's lock -------------------

    /**
     * The row of a delivery already stored in this folder, if any. A pending marker beside it is what a run
     * killed between marking the delivery stored and removing that marker left: it is removed.
     */
    public Optional<IndexRow> storedDelivery(String folder, String deliveryId) throws IOException {
        Path marker = deliveryMarker(folder, deliveryId, ".json");
        if (isAbsent(marker)) return Optional.empty(); // the usual case: a new delivery
        JsonNode row = readJson(marker);
        if (row == null) return Optional.empty(); // removed meanwhile
        if (!row.isObject() || !row.path("file").isTextual()) {
            throw new DamagedFileException(marker + " does not hold a stored delivery's row; left unchanged (fix or move it)");
        }
        Files.deleteIfExists(deliveryMarker(folder, deliveryId, ".pending"));
        return Optional.of(IndexRow.of(row));
    }

    /**
     * Picks the event file for a new delivery and notes the choice, so a run interrupted after this
     * point resumes with the same file instead of storing the payload twice.
     */
    public EventSlot reserveEvent(String folder, String deliveryId, Instant received) throws IOException {
        Path pending = deliveryMarker(folder, deliveryId, ".pending");
        if (!isAbsent(pending)) {
            try {
                String earlier = Files.readString(pending, StandardCharsets.UTF_8).strip();
                if (SafeFiles.isSafeName(earlier)) return new EventSlot(eventsDir(folder).resolve(earlier), true);
            } catch (NoSuchFileException e) {
                // removed meanwhile: a new delivery after all
            }
        }
        Optional<EventSlot> journaled = indexedByADeadReceiver(folder, deliveryId);
        if (journaled.isPresent()) return journaled.get();
        String name = EVENT_TIME.format(received) + "-" + deliveryId + ".json";
        if (journal == null) SafeFiles.writeHint(pending, name.getBytes(StandardCharsets.UTF_8)); // the journal keeps it otherwise
        return new EventSlot(eventsDir(folder).resolve(name), false);
    }

    /**
     * For a plain store beside a receiver's journal: a receiver killed after appending a delivery's row but
     * before writing its marker leaves the row, and its segment to replay it; the same delivery stored here
     * meanwhile resumes that row's event file instead of adding a second row. Reads the index, but only while
     * a segment is there (a receiver runs, or one died).
     */
    private Optional<EventSlot> indexedByADeadReceiver(String folder, String deliveryId) throws IOException {
        if (journal != null || !journalSegmentsExist()) return Optional.empty();
        try {
            for (IndexRow row : readIndex(folder)) {
                if (deliveryId.equals(row.deliveryId()) && row.file() != null && row.file().startsWith("events/")
                        && SafeFiles.isSafeName(row.file().substring("events/".length()))) {
                    return Optional.of(new EventSlot(webhookDir(folder).resolve(row.file()), true));
                }
            }
        } catch (DamagedFileException torn) {
            // rebuilt from the markers when the row is appended; a new slot meanwhile
        }
        return Optional.empty();
    }

    private boolean journalSegmentsExist() throws IOException {
        Path dir = root.resolve(Journal.DIR);
        if (!Files.isDirectory(dir)) return false;
        try (DirectoryStream<Path> segments = Files.newDirectoryStream(dir, Journal.SEGMENTS)) {
            return segments.iterator().hasNext();
        }
    }

    /** The slot a journaled delivery chose, for its replay. */
    public EventSlot journaledSlot(JournalEntry entry) {
        if (!SafeFiles.isSafeName(entry.eventFile())) throw new BadInputException("unsafe event file name in the journal");
        return new EventSlot(eventsDir(entry.folder()).resolve(entry.eventFile()), true);
    }

    // --- the journal of a journaled store (each a no-op for a plain store) ------------------------

    /** Appends the delivery to the journal before its files are written; null for a plain store. */
    public Journal.Ticket journal(JournalEntry entry) throws IOException {
        return journal == null ? null : journal.append(entry);
    }

    /**
     * What a duplicate delivery waits on before its 2xx: everything journaled so far (its first copy may still be
     * on its way to disk); null for a plain store, whose files are flushed as they are written.
     */
    public Journal.Ticket journaledSoFar() {
        return journal == null ? null : journal.soFar();
    }

    /** The journaled delivery's files are written (or failed to be). */
    public void written(Journal.Ticket ticket) {
        if (ticket != null) journal.written(ticket);
    }

    /** Returns once the journaled delivery is durable (one flush serves every delivery waiting meanwhile). */
    public void awaitDurable(Journal.Ticket ticket) throws IOException {
        if (ticket != null) journal.awaitDurable(ticket);
    }

    /** Whether a journaled delivery is durable yet (a plain store's always are). */
    public boolean isDurable(Journal.Ticket ticket) {
        return ticket == null || journal.isDurable(ticket);
    }

    /** How many journal flushes made deliveries durable so far (0 for a plain store). */
    public long journalFlushes() {
        return journal == null ? 0 : journal.flushes();
    }

    /** Replays journal segments that a process which died left behind; returns how many deliveries were replayed. */
    public int recover(Journal.ReplayAction replay) {
        replayIndexed = new HashMap<>();
        try {
            return Journal.recover(root.resolve(Journal.DIR), replay, this::flush, warn);
        } finally {
            replayIndexed = null;
        }
    }

    /**
     * Stores the raw payload byte for byte; an existing file (from an interrupted run) is kept, and
     * the temp files an interrupted run left for it are removed (we hold the lock: none is in use).
     */
    public void writeEvent(EventSlot slot, byte[] raw) throws IOException {
        if (slot.resumed() && Files.isDirectory(slot.file().getParent())) {
            String stale = "." + slot.file().getFileName() + ".*.tmp";
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(slot.file().getParent(), stale)) {
                for (Path leftover : leftovers) Files.deleteIfExists(leftover);
            }
        }
        if (slot.resumed() && journal != null && Files.exists(slot.file())) {
            // a journal replay: the file may have been torn by a crash; these are the bytes that were received
            if (!Arrays.equals(Files.readAllBytes(slot.file()), raw)) replace(slot.file(), raw);
            return;
        }
        if (journal != null) SafeFiles.createNew(slot.file(), raw); // a torn file is repaired from the journal
        else SafeFiles.writeNew(slot.file(), raw);
    }

    /**
     * Appends the delivery's row to the index and marks the delivery as stored. For a resumed
     * delivery whose row already made it into the index, the row is not appended twice; other
     * deliveries may have been appended after it meanwhile, so that (rare) case reads the index.
     */
    public void commitDelivery(String folder, String deliveryId, EventSlot slot, IndexRow row) throws IOException {
        String line = Json.compact(row.json()); // the index row and the marker hold the same line
        if (!(slot.resumed() && indexHolds(folder, deliveryId))) {
            appendIndexRow(folder, row, line.getBytes(StandardCharsets.UTF_8));
            if (replayIndexed != null && replayIndexed.containsKey(folder)) replayIndexed.get(folder).add(deliveryId);
        }
        Path marker = deliveryMarker(folder, deliveryId, ".json");
        byte[] markerBytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (journal != null) SafeFiles.overwrite(marker, markerBytes); // read only under this lock
        else SafeFiles.writeAtomically(marker, markerBytes);
        if (journal == null || slot.resumed()) Files.deleteIfExists(deliveryMarker(folder, deliveryId, ".pending"));
    }

    /** Notes which correlation a run id belongs to (for workflow_job deliveries, which carry only the run id). */
    public void rememberRun(long runId, String correlationId) throws IOException {
        Path file = runPointer(runId);
        String value = Correlation.canonical(correlationId);
        if (!Files.exists(file)) SafeFiles.writeHint(file, (value + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Notes that run {@code runId} was stored without a correlation id (under {@code unknown/}): its workflow_job
     * deliveries need not wait for it ({@link #isUntrackedRun}). A hint, like the run pointer.
     */
    public void rememberUntrackedRun(long runId) throws IOException {
        Path file = untrackedRunPointer(runId);
        if (!Files.exists(file)) SafeFiles.writeHint(file, new byte[0]);
    }

    public boolean isUntrackedRun(long runId) {
        return Files.exists(untrackedRunPointer(runId));
    }

    private Path untrackedRunPointer(long runId) {
        return runPointer(runId).resolveSibling(runId + ".untracked");
    }

    public Optional<String> correlationOfRun(long runId) throws IOException {
        try {
            String value = Files.readString(runPointer(runId), StandardCharsets.UTF_8).strip();
            return Correlation.isValid(value) ? Optional.of(value) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * The index is {@code [\n<row>,\n<row>\n]\n}, one compact row per line, so a row is appended with
     * one positional write over the closing bracket: the file stays a JSON array and the cost does
     * not grow with the index. A file in any other layout is rewritten once into this one.
     */
    private void appendIndexRow(String folder, IndexRow row, byte[] line) throws IOException {
        Path file = indexFile(folder);
        boolean absent = false;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size > INDEX_END.length + 1 && endsWith(ch, size, INDEX_END)) {
                ByteBuffer tail = ByteBuffer.allocate(2 + line.length + INDEX_END.length);
                tail.put((byte) ',').put((byte) '\n').put(line).put(INDEX_END).flip();
                long at = size - INDEX_END.length;
                while (tail.hasRemaining()) at += ch.write(tail, at);
                if (journal == null) ch.force(false);
                return;
            }
        } catch (NoSuchFileException e) {
            absent = true; // the folder's first delivery (no markers yet), or an index deleted since: written whole below
        }
        List<IndexRow> rows;
        try {
            rows = absent ? rowsFromMarkers(folder) : new ArrayList<>(readIndex(folder));
        } catch (DamagedFileException damaged) {
            rows = rowsFromMarkers(folder); // e.g. torn by an OS crash during an append
        }
        rows.add(row);
        writeIndex(folder, rows);
    }

    /** The whole index, in its one-row-per-line layout. */
    private void writeIndex(String folder, List<IndexRow> rows) throws IOException {
        StringBuilder text = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            text.append(Json.compact(rows.get(i).json())).append(i + 1 < rows.size() ? ",\n" : "");
        }
        replace(indexFile(folder), text.append("\n]\n").toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A whole-file write by temp file and rename: flushed now, or at the journal's checkpoint. */
    private void replace(Path file, byte[] bytes) throws IOException {
        if (journal == null) SafeFiles.writeAtomically(file, bytes);
        else SafeFiles.writeHint(file, bytes);
    }

    /**
     * A journal checkpoint: writes the metadata merges left for it ({@link DeferredMetadata}), then makes the files
     * of journaled deliveries durable: the whole file system at once where the system's {@code sync -f} can (one
     * syncfs), else each delivery's files and folders one by one.
     */
    private void flush(long segment, List<JournalEntry> entries) throws IOException {
        if (deferred != null) {
            deferred.writeThrough(segment, this::metadataIfAny, this::writeMetadata,
                    this::withLock, folder -> journal.noteMerged(segment, folder), warn);
        }
        if (entries.isEmpty()) return;
        if (Processes.run(List.of("sync", "-f", root.toString()), null, null, SYNC_TIMEOUT).isPresent()) return;
        Set<Path> paths = new LinkedHashSet<>();
        for (JournalEntry e : entries) {
            Path webhook = webhookDir(e.folder());
            paths.add(eventsDir(e.folder()).resolve(e.eventFile()));
            paths.add(deliveryMarker(e.folder(), e.deliveryId(), ".json"));
            paths.add(indexFile(e.folder()));
            if (!UNKNOWN.equals(e.folder())) paths.add(metadataFile(e.folder()));
            paths.add(orphanFile(e.runId()));
            paths.add(runPointer(e.runId()));
            paths.add(eventsDir(e.folder()));
            paths.add(webhook.resolve("deliveries"));
            paths.add(webhook);
            paths.add(webhook.getParent()); // runs/<uuid>/, which holds a new correlation's webhook/
        }
        paths.add(root.resolve("webhook_orphans"));
        paths.add(runPointer(0).getParent());
        paths.add(root);
        for (Path p : paths) SafeFiles.force(p);
    }

    /**
     * Whether the index already has a row for this delivery; reads the whole index (only on the rare resume path).
     * Call holding the folder's lock. An index torn by a crash, or missing, is rebuilt from the markers first.
     */
    public boolean indexHolds(String folder, String deliveryId) throws IOException {
        if (replayIndexed != null && replayIndexed.containsKey(folder)) return replayIndexed.get(folder).contains(deliveryId);
        List<IndexRow> rows;
        try {
            rows = readIndex(folder);
            if (rows.isEmpty() && !Files.exists(indexFile(folder))) {
                rows = rowsFromMarkers(folder); // lost in a crash, or deleted: as the next append would rebuild it
                if (!rows.isEmpty()) {
                    writeIndex(folder, rows);
                    warn.accept(indexFile(folder) + " was missing; rebuilt it from the delivery markers");
                }
            }
        } catch (DamagedFileException torn) {
            rows = rowsFromMarkers(folder);
            writeIndex(folder, rows);
            warn.accept(indexFile(folder) + " did not parse (torn by a crash?); rebuilt it from the delivery markers");
        }
        Set<String> ids = new HashSet<>();
        for (IndexRow r : rows) ids.add(r.deliveryId());
        if (replayIndexed != null) replayIndexed.put(folder, ids);
        return ids.contains(deliveryId);
    }

    /** The index rebuilt from the "stored" markers (each holds its row), in the order they were received. */
    private List<IndexRow> rowsFromMarkers(String folder) throws IOException {
        List<IndexRow> rows = new ArrayList<>();
        Path dir = webhookDir(folder).resolve("deliveries");
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> markers = Files.newDirectoryStream(dir, "*.json")) {
                for (Path marker : markers) {
                    JsonNode row = readJson(marker);
                    if (row != null && row.isObject()) rows.add(IndexRow.of(row));
                }
            }
        }
        rows.sort(Comparator.comparing((IndexRow r) -> r.receivedAt().orElse(Instant.EPOCH))
                .thenComparing(r -> String.valueOf(r.deliveryId())));
        return rows;
    }

    private static boolean endsWith(FileChannel ch, long size, byte[] suffix) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(suffix.length);
        long at = size - suffix.length;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, at + buf.position());
            if (n < 0) return false;
        }
        return Arrays.equals(buf.array(), suffix);
    }

    private Path deliveryMarker(String folder, String deliveryId, String suffix) {
        if (!SafeFiles.isSafeName(deliveryId)) throw new BadInputException("unsafe delivery id: " + deliveryId);
        return webhookDir(folder).resolve("deliveries").resolve(deliveryId + suffix);
    }

    /**
     * A cheap check for a file that is usually missing: {@code File.exists} is one stat, where a failed open
     * (or, on JDK 17, {@code Files.exists}) builds an exception with its stack trace, per delivery.
     */
    private static boolean isAbsent(Path file) {
        return !file.toFile().exists();
    }

    private Path runPointer(long runId) {
        return root.resolve(".by-run-id").resolve(Long.toString(runId));
    }

    /** {@link #readJson}, read again while it does not parse, 1, 2, 4 and 8 ms apart (see {@link #readIndex}). */
    private static JsonNode readSettled(Path file) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return readJson(file);
            } catch (DamagedFileException e) {
                if (attempt == TORN_READ_ATTEMPTS) throw e;
                LockSupport.parkNanos(1_000_000L << (attempt - 1));
            }
        }
    }

    private static JsonNode readJson(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            return Json.tree(bytes);
        } catch (IOException e) {
            throw new DamagedFileException(file + " is not valid JSON; left unchanged (fix or move it)");
        }
    }

    private static String checked(String folder) {
        if (!UNKNOWN.equals(folder) && !Correlation.isValid(folder)) {
            throw new BadInputException("not a correlation id: " + folder);
        }
        return folder;
    }
}
