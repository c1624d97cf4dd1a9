///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**.java
//DESCRIPTION Ingest one GitHub workflow_run webhook delivery: verify, store, map run_id to the correlation id.
//MAIN ProcessWorkflowWebhook

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import lib.cli.Cli;
import lib.cli.ExitCode;
import lib.cli.IngestOptions;
import lib.cli.Output;
import lib.cli.VerboseOption;
import lib.ingest.Ingest;
import lib.util.BadInputException;
import lib.util.InputFiles;
import lib.webhook.Headers;
import lib.webhook.Hmac;
import lib.webhook.WebhookDelivery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "process-workflow-webhook", mixinStandardHelpOptions = true, version = "process-workflow-webhook 1.0.0",
        sortOptions = false, exitCodeList = {
            "0:success (also a ping, or a duplicate delivery)",
            "1:a general failure (for example the runs folder is not writable)",
            "2:bad input (empty, not JSON, no workflow_run.id, unsafe delivery id, over 25 MB, unreadable; a damaged file in the runs folder)",
            "3:signature missing or invalid (nothing stored)",
            "4:not a workflow_run delivery (nothing stored)"},
        description = {
            "Ingests one webhook delivery captured from WEBHOOK_URL (a file or standard input): verifies its "
                + "X-Hub-Signature-256 over the exact bytes, finds the correlation id in the run name "
                + "'Dispatch Webhook (<uuid>)', stores the payload under <runs-dir>/<uuid>/webhook/ and records "
                + "the run id in <runs-dir>/<uuid>.json. Prints one JSON summary on stdout.",
            ""})
class ProcessWorkflowWebhook implements Callable<Integer> {
    @Option(names = "--file", paramLabel = "PATH", description = "The payload file (default: standard input).")
    Path file;

    @Option(names = "--signature", paramLabel = "VALUE", description = "The X-Hub-Signature-256 header value (sha256=...).")
    String signature;

    @Option(names = "--delivered", paramLabel = "ID", description = "The X-GitHub-Delivery header value (delivery GUID).")
    String deliveryId;

    @Option(names = "--event", paramLabel = "NAME", description = "The X-GitHub-Event header value (default: from the payload's shape).")
    String event;

    @Option(names = "--headers", paramLabel = "FILE",
            description = "Captured request headers: a JSON object, or 'Name: value' lines. Flags above win.")
    Path headersFile;

    @Option(names = "--skip-verify", description = "Store the delivery even when it cannot be verified (recorded as \"verified\": false).")
    boolean skipVerify;

    @Mixin IngestOptions storage;

    @Mixin VerboseOption verbose;

    @Spec CommandSpec spec;

    Map<String, String> env = System.getenv();
    InputStream stdin = System.in;
    Clock clock = Clock.systemUTC();

    public static void main(String[] args) {
        Cli.main(new ProcessWorkflowWebhook(), args);
    }

    /**
     * The launcher's warm start (docs/launcher.md): one real ingest of a signed delivery into a scratch folder, through
     * the command line like any run, so that a JVM started ahead of the next run has done that run's work once.
     */
    static void warmUp(Path scratch) throws IOException {
        String payload = """
                {"action":"completed","workflow_run":{"id":1,"name":"deploy","display_title":"Dispatch Webhook \
                (00000000-0000-4000-8000-000000000000)","run_number":1,"run_attempt":1,"status":"completed",\
                "conclusion":"success","head_branch":"main","event":"workflow_dispatch",\
                "html_url":"https://github.com/o/r/actions/runs/1"},"repository":{"full_name":"o/r"}}""";
        byte[] secret = "warm-up".getBytes(StandardCharsets.UTF_8);
        Path file = Files.writeString(scratch.resolve("payload.json"), payload);
        Path secretFile = Files.write(scratch.resolve("secret"), secret);
        var command = new ProcessWorkflowWebhook();
        command.env = Map.of();
        command.stdin = InputStream.nullInputStream();
        var nowhere = new PrintWriter(Writer.nullWriter());
        Cli.create(command, nowhere, nowhere).execute("--file", file.toString(),
                "--signature", Hmac.sign(secret, payload.getBytes(StandardCharsets.UTF_8)), "--delivered", "warm-up",
                "--event", "workflow_run", "--secret-file", secretFile.toString(),
                "--runs-dir", scratch.resolve("runs").toString(), "--state-dir", scratch.resolve("state").toString());
    }

    @Override
    public Integer call() throws IOException {
        Headers headers = headersFile == null ? new Headers() : Headers.parse(readInput(headersFile, "headers file"));
        headers.override(Headers.SIGNATURE_256, signature)
                .override(Headers.DELIVERY, deliveryId)
                .override(Headers.EVENT, event);
        byte[] body = file != null ? readInput(file, "payload file") : readStdin();

        Ingest.Options options = storage.verifying(env).withSkipVerify(skipVerify);
        var err = spec.commandLine().getErr();
        Ingest ingest = new Ingest(storage.store(), options, clock, message -> err.println("warning: " + message));

        var summary = ingest.process(new WebhookDelivery(body, headers));
        Output.json(spec.commandLine().getOut(), summary);
        Output.githubOutput(env, summary, "run_id", "correlation_id");
        return ExitCode.OK;
    }

    private static byte[] readInput(Path path, String what) {
        return InputFiles.read(path, WebhookDelivery.MAX_BYTES, what, "exceeds GitHub's 25 MB cap");
    }

    private byte[] readStdin() throws IOException {
        if (stdin == System.in && System.console() != null) {
            throw new BadInputException("no payload: pass --file PATH or pipe the payload on standard input");
        }
        byte[] body = stdin.readNBytes(WebhookDelivery.MAX_BYTES + 1);
        if (body.length > WebhookDelivery.MAX_BYTES) throw new BadInputException("the payload exceeds GitHub's 25 MB cap");
        return body;
    }
}
