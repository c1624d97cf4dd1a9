import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command run under strace (Linux), for what no file shows afterwards: which names a process created or
 * replaced and which files and folders it flushed, in the order it did so. Only those calls are traced (through
 * seccomp, so the others run at full speed), and a flushed file descriptor is shown as the path it names.
 */
final class SyscallTrace {
    private static final String CALLS = "fsync,fdatasync,rename,renameat,renameat2,link,linkat,mkdir,mkdirat";
    private static final Pattern LINE = Pattern.compile("^(\\d+)\\s+(.*)$");
    private static final Pattern CALL = Pattern.compile("^(\\w+)\\((.*)\\)\\s+= (-?\\d+).*$");
    private static final Pattern UNFINISHED = Pattern.compile("^(\\w+)\\((.*) <unfinished \\.\\.\\.>$");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\. (\\w+) resumed>(.*)\\)\\s+= (-?\\d+).*$");
    private static final Pattern QUOTED = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern FD_PATH = Pattern.compile("^\\d+<(.*)>");

    /**
     * A call that succeeded, in the order the calls returned: {@code path} is the flushed file or folder for
     * fsync and fdatasync, the new name for a rename or link, the new folder for mkdir.
     */
    record Call(String name, Path path) {
        boolean isFlush() {
            return name.equals("fsync") || name.equals("fdatasync");
        }

        boolean isMkdir() {
            return name.startsWith("mkdir");
        }
    }

    private SyscallTrace() {}

    /** Whether strace runs here: installed, and allowed to trace. */
    static boolean available() {
        try {
            Process p = new ProcessBuilder("strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=fsync", "true")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs {@code command} (and the processes it starts) under strace; fails unless it exits 0. */
    static List<Call> run(Path scratch, List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile(scratch, "strace-", ".txt");
        List<String> traced = new ArrayList<>(List.of("strace", "-f", "--seccomp-bpf", "-qq", "-y", "-e", "trace=" + CALLS,
                "-o", log.toString()));
        traced.addAll(command);
        Process p = new ProcessBuilder(traced).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the traced command did not end: " + output);
        }
        if (p.exitValue() != 0) throw new AssertionError("the traced command failed (" + p.exitValue() + "): " + output);
        return parse(Files.readAllLines(log, StandardCharsets.UTF_8));
    }

    /** strace's lines, a call split in two where another thread's call came in between. */
    static List<Call> parse(List<String> lines) {
        List<Call> calls = new ArrayList<>();
        Map<String, String[]> unfinished = new HashMap<>(); // pid -> name, arguments so far
        for (String line : lines) {
            Matcher l = LINE.matcher(line);
            if (!l.matches()) continue;
            String pid = l.group(1);
            String rest = l.group(2);
            Matcher m;
            if ((m = UNFINISHED.matcher(rest)).matches()) {
                unfinished.put(pid, new String[] {m.group(1), m.group(2)});
            } else if ((m = RESUMED.matcher(rest)).matches()) {
                String[] start = unfinished.remove(pid);
                if (start != null) add(calls, start[0], start[1] + m.group(2), m.group(3));
            } else if ((m = CALL.matcher(rest)).matches()) {
                add(calls, m.group(1), m.group(2), m.group(3));
            }
        }
        return calls;
    }

    private static void add(List<Call> calls, String name, String arguments, String result) {
        if (!result.equals("0")) return;
        String path;
        if (name.equals("fsync") || name.equals("fdatasync")) {
            Matcher fd = FD_PATH.matcher(arguments);
            if (!fd.find()) return;
            path = fd.group(1);
        } else {
            List<String> quoted = new ArrayList<>();
            Matcher q = QUOTED.matcher(arguments);
            while (q.find()) quoted.add(q.group(1));
            if (quoted.isEmpty()) return;
            path = name.startsWith("mkdir") ? quoted.get(0) : quoted.get(quoted.size() - 1);
        }
        calls.add(new Call(name, Path.of(path)));
    }
}
