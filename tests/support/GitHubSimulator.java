import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A stateful GitHub on loopback: repository, hooks, deliveries, workflows, dispatches and runs,
 * answering with GitHub's status codes, error bodies, rate-limit headers, Link pagination and ETags,
 * and POSTing signed workflow_run / workflow_job deliveries to registered hooks. Faults on demand.
 * The repository's owner is an organisation with organisation hooks ({@code /orgs/{owner}/hooks}), which
 * also receive the runs of the organisation's other repositories ({@link #startRunIn}).
 * No JUnit here: the offline sandbox reuses it.
 *
 * <p>Choice where GitHub is vague: dispatching a disabled workflow answers
 * 422 "Cannot trigger a 'workflow_dispatch' on a disabled workflow".
 */
final class GitHubSimulator implements AutoCloseable {
    static final String DOCS = "https://docs.github.com/rest";
    static final String MASK = "********";
    static final String SECONDARY_LIMIT_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes"
            + " before you try again. If you reach out to GitHub Support for help, please include the request ID sim.";

    /** Start-time configuration. */
    static final class Config {
        String token = "sim-token";
        String owner = "octo-org";
        String name = "octo-repo";
        long repoId = 4242;
        String defaultBranch = "main";
        List<String> branches = new ArrayList<>(List.of("main"));
        List<String> tags = new ArrayList<>();
        String enterpriseVersion;
        boolean withDefaultWorkflow = true;
        boolean skewableClock;
        long orgId = 9919;
        /** The organisation's other repositories (names under {@link #owner}), whose runs only organisation hooks see. */
        List<String> otherRepos = new ArrayList<>(List.of("octo-api", "octo-web"));
        /** False: the token lacks admin:org_hook, and every /orgs/{org}/hooks request answers 404 as GitHub does. */
        volatile boolean orgHookAccess = true;

        static Config defaults() {
            return new Config();
        }

        Config token(String t) { token = t; return this; }
        Config repo(String o, String n, long id) { owner = o; name = n; repoId = id; return this; }
        Config branches(String defaultBranch, String... others) {
            this.defaultBranch = defaultBranch;
            branches = new ArrayList<>(List.of(defaultBranch));
            branches.addAll(List.of(others));
            return this;
        }
        Config tags(String... t) { tags = new ArrayList<>(List.of(t)); return this; }
        /** GHES mode: API under /api/v3 and X-GitHub-Enterprise-Version; below 3.21 rejects return_run_details. */
        Config enterprise(String version) { enterpriseVersion = version; return this; }
        Config withoutDefaultWorkflow() { withDefaultWorkflow = false; return this; }
        /** Serves through {@link SimDateFront} so that {@link GitHubSimulator#clockSkew} shows in the Date header. */
        Config skewableClock() { skewableClock = true; return this; }
        /** The token has no admin:org_hook scope: GitHub answers 404 (not 403) on the organisation's hooks. */
        Config withoutOrgHookScope() { orgHookAccess = false; return this; }
    }

    private final Config config;
    private final HttpServer server;
    private final ExecutorService httpThreads = Executors.newCachedThreadPool(daemon("sim-http"));
    private final ExecutorService hookshotThread = Executors.newSingleThreadExecutor(daemon("sim-hookshot"));
    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(daemon("sim-runs"));
    private final SimState state;
    private final SimDateFront dateFront;
    private final SimLogServer logServer;
    private final SimRunLifecycle runLifecycle;

    private GitHubSimulator(Config config) throws IOException {
        this.config = config;
        this.state = new SimState(config);
        SimJson json = new SimJson(this, state);
        logServer = new SimLogServer(state, json, httpThreads);
        SimWebhooks webhooks = new SimWebhooks(state, json, hookshotThread);
        runLifecycle = new SimRunLifecycle(state, webhooks, clock);
        SimHttp http = new SimHttp(this, state, json, new SimHooksApi(this, state, json, webhooks),
                new SimActionsApi(this, state, json, runLifecycle));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", http::handle);
        server.setExecutor(httpThreads);
        server.start();
        dateFront = config.skewableClock ? new SimDateFront(server.getAddress().getPort(), state::now) : null;
    }

    static GitHubSimulator start() throws IOException {
        return start(Config.defaults());
    }

    static GitHubSimulator start(Config config) throws IOException {
        return new GitHubSimulator(config);
    }

    @Override
    public void close() {
        if (dateFront != null) dateFront.close();
        server.stop(0);
        logServer.close();
        clock.shutdownNow();
        hookshotThread.shutdownNow();
        httpThreads.shutdownNow();
    }

    // ---------------------------------------------------------------- addresses and config

    int port() {
        return dateFront != null ? dateFront.port() : server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:PORT}, plus {@code /api/v3} in GHES mode. */
    String apiUrl() {
        return "http://127.0.0.1:" + port() + prefix();
    }

    /** Where html_url links point: https://github.com, or the simulator itself in GHES mode. */
    String webUrl() {
        return config.enterpriseVersion == null ? "https://github.com" : "http://127.0.0.1:" + port();
    }

    String token() {
        return config.token;
    }

    String repo() {
        return config.owner + "/" + config.name;
    }

    long repoId() {
        return config.repoId;
    }

    String prefix() {
        return config.enterpriseVersion == null ? "" : "/api/v3";
    }

    String repoPrefix() {
        return "/repos/" + repo();
    }

    /** The organisation that owns the repository. */
    String org() {
        return config.owner;
    }

    /** OWNER/NAME of the organisation's other repositories. */
    List<String> otherRepos() {
        return config.otherRepos.stream().map(n -> config.owner + "/" + n).toList();
    }

    /** Adds a workflow; give {@code dispatchable=false} for one without a workflow_dispatch trigger. */
    SimState.Workflow addWorkflow(String name, String fileName, List<String> inputs, String runNameTemplate, boolean dispatchable) {
        synchronized (state.lock) {
            SimState.Workflow w = new SimState.Workflow(state.nextWorkflowId++, name, fileName, inputs, List.of(), runNameTemplate, dispatchable);
            state.workflows.put(w.id, w);
            return w;
        }
    }

    SimState.Workflow addWorkflow(SimState.Workflow w) {
        synchronized (state.lock) {
            state.workflows.put(w.id, w);
            return w;
        }
    }

    SimState.Workflow workflow(long id) {
        synchronized (state.lock) {
            return state.workflows.get(id);
        }
    }

    // ---------------------------------------------------------------- knobs

    /** How long a run stays queued, then in progress. */
    GitHubSimulator phaseDelays(Duration queued, Duration inProgress) {
        state.queuedFor = queued;
        state.inProgressFor = inProgress;
        return this;
    }

    GitHubSimulator conclusion(String c) {
        state.conclusion = c;
        return this;
    }

    /** The conclusion of each attempt in turn (the first for attempt 1); later attempts conclude as {@link #conclusion}. */
    GitHubSimulator conclusions(String... perAttempt) {
        state.attemptConclusions = List.of(perAttempt);
        return this;
    }

    /** The jobs every new attempt gets (default: one job "dispatch" with three steps). */
    GitHubSimulator jobs(SimState.JobSpec... specs) {
        state.jobSpecs = List.of(specs);
        return this;
    }

    /** The next {@code n} completions are each followed, in the same instant, by a re-run (a new attempt). */
    GitHubSimulator rerunOnCompletion(int n) {
        state.rerunsOnCompletion.set(n);
        return this;
    }

    /**
     * Moves a run on by one phase now (queued to in_progress, in_progress to completed), as its clock would.
     * Tests that must see every phase hold runs with long {@link #phaseDelays} and step them with this.
     */
    SimState.Run advance(long runId) {
        synchronized (state.lock) {
            SimState.Run run = state.runs.get(runId);
            runLifecycle.advanceNow(run);
            return run;
        }
    }

    /** How long a new run stays out of the runs list (real GitHub lags); GET by id sees it at once. */
    GitHubSimulator visibilityDelay(Duration d) {
        state.visibilityDelay = d;
        return this;
    }

    GitHubSimulator deliveryDelay(Duration d) {
        state.deliveryDelay = d;
        return this;
    }

    GitHubSimulator deliveryTimeout(Duration d) {
        state.deliveryTimeout = d;
        return this;
    }

    /** Whether the token has admin:org_hook; without it the organisation's hooks answer 404 (changeable at any time). */
    GitHubSimulator orgHookScope(boolean granted) {
        config.orgHookAccess = granted;
        return this;
    }

    /** Sends every delivery twice with the same GUID. */
    GitHubSimulator duplicateDeliveries(boolean on) {
        state.duplicateDeliveries = on;
        return this;
    }

    /** Holds a run's deliveries until it completes, then sends them newest first. */
    GitHubSimulator reorderDeliveries(boolean on) {
        state.reorderDeliveries = on;
        return this;
    }

    /** Real GitHub sometimes delivers {@code workflow_run.name} as an empty string. */
    GitHubSimulator emptyRunName(boolean on) {
        state.emptyRunName = on;
        return this;
    }

    GitHubSimulator slowAnswers(Duration d) {
        state.slowAnswers = d;
        return this;
    }

    /** The next {@code n} requests answer {@code status} (e.g. 502) whatever they ask. */
    GitHubSimulator failNext(int n, int status) {
        state.failStatus = status;
        state.failNext.set(n);
        return this;
    }

    /** Uses up the primary rate limit until {@code resetIn} from now: 403 with x-ratelimit-remaining 0. */
    GitHubSimulator exhaustRateLimit(Duration resetIn) {
        synchronized (state.lock) {
            state.rateUsed = state.rateLimit;
            state.rateReset = state.now().plus(resetIn).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        }
        return this;
    }

    /** The next {@code n} requests hit the secondary limit: 403, with Retry-After when given. */
    GitHubSimulator secondaryRateLimit(int n, Integer retryAfterSeconds) {
        state.secondaryRetryAfter = retryAfterSeconds;
        state.secondaryLimitNext.set(n);
        return this;
    }

    /** Needs {@link Config#skewableClock()}. Sets the server's clock ahead of the local one (negative: behind): its Date header and rate-limit window. */
    GitHubSimulator clockSkew(Duration skew) {
        // The JDK server stamps every answer with the local time; only the front can show another clock.
        if (dateFront == null) throw new IllegalStateException("start the simulator with Config.skewableClock()");
        state.clockSkew = skew;
        return this;
    }

    Duration clockSkew() {
        return state.clockSkew;
    }

    // ---------------------------------------------------------------- observability

    /** Every request answered (in the order answered), with its headers, arrival time and status. */
    List<SimState.Request> requestDetails() {
        return List.copyOf(state.requestDetails);
    }

    /** The headers of the last request answered (names case-insensitive). */
    java.util.Map<String, String> lastRequestHeaders() {
        List<SimState.Request> all = state.requestDetails;
        if (all.isEmpty()) throw new IllegalStateException("no request received yet");
        return all.get(all.size() - 1).headers();
    }

    /** Every request received, as "METHOD /path?query" (path as sent, prefix included). */
    List<String> requests() {
        return List.copyOf(state.requestLog);
    }

    /** Requests whose method and path (without query and without the GHES prefix) match. */
    long requestCount(String method, String path) {
        return state.requestLog.stream().filter(r -> matches(r, method, path)).count();
    }

    /** The answered requests whose method and path (as for {@link #requestCount}) match. */
    List<SimState.Request> requestDetails(String method, String path) {
        return state.requestDetails.stream().filter(r -> matches(r.line(), method, path)).toList();
    }

    private boolean matches(String line, String method, String path) {
        String[] parts = line.split(" ", 2);
        String p = parts[1].split("\\?", 2)[0];
        if (!prefix().isEmpty() && p.startsWith(prefix())) p = p.substring(prefix().length());
        return parts[0].equals(method) && p.equals(path);
    }

    /** The requests the log download server (another origin) answered, with their headers. */
    List<SimState.Request> logRequests() {
        return List.copyOf(state.logRequests);
    }

    SimLogServer logServer() {
        return logServer;
    }

    /** The run with this id (null when none). */
    SimState.Run run(long runId) {
        synchronized (state.lock) {
            return state.runs.get(runId);
        }
    }

    int rateLimitRemaining() {
        synchronized (state.lock) {
            state.refreshRateWindow();
            return state.rateLimit - state.rateUsed;
        }
    }

    List<SimState.Delivery> deliveries() {
        return List.copyOf(state.deliveries);
    }

    List<SimState.Run> runs() {
        synchronized (state.lock) {
            return List.copyOf(state.runs.values());
        }
    }

    /** The repository's hooks. */
    List<SimState.Hook> hooks() {
        synchronized (state.lock) {
            return state.hooks.values().stream().filter(h -> !h.org).toList();
        }
    }

    /** The organisation's hooks. */
    List<SimState.Hook> orgHooks() {
        synchronized (state.lock) {
            return state.hooks.values().stream().filter(h -> h.org).toList();
        }
    }

    /**
     * Starts a run in another repository of the organisation ({@code repo} is OWNER/NAME, one of {@link #otherRepos}),
     * as someone else's push or schedule would: it goes through the usual phases, and its workflow_run and workflow_job
     * deliveries go to the organisation's hooks only. {@code displayTitle} may hold a correlation id or not.
     */
    SimState.Run startRunIn(String repo, String workflowName, String displayTitle) {
        SimState.Repo where = state.otherRepo(repo);
        if (where == null) throw new IllegalArgumentException(repo + " is not one of " + otherRepos());
        synchronized (state.lock) {
            SimState.Workflow w = new SimState.Workflow(state.nextWorkflowId++, workflowName,
                    workflowName.toLowerCase().replaceAll("[^a-z0-9]+", "-") + ".yml", List.of(), List.of(), null, false);
            return runLifecycle.startRunIn(where, w, displayTitle);
        }
    }

    /** Waits until at least {@code n} delivery attempts matching {@code filter} were made; returns them. */
    List<SimState.Delivery> awaitDeliveries(int n, Predicate<SimState.Delivery> filter, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<SimState.Delivery> matching = state.deliveries.stream().filter(filter).toList();
            if (matching.size() >= n) return matching;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("expected " + n + " deliveries within " + timeout + ", saw "
                        + matching.size() + " of " + state.deliveries.size());
            }
            Thread.sleep(10);
        }
    }

    List<SimState.Delivery> awaitDeliveries(int n, Duration timeout) throws InterruptedException {
        return awaitDeliveries(n, d -> true, timeout);
    }

    /** Waits until the run reaches {@code status}. */
    SimState.Run awaitRun(long runId, String status, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            SimState.Run r;
            synchronized (state.lock) {
                r = state.runs.get(runId);
            }
            if (r != null && r.status.equals(status)) return r;
            Thread.sleep(10);
        }
        throw new IllegalStateException("run " + runId + " did not reach " + status + " within " + timeout);
    }

    // ---------------------------------------------------------------- helpers

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
