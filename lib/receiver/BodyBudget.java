package lib.receiver;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import lib.webhook.WebhookDelivery;

/**
 * The memory that deliveries in progress may take, over all requests, so that many large bodies at once cannot
 * exhaust the heap. A delivery takes about {@value #FACTOR} times its size while it is received, checked, parsed
 * and stored (its body; its JSON parsed, whose text Jackson builds in pieces and then copies), so a request
 * reserves that for its declared length before reading it (a chunked one as it grows), waits at most
 * {@link ReceiverLimits#BUDGET_WAIT} for room, and gives it back once its delivery is stored and answered.
 * Counted in KiB.
 */
final class BodyBudget {
    /** Memory taken per byte of a delivery in progress (measured: a 20 MB payload needed 96-128 MB of heap). */
    static final int FACTOR = 5;
    private static final int BLOCK = 64 * 1024;

    private final Semaphore kib;
    private final long total;
    private final Duration wait;

    BodyBudget(long bytes, Duration wait) {
        this.total = bytes;
        this.kib = new Semaphore((int) Math.min(Integer.MAX_VALUE, bytes / 1024), true);
        this.wait = wait;
    }

    /** Bytes reserved now. */
    long inUse() {
        return total - kib.availablePermits() * 1024L;
    }

    /** The largest delivery that can ever find room: smaller than 25 MB when the budget is below 5 x 25 MB. */
    long largestDelivery() {
        return total / FACTOR;
    }

    private static int kibFor(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE, (bytes * FACTOR + 1023) / 1024);
    }

    /** What reading a body came to. */
    enum Outcome { READ, TOO_LARGE, NO_ROOM }

    /** A body read (or refused); {@link #close} gives its room back. */
    final class Body implements AutoCloseable {
        private long reservedKib;
        private Outcome outcome = Outcome.READ;
        private byte[] bytes;

        Outcome outcome() {
            return outcome;
        }

        byte[] bytes() {
            return bytes;
        }

        private boolean reserve(long count, long deadline) throws IOException {
            int k = kibFor(count);
            if (k > total / 1024) { // could never find room
                outcome = Outcome.NO_ROOM;
                return false;
            }
            long left = deadline - System.nanoTime();
            try {
                if (!kib.tryAcquire(k, Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    outcome = Outcome.NO_ROOM;
                    return false;
                }
            } catch (InterruptedException e) { // cut off while waiting for room
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("cut off while waiting for room for the body");
            }
            reservedKib += k;
            return true;
        }

        @Override
        public void close() {
            kib.release((int) reservedKib);
            reservedKib = 0;
            bytes = null;
        }
    }

    /**
     * Reads a body of {@code declared} bytes (-1: chunked, length unknown) from {@code in}: refused unread when
     * declared over 25 MB, cut off at 25 MB when chunked, refused when the budget has no room for it in time (then
     * read and dropped as it comes, in a small buffer, so the sender sees the answer and not a reset connection).
     * A declared body is read to its end, so its connection can be kept alive.
     */
    Body read(InputStream in, long declared) throws IOException {
        Body body = readOrRefuse(in, declared);
        if (body.outcome == Outcome.NO_ROOM) {
            body.close();
            discard(in);
        }
        return body;
    }

    private Body readOrRefuse(InputStream in, long declared) throws IOException {
        Body body = new Body();
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            if (declared > WebhookDelivery.MAX_BYTES) {
                body.outcome = Outcome.TOO_LARGE;
                return body;
            }
            if (declared >= 0) {
                if (!body.reserve(declared, deadline)) return body;
                byte[] bytes = new byte[(int) declared];
                if (in.readNBytes(bytes, 0, bytes.length) < bytes.length) throw new EOFException("the body ended early");
                if (in.read() != -1) throw new IOException("more body than declared"); // (the JDK stops at the length)
                body.bytes = bytes;
                return body;
            }
            List<byte[]> blocks = new ArrayList<>();
            long size = 0;
            while (true) {
                if (!body.reserve(BLOCK, deadline)) return body;
                byte[] block = new byte[BLOCK];
                int n = in.readNBytes(block, 0, BLOCK);
                blocks.add(block);
                size += n;
                if (size > WebhookDelivery.MAX_BYTES) {
                    body.outcome = Outcome.TOO_LARGE;
                    return body;
                }
                if (n < BLOCK) break; // the end of the chunked body
            }
            byte[] bytes = new byte[(int) size]; // (the reservation's factor covers this copy)
            int at = 0;
            for (byte[] block : blocks) {
                int n = (int) Math.min(BLOCK, size - at);
                System.arraycopy(block, 0, bytes, at, n);
                at += n;
            }
            body.bytes = bytes;
            return body;
        } catch (IOException | RuntimeException e) {
            body.close();
            throw e;
        }
    }

    /** Reads what is left of a body (at most 25 MB) into one small buffer. */
    private static void discard(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        long left = WebhookDelivery.MAX_BYTES;
        for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0; ) left -= n;
    }
}
