package lib.sources;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lib.github.GitHubApiException;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.hooks.HookState;
import lib.hooks.Hooks;
import lib.util.BadInputException;
import lib.util.Json;
import lib.util.RecentSet;
import lib.util.Sleeper;
import lib.webhook.Headers;
import lib.webhook.WebhookDelivery;

/**
 * Deliveries of the registered hook ({@code .webhook/active-hook.json}) read back through GitHub's
 * deliveries API, so events reach us even when nobody could reach the hook's URL: a repository hook's
 * under {@code /repos/OWNER/NAME/hooks/ID/deliveries}, an organisation hook's (every repository of the
 * organisation) under {@code /orgs/ORG/hooks/ID/deliveries}. The API returns the payload parsed, not
 * the signed bytes, so these deliveries are ingested as trusted ("verified_by": "github-api": they came
 * over an authenticated API call).
 */
public final class GitHubDeliveriesSource implements DeliverySource {
    /**
     * A poll lists (one request) and fetches each new delivery (one request each). The list is a conditional
     * GET, free when nothing changed (304); when deliveries keep arriving, every 10 s is 360 list requests an
     * hour plus the fetches, inside GITHUB_TOKEN's 1,000 an hour for a run's usual handful of deliveries.
     */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    public static final String TRUSTED_BY = "github-api";
    private static final Set<String> WANTED = Set.of("workflow_run", "workflow_job");
    /**
     * How many delivery ids (and GUIDs) a source remembers. A poll lists back to the newest id it handed over and
     * stops there, so only the latest ids matter; they are added oldest first, so a first poll that lists more (all
     * GitHub keeps, 3 days) still remembers the newest. A later poll lists an interval's deliveries: 10,000 in 10 s
     * is a thousand a second. A GUID forgotten lets a redelivery of an old delivery be handed over again, which the
     * store takes as a duplicate (the same delivery id).
     */
    private static final int REMEMBERED = 10_000;

    private final GitHubClient client;
    private final Hooks hooks;
    private final String listPath;
    private final Duration interval;
    private final int pageSize;
    private final RecentSet<Long> seenIds;
    private final RecentSet<String> seenGuids;
    /** Deliveries made before this are neither listed further nor fetched; null: all GitHub keeps. */
    private Instant since;
    /** How far the runs folder caught up (null: not kept); listing stops there too. */
    private CatchUpMark mark;
    /** The newest delivery id handed over (or passed over as unwanted) by this source. */
    private long handedThrough;

    /** A hook of the client's repository. */
    public GitHubDeliveriesSource(GitHubClient client, long hookId, Duration interval) {
        this(client, hookId, interval, 100);
    }

    /** A hook of the client's repository; {@code pageSize}: deliveries per list page (GitHub allows up to 100). */
    public GitHubDeliveriesSource(GitHubClient client, long hookId, Duration interval, int pageSize) {
        this(Hooks.ofRepo(client), hookId, interval, pageSize);
    }

    /** A hook of a repository or an organisation. */
    public GitHubDeliveriesSource(Hooks hooks, long hookId, Duration interval, int pageSize) {
        this(hooks, hookId, interval, pageSize, REMEMBERED);
    }

    /** As above, remembering the latest {@code remembered} delivery ids and GUIDs (tests use a few). */
    public GitHubDeliveriesSource(Hooks hooks, long hookId, Duration interval, int pageSize, int remembered) {
        this.client = hooks.client();
        this.hooks = hooks;
        this.listPath = hooks.deliveriesPath(hookId);
        this.interval = interval;
        this.pageSize = pageSize;
        this.seenIds = new RecentSet<>(remembered);
        this.seenGuids = new RecentSet<>(remembered);
    }

    /** The hook from {@code stateDir} (a repository's or an organisation's), the token from the environment (or gh). */
    public static GitHubDeliveriesSource fromState(Path stateDir, Map<String, String> env, Duration interval,
            PrintWriter verboseLog) {
        HookState hook = HookState.read(stateDir).orElseThrow(() -> new BadInputException(
                "no registered hook: " + HookState.file(stateDir) + " is missing (run manage-actions-webhook register)"));
        String[] token = GitHubContext.resolveToken(hook.apiUrl(), env);
        GitHubContext context = hook.scope().isOrg() ? GitHubContext.withoutRepo(hook.apiUrl(), token[0], token[1])
                : new GitHubContext(hook.apiUrl(), hook.repo(), token[0], token[1]);
        GitHubClient client = new GitHubClient(context, GitHubClient.Policy.defaults(), Sleeper.REAL, verboseLog);
        return new GitHubDeliveriesSource(new Hooks(client, hook.scope()), hook.id(), interval, 100);
    }

    /**
     * Lists and fetches only deliveries made from {@code since} on (null: all GitHub keeps, 3 days): a wait for one
     * dispatch needs none from before it, and an organisation's hook may hold thousands, each one request to fetch.
     */
    public GitHubDeliveriesSource since(Instant since) {
        this.since = since;
        return this;
    }

    /**
     * Keeps how far {@code runsDir} caught up with this hook ({@link CatchUpMark}), so that a restart lists back to
     * there, not through all GitHub keeps. A source with {@link #since} reads the mark but never moves it: it
     * passes over older deliveries without storing them.
     */
    public GitHubDeliveriesSource keepsProgressIn(Path runsDir, Clock clock) {
        this.mark = new CatchUpMark(runsDir, client.context().apiUrl() + listPath, clock);
        return this;
    }

    @Override
    public void allStored() throws IOException {
        if (mark != null && since == null) mark.advance(handedThrough);
    }

    @Override
    public String name() {
        return "github";
    }

    @Override
    public Duration interval() {
        return interval;
    }

    @Override
    public List<WebhookDelivery> poll() {
        List<JsonNode> fresh = new ArrayList<>();
        String first = listPath + "?per_page=" + pageSize;
        String url = first;
        while (url != null) {
            // The first page's URL never changes: unchanged, it is a 304 that costs no quota.
            GitHubClient.Reply page;
            try {
                page = url.equals(first) ? client.getConditional(url) : client.send("GET", url, null);
            } catch (GitHubApiException e) {
                throw hooks.explainNotFound(e, false); // an organisation's 404 may mean the token lacks admin:org_hook
            }
            boolean reachedSeen = false;
            for (JsonNode item : page.body()) {
                long id = item.path("id").asLong();
                if (seenIds.contains(id) || madeBefore(item, since) || mark != null && id <= mark.storedThrough()) {
                    reachedSeen = true; // newest first: everything after this was listed before, or is older still
                    break;
                }
                fresh.add(item);
            }
            url = reachedSeen ? null : GitHubClient.nextLink(page.header("Link"));
        }
        Collections.reverse(fresh); // oldest first, so a run is stored before its jobs
        List<WebhookDelivery> deliveries = new ArrayList<>();
        for (JsonNode item : fresh) {
            Optional<WebhookDelivery> delivery;
            try {
                delivery = fetch(item);
            } catch (RuntimeException e) {
                if (deliveries.isEmpty()) throw e;
                break; // hand over what we have; this one and the later ones are fetched again next poll
            }
            delivery.ifPresent(deliveries::add);
            seenIds.add(item.path("id").asLong()); // only once handed over
            handedThrough = Math.max(handedThrough, item.path("id").asLong());
        }
        return deliveries;
    }

    private static boolean madeBefore(JsonNode item, Instant since) {
        if (since == null) return false;
        try {
            return Instant.parse(Json.text(item, "delivered_at")).isBefore(since);
        } catch (RuntimeException unreadable) {
            return false; // no or an odd time: fetched, as without a bound
        }
    }

    private Optional<WebhookDelivery> fetch(JsonNode item) {
        String guid = Json.text(item, "guid");
        // Redeliveries repeat the GUID; one copy is enough.
        if (!WANTED.contains(Json.text(item, "event")) || guid == null || seenGuids.contains(guid)) return Optional.empty();
        JsonNode request = client.get(listPath + "/" + item.path("id").asLong()).path("request");
        seenGuids.add(guid);
        if (!request.path("payload").isObject()) return Optional.empty();
        Headers headers = request.path("headers").isObject()
                ? Headers.parse(Json.compact(request.get("headers")).getBytes(StandardCharsets.UTF_8))
                : new Headers();
        headers.set(Headers.DELIVERY, guid).set(Headers.EVENT, Json.text(item, "event"));
        // The payload is re-serialised JSON whatever content type the hook used.
        headers.set(Headers.CONTENT_TYPE, "application/json");
        byte[] body = Json.compact(request.get("payload")).getBytes(StandardCharsets.UTF_8);
        return Optional.of(new WebhookDelivery(body, headers));
    }

    /** How many delivery ids, or GUIDs, it remembers: at most {@code remembered}. */
    public int remembered() {
        return Math.max(seenIds.size(), seenGuids.size());
    }

    /** The client this source lists with (its hook's API URL and token). */
    public GitHubClient client() {
        return client;
    }

    /** The hook's {@code .../hooks/{id}/deliveries} path. */
    public String deliveriesPath() {
        return listPath;
    }
}
