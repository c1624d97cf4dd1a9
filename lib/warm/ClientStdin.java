package lib.warm;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A run's standard input, opened through /proc only when the script first reads it, so that a run that reads none
 * leaves it to its caller (a shell loop reading the same input, for one). A pipe or a terminal is the run's own; a
 * file is opened again at the run's offset, and, unlike a cold run's, these reads do not move the caller's offset.
 */
final class ClientStdin extends InputStream {
    private final long pid;
    private InputStream in;

    ClientStdin(long pid) {
        this.pid = pid;
    }

    private InputStream in() throws IOException {
        if (in == null) {
            Path fd = Path.of("/proc", Long.toString(pid), "fd", "0");
            FileInputStream opened = new FileInputStream(fd.toFile());
            if (Files.isRegularFile(fd)) opened.getChannel().position(offset());
            in = opened;
        }
        return in;
    }

    private long offset() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "fdinfo", "0"))) {
            if (line.startsWith("pos:")) return Long.parseLong(line.substring(4).trim());
        }
        return 0;
    }

    @Override
    public int read() throws IOException {
        return in().read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return in().read(b, off, len);
    }

    @Override
    public int available() throws IOException {
        return in == null ? 0 : in.available();
    }

    @Override
    public void close() throws IOException {
        if (in != null) in.close();
    }
}
