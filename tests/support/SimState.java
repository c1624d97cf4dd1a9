import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the simulated repository holds (workflows, hooks, runs, deliveries), the knobs and faults tests set,
 * and the primary rate limit. Shared by the simulator's parts; the maps and counters are guarded by {@code lock}.
 */
final class SimState {
    /** A workflow file. Mutable state so tests can disable it. */
    static final class Workflow {
        final long id;
        final String name;
        final String path;
        final List<String> inputs;
        final List<String> requiredInputs;
        final String runNameTemplate;
        final boolean dispatchable;
        volatile String state = "active";
        final AtomicInteger runNumbers = new AtomicInteger();
        final Instant createdAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);

        Workflow(long id, String name, String fileName, List<String> inputs, List<String> requiredInputs,
                String runNameTemplate, boolean dispatchable) {
            this.id = id;
            this.name = name;
            this.path = ".github/workflows/" + fileName;
            this.inputs = List.copyOf(inputs);
            this.requiredInputs = List.copyOf(requiredInputs);
            this.runNameTemplate = runNameTemplate;
            this.dispatchable = dispatchable;
        }

        String fileName() {
            return path.substring(path.lastIndexOf('/') + 1);
        }

        Workflow state(String s) {
            state = s;
            return this;
        }
    }

    /** A repository: the simulated one or another of its organisation's. */
    record Repo(String owner, String name, long id) {
        String fullName() {
            return owner + "/" + name;
        }
    }

    static final class Hook {
        final long id;
        /** An organisation hook (/orgs/{org}/hooks), else a repository hook. */
        final boolean org;
        volatile boolean active;
        volatile List<String> events;
        volatile String url;
        volatile String contentType;
        volatile String secret;
        volatile String insecureSsl;
        final Instant createdAt = Instant.now();
        volatile Instant updatedAt = createdAt;
        volatile ObjectNode lastResponse = SimJson.lastResponse(null, "unused", null);

        Hook(long id) {
            this(id, false);
        }

        Hook(long id, boolean org) {
            this.id = id;
            this.org = org;
        }

        boolean subscribes(String event) {
            return active && (events.contains(event) || events.contains("*"));
        }
    }

    static final class Run {
        final long id;
        final Workflow workflow;
        final int runNumber;
        final String displayTitle;
        final String headBranch;
        final String headSha;
        final Map<String, String> inputs;
        final Instant createdAt = Instant.now();
        volatile Instant updatedAt = createdAt;
        volatile Instant startedAt = createdAt;
        volatile String status = "queued";
        volatile String conclusion;
        /** Grows with each re-run; jobs, phases and deliveries belong to one attempt. */
        volatile int attempt = 1;
        /** The newest attempt's jobs; {@link #allJobs} also those of earlier attempts. */
        volatile List<Job> jobs = List.of();
        final List<Job> allJobs = new CopyOnWriteArrayList<>();
        volatile Instant completedAt;
        /** System.nanoTime() when the newest attempt completed (for measuring how soon a follower noticed). */
        volatile long completedNanos;

        /** Another repository of the organisation; null for the simulated repository itself. */
        final Repo repo;

        Run(long id, Workflow workflow, int runNumber, String displayTitle, String headBranch, String headSha,
                Map<String, String> inputs) {
            this(id, workflow, runNumber, displayTitle, headBranch, headSha, inputs, null);
        }

        Run(long id, Workflow workflow, int runNumber, String displayTitle, String headBranch, String headSha,
                Map<String, String> inputs, Repo repo) {
            this.repo = repo;
            this.id = id;
            this.workflow = workflow;
            this.runNumber = runNumber;
            this.displayTitle = displayTitle;
            this.headBranch = headBranch;
            this.headSha = headSha;
            this.inputs = inputs;
        }
    }

    /**
     * What a job of every run looks like: its name, its steps, the step that fails when the attempt
     * concludes failure (null: none of its own), and its log lines (null: generated from the steps).
     */
    record JobSpec(String name, List<String> steps, String failingStep, List<String> log) {
        static JobSpec of(String name, String... steps) {
            return new JobSpec(name, List.of(steps), null, null);
        }

        JobSpec failingAt(String step) {
            if (!steps.contains(step)) throw new IllegalArgumentException("no step '" + step + "' in job " + name);
            return new JobSpec(name, steps, step, log);
        }

        JobSpec log(String... lines) {
            return new JobSpec(name, steps, failingStep, List.of(lines));
        }
    }

    /** One job of one attempt of a run. */
    record Job(long id, JobSpec spec, int attempt) {}

    /** One delivery attempt, as GitHub's deliveries API shows it; {@code repositoryId} null for an organisation's ping. */
    record Delivery(long id, String guid, long hookId, String event, String action, boolean redelivery, byte[] payload,
            SimHookshot.Attempt attempt, Long repositoryId) {
        int statusCode() {
            return attempt.statusCode();
        }

        String status() {
            return attempt.status();
        }

        String header(String name) {
            return attempt.requestHeaders().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
        }
    }

    /**
     * One request: "METHOD /path?query", its headers, when it arrived (System.nanoTime, for measuring
     * pauses) and the status it was answered with.
     */
    record Request(String line, Map<String, String> headers, long atNanos, int status) {
        String header(String name) {
            return headers.get(name);
        }
    }

    final GitHubSimulator.Config config;
    final Object lock = new Object();
    final String headSha;

    final Map<Long, Workflow> workflows = new LinkedHashMap<>();
    final Map<Long, Hook> hooks = new LinkedHashMap<>();
    final Map<Long, Run> runs = new LinkedHashMap<>();
    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    final Map<Long, List<Runnable>> heldDeliveries = new ConcurrentHashMap<>();
    final List<String> requestLog = new CopyOnWriteArrayList<>();
    /** The requests the log download server answered (another origin: it must never see the token). */
    final List<Request> logRequests = new CopyOnWriteArrayList<>();
    /** The answered requests with headers (names case-insensitive, first value), arrival time and status. */
    final List<Request> requestDetails = new CopyOnWriteArrayList<>();
    long nextHookId = 500_000_001L;
    long nextRunId = 16_000_000_001L;
    long nextJobId = 45_000_000_001L;
    long nextDeliveryId = 90_000_000_001L;
    long nextWorkflowId = 1002;

    // Knobs, changeable at any time.
    volatile Duration queuedFor = Duration.ofMillis(30);
    volatile Duration inProgressFor = Duration.ofMillis(30);
    volatile String conclusion = "success";
    /** Conclusions by attempt (the first for attempt 1, ...); attempts beyond the list conclude {@link #conclusion}. */
    volatile List<String> attemptConclusions = List.of();
    /** Completions still to be followed at once by a re-run (in the same instant, so no answer shows them completed). */
    final AtomicInteger rerunsOnCompletion = new AtomicInteger();
    volatile List<JobSpec> jobSpecs = List.of(JobSpec.of("dispatch", "Set up job", "Show the correlation id", "Complete job"));
    volatile Duration visibilityDelay = Duration.ZERO;
    volatile Duration deliveryDelay = Duration.ZERO;
    volatile Duration deliveryTimeout = Duration.ofSeconds(10);
    volatile boolean duplicateDeliveries;
    volatile boolean reorderDeliveries;
    volatile boolean emptyRunName;
    volatile Duration slowAnswers = Duration.ZERO;
    final AtomicInteger failNext = new AtomicInteger();
    volatile int failStatus = 502;
    final AtomicInteger secondaryLimitNext = new AtomicInteger();
    volatile Integer secondaryRetryAfter;
    /** How far the server's clock (its Date header and rate-limit window) is ahead of the local one. */
    volatile Duration clockSkew = Duration.ZERO;

    // Primary rate limit.
    final int rateLimit = 5000;
    int rateUsed;
    Instant rateReset = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);

    /** The conclusion attempt {@code n} (from 1) of a run will have. */
    String conclusionFor(int attempt) {
        List<String> list = attemptConclusions;
        return attempt <= list.size() ? list.get(attempt - 1) : conclusion;
    }

    /** The server's clock: the local one plus {@link #clockSkew}. Run and hook timestamps stay unskewed. */
    Instant now() {
        return Instant.now().plus(clockSkew);
    }

    SimState(GitHubSimulator.Config config) {
        this.config = config;
        this.headSha = HexFormat.of().formatHex(GitHubSimulator.sha256(("sim-" + config.name).getBytes(StandardCharsets.UTF_8)))
                .substring(0, 40);
        if (config.withDefaultWorkflow) {
            workflows.put(1001L, new Workflow(1001, "Dispatch Webhook", "dispatch-webhook.yml",
                    List.of("correlation_id", "webhook_url"), List.of(),
                    "Dispatch Webhook (${{ inputs.correlation_id }})", true));
        }
    }

    /** The simulated repository. */
    Repo mainRepo() {
        return new Repo(config.owner, config.name, config.repoId);
    }

    /** A run's repository. */
    Repo repoOf(Run run) {
        return run.repo != null ? run.repo : mainRepo();
    }

    /** Another repository of the organisation by OWNER/NAME (ids follow the main one's), or null. */
    Repo otherRepo(String fullName) {
        for (int i = 0; i < config.otherRepos.size(); i++) {
            Repo r = new Repo(config.owner, config.otherRepos.get(i), config.repoId + 1 + i);
            if (r.fullName().equalsIgnoreCase(fullName)) return r;
        }
        return null;
    }

    /** Resets the window once its reset time has passed, as GitHub's hourly window does. */
    void refreshRateWindow() {
        if (now().isAfter(rateReset)) {
            rateUsed = 0;
            rateReset = now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        }
    }
}
