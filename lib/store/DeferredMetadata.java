package lib.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import lib.util.FileLocks;
import lib.util.Json;

/**
 * A journaled store's metadata merges ({@code runs/<uuid>.json}, orphan records), written by the journal's
 * checkpoint instead of by each delivery. Rewriting a correlation's metadata for every delivery (a temp file
 * and a rename in {@code runs/}, which every correlation's rewrites contend for) was a quarter of a busy
 * receiver's CPU; a checkpoint writes each file once for all of its segment's deliveries. The journal keeps the
 * deliveries durable meanwhile, and a replay merges those a killed receiver had not written.
 * <p>
 * Each pending merge is kept as an operation tagged with its journal segment. The content a delivery merges into
 * is cached while the file is as this process last saw it; when another process rewrote it meanwhile (under the
 * same lock), it is read again and the pending merges are applied to it again. A checkpoint writes each file from
 * what is on disk plus the merges of its segment and older ones, and notes in the segment each folder whose files
 * it wrote ({@link Journal#noteMerged}): a replay of a segment that a killed receiver left merges exactly the
 * deliveries whose merges were not written. Readers of the metadata see a delivery in it up to a checkpoint
 * interval after its index row.
 * <p>
 * Every method runs under the lock of the file's folder: ingest holds it, {@link #writeThrough} takes it.
 */
final class DeferredMetadata {
    /** Reads a metadata file; empty when it does not exist (a damaged one throws). */
    @FunctionalInterface
    interface Reader {
        Optional<RunMetadata> read(Path file) throws IOException;
    }

    /** Writes a metadata file (whole, by temp file and rename). */
    @FunctionalInterface
    interface Writer {
        void write(Path file, RunMetadata content) throws IOException;
    }

    /** Runs work under a folder's lock. */
    @FunctionalInterface
    interface Locks {
        void withLock(String folder, FileLocks.IoWork<Void> work) throws IOException;
    }

    /** Told each folder whose merges were written. */
    @FunctionalInterface
    interface Written {
        void folder(String folder) throws IOException;
    }

    private record Merge(long segment, Consumer<RunMetadata> change) {}

    /** Size, modification time and inode: a rename by anyone (every writer renames) gives the file a new inode. */
    private record Stamp(Object key, FileTime modified, long size) {
        static Stamp of(Path file) throws IOException {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(a.fileKey(), a.lastModifiedTime(), a.size());
            } catch (NoSuchFileException e) {
                return null;
            }
        }
    }

    private static final class Pending {
        final String folder;
        final ArrayDeque<Merge> merges = new ArrayDeque<>();
        RunMetadata content; // what is on disk, with the merges applied; null: to be read again
        Stamp stamp; // of the file content was read from
        boolean existed; // this process has seen the file on disk (else it makes a new one: an orphan record)

        Pending(String folder) {
            this.folder = folder;
        }
    }

    private final Map<Path, Pending> pending = new ConcurrentHashMap<>();

    /**
     * The content the next delivery merges into: the cached one while the file is unchanged, else what the file
     * holds now with this process's pending merges applied again. Empty when the file does not exist.
     */
    Optional<RunMetadata> current(Path file, Reader reader) throws IOException {
        Pending p = pending.get(file);
        if (p == null) return reader.read(file);
        Stamp now = Stamp.of(file);
        if (p.content != null && Objects.equals(now, p.stamp)) return Optional.of(p.content);
        Optional<RunMetadata> read = reader.read(file);
        if (read.isEmpty()) { // removed meanwhile, and its merges with it: the delivery is recorded as if it never existed
            pending.remove(file, p);
            return read;
        }
        p.merges.forEach(m -> m.change().accept(read.get()));
        p.content = read.get();
        p.stamp = now;
        p.existed = true;
        return read;
    }

    /**
     * Records that {@code content} (as {@link #current} returned it, or a new record) now has a delivery merged
     * by {@code change}, journaled in {@code segment}: the file is written by that segment's checkpoint.
     */
    void later(Path file, String folder, RunMetadata content, long segment, Consumer<RunMetadata> change) throws IOException {
        Pending p = pending.computeIfAbsent(file, f -> new Pending(folder));
        if (p.content != content) { // a file this process had not read yet, or a new one
            p.content = content;
            p.stamp = Stamp.of(file);
            p.existed |= p.stamp != null;
        }
        p.merges.add(new Merge(segment, change));
    }

    /**
     * Writes every file with merges of {@code segment} or older: what the file holds now plus those merges (a
     * file removed meanwhile is not made again, one damaged meanwhile is left as it is), then, once all of a
     * folder's files (its metadata and orphan records) are written, tells {@code written} the folder. Newer merges
     * stay pending.
     */
    void writeThrough(long segment, Reader reader, Writer writer, Locks locks, Written written, Consumer<String> warn)
            throws IOException {
        Set<String> folders = new LinkedHashSet<>();
        pending.values().forEach(p -> folders.add(p.folder));
        for (String folder : folders) {
            locks.withLock(folder, () -> {
                boolean any = false;
                for (Map.Entry<Path, Pending> e : pending.entrySet()) {
                    if (e.getValue().folder.equals(folder)) any |= writeFile(segment, e.getKey(), e.getValue(), reader, writer, warn);
                }
                if (any) written.folder(folder);
                return null;
            });
        }
    }

    /** One file's part of {@link #writeThrough}, under its folder's lock; whether it had merges due. */
    private boolean writeFile(long segment, Path file, Pending p, Reader reader, Writer writer, Consumer<String> warn)
            throws IOException {
        List<Merge> due = p.merges.stream().filter(m -> m.segment() <= segment).toList();
        if (due.isEmpty()) return false;
        Optional<RunMetadata> base;
        try {
            base = reader.read(file);
            if (base.isEmpty() && !p.existed) base = Optional.of(new RunMetadata(Json.object())); // a new orphan record
        } catch (DamagedFileException damaged) {
            warn.accept(damaged.getMessage() + "; " + due.size() + " stored deliveries are not recorded in it");
            base = Optional.empty();
        }
        if (base.isPresent()) {
            RunMetadata content = base.get();
            due.forEach(m -> m.change().accept(content));
            writer.write(file, content);
            p.existed = true;
        }
        for (int i = 0; i < due.size(); i++) p.merges.removeFirst(); // a file's merges come in segment order
        if (p.merges.isEmpty()) pending.remove(file, p);
        else p.content = null; // the next delivery reads the file again (another process may have written it too)
        return true;
    }
}
