package lib.sources;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import lib.ingest.DeliveryIntake;
import lib.webhook.WebhookDelivery;

/**
 * A place that holds deliveries captured elsewhere (webhook.site, GitHub's deliveries API), read by
 * polling. Each poll returns the deliveries not returned before; {@link SourcePoller} feeds them to
 * a {@link DeliveryIntake}.
 */
public interface DeliverySource {
    /** A short name for logs, e.g. "webhook.site". */
    String name();

    /** How long to wait between polls (mind the service's rate limit). */
    Duration interval();

    /** The deliveries that arrived since the last poll, oldest first. */
    List<WebhookDelivery> poll() throws IOException, InterruptedException;

    /**
     * Every delivery handed over so far was stored (or refused for its own fault): a source that keeps its progress
     * may record it. Called by the poller's thread after such a poll.
     */
    default void allStored() throws IOException {}
}
