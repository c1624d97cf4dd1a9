package lib.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import lib.util.Json;
import lib.util.Sleeper;

/**
 * {@code ping}: asks GitHub to ping a hook, then lists the hook's deliveries every {@code pollInterval}
 * until that ping's delivery shows up (the oldest ping newer than every delivery seen before asking).
 */
public final class PingCheck {
    private final Hooks hooks;
    private final Sleeper sleeper;
    private final LongSupplier nanoTime;
    private final Duration pollInterval;

    public PingCheck(Hooks hooks, Sleeper sleeper, LongSupplier nanoTime, Duration pollInterval) {
        this.hooks = hooks;
        this.sleeper = sleeper;
        this.nanoTime = nanoTime;
        this.pollInterval = pollInterval;
    }

    /** The ping's delivery as GitHub recorded it, and whether the endpoint answered 2xx. */
    public record Outcome(JsonNode delivery, boolean succeeded) {
        /** e.g. "OK (status code 200)" or "failed to connect (status code 0)". */
        public String describe() {
            return Json.text(delivery, "status") + " (status code " + delivery.path("status_code").asInt() + ")";
        }
    }

    /** Sends the ping; what became of its delivery, or empty when none showed up within {@code timeout}. */
    public Optional<Outcome> pingAndAwait(long hookId, Duration timeout, Consumer<String> info) throws InterruptedException {
        long newestBefore = hooks.deliveries(hookId, 5, false).stream()
                .mapToLong(d -> d.path("id").asLong()).max().orElse(0);
        hooks.ping(hookId);
        info.accept("ping sent to hook " + hookId + "; waiting up to " + timeout.toMillis() / 1000.0 + " s for its delivery");
        long deadline = nanoTime.getAsLong() + timeout.toNanos();
        while (true) {
            Optional<JsonNode> ours = hooks.deliveries(hookId, 30, false).stream()
                    .filter(d -> "ping".equals(Json.text(d, "event")) && d.path("id").asLong() > newestBefore)
                    .reduce((newer, older) -> older); // newest first: the oldest new ping is ours
            if (ours.isPresent()) return ours.map(d -> new Outcome(d, Hooks.succeeded(d)));
            if (nanoTime.getAsLong() >= deadline) return Optional.empty();
            sleeper.sleep(pollInterval);
        }
    }
}
