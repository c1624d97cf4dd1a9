package lib.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import lib.util.SafeFiles;

/**
 * The write-ahead journal that lets a busy receiver make many deliveries durable with one flush.
 * Each delivery is appended here before its files are written (without their own fsync); a 2xx
 * waits until the journal is flushed up to its entry, and whichever waiter flushes first flushes for
 * all the deliveries appended meanwhile (group commit). Every {@link #CHECKPOINT_EVERY} (100 ms) the journal
 * starts a new segment; once the old segment's deliveries have all been written, their files are
 * flushed ({@link Flusher}) and the segment is deleted. A segment left behind by a process that died
 * is replayed by the next one ({@link #recover}): its deliveries are stored again where they are missing.
 * <p>
 * Segments live in {@code runs/.journal/}, one file at a time per process, each locked by its process
 * (so a live process's segment is never replayed by another).
 */
public final class Journal implements AutoCloseable {
    public static final String DIR = ".journal";
    /**
     * How often a busy journal starts a new segment and checkpoints the old one (tests may stretch it). Short:
     * a checkpoint's flush holds up the journal's own flush meanwhile, and a small one holds it up briefly
     * (measured under wrk: p99 155-238 ms at 2 s, 61-90 ms at 250 ms, the same rate; with the metadata merges
     * written at checkpoints, 61-91 ms at 250 ms and 45-70 ms at 100 ms, the rates within the machine's noise).
     */
    static final Duration CHECKPOINT_EVERY = Duration.ofMillis(Long.getLong("awt.journal.checkpointMillis", 100));
    private static final Set<Path> OWNED = ConcurrentHashMap.newKeySet(); // segments of this JVM: never replayed here
    private static final AtomicLong SEQUENCE = new AtomicLong();
    /** The suffix of a segment being opened, before it is locked and takes its {@code .wal} name. */
    private static final String OPENING = ".opening";
    /** The files {@link #recover} replays: segments, and segments whose opening a process did not finish. */
    public static final String SEGMENTS = "*.{wal,wal" + OPENING + "}";

    /**
     * Makes the files of a segment's deliveries durable (e.g. syncfs, or an fsync per file), having first written
     * what was left for the checkpoint of segment {@code segment} (see {@link Ticket#segment}); a replay's is -1.
     */
    @FunctionalInterface
    public interface Flusher {
        void flush(long segment, List<JournalEntry> entries) throws IOException;
    }

    /**
     * Where one appended entry ends, in which segment: what a delivery waits on before its 2xx. A ticket
     * {@link #soFar} covers every segment, as far as it was appended.
     */
    public static final class Ticket {
        private final Segment segment;
        private final long end;
        private final List<Ticket> parts;

        private Ticket(Segment segment, long end) {
            this.segment = segment;
            this.end = end;
            this.parts = null;
        }

        private Ticket(List<Ticket> parts) {
            this.segment = null;
            this.end = 0;
            this.parts = parts;
        }

        /** The number of the entry's segment: work left for its checkpoint is tagged with it. */
        public long segment() {
            return segment.number;
        }
    }

    private static final class Segment {
        final long number; // segments are numbered in the order they are opened
        final Path file;
        final FileChannel channel;
        final FileLock ownership;
        final List<JournalEntry> entries = new ArrayList<>(); // bodies dropped: what the flusher needs
        long written;
        long durable;
        /** Its name is durable: the journal folder was flushed since the segment took it (by its first flush). */
        boolean named;
        boolean syncing;
        int writing; // appended, files not yet written
        boolean checkpointed;

        Segment(long number, Path file, FileChannel channel, FileLock ownership) {
            this.number = number;
            this.file = file;
            this.channel = channel;
            this.ownership = ownership;
        }
    }

    private final Path dir;
    private final Flusher flusher;
    private final Consumer<String> warn;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Signalled by {@link #close}, so the checkpointer stops between checkpoints, never during one. */
    private final Condition closing = lock.newCondition();
    private final List<Segment> sealed = new ArrayList<>();
    private final Thread checkpointer;
    private final AtomicLong flushes = new AtomicLong();
    private Segment current;
    private boolean closed;

    Journal(Path dir, Flusher flusher, Consumer<String> warn) {
        this.dir = dir;
        this.flusher = flusher;
        this.warn = warn;
        this.checkpointer = new Thread(this::checkpointLoop, "journal-checkpoint");
        checkpointer.setDaemon(true);
        checkpointer.start();
    }

    /** Appends an entry (before the delivery's files are written); call {@link #written} once they are. */
    public Ticket append(JournalEntry entry) throws IOException {
        ByteBuffer[] record = entry.encode();
        lock.lock();
        try {
            if (closed) throw new IOException("the journal is closed");
            if (current == null) current = openSegment();
            Segment s = current;
            long at = s.written;
            for (ByteBuffer part : record) at = SafeFiles.write(s.channel, part, at);
            s.written = at;
            s.writing++;
            s.entries.add(entry.withoutBody());
            return new Ticket(s, at);
        } finally {
            lock.unlock();
        }
    }

    /** The entry's files are written (or the attempt failed): its segment may be checkpointed once all are. */
    public void written(Ticket ticket) {
        lock.lock();
        try {
            ticket.segment.writing--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Notes in a sealed segment, during its checkpoint, that the metadata merges of its deliveries of {@code folder}
     * are written: a replay of the segment (the process died before deleting it) does not merge them again.
     * Not flushed: the checkpoint's flush follows, and a note lost with the machine leaves them to be merged again.
     */
    public void noteMerged(long segment, String folder) throws IOException {
        lock.lock();
        try {
            for (Segment s : sealed) {
                if (s.number != segment) continue;
                for (ByteBuffer part : JournalEntry.mergeNote(folder).encode()) s.written = SafeFiles.write(s.channel, part, s.written);
                return;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A ticket for everything appended so far, in every segment not yet checkpointed: a duplicate of a
     * delivery whose first copy is still on its way to disk waits on it before its own 2xx.
     */
    public Ticket soFar() {
        lock.lock();
        try {
            List<Ticket> parts = new ArrayList<>();
            for (Segment s : sealed) parts.add(new Ticket(s, s.written));
            if (current != null) parts.add(new Ticket(current, current.written));
            return new Ticket(parts);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns once the journal is flushed up to the ticket's entry (or its segment was checkpointed,
     * which made the delivery's own files durable). One waiter flushes for all that are waiting.
     */
    public void awaitDurable(Ticket ticket) throws IOException {
        if (ticket.parts != null) {
            for (Ticket part : ticket.parts) awaitDurable(part);
            return;
        }
        Segment s = ticket.segment;
        lock.lock();
        try {
            while (s.durable < ticket.end && !s.checkpointed) {
                if (s.syncing) {
                    changed.awaitUninterruptibly();
                    continue;
                }
                s.syncing = true;
                long target = s.written; // everything appended so far rides on this flush
                boolean named = s.named;
                boolean flushed = false;
                lock.unlock();
                try {
                    s.channel.force(false);
                    // Once per segment, outside the lock: a rename is durable only once its folder is flushed.
                    if (!named) SafeFiles.force(dir);
                    flushes.incrementAndGet();
                    flushed = true;
                } finally {
                    lock.lock();
                    s.syncing = false;
                    if (flushed) {
                        s.durable = Math.max(s.durable, target);
                        s.named = true;
                    }
                    changed.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the ticket's entry is durable: flushed, or its segment checkpointed. */
    public boolean isDurable(Ticket ticket) {
        lock.lock();
        try {
            if (ticket.parts != null) return ticket.parts.stream().allMatch(this::isDurable);
            return ticket.segment.durable >= ticket.end || ticket.segment.checkpointed;
        } finally {
            lock.unlock();
        }
    }

    /** How many times the journal was flushed so far: far fewer than deliveries under load. */
    public long flushes() {
        return flushes.get();
    }

    /** Checkpoints what was written and deletes the journal's segments; later appends fail. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            seal();
            closing.signalAll();
        } finally {
            lock.unlock();
        }
        // Not interrupted: an interrupt during a flush fails it and would leave its segment for a replay.
        try {
            checkpointer.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkpointSealed(); // whatever the loop did not get to
    }

    /**
     * Replays the segments in {@code dir} that no live process owns (a process that died left them):
     * each entry goes to {@code replay}, which stores it again where it is missing; then the files are
     * flushed and the segment deleted. A {@code *.wal.opening} file (a process died while opening a segment)
     * is one too: it normally holds nothing. A segment with an entry whose replay fails is kept for the next start
     * (its other entries are replayed all the same); one with damage before its end, which no write of ours
     * leaves, is kept as {@code *.wal.damaged} once the entries around the damage are replayed.
     */
    public static int recover(Path dir, ReplayAction replay, Flusher flusher, Consumer<String> warn) {
        if (!Files.isDirectory(dir)) return 0;
        int replayed = 0;
        List<Path> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, SEGMENTS)) {
            files.forEach(segments::add);
        } catch (IOException e) {
            warn.accept("cannot list the journal " + dir + ": " + e.getMessage());
            return 0;
        }
        segments.sort(Comparator.comparingLong(Journal::openedAt).thenComparing(Comparator.naturalOrder()));
        for (Path segment : segments) {
            if (OWNED.contains(segment.toAbsolutePath().normalize())) continue;
            try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    continue;
                }
                if (lock == null) continue; // its process is alive
                Contents contents = read(channel);
                Set<String> merged = new HashSet<>();
                contents.notes().forEach(n -> merged.add(n.folder()));
                String failure = null;
                int failed = 0;
                for (JournalEntry entry : contents.entries()) {
                    try {
                        replay.replay(entry, merged.contains(entry.folder()));
                        replayed++;
                    } catch (IOException | RuntimeException e) {
                        failed++;
                        if (failure == null) failure = "delivery " + entry.deliveryId() + ": " + e.getMessage();
                    }
                }
                flusher.flush(-1, contents.entries());
                if (failed > 0) {
                    warn.accept("could not replay " + failed + " of the " + contents.entries().size() + " deliveries in journal segment "
                            + segment + " (kept for the next start): " + failure);
                } else if (contents.damaged()) {
                    Path kept = segment.resolveSibling(segment.getFileName() + ".damaged");
                    Files.move(segment, kept);
                    warn.accept("journal segment " + segment + " was damaged before its end; replayed the "
                            + contents.entries().size() + " deliveries around the damage and kept it as " + kept);
                } else {
                    Files.delete(segment);
                }
            } catch (IOException | RuntimeException e) {
                warn.accept("could not replay the journal segment " + segment + " (kept for the next start): " + e.getMessage());
            }
        }
        return replayed;
    }

    /** When a segment was opened, from its name ({@code <pid>-<millis>-<n>.wal}): replays go oldest first, whatever the pid. */
    private static long openedAt(Path segment) {
        String[] parts = segment.getFileName().toString().split("-");
        try {
            return parts.length == 3 ? Long.parseLong(parts[1]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Stores one journaled delivery again where it is missing. {@code metadataMerged}: its segment's checkpoint
     * had written its folder's metadata merges ({@link #noteMerged}) before the process died.
     */
    @FunctionalInterface
    public interface ReplayAction {
        void replay(JournalEntry entry, boolean metadataMerged) throws IOException;
    }

    /**
     * A segment's deliveries and its notes ({@link #noteMerged}); {@code damaged} when bytes that are no record
     * lie before a record that is.
     */
    record Contents(List<JournalEntry> entries, List<JournalEntry> notes, boolean damaged) {}

    /**
     * Every whole record of a segment. A torn tail (a write a crash cut short) ends it; a damaged record with whole
     * ones after it (which an appending writer never leaves: the disk lost or garbled a block) is skipped by
     * looking for the next record that checks out, so the entries after it are not lost.
     */
    static Contents read(FileChannel channel) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) Math.min(channel.size(), Integer.MAX_VALUE - 8));
        while (all.hasRemaining() && channel.read(all, all.position()) > 0) {
            // read the whole segment
        }
        all.flip();
        List<JournalEntry> entries = new ArrayList<>();
        boolean damaged = false;
        while (all.hasRemaining()) {
            JournalEntry e = JournalEntry.decode(all);
            if (e != null) {
                entries.add(e);
                continue;
            }
            int bad = all.position();
            JournalEntry next = null;
            for (int at = bad + 1; next == null && at < all.limit(); at++) {
                all.position(at);
                next = JournalEntry.decode(all);
            }
            if (next == null) break; // a torn tail
            damaged = true;
            entries.add(next);
        }
        List<JournalEntry> deliveries = entries.stream().filter(e -> !e.isMergeNote()).toList();
        return new Contents(deliveries, entries.stream().filter(JournalEntry::isMergeNote).toList(), damaged);
    }

    /**
     * A new segment, locked before it takes its {@code .wal} name: another process's {@link #recover} takes an
     * unlocked {@code .wal} for one left by a dead process, and would delete it while it is being opened. That
     * recovery also takes a {@code .wal.opening} file it could lock; in the moment between its creation and its
     * lock, that may be ours: the rename then finds it gone, and a new one is opened.
     */
    private Segment openSegment() throws IOException {
        SafeFiles.createDirectoriesDurably(dir);
        for (int attempt = 1; ; attempt++) {
            try {
                return openSegmentFile();
            } catch (NoSuchFileException taken) {
                if (attempt == 3) throw taken;
            }
        }
    }

    private Segment openSegmentFile() throws IOException {
        long number = SEQUENCE.incrementAndGet();
        Path file = dir.resolve(ProcessHandle.current().pid() + "-" + System.currentTimeMillis() + "-"
                + number + ".wal").toAbsolutePath().normalize();
        Path opening = file.resolveSibling(file.getFileName() + OPENING);
        FileChannel channel = FileChannel.open(opening, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            FileLock ownership = channel.lock();
            Files.move(opening, file, StandardCopyOption.ATOMIC_MOVE);
            OWNED.add(file);
            return new Segment(number, file, channel, ownership);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(opening);
            throw e;
        }
    }

    /** Under the lock: the current segment takes no more entries. */
    private void seal() {
        if (current != null) {
            sealed.add(current);
            current = null;
        }
    }

    private void checkpointLoop() {
        while (true) {
            lock.lock();
            try {
                long left = CHECKPOINT_EVERY.toNanos();
                while (!closed && left > 0) left = closing.awaitNanos(left);
                if (closed) return;
                if (current != null && current.written > 0) seal();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            checkpointSealed();
        }
    }

    /** Flushes and deletes every sealed segment whose deliveries have all been written. */
    private void checkpointSealed() {
        while (true) {
            Segment s;
            lock.lock();
            try {
                if (sealed.isEmpty()) return;
                s = sealed.get(0);
                while (s.writing > 0) changed.awaitUninterruptibly();
            } finally {
                lock.unlock();
            }
            try {
                flusher.flush(s.number, s.entries);
            } catch (IOException | RuntimeException e) {
                warn.accept("could not flush the files of journal segment " + s.file + "; keeping it for replay: "
                        + e.getMessage());
                lock.lock();
                try {
                    sealed.remove(s); // the segment stays on disk (its lock goes with the process)
                } finally {
                    lock.unlock();
                }
                continue;
            }
            lock.lock();
            try {
                while (s.syncing) changed.awaitUninterruptibly();
                s.checkpointed = true;
                sealed.remove(s);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            try {
                Files.deleteIfExists(s.file);
                s.channel.close(); // releases the lock
            } catch (IOException e) {
                warn.accept("could not delete journal segment " + s.file + ": " + e.getMessage());
            }
            OWNED.remove(s.file);
        }
    }
}
