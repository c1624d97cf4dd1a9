package lib.receiver;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receiver's threads and its per-request deadlines. The JDK server reads a request's line, headers and body
 * with blocking reads on the executor's threads, so a slow sender holds a thread for as long as it dribbles:
 * this executor has a thread for every request in progress (up to the connection bound, plus a margin; a request
 * refused a thread has its connection closed by the JDK), and a watchdog cuts off the requests that are late.
 * <p>
 * Each request runs as a {@link Task} in phases: {@code HEADERS} from its first byte (when the JDK hands it to the
 * executor) until the handler is called, {@code BODY} while the handler reads the body, then {@code WORK} (storing,
 * answering). A request still in its headers after the header timeout, or in its body after the request timeout,
 * has its thread interrupted: the blocking read fails and the JDK closes that connection. The work phase is never
 * interrupted (an interrupt would close the store's file channels); a phase change and a cut-off exclude each other.
 * An answer its client does not read is the JDK's to cut off: {@code sun.net.httpserver.maxRspTime} closes the
 * connection, which ends the blocked write without touching the store ({@link ReceiverLimits#jvmSettings()}).
 */
final class Deadlines implements AutoCloseable {
    private static final int HEADERS = 0;
    private static final int BODY = 1;
    private static final int WORK = 2;
    private static final int CUT = 3;
    private static final int DONE = 4;
    /** Stack size of the request threads: the work is shallow (Jackson parses without recursion). */
    private static final long STACK_BYTES = 512 * 1024;

    private final Runnable onHeadersCut;
    private final Runnable onBodyCut;
    private final long headerNanos;
    private final long requestNanos;
    private final ThreadPoolExecutor pool;
    private final Set<Task> live = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Task> current = new ThreadLocal<>();
    private final Thread watchdog;

    /** {@code onHeadersCut} and {@code onBodyCut} are told of each request cut off (for the health counts). */
    Deadlines(Duration headerTimeout, Duration requestTimeout, int maxConnections, String name, Runnable onHeadersCut,
            Runnable onBodyCut) {
        this.onHeadersCut = onHeadersCut;
        this.onBodyCut = onBodyCut;
        this.headerNanos = headerTimeout.toNanos();
        this.requestNanos = requestTimeout.toNanos();
        AtomicInteger n = new AtomicInteger();
        // Core threads stay for the usual traffic; more start for requests in progress, and go after 30 s idle.
        this.pool = new ThreadPoolExecutor(8, maxConnections + 16, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(null, r, name + "-" + n.incrementAndGet(), STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
        long tick = Math.max(20, Math.min(250, headerTimeout.toMillis() / 8));
        this.watchdog = new Thread(() -> watch(tick), name + "-deadlines");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** The executor to give the JDK server: every request it runs is timed from its first byte. */
    Executor executor() {
        return command -> pool.execute(new Task(command)); // refused (RejectedExecutionException): the JDK closes it
    }

    /** Called by the handler as it starts: false when the request was cut off in its headers already. */
    boolean bodyStarts() {
        Task t = current.get();
        return t == null || t.advance(HEADERS, BODY);
    }

    /** Called once the body is read (again before answering): false when the request was cut off (do not store it). */
    boolean workStarts() {
        Task t = current.get();
        return t == null || t.advance(BODY, WORK) || t.advance(WORK, WORK);
    }

    /** Stops the watchdog, and the threads once their requests are done (waits up to {@code wait}). */
    void shutdown(Duration wait) {
        watchdog.interrupt();
        pool.shutdown();
        try {
            pool.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(1));
    }

    private void watch(long tickMillis) {
        while (!Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            for (Task t : live) t.cutIfLate(now);
            try {
                Thread.sleep(tickMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One request on one thread, from its first byte to its answer. */
    private final class Task implements Runnable {
        private final Runnable exchange;
        private final long start = System.nanoTime();
        private Thread thread; // guarded by this
        private int phase = HEADERS; // guarded by this

        Task(Runnable exchange) {
            this.exchange = exchange;
        }

        @Override
        public void run() {
            synchronized (this) {
                thread = Thread.currentThread();
            }
            current.set(this);
            live.add(this);
            try {
                exchange.run();
            } finally {
                live.remove(this);
                current.remove();
                synchronized (this) {
                    phase = DONE;
                    thread = null;
                    Thread.interrupted(); // a cut-off's interrupt must not reach the thread's next request
                }
            }
        }

        synchronized boolean advance(int from, int to) {
            if (phase != from) return false;
            phase = to;
            return true;
        }

        synchronized void cutIfLate(long now) {
            long age = now - start;
            boolean late = (phase == HEADERS && age >= headerNanos) || (phase == BODY && age >= requestNanos);
            if (!late || thread == null) return;
            (phase == HEADERS ? onHeadersCut : onBodyCut).run();
            phase = CUT;
            thread.interrupt(); // the blocking read fails, and the JDK closes the connection
        }
    }
}
