package lib.wait;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import lib.store.DamagedFileException;
import lib.store.IndexRow;
import lib.store.RunStore;
import lib.webhook.Correlation;

/**
 * Waits for a correlation's {@code webhook/index.json} to hold a row that satisfies a check.
 * Event-driven through the JDK {@link WatchService}: it watches the deepest existing folder of
 * {@code runs/ -> runs/<uuid>/ -> runs/<uuid>/webhook/} and goes deeper as folders appear. A short
 * fallback poll covers platforms whose WatchService itself polls (macOS), and in-process sources
 * can call {@link #wake()} after storing a delivery.
 */
public final class DeliveryWatcher implements AutoCloseable {
    public static final Duration DEFAULT_FALLBACK_POLL = Duration.ofMillis(250);

    private final RunStore store;
    private final String folder;
    private final Duration fallbackPoll;
    private final WatchService watchService;
    private final Set<Path> watched = new HashSet<>();
    private final Semaphore changed = new Semaphore(0);
    private final Thread pump;
    private volatile List<IndexRow> lastRows = List.of();
    /** What the last read met when the index did not parse; null after a good read. */
    private volatile DamagedFileException damage;

    public DeliveryWatcher(RunStore store, String correlationId, Duration fallbackPoll) throws IOException {
        this.store = store;
        this.folder = RunStore.folderFor(Correlation.canonical(correlationId));
        this.fallbackPoll = fallbackPoll;
        this.watchService = store.root().getFileSystem().newWatchService();
        this.pump = new Thread(this::pumpEvents, "delivery-watcher-" + folder);
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Returns the first answer of {@code check} over the index rows, re-evaluated whenever the
     * folder changes, or empty when {@code timeout} passes. Rows stored before the call count.
     */
    public <T> Optional<T> await(Function<List<IndexRow>, Optional<T>> check, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            watchDeepestFolder(); // before reading, so a change after the read is never missed
            Optional<List<IndexRow>> rows = readRows();
            if (rows.isPresent()) {
                lastRows = rows.get();
                Optional<T> answer = check.apply(rows.get());
                if (answer.isPresent()) return answer;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) return Optional.empty();
            long waitNanos = Math.min(left, fallbackPoll.toNanos());
            if (changed.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) changed.drainPermits();
        }
    }

    /**
     * {@link #await}, except that an index still damaged at the end of the wait is reported as the
     * {@link DamagedFileException} naming it, rather than as a plain timeout. Damage that a later read no longer
     * meets (e.g. a row being appended, or a file fixed meanwhile) is no failure.
     */
    public <T> Optional<T> awaitUnlessDamaged(Function<List<IndexRow>, Optional<T>> check, Duration timeout)
            throws IOException, InterruptedException {
        Optional<T> answer = await(check, timeout);
        DamagedFileException stillDamaged = damage;
        if (answer.isEmpty() && stillDamaged != null) throw stillDamaged;
        return answer;
    }

    /** The rows seen by the last successful read (empty before any). */
    public List<IndexRow> lastRows() {
        return lastRows;
    }

    /** Deliveries stored since {@code since} under other correlations (and unknown/): context for a timeout. */
    public long otherDeliveriesSince(Instant since) throws IOException {
        long count = 0;
        if (!Files.isDirectory(store.root())) return 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(store.root(), Files::isDirectory)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (name.equals(folder) || !(Correlation.isValid(name) || RunStore.UNKNOWN.equals(name))) continue;
                try {
                    for (IndexRow row : store.readIndex(name)) {
                        if (row.receivedAt().filter(at -> !at.isBefore(since)).isPresent()) count++;
                    }
                } catch (DamagedFileException unreadable) {
                    // another folder's problem; not worth failing the report
                }
            }
        }
        return count;
    }

    /** Makes a waiting {@link #await} look again now (e.g. after an in-process ingest). */
    public void wake() {
        changed.release();
    }

    @Override
    public void close() throws IOException {
        watchService.close();
    }

    private void watchDeepestFolder() throws IOException {
        Path root = store.root();
        Files.createDirectories(root);
        for (Path dir : List.of(root, root.resolve(folder), store.webhookDir(folder))) {
            if (!Files.isDirectory(dir)) return;
            if (watched.add(dir)) {
                dir.register(watchService, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            }
        }
    }

    /** The index, or empty while it cannot be parsed (damaged for longer than {@link RunStore#readIndex} waits). */
    private Optional<List<IndexRow>> readRows() throws IOException {
        try {
            List<IndexRow> rows = store.readIndex(folder);
            damage = null;
            return Optional.of(rows);
        } catch (DamagedFileException notJsonYet) {
            damage = notJsonYet;
            return Optional.empty();
        }
    }

    private void pumpEvents() {
        try {
            while (true) {
                WatchKey key = watchService.take();
                key.pollEvents();
                key.reset();
                changed.release();
            }
        } catch (ClosedWatchServiceException | InterruptedException stopped) {
            // closed: the waiter is done
        }
    }
}
