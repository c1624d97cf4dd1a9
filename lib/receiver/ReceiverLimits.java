package lib.receiver;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import lib.util.BadInputException;
import lib.webhook.WebhookDelivery;

/**
 * What the receiver allows a client, so that slow or idle clients and floods cannot starve real deliveries:
 * the request line and headers within {@code headerTimeout} of the request's first byte, the whole request
 * (body included) within {@code requestTimeout}, its answer (storing included) within {@code requestTimeout} plus
 * a second of the request's end (a client that does not read it loses its connection), idle keep-alive
 * connections closed after {@code idleTimeout}, at most {@code maxConnections} open connections (the excess is
 * closed at once), and at most {@code maxBodyMemory} bytes of memory for deliveries in progress, each counted five
 * times its size as its body arrives (its body and its parsed JSON; one that finds no room within
 * {@link #BUDGET_WAIT} is answered 503). A body over GitHub's 25 MB cap is always refused (413).
 */
public record ReceiverLimits(Duration headerTimeout, Duration requestTimeout, Duration idleTimeout, int maxConnections,
        long maxBodyMemory) {
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONNECTIONS = 1000;
    static final int MAX_CONNECTIONS = 100_000;
    /** The memory budget when none is given: 128 MB (one 25 MB delivery, or a thousand 22 KB ones), or half the heap when less. */
    public static final long DEFAULT_MAX_BODY_MEMORY = 128L * 1024 * 1024;
    /** How long a request waits for room in the body budget before it is answered 503. */
    public static final Duration BUDGET_WAIT = Duration.ofSeconds(2);

    public ReceiverLimits {
        if (headerTimeout.isNegative() || headerTimeout.isZero()) throw new BadInputException("--header-timeout must be positive");
        if (requestTimeout.compareTo(headerTimeout) < 0) {
            throw new BadInputException("--request-timeout (" + seconds(requestTimeout) + ") must be at least --header-timeout ("
                    + seconds(headerTimeout) + ")");
        }
        if (idleTimeout.toMillis() < 1000) throw new BadInputException("--idle-timeout must be at least 1 s");
        if (maxConnections < 1) throw new BadInputException("--max-connections must be at least 1");
        if (maxConnections > MAX_CONNECTIONS) {
            throw new BadInputException("--max-connections must be at most " + MAX_CONNECTIONS + " (each request in progress has a thread)");
        }
        if (maxBodyMemory < 1024L * 1024) throw new BadInputException("--max-body-memory must be at least 1MB");
    }

    /** The documented defaults; the body budget depends on this JVM's maximum heap. */
    public static ReceiverLimits defaults() {
        return new ReceiverLimits(DEFAULT_HEADER_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
                DEFAULT_MAX_CONNECTIONS, defaultBodyMemory());
    }

    /** 128 MB, or half the maximum heap when that is less. */
    public static long defaultBodyMemory() {
        return Math.min(DEFAULT_MAX_BODY_MEMORY, Runtime.getRuntime().maxMemory() / 2);
    }

    /** The largest delivery that can find room in the memory budget (each counts {@value BodyBudget#FACTOR} times its size). */
    public long largestDelivery() {
        return Math.min(WebhookDelivery.MAX_BYTES, maxBodyMemory / BodyBudget.FACTOR);
    }

    public ReceiverLimits withTimeouts(Duration header, Duration request) {
        return new ReceiverLimits(header, request, idleTimeout, maxConnections, maxBodyMemory);
    }

    public ReceiverLimits withMaxBodyMemory(long bytes) {
        return new ReceiverLimits(headerTimeout, requestTimeout, idleTimeout, maxConnections, bytes);
    }

    /**
     * The JDK HTTP server's own settings that carry these limits. The JDK reads them once per JVM, when its first
     * HTTP server starts, so they are set (each only where the operator gave no {@code -D} value of their own)
     * before wait-for-webhook starts one; {@link #applyToJvm()} returns what is in effect.
     * <ul>
     * <li>{@code jdk.httpserver.maxConnections}: connections over the bound are closed as they are accepted.
     * <li>{@code sun.net.httpserver.maxIdleConnections}: keep-alive connections kept (its default, 200, closes more).
     * <li>{@code sun.net.httpserver.idleInterval} (whole seconds) and {@code clockTick} (how often it checks).
     * <li>{@code sun.net.httpserver.maxReqTime}: a backstop one second past the request timeout; also closes a
     *     connection that sends nothing at all after min(idle, this).
     * <li>{@code sun.net.httpserver.maxRspTime}: the same, from a request's end to its answer's end, storing
     *     included; a client that does not read its answer then loses its connection and no longer holds a
     *     thread. A delivery still being stored then is stored all the same (the close does not interrupt it).
     * <li>{@code sun.net.httpserver.drainAmount} 0: a body left unread (404, 413, 503) closes its connection
     *     instead of a blocking drain.
     * <li>{@code sun.net.httpserver.maxReqHeaderSize}: 64 KB of request line and headers at most.
     * </ul>
     */
    public Map<String, String> jvmSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("jdk.httpserver.maxConnections", Integer.toString(maxConnections));
        s.put("sun.net.httpserver.maxIdleConnections", Integer.toString(maxConnections));
        s.put("sun.net.httpserver.idleInterval", Long.toString(ceilSeconds(idleTimeout)));
        s.put("sun.net.httpserver.clockTick", Long.toString(Math.min(1000, Math.max(100, idleTimeout.toMillis() / 4))));
        s.put("sun.net.httpserver.maxReqTime", Long.toString(ceilSeconds(requestTimeout) + 1));
        s.put("sun.net.httpserver.maxRspTime", Long.toString(ceilSeconds(requestTimeout) + 1));
        s.put("sun.net.httpserver.drainAmount", "0");
        s.put("sun.net.httpserver.maxReqHeaderSize", Integer.toString(64 * 1024));
        s.put("sun.net.httpserver.nodelay", "true");
        return s;
    }

    /** Sets {@link #jvmSettings()} where no value is set yet; returns the values in effect (the operator's win). */
    public Map<String, String> applyToJvm() {
        Map<String, String> effective = new LinkedHashMap<>();
        jvmSettings().forEach((key, value) -> {
            if (System.getProperty(key) == null) System.setProperty(key, value);
            effective.put(key, System.getProperty(key));
        });
        return effective;
    }

    /** One line for the log: the limits as the options name them. */
    public String describe() {
        return "headers within " + seconds(headerTimeout) + ", request within " + seconds(requestTimeout) + ", idle closed after "
                + seconds(idleTimeout) + ", at most " + maxConnections + " connections and " + megabytes(maxBodyMemory)
                + " for deliveries in progress" + (largestDelivery() < WebhookDelivery.MAX_BYTES ? " (warning: deliveries over "
                + megabytes(largestDelivery()) + " can never find room and get 503; GitHub allows 25 MB: raise --max-body-memory"
                + " to 125MB or more, and the heap with it)" : "");
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
    }

    static String megabytes(long bytes) {
        return bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + " MB" : String.format(java.util.Locale.ROOT, "%.1f MB",
                bytes / (1024.0 * 1024));
    }

    private static long ceilSeconds(Duration d) {
        return Math.max(1, (d.toMillis() + 999) / 1000);
    }
}
