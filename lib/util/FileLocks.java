package lib.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive sections keyed by a lock file, against other threads and other processes alike.
 * A JVM may hold only one OS lock per file, so threads first queue on an in-process lock: one of a
 * fixed set, picked by the file's path, so a long-running receiver keeps no lock per correlation.
 */
public final class FileLocks {
    @FunctionalInterface
    public interface IoWork<T> {
        T run() throws IOException;
    }

    private static final ReentrantLock[] IN_PROCESS = new ReentrantLock[64];

    static {
        for (int i = 0; i < IN_PROCESS.length; i++) IN_PROCESS[i] = new ReentrantLock();
    }

    private FileLocks() {}

    /** Runs {@code work} holding the lock named by {@code lockFile} (created if needed). Not reentrant. */
    public static <T> T withLock(Path lockFile, IoWork<T> work) throws IOException {
        Path key = lockFile.toAbsolutePath().normalize();
        ReentrantLock local = IN_PROCESS[Math.floorMod(key.hashCode(), IN_PROCESS.length)];
        local.lock();
        try (FileChannel channel = open(key); FileLock ignored = channel.lock()) {
            return work.run();
        } finally {
            local.unlock();
        }
    }

    /** Opens (creating) the lock file; its folder is created only when missing, not on every call. */
    private static FileChannel open(Path lockFile) throws IOException {
        try {
            return FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            Files.createDirectories(lockFile.getParent());
            return FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }
    }
}
