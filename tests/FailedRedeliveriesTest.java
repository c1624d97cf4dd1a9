import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.sources.FailedRedeliveries;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --redeliver-failed against a hook API on loopback whose failed deliveries and answers each test sets. */
class FailedRedeliveriesTest {
    @TempDir Path tmp;

    /** The failed deliveries GitHub lists, newest first. */
    final List<String> failed = new CopyOnWriteArrayList<>();
    /** The ids GitHub was asked to redeliver. */
    final List<String> asked = new CopyOnWriteArrayList<>();
    volatile int redeliverStatus = 202;
    HttpServer api;

    @AfterEach
    void stop() {
        if (api != null) api.stop(0);
    }

    FailedRedeliveries redeliveries(Clock clock) throws IOException {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/repos/o/r/hooks/7/deliveries", this::answer);
        api.start();
        GitHubClient client = new GitHubClient(new GitHubContext("http://127.0.0.1:" + api.getAddress().getPort(), "o/r", "t",
                "test"), GitHubClient.Policy.defaults().withMaxAttempts(1), d -> {}, null);
        return new FailedRedeliveries(client, "/repos/o/r/hooks/7/deliveries", tmp, Duration.ofSeconds(1), clock, m -> {});
    }

    private void answer(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        int status = 200;
        String body;
        if (path.endsWith("/attempts")) {
            asked.add(path.split("/")[7]);
            status = redeliverStatus;
            body = status == 202 ? "{}" : "{\"message\":\"Bad credentials\"}";
        } else {
            body = "[" + String.join(",", failed) + "]";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Date", DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC)));
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    static String delivery(long id, String guid, int statusCode, Instant at) {
        return "{\"id\":" + id + ",\"guid\":\"" + guid + "\",\"event\":\"workflow_run\",\"status_code\":" + statusCode
                + ",\"delivered_at\":\"" + at + "\"}";
    }

    @Test
    void aRefusedTokenWritesNoDeliveryOffTheNextRoundAsksForThemAll() throws Exception {
        FailedRedeliveries source = redeliveries(Clock.systemUTC());
        Instant now = Instant.now();
        failed.addAll(List.of(delivery(3, "g-3", 502, now), delivery(2, "g-2", 0, now), delivery(1, "g-1", 502, now)));
        redeliverStatus = 401;
        assertThrows(GitHubApiException.class, source::poll);
        redeliverStatus = 202;
        asked.clear();
        source.poll();
        assertEquals(List.of("1", "2", "3"), asked);
    }

    @Test
    void aLocalClockAheadOfGitHubsSkipsNoFailedDelivery() throws Exception {
        FailedRedeliveries source = redeliveries(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(15)));
        failed.add(delivery(1, "g-1", 502, Instant.now().minusSeconds(60)));
        source.poll();
        failed.add(0, delivery(2, "g-2", 0, Instant.now())); // failed after the first round
        source.poll();
        assertEquals(List.of("1", "2"), asked);
    }

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        volatile Instant now = Instant.now();

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aBacklogIsAskedForWithinGitHubsSecondaryLimitWhateverThePollInterval() throws Exception {
        MovableClock clock = new MovableClock();
        FailedRedeliveries source = redeliveries(clock);
        Instant at = Instant.now();
        for (int id = 100; id >= 1; id--) failed.add(delivery(id, "g-" + id, 502, at));
        for (int round = 0; round < 5; round++) source.poll(); // polls back to back
        assertEquals(60, asked.size(), "at most 60 a minute");
        clock.now = clock.now.plusSeconds(61);
        source.poll();
        assertEquals(80, asked.size(), "20 more a round once the minute has passed");
        assertEquals(80, new java.util.HashSet<>(asked).size(), "each asked for once");
    }

    @Test
    void theNewestAttemptDecidesAndOursRefusedIsNotAskedForAgain() throws Exception {
        FailedRedeliveries source = redeliveries(Clock.systemUTC());
        Instant now = Instant.now();
        // g-1 was redelivered by hand and our receiver answered 401 (a wrong secret): a redelivery would repeat it
        failed.addAll(List.of(delivery(8, "g-1", 401, now), delivery(2, "g-2", 502, now), delivery(1, "g-1", 0, now)));
        source.poll();
        assertEquals(List.of("2"), asked);
    }
}
