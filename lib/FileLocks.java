package lib;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive sections keyed by a lock file, against other threads and other processes alike.
 * A JVM may hold only one OS lock per file, so threads queue on an in-process lock first.
 */
public final class FileLocks {
    @FunctionalInterface
    public interface IoWork<T> {
        T run() throws IOException;
    }

    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private FileLocks() {}

    /** Runs {@code work} holding the lock named by {@code lockFile} (created if needed). Not reentrant. */
    public static <T> T withLock(Path lockFile, IoWork<T> work) throws IOException {
        Path key = lockFile.toAbsolutePath().normalize();
        ReentrantLock local = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
        local.lock();
        try {
            Files.createDirectories(key.getParent());
            try (FileChannel channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = channel.lock()) {
                return work.run();
            }
        } finally {
            local.unlock();
        }
    }
}
