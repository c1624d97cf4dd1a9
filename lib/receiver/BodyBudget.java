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
 * reserves that as its body arrives, a block at a time once the block's first byte is there (never for a declared
 * length alone: anyone can declare 25 MB and send nothing), waits at most {@link ReceiverLimits#BUDGET_WAIT} in all
 * for room, and gives it back once its delivery is stored and answered. Counted in KiB.
 */
final class BodyBudget {
    /** Memory taken per byte of a delivery in progress (measured: a 20 MB payload needed 96-128 MB of heap). */
    static final int FACTOR = 5;
    /** The unit of reading and reserving: a sender that stops after a byte holds {@value #FACTOR} x this. */
    private static final int BLOCK = 16 * 1024;

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
        private long waitLeftNanos = wait.toNanos();
        private Outcome outcome = Outcome.READ;
        private byte[] bytes;

        Outcome outcome() {
            return outcome;
        }

        byte[] bytes() {
            return bytes;
        }

        /** Room for {@code count} more bytes; the waits for room of one body add up to the budget's wait at most. */
        private boolean reserve(long count) throws IOException {
            int k = kibFor(count);
            if (reservedKib + k > total / 1024) { // could never find room
                outcome = Outcome.NO_ROOM;
                return false;
            }
            long start = System.nanoTime();
            try {
                boolean room = kib.tryAcquire(k, Math.max(0, waitLeftNanos), TimeUnit.NANOSECONDS);
                waitLeftNanos -= System.nanoTime() - start;
                if (!room) {
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

    /**
     * Reads the body a block at a time, reserving each block's room only once its first byte has arrived: a request
     * whose declared length is a lie holds room for what it really sent (rounded up to a block), not for what it
     * declared.
     */
    private Body readOrRefuse(InputStream in, long declared) throws IOException {
        Body body = new Body();
        try {
            if (declared > WebhookDelivery.MAX_BYTES) {
                body.outcome = Outcome.TOO_LARGE;
                return body;
            }
            if (kibFor(declared) > total / 1024) { // could never find room: refused without waiting
                body.outcome = Outcome.NO_ROOM;
                return body;
            }
            List<byte[]> blocks = new ArrayList<>();
            long size = 0;
            while (declared < 0 || size < declared) {
                int first = in.read();
                if (first < 0) {
                    if (declared >= 0) throw new EOFException("the body ended early");
                    break; // the end of a chunked body
                }
                int length = (int) (declared < 0 ? BLOCK : Math.min(BLOCK, declared - size));
                if (!body.reserve(length)) return body;
                byte[] block = new byte[length];
                block[0] = (byte) first;
                int n = 1 + in.readNBytes(block, 1, length - 1);
                blocks.add(block);
                size += n;
                if (size > WebhookDelivery.MAX_BYTES) {
                    body.outcome = Outcome.TOO_LARGE;
                    return body;
                }
                if (n < length) {
                    if (declared >= 0) throw new EOFException("the body ended early");
                    break; // the end of a chunked body
                }
            }
            if (declared >= 0 && in.read() != -1) throw new IOException("more body than declared"); // (the JDK stops at the length)
            body.bytes = join(blocks, size);
            return body;
        } catch (IOException | RuntimeException e) {
            body.close();
            throw e;
        }
    }

    /** The blocks as one array (the reservation's factor covers this copy); a body of one full block is not copied. */
    private static byte[] join(List<byte[]> blocks, long size) {
        if (blocks.size() == 1 && blocks.get(0).length == size) return blocks.get(0);
        byte[] bytes = new byte[(int) size];
        int at = 0;
        for (byte[] block : blocks) {
            int n = (int) Math.min(block.length, size - at);
            System.arraycopy(block, 0, bytes, at, n);
            at += n;
        }
        return bytes;
    }

    /** Reads what is left of a body (at most 25 MB) into one small buffer. */
    private static void discard(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        long left = WebhookDelivery.MAX_BYTES;
        for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0; ) left -= n;
    }
}
