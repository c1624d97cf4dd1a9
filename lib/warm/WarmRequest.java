package lib.warm;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A run's hand-over to a warm JVM, read from the request FIFO: the launcher's pid, then the number of arguments and
 * each argument, every field ended by a NUL byte. What else the run would have given a JVM of its own (environment,
 * folder, umask) this JVM reads from /proc and compares with its own: a run that differs is declined and starts cold.
 */
record WarmRequest(long pid, String[] args) {
    private static final int MAX_BYTES = 4 << 20;   // above Linux's limit on a command line
    /** Set by each shell for the commands it starts (the last command's path, the nesting depth, the folders). */
    private static final Set<String> SHELLS_CHANGE = Set.of("_", "SHLVL", "OLDPWD", "PWD");

    static WarmRequest read(Path fifo) throws IOException {
        try (InputStream in = new BufferedInputStream(new FileInputStream(fifo.toFile()))) {
            Fields fields = new Fields(in);
            long pid = Long.parseLong(fields.next());
            String[] args = new String[Integer.parseInt(fields.next())];
            for (int i = 0; i < args.length; i++) args[i] = fields.next();
            return new WarmRequest(pid, args);
        }
    }

    /** What differs between the run and this JVM (no values, which may be secrets), or null when nothing does. */
    String mismatch() throws IOException {
        Path run = Path.of("/proc", Long.toString(pid));
        Path spawner = Path.of("/proc", Long.toString(ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L)));
        // This JVM's environment is the one its starter (a launcher's fork) received; the run's launcher received its own.
        if (!environment(run).equals(environment(spawner))) return "another environment";
        if (!Files.isSameFile(run.resolve("cwd"), Path.of("/proc/self/cwd"))) return "another working folder";
        if (!umask(run).equals(umask(Path.of("/proc/self")))) return "another umask";
        return null;
    }

    /** A process's environment as it started, but for what shells change on every call. */
    private static Map<String, String> environment(Path process) throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String entry : new String(Files.readAllBytes(process.resolve("environ")), StandardCharsets.ISO_8859_1).split("\0")) {
            int eq = entry.indexOf('=');
            if (eq > 0) env.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        env.keySet().removeAll(SHELLS_CHANGE);
        return env;
    }

    private static String umask(Path process) throws IOException {
        for (String line : Files.readAllLines(process.resolve("status"))) {
            if (line.startsWith("Umask:")) return line.substring(6).trim();
        }
        throw new IOException("no umask in " + process.resolve("status"));
    }

    /** NUL-ended fields in the JVM's own encoding of arguments. */
    private static final class Fields {
        private static final Charset ENCODING = Charset.forName(System.getProperty("sun.jnu.encoding", Charset.defaultCharset().name()));
        private final InputStream in;
        private int total;

        Fields(InputStream in) {
            this.in = in;
        }

        String next() throws IOException {
            ByteArrayOutputStream field = new ByteArrayOutputStream();
            for (int b = in.read(); b != 0; b = in.read()) {
                if (b < 0) throw new EOFException("the run's request ended early");
                if (++total > MAX_BYTES) throw new IOException("the run's request is too long");
                field.write(b);
            }
            return field.toString(ENCODING);
        }
    }
}
