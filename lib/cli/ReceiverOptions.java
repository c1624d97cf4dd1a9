package lib.cli;

import java.time.Duration;
import lib.receiver.ReceiverLimits;
import picocli.CommandLine.Option;

/** The embedded receiver's limits against slow clients, idle connections and floods (see docs/production-receiver.md). */
public final class ReceiverOptions {
    @Option(names = "--header-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = Durations.class,
            description = "With --listen: a request's line and headers must arrive within this of its first byte, else its "
                    + "connection is closed (default: ${DEFAULT-VALUE}).")
    public Duration headerTimeout;

    @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = Durations.class,
            description = "With --listen: the whole request, body included, within this (default: ${DEFAULT-VALUE}; GitHub "
                    + "sends a delivery at once).")
    public Duration requestTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = Durations.class,
            description = "With --listen: idle keep-alive connections are closed after this (default: ${DEFAULT-VALUE}).")
    public Duration idleTimeout;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "" + ReceiverLimits.DEFAULT_MAX_CONNECTIONS,
            description = "With --listen: open connections at most; more are closed as they arrive (default: ${DEFAULT-VALUE}).")
    public int maxConnections;

    @Option(names = "--max-body-memory", paramLabel = "SIZE", converter = Sizes.class,
            description = "With --listen: memory for deliveries in progress, e.g. 256MB; each counts five times its size (body "
                    + "and parsed JSON), one that finds no room within 2 s is answered 503 (default: 128MB, one 25 MB delivery; "
                    + "half the heap when less). Over 25 MB: always 413.")
    public Long maxBodyMemory;

    @Option(names = "--redeliver-failed",
            description = "With --listen: on start and every --poll-interval, ask GitHub to redeliver the registered hook's "
                    + "failed deliveries (each at most once, remembered in <state-dir>/redeliveries.json), so they are stored "
                    + "from the signed redelivery. Instead of --from-github.")
    public boolean redeliverFailed;

    public ReceiverLimits limits() {
        return new ReceiverLimits(Durations.positive(headerTimeout, "--header-timeout"), requestTimeout, idleTimeout,
                maxConnections, maxBodyMemory != null ? maxBodyMemory : ReceiverLimits.defaultBodyMemory());
    }
}
