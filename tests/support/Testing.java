import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import lib.cli.Cli;

/** Runs a command in-process with captured stdout and stderr. */
final class Testing {
    record Run(int exitCode, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private Testing() {}

    static Run run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.create(command, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs process-workflow-webhook in-process with {@code body} on stdin and {@code env} as its environment. */
    static Run ingest(Map<String, String> env, byte[] body, String... args) {
        ProcessWorkflowWebhook cmd = new ProcessWorkflowWebhook();
        cmd.env = env;
        cmd.stdin = new java.io.ByteArrayInputStream(body);
        return run(cmd, args);
    }

    static Map<String, String> env(String... keyValues) {
        java.util.HashMap<String, String> env = new java.util.HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) env.put(keyValues[i], keyValues[i + 1]);
        return env;
    }
}
