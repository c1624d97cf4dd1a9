package lib.receiver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import lib.util.Json;

/**
 * What a running receiver has done since it started, as {@code GET /healthz} shows it: deliveries stored
 * (by the receiver and by catch-up), duplicates, rejected ones (unsigned, wrongly signed, malformed), other
 * refused requests, the last stored delivery and the last catch-up. Counts and times only: nothing secret,
 * no path of this machine. Thread-safe; shared by the receiver and the catch-up pollers.
 */
public final class Health {
    /** Why a request was not stored; each is counted. */
    public enum Refusal {
        UNSIGNED("unsigned"), BAD_SIGNATURE("bad_signature"), MALFORMED("malformed"),
        WRONG_PATH("wrong_path"), WRONG_METHOD("wrong_method"), TOO_LARGE("too_large"), NO_ROOM("no_room"),
        SLOW_HEADERS("slow_headers"), SLOW_BODY("slow_body"), FAILED("failed");

        final String key;

        Refusal(String key) {
            this.key = key;
        }
    }

    private final Clock clock;
    private final Instant started;
    private final long startedNanos = System.nanoTime();
    private final Map<String, LongAdder> storedBy = new ConcurrentHashMap<>();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder ignored = new LongAdder();
    private final LongAdder pings = new LongAdder();
    private final Map<Refusal, LongAdder> refused = new ConcurrentHashMap<>();
    private final AtomicLong lastStoredMillis = new AtomicLong(-1);
    private final Map<String, CatchUp> lastCatchUp = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastCatchUpOk = new ConcurrentHashMap<>();
    private volatile boolean stopping;
    private volatile LongSupplier journalFlushes = () -> 0;

    /**
     * One poll of a catch-up source (GitHub's deliveries API): when, whether it worked, what it stored. Why a poll
     * failed goes to the log only (it may name internal hosts).
     */
    public record CatchUp(String source, Instant at, boolean ok, int stored) {}

    public Health(Clock clock) {
        this.clock = clock;
        this.started = clock.instant();
        for (Refusal r : Refusal.values()) refused.put(r, new LongAdder());
    }

    /** A delivery was newly stored by {@code source} ("receiver", "github", ...). */
    public void stored(String source) {
        storedBy.computeIfAbsent(source, k -> new LongAdder()).increment();
        lastStoredMillis.set(clock.millis());
    }

    public void duplicate() {
        duplicates.increment();
    }

    public void ignored() {
        ignored.increment();
    }

    public void ping() {
        pings.increment();
    }

    public void refused(Refusal why) {
        refused.get(why).increment();
    }

    public long count(Refusal why) {
        return refused.get(why).sum();
    }

    public void caughtUp(CatchUp poll) {
        if (poll.ok()) lastCatchUpOk.put(poll.source(), poll.at());
        lastCatchUp.put(poll.source(), poll);
    }

    public void stopping() {
        stopping = true;
    }

    public boolean isStopping() {
        return stopping;
    }

    /** Where the journal's flush count comes from (a journaled store's). */
    public void journalFlushes(LongSupplier flushes) {
        this.journalFlushes = flushes;
    }

    /** The health document; {@code status} is "ok", or "stopping" once the receiver is shutting down. */
    public ObjectNode toJson() {
        ObjectNode h = Json.object();
        h.put("status", stopping ? "stopping" : "ok");
        h.put("started_at", started.toString());
        h.put("uptime_seconds", Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds());
        ObjectNode d = h.putObject("deliveries");
        long stored = storedBy.values().stream().mapToLong(LongAdder::sum).sum();
        d.put("stored", stored);
        ObjectNode by = d.putObject("stored_by");
        storedBy.forEach((k, v) -> by.put(k, v.sum()));
        d.put("duplicates", duplicates.sum());
        d.put("ignored", ignored.sum());
        d.put("pings", pings.sum());
        long rejected = count(Refusal.UNSIGNED) + count(Refusal.BAD_SIGNATURE) + count(Refusal.MALFORMED);
        d.put("rejected", rejected);
        ObjectNode r = d.putObject("rejected_by");
        for (Refusal why : new Refusal[] {Refusal.UNSIGNED, Refusal.BAD_SIGNATURE, Refusal.MALFORMED}) r.put(why.key, count(why));
        long last = lastStoredMillis.get();
        if (last < 0) d.putNull("last_stored_at");
        else d.put("last_stored_at", Instant.ofEpochMilli(last).toString());
        ObjectNode q = h.putObject("requests_refused");
        for (Refusal why : new Refusal[] {Refusal.WRONG_PATH, Refusal.WRONG_METHOD, Refusal.TOO_LARGE, Refusal.NO_ROOM,
                Refusal.SLOW_HEADERS, Refusal.SLOW_BODY, Refusal.FAILED}) {
            q.put(why.key, count(why));
        }
        ObjectNode catchUps = h.putObject("last_catch_up"); // per polled source, e.g. "github"
        lastCatchUp.forEach((source, c) -> {
            ObjectNode cu = catchUps.putObject(source);
            cu.put("at", c.at().toString());
            cu.put("result", c.ok() ? "ok" : "failed");
            cu.put("stored", c.stored());
            Instant ok = lastCatchUpOk.get(source);
            if (ok == null) cu.putNull("last_ok_at");
            else cu.put("last_ok_at", ok.toString());
        });
        h.put("journal_flushes", journalFlushes.getAsLong());
        return h;
    }
}
