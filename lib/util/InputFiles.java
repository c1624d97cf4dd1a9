package lib.util;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads files named on the command line with a size bound, which also holds for devices and pipes (whose size reads as 0). */
public final class InputFiles {
    private InputFiles() {}

    /**
     * The file's bytes; a {@link BadInputException} naming {@code what} when it is missing, unreadable, or longer than
     * {@code maxBytes} (then {@code tooLong} says why, e.g. "exceeds GitHub's 25 MB cap").
     */
    public static byte[] read(Path path, int maxBytes, String what, String tooLong) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = in.readNBytes(maxBytes + 1);
        } catch (NoSuchFileException e) {
            throw new BadInputException("the " + what + " does not exist: " + path);
        } catch (IOException e) {
            throw new BadInputException("cannot read the " + what + " " + path + ": " + Text.describe(e));
        }
        if (bytes.length > maxBytes) throw new BadInputException("the " + what + " " + tooLong + ": " + path);
        return bytes;
    }
}
