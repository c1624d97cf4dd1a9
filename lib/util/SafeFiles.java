package lib.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/** Crash-safe file writes and validation of file names derived from input. */
public final class SafeFiles {
    private static final int WRITE_PIECE = 256 * 1024;
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private SafeFiles() {}

    /** True when {@code name} can be used as one path element: no separators, no "..", no NUL. */
    public static boolean isSafeName(String name) {
        return name != null && SAFE_NAME.matcher(name).matches() && !name.contains("..");
    }

    /**
     * Writes via a temp file in the same folder, fsyncs, then renames it into place and flushes the folder: a
     * rename survives a power loss only once its folder is flushed.
     */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        replace(file, bytes, true);
    }

    /**
     * Like {@link #writeAtomically} without the flushes: for hints that only help a later run and that
     * a killed process never loses (the page cache keeps them); an OS crash may. A folder it creates is
     * made durable all the same (see {@link #writeTemp}).
     */
    public static void writeHint(Path file, byte[] bytes) throws IOException {
        replace(file, bytes, false);
    }

    private static void replace(Path file, byte[] bytes, boolean durable) throws IOException {
        Path tmp = writeTemp(file, bytes, durable);
        boolean moved = false;
        try {
            move(tmp, file);
            moved = true;
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
        if (durable) force(file.toAbsolutePath().getParent());
    }

    /**
     * Writes a new file in place, without a temp file; false when it already exists. Readers may see it
     * half written, so only for files whose readers hold the writer's lock, or whose loss or tearing a
     * journal repairs (an OS crash; a killed process leaves whole writes behind).
     */
    public static boolean createNew(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(ch, bytes);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    /** Creates or overwrites a file in place, without a temp file; the same caveats as {@link #createNew}. */
    public static void overwrite(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            writeFully(ch, bytes);
        }
    }

    /**
     * Opens a file, creating its folder only when it is missing (a mkdir per write costs a system call or two);
     * without a flush: a journal's checkpoint flushes the folders it creates.
     */
    private static FileChannel open(Path file, StandardOpenOption... options) throws IOException {
        return open(file, Set.of(options), false);
    }

    /** {@code durableFolders}: a folder created is made durable ({@link #createDirectoriesDurably}). */
    private static FileChannel open(Path file, Set<StandardOpenOption> options, boolean durableFolders,
            FileAttribute<?>... attributes) throws IOException {
        try {
            return FileChannel.open(file, options, attributes);
        } catch (NoSuchFileException e) {
            Path folder = file.toAbsolutePath().getParent();
            if (durableFolders) createDirectoriesDurably(folder);
            else Files.createDirectories(folder);
            return FileChannel.open(file, options, attributes);
        }
    }

    /**
     * Writes {@code bytes} to a new temp file beside {@code file} ({@code .<name>.<random>.tmp}), flushed when
     * {@code durable}, and returns it. The temp file is created and written through one open (a receiver
     * replaces a file per delivery: {@code Files.createTempFile} would open it twice). The name need not be
     * unpredictable: the file is created exclusively (an existing name or link is never opened), and a taken name is redrawn.
     * A folder it creates is made durable, even for a hint: a durable file written into it later relies on it
     * (in a plain store, the "pending" hint makes a delivery's {@code deliveries/} folder, where its marker goes).
     */
    private static Path writeTemp(Path file, byte[] bytes, boolean durable) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        String prefix = "." + file.getFileName() + ".";
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            FileChannel ch;
            try {
                ch = openPrivate(tmp);
            } catch (FileAlreadyExistsException taken) {
                if (attempt < 100) continue;
                throw taken;
            }
            try (ch) {
                writeFully(ch, bytes);
                if (durable) ch.force(true);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            return tmp;
        }
    }

    /** Creates a new file readable by its owner only, as {@code Files.createTempFile} does (it may become a state file). */
    private static FileChannel openPrivate(Path file) throws IOException {
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        return posix ? open(file, options, true, OWNER_ONLY) : open(file, options, true);
    }

    private static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
        write(ch, ByteBuffer.wrap(bytes), 0);
    }

    /** Writes a new file, fsynced, its folder too; never replaces an existing one. Returns false when it already existed. */
    public static boolean writeNew(Path file, byte[] bytes) throws IOException {
        Path tmp = writeTemp(file, bytes, true);
        boolean created;
        try {
            created = link(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
        if (created) force(file.toAbsolutePath().getParent());
        return created;
    }

    /** Gives {@code tmp}'s content the name {@code file} unless it is taken: atomic "create if absent" with complete content. */
    private static boolean link(Path tmp, Path file) throws IOException {
        try {
            Files.createLink(file, tmp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException e) {
            if (Files.exists(file)) return false;
            move(tmp, file);
            return true;
        }
    }

    /**
     * Writes all of {@code buffer} at {@code position}; returns the position after it. Written in pieces of
     * at most {@value #WRITE_PIECE} bytes: the JDK copies a heap buffer into a temporary native buffer of the
     * write's size and keeps it for the thread, so one write of a 25 MB array would pin 25 MB per thread.
     */
    public static long write(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            ByteBuffer piece = buffer.slice();
            piece.limit(Math.min(piece.remaining(), WRITE_PIECE));
            int n = channel.write(piece, at);
            buffer.position(buffer.position() + n);
            at += n;
        }
        return at;
    }

    /** Flushes a file or a folder (its entries) to disk; one that is gone needs nothing. */
    public static void force(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (NoSuchFileException gone) {
            // nothing to flush
        }
    }

    /**
     * Creates a folder and its missing parents durably: the folder holding each one created is flushed (its new
     * entry), so a power loss cannot take away the folder with what is later made durable in it. A folder that
     * exists costs one stat.
     */
    public static void createDirectoriesDurably(Path dir) throws IOException {
        Path folder = dir.toAbsolutePath();
        if (Files.isDirectory(folder)) return;
        Path parent = folder.getParent();
        if (parent != null) createDirectoriesDurably(parent);
        try {
            Files.createDirectory(folder);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(folder)) throw e; // else made meanwhile, perhaps by a writer that flushes nothing
        }
        if (parent != null) force(parent);
    }

    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
