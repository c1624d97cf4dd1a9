///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**.java
//DESCRIPTION Register, inspect, test and remove the repository or organisation webhook that sends workflow_run events to WEBHOOK_URL.
//MAIN ManageActionsWebhook

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import lib.cli.Cli;
import lib.cli.DeliveryTable;
import lib.cli.Durations;
import lib.cli.ExitCode;
import lib.cli.HookTargetOptions;
import lib.cli.SecretFileOption;
import lib.cli.VerboseOption;
import lib.github.GitHubClient;
import lib.hooks.HookRegistration;
import lib.hooks.HookState;
import lib.hooks.HookStatus;
import lib.hooks.HookTarget;
import lib.hooks.Hooks;
import lib.hooks.PingCheck;
import lib.hooks.WebhookUrls;
import lib.util.BadInputException;
import lib.util.Json;
import lib.util.Sleeper;
import lib.util.Text;
import lib.util.TimedOutException;
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
        exitCodeList = {
            "0:success",
            "1:GitHub unreachable or answered with an error; hook gone; URL mismatch; failed ping delivery",
            "2:usage error or bad input (no URL, bad URL, nothing recorded, hook already recorded)",
            "124:timed out waiting for the ping's delivery"},
        description = {
            "Manages the repository (or, with register --org, organisation) webhook that sends workflow_run and workflow_job "
                + "events (JSON, HMAC-signed) to WEBHOOK_URL. The hook is recorded in <state-dir>/active-hook.json (never the "
                + "secret); the secret lives in <state-dir>/webhook-secret (mode 600). JSON on stdout, messages on stderr. "
                + "The token comes from GH_TOKEN, GITHUB_TOKEN (GHES also GH_ENTERPRISE_TOKEN) or 'gh auth token'.", ""})
class ManageActionsWebhook implements Callable<Integer> {
    Map<String, String> env = System.getenv();
    Path workDir = Path.of(".");
    GitHubClient.Policy policy = GitHubClient.Policy.defaults();
    Sleeper sleeper = Sleeper.REAL;
    Duration pollInterval = Duration.ofMillis(300);
    boolean stderrIsTerminal = System.console() != null;

    @Spec CommandSpec spec;

    public static void main(String[] args) {
        Cli.main(new ManageActionsWebhook(), args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        spec.commandLine().getErr().println("error: name a command: register, status, unregister, ping, deliveries or redeliver");
        return ExitCode.USAGE;
    }

    /** What every subcommand shares: GitHub options, the state folder, verbosity, the writers and the recorded hook. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand ManageActionsWebhook parent;
        @Mixin HookTargetOptions hooks;
        @Mixin VerboseOption verbose;
        @Spec CommandSpec spec;
        HookTarget target;

        @Override
        public final Integer call() throws Exception {
            target = hooks.target(parent.workDir, parent.env, verbose.log(spec.commandLine().getErr()), parent.policy,
                    parent.sleeper, this::info);
            return run();
        }

        abstract int run() throws Exception;

        // A hook URL may carry basic-auth credentials: shown as "***" in what we print, kept in the record.
        void print(JsonNode json) {
            spec.commandLine().getOut().println(Text.withoutUrlCredentials(Json.compact(json)));
            spec.commandLine().getOut().flush();
        }

        void info(String message) {
            spec.commandLine().getErr().println(Text.withoutUrlCredentials(message));
            spec.commandLine().getErr().flush();
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Creates the webhook of the repository (with --org: of the organisation): name 'web', active, events workflow_run "
                    + "and workflow_job, content type json, TLS verification on, signed with the webhook secret. Records it in "
                    + "<state-dir>/active-hook.json and prints that record as JSON.",
                "Secret: --secret-file, else GITHUB_WEBHOOK_SECRET, else <state-dir>/webhook-secret, else a new "
                    + "random 64-hex secret stored there with mode 600 (back it up; it is never printed).",
                "Refuses when a hook is already recorded locally (exit 2) or GitHub already has a hook with this URL "
                    + "(exit 1), unless --force.", ""},
            exitCodeList = {"0:registered", "1:GitHub unreachable or answered with an error (e.g. 422 Hook already exists)",
                "2:no or bad URL, unreadable secret file, a hook already recorded without --force"})
    static final class Register extends Sub {
        @Option(names = "--url", paramLabel = "URL", description = "Where GitHub delivers (default: WEBHOOK_URL).")
        String url;

        @Mixin SecretFileOption secretFile;

        @Option(names = "--force", description = "Replace instead of refusing: delete the hook recorded in active-hook.json "
                + "on GitHub (already gone is fine), then every hook of the repository (organisation) with the new URL, then "
                + "create and record the new hook. Hooks with other URLs and the secret file are left alone.")
        boolean force;

        @Override
        int run() throws IOException {
            var to = WebhookUrls.requireHttp(url != null ? url : parent.env.get("WEBHOOK_URL"), url != null ? "--url" : "WEBHOOK_URL");
            Path secret = secretFile.secretFile == null ? null : parent.workDir.resolve(secretFile.secretFile).normalize();
            var result = new HookRegistration(target, parent.env, this::info).register(to, secret, force);
            print(result.toJson());
            info(result.message());
            return ExitCode.OK;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Fetches the recorded hook from GitHub and prints its configuration as JSON: id, url, events, "
                + "active, content_type, secret_set, insecure_ssl, last_response. When WEBHOOK_URL is set and the hook "
                + "delivers elsewhere, says so and exits 1.", ""},
            exitCodeList = {"0:the hook exists (and matches WEBHOOK_URL when set)",
                "1:GitHub error, the hook was deleted on GitHub, or its URL differs from WEBHOOK_URL", "2:no hook recorded"})
    static final class Status extends Sub {
        @Override
        int run() {
            HookState hook = target.recorded();
            HookStatus status = HookStatus.check(target.hooksOf(hook), hook, parent.env.get("WEBHOOK_URL"));
            print(status.summary());
            status.warnings().forEach(w -> info("warning: " + w));
            info(status.mismatch() != null ? "error: " + status.mismatch() : status.message());
            return status.mismatch() != null ? ExitCode.FAILURE : ExitCode.OK;
        }
    }

    @Command(name = "unregister", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Deletes the recorded hook on GitHub and removes <state-dir>/active-hook.json. Keeps the secret "
                + "file. Idempotent: nothing recorded, or a hook already gone from GitHub, is success. A --repo, --org or "
                + "--api-url that names another repository, organisation or API than the record, without the hook, changes "
                + "nothing (exit 2).", ""},
            exitCodeList = {"0:unregistered, already gone, or nothing recorded",
                "1:GitHub unreachable or answered with an error (the record is kept)",
                "2:the hook is not on the --repo/--org/--api-url named instead of the recorded one (the record is kept)"})
    static final class Unregister extends Sub {
        @Override
        int run() throws IOException {
            var removal = new HookRegistration(target, parent.env, this::info).unregister();
            removal.messages().forEach(this::info);
            print(removal.toJson());
            return ExitCode.OK;
        }
    }

    @Command(name = "ping", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Asks GitHub to send a ping to the recorded hook, waits for that ping's delivery to show up in "
                + "the hook's deliveries, and prints its outcome as JSON: id, guid, status, status_code, delivered_at.", ""},
            exitCodeList = {"0:the endpoint answered 2xx",
                "1:the delivery failed (e.g. 'failed to connect', a non-2xx answer) or a GitHub error", "2:no hook recorded",
                "124:the ping's delivery did not show up within --timeout"})
    static final class Ping extends Sub {
        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "15", converter = Durations.class,
                description = "How long to wait for the delivery to be recorded; 500ms, 30s, 5m work too (default: "
                        + "${DEFAULT-VALUE}; GitHub itself waits up to 10 s for the endpoint).")
        Duration timeout;

        @Override
        int run() throws InterruptedException {
            HookState hook = target.recorded();
            var ping = new PingCheck(target.hooksOf(hook), parent.sleeper, System::nanoTime, parent.pollInterval)
                    .pingAndAwait(hook.id(), timeout, this::info)
                    .orElseThrow(() -> new TimedOutException("GitHub accepted the ping but its delivery did not show up within "
                            + Durations.describe(timeout) + "; check later with '" + HookRegistration.COMMAND + " deliveries'"));
            print(Hooks.deliverySummary(ping.delivery()).put("hook_id", hook.id()));
            info(ping.succeeded() ? "ping delivered to " + hook.url() + ": " + ping.describe() : "error: the ping to "
                    + hook.url() + " failed: " + ping.describe() + "; is the endpoint up and reachable from GitHub?");
            return ping.succeeded() ? ExitCode.OK : ExitCode.FAILURE;
        }
    }

    @Command(name = "deliveries", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Lists the recorded hook's recent deliveries, newest first, as a JSON array on stdout (id, guid, "
                + "delivered_at, event, action, status, status_code, redelivery). With --table, or when stderr is a "
                + "terminal, also a table on stderr.", ""},
            exitCodeList = {"0:listed (also when there are none)", "1:GitHub unreachable or answered with an error",
                "2:no hook recorded, bad --limit"})
    static final class Deliveries extends Sub {
        @Option(names = "--limit", paramLabel = "N", defaultValue = "30", description = "At most N deliveries (default: ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--failed", description = "Only failed deliveries (GitHub's status=failure filter).")
        boolean failed;

        @Option(names = "--table", description = "Also print a table on stderr.")
        boolean table;

        @Override
        int run() {
            if (limit < 1) throw new BadInputException("--limit must be at least 1");
            HookState hook = target.recorded();
            ArrayNode result = target.hooksOf(hook).deliverySummaries(hook.id(), limit, failed);
            print(result);
            if (table || parent.stderrIsTerminal) DeliveryTable.print(spec.commandLine().getErr(), result);
            info(result.size() + (failed ? " failed" : "") + " deliveries of hook " + hook.id());
            return ExitCode.OK;
        }
    }

    @Command(name = "redeliver", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Asks GitHub to send a delivery of the recorded hook again (same GUID, marked as a redelivery). "
                + "Give the delivery's numeric id, or its GUID (the X-GitHub-Delivery header), which is looked up among "
                + "the latest " + Hooks.GUID_SEARCH_LIMIT + " deliveries. Prints {redelivered, id, guid}.", ""},
            exitCodeList = {"0:GitHub accepted the redelivery (202)", "1:GitHub unreachable or answered with an error",
                "2:no hook recorded, unknown GUID or id"})
    static final class Redeliver extends Sub {
        @Parameters(paramLabel = "GUID|ID", description = "The delivery's GUID or numeric id.")
        String which;

        @Override
        int run() {
            HookState hook = target.recorded();
            JsonNode delivery = target.hooksOf(hook).redeliver(hook.id(), which);
            print(Json.object().put("redelivered", true).put("id", delivery.path("id").asLong()).put("guid", Json.text(delivery, "guid"))
                    .put("event", Json.text(delivery, "event")).put("hook_id", hook.id()));
            info("GitHub will deliver " + Json.text(delivery, "event") + " " + Json.text(delivery, "guid")
                    + " again; see '" + HookRegistration.COMMAND + " deliveries' for the outcome");
            return ExitCode.OK;
        }
    }
}
