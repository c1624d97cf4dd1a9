package lib.receiver;

import java.util.function.Consumer;

/**
 * At most so many log lines a minute for refused requests, so that a flood of bad requests cannot fill the
 * disk through the log (a service's log is written to disk); the rest are counted and summed up in one line
 * when the next minute starts. Their counts are in {@code GET /healthz} either way.
 */
final class LogLimiter {
    private static final long MINUTE = 60_000_000_000L;

    private final int perMinute;
    private final Consumer<String> log;
    private long windowStart = System.nanoTime();
    private int used;
    private long suppressed;

    LogLimiter(int perMinute, Consumer<String> log) {
        this.perMinute = perMinute;
        this.log = log;
    }

    synchronized void log(String line) {
        long now = System.nanoTime();
        if (now - windowStart >= MINUTE) {
            flush();
            windowStart = now;
            used = 0;
        }
        if (used < perMinute) {
            used++;
            log.accept(line);
        } else {
            suppressed++;
        }
    }

    /** Logs how many lines were left out, if any. */
    synchronized void flush() {
        if (suppressed > 0) {
            log.accept(suppressed + " more refused requests were not logged (at most " + perMinute
                    + " lines a minute; GET /healthz counts them all)");
            suppressed = 0;
        }
    }
}
