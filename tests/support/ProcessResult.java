import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A finished command: its exit code, stdout and stderr. */
record ProcessResult(int code, String out, String err) {

    /**
     * Starts {@code pb} with {@code stdin} written and closed (none: closed at once, unless {@code pb} redirects its
     * input), waits at most {@code max} (then kills it and fails), and collects its output through files, so that a
     * process the command leaves behind cannot keep the wait open.
     */
    static ProcessResult run(ProcessBuilder pb, String stdin, Duration max) throws IOException, InterruptedException {
        Path out = Files.createTempFile("command", ".out");
        Path err = Files.createTempFile("command", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("timed out: " + String.join(" ", pb.command()));
            }
            return new ProcessResult(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
