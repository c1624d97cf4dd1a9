///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**.java
//DESCRIPTION Register, inspect, test and remove the repository webhook that sends workflow_run events to WEBHOOK_URL.
//MAIN ManageActionsWebhook

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import lib.cli.Cli;
import lib.cli.CommandException;
import lib.cli.Durations;
import lib.cli.ExitCode;
import lib.cli.GitHubOptions;
import lib.cli.Output;
import lib.github.GitHubClient;
import lib.github.GitHubException;
import lib.hooks.HookState;
import lib.hooks.RepoHooks;
import lib.hooks.WebhookUrls;
import lib.util.Json;
import lib.webhook.Secret;
import lib.webhook.Secrets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "manage-actions-webhook", mixinStandardHelpOptions = true, version = "manage-actions-webhook 1.0.0",
        subcommands = {
            ManageActionsWebhook.Register.class, ManageActionsWebhook.Status.class, ManageActionsWebhook.Unregister.class,
            ManageActionsWebhook.Ping.class, ManageActionsWebhook.Deliveries.class, ManageActionsWebhook.Redeliver.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
            "0:success",
            "1:GitHub unreachable or answered with an error; hook gone; URL mismatch; failed ping delivery",
            "2:usage error or bad input (no URL, bad URL, nothing recorded, hook already recorded)",
            "124:timed out waiting for the ping's delivery"},
        description = {
            "Manages the repository webhook that sends workflow_run and workflow_job events (JSON, HMAC-signed) "
                + "to WEBHOOK_URL. The hook is recorded in <state-dir>/active-hook.json (never the secret); the "
                + "secret lives in <state-dir>/webhook-secret (mode 600). JSON on stdout, messages on stderr. "
                + "The token comes from GH_TOKEN, GITHUB_TOKEN (GHES also GH_ENTERPRISE_TOKEN) or 'gh auth token'.",
            ""})
class ManageActionsWebhook implements Callable<Integer> {
    static final String NAME = "manage-actions-webhook";
    /** How many recent deliveries redeliver searches for a GUID. */
    static final int GUID_SEARCH_LIMIT = 1000;
    private static final Pattern NUMERIC = Pattern.compile("\\d{1,19}");
    private static final Pattern GUID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,99}");

    Map<String, String> env = System.getenv();
    Path workDir = Path.of(".");
    GitHubClient.Policy policy = GitHubClient.Policy.defaults();
    GitHubClient.Sleeper sleeper = GitHubClient.Sleeper.REAL;
    Duration pollInterval = Duration.ofMillis(300);
    boolean stderrIsTerminal = System.console() != null;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        Cli.main(new ManageActionsWebhook(), args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        spec.commandLine().getErr().println("error: name a command: register, status, unregister, ping, deliveries or redeliver");
        return ExitCode.USAGE;
    }

    /** What every subcommand shares: GitHub options, the state folder, the writers and the GitHub client. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        ManageActionsWebhook parent;

        @Mixin
        GitHubOptions github;

        @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".webhook",
                description = "Webhook state folder: active-hook.json and webhook-secret (default: ${DEFAULT-VALUE}).")
        Path stateDir;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        Path stateDir() {
            return parent.workDir.resolve(stateDir).normalize();
        }

        Path stateFile() {
            return HookState.file(stateDir());
        }

        GitHubClient client(String repo, String apiUrl) {
            return github.client(repo, apiUrl, parent.env, parent.workDir, err(), parent.policy, parent.sleeper);
        }

        /** A client for the recorded hook: its repo and API URL unless --repo / --api-url say otherwise. */
        RepoHooks hooksOf(HookState state) {
            if (github.repo != null && !github.repo.strip().equalsIgnoreCase(state.repo())) {
                err().println("warning: --repo " + github.repo.strip() + " differs from the recorded repository "
                        + state.repo() + "; looking for hook " + state.id() + " in " + github.repo.strip());
            }
            return new RepoHooks(client(github.repo != null ? github.repo : state.repo(),
                    github.apiUrl != null ? github.apiUrl : state.apiUrl()));
        }

        HookState recorded() {
            return HookState.read(stateDir()).orElseThrow(() -> CommandException.usage("no hook recorded in "
                    + stateFile() + "; run '" + NAME + " register' first (or pass --state-dir)"));
        }

        void info(String message) {
            err().println(message);
            err().flush();
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Creates the repository webhook: name 'web', active, events workflow_run and workflow_job, "
                    + "content type json, TLS verification on, signed with the webhook secret. Records it in "
                    + "<state-dir>/active-hook.json and prints that record as JSON.",
                "Secret: --secret-file, else GITHUB_WEBHOOK_SECRET, else <state-dir>/webhook-secret, else a new "
                    + "random 64-hex secret stored there with mode 600 (back it up; it is never printed).",
                "Refuses when a hook is already recorded locally (exit 2) or GitHub already has a hook with this URL "
                    + "(exit 1), unless --force.",
                ""},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:registered",
                "1:GitHub unreachable or answered with an error (e.g. 422 Hook already exists)",
                "2:no or bad URL, unreadable secret file, a hook already recorded without --force"})
    static final class Register extends Sub {
        @Option(names = "--url", paramLabel = "URL", description = "Where GitHub delivers (default: WEBHOOK_URL).")
        String url;

        @Option(names = "--secret-file", paramLabel = "PATH",
                description = "File holding the webhook secret (else GITHUB_WEBHOOK_SECRET, else <state-dir>/webhook-secret).")
        Path secretFile;

        @Option(names = "--force", description = "Replace instead of refusing: delete the hook recorded in "
                + "active-hook.json on GitHub (if it is already gone, carry on), then delete every hook of the "
                + "repository whose URL equals the new URL (found by listing all hooks), then create the new hook "
                + "and record it. Hooks with other URLs and the secret file are left alone.")
        boolean force;

        @Override
        public Integer call() throws IOException {
            String source = url != null ? "--url" : "WEBHOOK_URL";
            URI target = WebhookUrls.requireHttp(url != null ? url : parent.env.get("WEBHOOK_URL"), source);
            String hookUrl = target.toString();
            Path state = stateDir();
            Optional<HookState> recorded = HookState.read(state);
            if (recorded.isPresent() && !force) {
                HookState r = recorded.get();
                throw CommandException.usage("a hook is already recorded in " + stateFile() + " (id " + r.id() + " on "
                        + r.repo() + ", delivering to " + r.url() + "); run '" + NAME + " unregister' first, or pass"
                        + " --force to delete it and register a new one");
            }
            if (WebhookUrls.isLocalOrPrivate(target)) {
                info("warning: " + target.getHost() + " is a loopback or private address: github.com refuses to"
                        + " deliver there (GHES and test servers may accept it); trying anyway");
            }
            GitHubClient gh = client(github.repo, github.apiUrl);
            RepoHooks hooks = new RepoHooks(gh);
            String repo = gh.context().repo();

            Secret secret = Secrets.resolveOrGenerate(resolve(secretFile), parent.env, state, this::info);
            String secretSource = secret.origin();

            List<Long> replaced = new ArrayList<>();
            if (force) {
                if (recorded.isPresent()) {
                    HookState r = recorded.get();
                    boolean sameTarget = r.repo().equalsIgnoreCase(repo) && r.apiUrl().equals(gh.context().apiUrl());
                    RepoHooks old = sameTarget ? hooks : new RepoHooks(client(r.repo(), r.apiUrl()));
                    if (old.delete(r.id())) {
                        replaced.add(r.id());
                        info("--force: deleted the recorded hook " + r.id() + " on " + r.repo());
                    } else {
                        info("--force: the recorded hook " + r.id() + " was already gone from " + r.repo());
                    }
                    HookState.delete(state);
                }
                for (JsonNode h : hooks.withUrl(hookUrl)) {
                    long id = h.path("id").asLong();
                    if (hooks.delete(id)) {
                        replaced.add(id);
                        info("--force: deleted hook " + id + " on " + repo + ", which also delivered to " + hookUrl);
                    }
                }
            }

            JsonNode created;
            try {
                created = hooks.create(hookUrl, secret, RepoHooks.EVENTS);
            } catch (GitHubException e) {
                if (e.status() == 422 && e.mentions("already exists")) {
                    throw new GitHubException(e.status(), e.body(), e.getMessage() + " - " + repo
                            + " already has a hook delivering to " + hookUrl
                            + "; pass --force to delete it and create a new one");
                }
                throw e;
            }
            HookState registered = HookState.fromHook(created, repo, gh.context().apiUrl(), secretSource);
            registered.write(state);

            ObjectNode result = registered.toJson();
            result.put("registered", true);
            result.put("secret_generated", secretSource.equals(Secrets.GENERATED));
            replaced.forEach(result.putArray("replaced")::add);
            Output.json(out(), result);
            info("registered hook " + registered.id() + " on " + repo + " (" + String.join(", ", registered.events())
                    + " -> " + hookUrl + "); recorded in " + stateFile());
            return ExitCode.OK;
        }

        private Path resolve(Path p) {
            return p == null ? null : parent.workDir.resolve(p).normalize();
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Fetches the recorded hook from GitHub and prints its configuration as JSON: id, url, events, "
                    + "active, content_type, secret_set, insecure_ssl, last_response. When WEBHOOK_URL is set and "
                    + "the hook delivers elsewhere, says so and exits 1.",
                ""},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:the hook exists (and matches WEBHOOK_URL when set)",
                "1:GitHub error, the hook was deleted on GitHub, or its URL differs from WEBHOOK_URL",
                "2:no hook recorded"})
    static final class Status extends Sub {
        @Override
        public Integer call() {
            HookState state = recorded();
            RepoHooks hooks = hooksOf(state);
            JsonNode hook;
            try {
                hook = hooks.get(state.id());
            } catch (GitHubException e) {
                if (e.status() != 404) throw e;
                throw new GitHubException(404, e.body(), "hook " + state.id() + " recorded in " + stateFile()
                        + " no longer exists on " + hooks.client().context().repo() + " (deleted on GitHub, or the token"
                        + " from " + hooks.client().context().tokenOrigin() + " cannot see it); run '" + NAME
                        + " register --force' to create a new one, or '" + NAME + " unregister' to clear the record");
            }
            ObjectNode summary = RepoHooks.hookSummary(hook);
            summary.put("repo", hooks.client().context().repo());
            Output.json(out(), summary);

            String actual = Json.text(summary, "url");
            if (!summary.path("active").asBoolean()) info("warning: the hook is inactive: GitHub sends it nothing");
            if (state.url() != null && !state.url().equals(actual)) {
                info("warning: the hook now delivers to " + actual + ", not to the recorded " + state.url());
            }
            JsonNode last = summary.path("last_response");
            if ("failed".equals(Json.text(last, "status"))) {
                info("warning: the last delivery failed (" + Json.text(last, "message") + "); see '" + NAME
                        + " deliveries --failed'");
            }
            String expected = parent.env.get("WEBHOOK_URL");
            if (expected != null && !expected.isBlank() && !expected.strip().equals(actual)) {
                info("error: WEBHOOK_URL is " + expected.strip() + " but hook " + state.id() + " delivers to " + actual
                        + "; run '" + NAME + " register --force' to point a new hook at WEBHOOK_URL");
                return ExitCode.GITHUB;
            }
            info("hook " + state.id() + " on " + summary.path("repo").asText() + " is "
                    + (summary.path("active").asBoolean() ? "active" : "inactive") + " and delivers to " + actual);
            return ExitCode.OK;
        }
    }

    @Command(name = "unregister", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Deletes the recorded hook on GitHub and removes <state-dir>/active-hook.json. Keeps the secret "
                    + "file. Idempotent: nothing recorded, or a hook already gone from GitHub, is success.",
                ""},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:unregistered, already gone, or nothing recorded",
                "1:GitHub unreachable or answered with an error (the record is kept)"})
    static final class Unregister extends Sub {
        @Override
        public Integer call() throws IOException {
            Optional<HookState> recorded = HookState.read(stateDir());
            if (recorded.isEmpty()) {
                info("nothing to unregister: no hook recorded in " + stateFile());
                Output.json(out(), Json.object().put("unregistered", false).put("reason", "nothing recorded"));
                return ExitCode.OK;
            }
            HookState state = recorded.get();
            RepoHooks hooks = hooksOf(state);
            boolean deleted = hooks.delete(state.id());
            HookState.delete(stateDir());
            String repo = hooks.client().context().repo();
            info(deleted ? "deleted hook " + state.id() + " on " + repo
                    : "hook " + state.id() + " was already gone from " + repo);
            Path secret = Secrets.defaultFile(stateDir());
            boolean kept = Files.exists(secret);
            info("removed " + stateFile() + (kept ? "; kept the webhook secret in " + secret
                    + " (delete it yourself once nothing needs to verify old deliveries)" : ""));
            ObjectNode result = Json.object().put("unregistered", true).put("id", state.id()).put("repo", repo)
                    .put("already_gone", !deleted);
            result.put("secret_file_kept", kept ? secret.toString() : null);
            Output.json(out(), result);
            return ExitCode.OK;
        }
    }

    @Command(name = "ping", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Asks GitHub to send a ping to the recorded hook, waits for that ping's delivery to show up in the "
                    + "hook's deliveries, and prints its outcome as JSON: id, guid, status, status_code, delivered_at.",
                ""},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:the endpoint answered 2xx",
                "1:the delivery failed (e.g. 'failed to connect', a non-2xx answer) or a GitHub error",
                "2:no hook recorded",
                "124:the ping's delivery did not show up within --timeout"})
    static final class Ping extends Sub {
        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "15", converter = Durations.class,
                description = "How long to wait for the delivery to be recorded; 500ms, 30s, 5m work too (default: "
                        + "${DEFAULT-VALUE}; GitHub itself waits up to 10 s for the endpoint).")
        Duration timeout;

        @Override
        public Integer call() throws InterruptedException {
            HookState state = recorded();
            RepoHooks hooks = hooksOf(state);
            long newestBefore = hooks.deliveries(state.id(), 5, false).stream()
                    .mapToLong(d -> d.path("id").asLong()).max().orElse(0);
            hooks.ping(state.id());
            info("ping sent to hook " + state.id() + "; waiting up to " + timeout.toMillis() / 1000.0 + " s for its delivery");
            long deadline = System.nanoTime() + timeout.toNanos();
            JsonNode delivery;
            while (true) {
                delivery = hooks.deliveries(state.id(), 30, false).stream()
                        .filter(d -> "ping".equals(Json.text(d, "event")) && d.path("id").asLong() > newestBefore)
                        .reduce((newer, older) -> older) // the oldest new ping is ours
                        .orElse(null);
                if (delivery != null) break;
                if (System.nanoTime() > deadline) {
                    throw new CommandException(ExitCode.TIMEOUT, "GitHub accepted the ping but its delivery did not"
                            + " show up within " + timeout.toMillis() / 1000.0 + " s; check later with '" + NAME + " deliveries'");
                }
                Thread.sleep(parent.pollInterval.toMillis());
            }
            ObjectNode result = RepoHooks.deliverySummary(delivery);
            result.put("hook_id", state.id());
            Output.json(out(), result);
            String outcome = Json.text(delivery, "status") + " (status code " + delivery.path("status_code").asInt() + ")";
            if (RepoHooks.succeeded(delivery)) {
                info("ping delivered to " + state.url() + ": " + outcome);
                return ExitCode.OK;
            }
            info("error: the ping to " + state.url() + " failed: " + outcome + "; is the endpoint up and reachable"
                    + " from GitHub?");
            return ExitCode.GITHUB;
        }
    }

    @Command(name = "deliveries", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Lists the recorded hook's recent deliveries, newest first, as a JSON array on stdout (id, guid, "
                    + "delivered_at, event, action, status, status_code, redelivery). With --table, or when stderr "
                    + "is a terminal, also a table on stderr.",
                ""},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:listed (also when there are none)",
                "1:GitHub unreachable or answered with an error",
                "2:no hook recorded, bad --limit"})
    static final class Deliveries extends Sub {
        @Option(names = "--limit", paramLabel = "N", defaultValue = "30", description = "At most N deliveries (default: ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--failed", description = "Only failed deliveries (GitHub's status=failure filter).")
        boolean failed;

        @Option(names = "--table", description = "Also print a table on stderr.")
        boolean table;

        @Override
        public Integer call() {
            if (limit < 1) throw CommandException.usage("--limit must be at least 1");
            HookState state = recorded();
            List<JsonNode> list = hooksOf(state).deliveries(state.id(), limit, failed);
            ArrayNode result = Json.array();
            list.forEach(d -> result.add(RepoHooks.deliverySummary(d)));
            Output.json(out(), result);
            if (table || parent.stderrIsTerminal) {
                PrintWriter err = err();
                err.printf("%-20s  %-12s  %-11s  %4s  %s%n", "TIME", "EVENT", "ACTION", "CODE", "GUID");
                for (JsonNode d : result) {
                    err.printf("%-20s  %-12s  %-11s  %4s  %s%s%n", text(d, "delivered_at"), text(d, "event"),
                            text(d, "action"), d.path("status_code").asInt(), text(d, "guid"),
                            RepoHooks.succeeded(d) ? "" : "  (" + text(d, "status") + ")");
                }
                err.flush();
            }
            info(result.size() + (failed ? " failed" : "") + " deliveries of hook " + state.id());
            return ExitCode.OK;
        }

        private static String text(JsonNode d, String field) {
            String t = Json.text(d, field);
            return t == null ? "-" : t;
        }
    }

    @Command(name = "redeliver", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Asks GitHub to send a delivery of the recorded hook again (same GUID, marked as a redelivery). "
                    + "Give the delivery's numeric id, or its GUID (the X-GitHub-Delivery header), which is looked up "
                    + "among the latest " + GUID_SEARCH_LIMIT + " deliveries. Prints {redelivered, id, guid}.",
                ""},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:GitHub accepted the redelivery (202)",
                "1:GitHub unreachable or answered with an error",
                "2:no hook recorded, unknown GUID or id"})
    static final class Redeliver extends Sub {
        @Parameters(paramLabel = "GUID|ID", description = "The delivery's GUID or numeric id.")
        String which;

        @Override
        public Integer call() {
            String key = which.strip();
            boolean numeric = NUMERIC.matcher(key).matches();
            if (!numeric && !GUID.matcher(key).matches()) {
                throw CommandException.usage("'" + which + "' is neither a delivery GUID nor a numeric delivery id");
            }
            HookState state = recorded();
            RepoHooks hooks = hooksOf(state);
            JsonNode delivery;
            if (numeric) {
                try {
                    delivery = hooks.delivery(state.id(), Long.parseLong(key));
                } catch (GitHubException e) {
                    if (e.status() != 404) throw e;
                    throw CommandException.usage("hook " + state.id() + " has no delivery with id " + key);
                }
            } else {
                delivery = hooks.findByGuid(state.id(), key, GUID_SEARCH_LIMIT).orElseThrow(() -> CommandException.usage(
                        "no delivery with GUID " + key + " among the latest " + GUID_SEARCH_LIMIT + " deliveries of hook "
                                + state.id() + "; see '" + NAME + " deliveries'"));
            }
            long id = delivery.path("id").asLong();
            hooks.redeliver(state.id(), id);
            ObjectNode result = Json.object().put("redelivered", true).put("id", id).put("guid", Json.text(delivery, "guid"))
                    .put("event", Json.text(delivery, "event")).put("hook_id", state.id());
            Output.json(out(), result);
            info("GitHub will deliver " + Json.text(delivery, "event") + " " + Json.text(delivery, "guid")
                    + " again; see '" + NAME + " deliveries' for the outcome");
            return ExitCode.OK;
        }
    }
}
