import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A long-running subprocess whose first stdout line is timestamped as it arrives. */
final class Live {
    final Process process;
    final AtomicLong firstLineAt = new AtomicLong();
    final CompletableFuture<String> firstLine = new CompletableFuture<>();
    final StringBuffer err = new StringBuffer();
    final ConcurrentLinkedQueue<String> errLines = new ConcurrentLinkedQueue<>();

    private Live(Process process) {
        this.process = process;
    }

    static Live start(List<String> cmd, Map<String, String> env, Path dir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Live live = new Live(pb.start());
        Thread out = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(live.process.getInputStream(), StandardCharsets.UTF_8))) {
                String line = r.readLine();
                live.firstLineAt.set(System.nanoTime());
                live.firstLine.complete(line);
                while (r.readLine() != null) { /* drain */ }
            } catch (IOException e) {
                live.firstLine.complete(null);
            }
        });
        out.setDaemon(true);
        out.start();
        Thread errT = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(live.process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    live.err.append(line).append('\n');
                    live.errLines.add(line);
                }
            } catch (IOException ignored) {
                // process gone
            }
        });
        errT.setDaemon(true);
        errT.start();
        return live;
    }

    String awaitStdoutLine(Duration timeout) throws Exception {
        try {
            return firstLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            process.destroy();
            return null;
        }
    }

    /** The rest of the first stderr line that starts with {@code prefix}, or null. */
    String awaitStderr(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String l : errLines) if (l.startsWith(prefix)) return l.substring(prefix.length());
            if (!process.isAlive()) return null;
            Thread.sleep(5);
        }
        return null;
    }

    String stderr() {
        return err.toString();
    }
}
