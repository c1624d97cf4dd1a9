package lib.sources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.util.FileLocks;
import lib.util.Json;
import lib.util.SafeFiles;
import lib.webhook.WebhookDelivery;

/**
 * GitHub's own recovery for a receiver that was down: asks GitHub to redeliver the hook's failed deliveries
 * ({@code POST .../deliveries/{id}/attempts}), so the receiver stores them from the signed redelivery. Each GUID
 * is asked for at most once, across restarts and across receivers that share the state folder: the GUIDs asked
 * for are kept in {@code <state-dir>/redeliveries.json} (written atomically, under a lock, after each 202), with
 * the start of the last complete round. A round lists the failed deliveries ({@code status=failure}, newest first)
 * back to {@value #OVERLAP_MINUTES} minutes before that (all that GitHub keeps, 3 days or 7 on GHES, on a first
 * run), and asks for the {@code workflow_run} ones first, then the {@code workflow_job} ones, oldest first, at most
 * {@value #PER_ROUND} a round, {@value #PER_MINUTE} a minute and {@value #PER_HOUR} an hour (GitHub limits how fast
 * content is created). It skips failures a redelivery would
 * repeat: our own 400, 401 and 413. A delivery whose redelivery fails too is not asked for again.
 * <p>
 * Runs as a {@link DeliverySource} whose polls store nothing themselves (the redeliveries arrive through the receiver).
 * The hook is found as {@code --from-github} finds it ({@link GitHubDeliveriesSource#fromState}): a repository's,
 * or, where the state records one, an organisation's.
 */
public final class FailedRedeliveries implements DeliverySource {
    public static final String STATE_FILE = "redeliveries.json";
    static final int OVERLAP_MINUTES = 10;
    static final int PER_ROUND = 20;
    /** Redeliveries asked for at most per minute and per hour, across rounds and receivers sharing the state. */
    static final int PER_MINUTE = 60;
    static final int PER_HOUR = 400;
    /** How long an asked-for GUID is remembered: longer than any retention (GHES keeps deliveries 7 days). */
    static final Duration REMEMBER = Duration.ofDays(8);
    private static final Set<String> WANTED = Set.of("workflow_run", "workflow_job");
    /** Our own answers that a redelivery would only repeat (bad request, bad signature, too large). */
    private static final Set<Integer> REPEATED = Set.of(400, 401, 413);
    /** GitHub's answers to a redelivery request that are about the delivery itself (gone, or not redeliverable). */
    private static final Set<Integer> DELIVERY_REFUSED = Set.of(404, 410, 422);

    private final GitHubClient client;
    private final String deliveriesPath;
    private final Path stateDir;
    private final Duration interval;
    private final Clock clock;
    private final Consumer<String> log;

    /** {@code deliveriesPath}: the hook's {@code .../hooks/{id}/deliveries} path. */
    public FailedRedeliveries(GitHubClient client, String deliveriesPath, Path stateDir, Duration interval, Clock clock,
            Consumer<String> log) {
        this.client = client;
        this.deliveriesPath = deliveriesPath;
        this.stateDir = stateDir;
        this.interval = interval;
        this.clock = clock;
        this.log = log;
    }

    /** For the hook recorded in {@code stateDir}, found as --from-github finds it; the token from the environment (or gh). */
    public static FailedRedeliveries fromState(Path stateDir, Map<String, String> env, Duration interval, Clock clock,
            PrintWriter verboseLog, Consumer<String> log) {
        GitHubDeliveriesSource hook = GitHubDeliveriesSource.fromState(stateDir, env, interval, verboseLog);
        return new FailedRedeliveries(hook.client(), hook.deliveriesPath(), stateDir, interval, clock, log);
    }

    @Override
    public String name() {
        return "github-redeliver";
    }

    @Override
    public Duration interval() {
        return interval;
    }

    /** One round (see the class comment); the redeliveries themselves arrive at the receiver. */
    @Override
    public List<WebhookDelivery> poll() throws IOException {
        int asked = FileLocks.withLock(stateDir.resolve(".redeliveries.lock"), this::round);
        if (asked > 0) log.accept(name() + ": asked GitHub to redeliver " + asked + " failed deliveries");
        return List.of();
    }

    /** Under the state's lock: lists, asks, records; returns how many were asked for. */
    int round() throws IOException {
        State state = State.read(stateDir.resolve(STATE_FILE));
        Instant horizon = state.checkedUntil == null ? null : state.checkedUntil.minus(Duration.ofMinutes(OVERLAP_MINUTES));
        Failed failed = failedSince(horizon);
        Instant started = failed.listedAt(); // GitHub's clock: the horizon is compared with its delivered_at times
        Map<String, JsonNode> wanted = new LinkedHashMap<>(); // GUID -> its newest failed attempt (the list is newest first)
        Set<String> decided = new HashSet<>();
        for (JsonNode d : failed.deliveries()) {
            String guid = Json.text(d, "guid");
            if (guid == null || state.asked.containsKey(guid) || !decided.add(guid)) continue; // its newest attempt decides
            if (!WANTED.contains(Json.text(d, "event")) || REPEATED.contains(d.path("status_code").asInt())) continue;
            wanted.put(guid, d);
        }
        List<JsonNode> order = new ArrayList<>(wanted.values());
        Collections.reverse(order); // oldest first
        order.sort(Comparator.comparing(d -> "workflow_run".equals(Json.text(d, "event")) ? 0 : 1)); // runs before their jobs
        int room = Math.min(PER_ROUND, state.room(clock.instant()));
        int asked = 0;
        for (JsonNode d : order) {
            if (asked == room) break;
            String guid = Json.text(d, "guid");
            try {
                client.send("POST", deliveriesPath + "/" + d.path("id").asLong() + "/attempts", null);
            } catch (GitHubApiException e) {
                // Only an answer about this delivery writes it off; any other (a token refused, a limit, GitHub's
                // trouble) leaves it and the rest for the next round.
                if (!DELIVERY_REFUSED.contains(e.status())) throw e;
                log.accept("warning: " + name() + ": GitHub would not redeliver " + guid + " (" + e.getMessage()
                        + "); not asking again");
            }
            state.asked.put(guid, clock.instant());
            state.write(stateDir.resolve(STATE_FILE)); // at once: a restart must not ask for it again
            asked++;
        }
        if (asked == order.size()) state.checkedUntil = started; // everything up to the round's start was seen to
        state.forgetBefore(started.minus(REMEMBER));
        state.write(stateDir.resolve(STATE_FILE));
        return asked;
    }

    /** A round's failed deliveries, newest first, and GitHub's time when it listed them (ours when it did not say). */
    private record Failed(List<JsonNode> deliveries, Instant listedAt) {}

    /** The failed deliveries delivered at or after {@code horizon} (all of them for null), newest first. */
    private Failed failedSince(Instant horizon) {
        List<JsonNode> failed = new ArrayList<>();
        Instant listedAt = null;
        String url = deliveriesPath + "?per_page=100&status=failure";
        while (url != null) {
            GitHubClient.Reply page = client.send("GET", url, null);
            if (listedAt == null) listedAt = serverTime(page.header("Date"));
            boolean older = false;
            for (JsonNode d : page.body()) {
                Instant at = instant(Json.text(d, "delivered_at"));
                if (horizon != null && at != null && at.isBefore(horizon)) {
                    older = true; // newest first: the rest is older still
                    break;
                }
                failed.add(d);
            }
            url = older ? null : GitHubClient.nextLink(page.header("Link"));
        }
        return new Failed(failed, listedAt);
    }

    private Instant serverTime(String date) {
        try {
            return date == null ? clock.instant() : ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return clock.instant();
        }
    }

    private static Instant instant(String text) {
        try {
            return text == null ? null : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** {@code redeliveries.json}: {@code {"checked_until": time, "asked": {guid: time}}}. */
    static final class State {
        Instant checkedUntil;
        final Map<String, Instant> asked = new LinkedHashMap<>();

        static State read(Path file) throws IOException {
            State s = new State();
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                return s; // a first run
            }
            JsonNode node = Json.parse(bytes, file.toString());
            s.checkedUntil = instant(Json.text(node, "checked_until"));
            node.path("asked").properties().forEach(e -> {
                Instant at = instant(e.getValue().asText());
                if (at != null) s.asked.put(e.getKey(), at);
            });
            return s;
        }

        /**
         * How many more redeliveries may be asked for now: GitHub's secondary rate limit allows 80 requests that
         * create content a minute and 500 an hour, and the token may be doing other work; we keep below.
         */
        int room(Instant now) {
            long lastMinute = asked.values().stream().filter(at -> at.isAfter(now.minus(Duration.ofMinutes(1)))).count();
            long lastHour = asked.values().stream().filter(at -> at.isAfter(now.minus(Duration.ofHours(1)))).count();
            return (int) Math.max(0, Math.min(PER_MINUTE - lastMinute, PER_HOUR - lastHour));
        }

        void forgetBefore(Instant cutoff) {
            asked.values().removeIf(at -> at.isBefore(cutoff));
        }

        void write(Path file) throws IOException {
            ObjectNode node = Json.object();
            if (checkedUntil == null) node.putNull("checked_until");
            else node.put("checked_until", checkedUntil.toString());
            ObjectNode a = node.putObject("asked");
            asked.forEach((guid, at) -> a.put(guid, at.toString()));
            SafeFiles.writeAtomically(file, Json.pretty(node));
        }
    }
}
