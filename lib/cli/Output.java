package lib.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import lib.util.Json;
import lib.util.Text;
import lib.util.TrackerException;

/**
 * The machine-readable result: one JSON line on stdout; in an Actions step also GITHUB_OUTPUT lines and,
 * for a followed run, a Markdown summary in GITHUB_STEP_SUMMARY.
 */
public final class Output {
    private Output() {}

    public static void json(PrintWriter out, JsonNode result) {
        out.println(Json.compact(result));
        out.flush();
    }

    /**
     * Appends {@code key=value} lines for the given fields to the file named by GITHUB_OUTPUT,
     * when that variable is set. Null fields are written as empty values. A failed append is a general failure (exit 1): the
     * result is on stdout and stored, but the step's outputs are missing.
     */
    public static void githubOutput(Map<String, String> env, ObjectNode result, String... fields) {
        String target = env.get("GITHUB_OUTPUT");
        if (target == null || target.isBlank()) return;
        StringBuilder lines = new StringBuilder();
        for (String field : fields) {
            String value = Json.text(result, field);
            // The runner splits this file at \r as well as \n: a value must not start an output line of its own.
            lines.append(field).append('=').append(value == null ? "" : value.replaceAll("[\r\n\u0085\u2028\u2029]", " "))
                    .append('\n');
        }
        try {
            Files.writeString(Path.of(target), lines, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // The work is done (and printed); only the step's outputs are missing: not a usage error.
            throw new TrackerException("done, but the step outputs are missing: cannot append to the"
                    + " GITHUB_OUTPUT file " + target + ": " + Text.describe(e));
        }
    }

    /**
     * Appends Markdown to the file named by GITHUB_STEP_SUMMARY (shown on the run's summary page), when
     * that variable is set. A failed append is a general failure, like {@link #githubOutput}'s.
     */
    public static void stepSummary(Map<String, String> env, String markdown) {
        String target = env.get("GITHUB_STEP_SUMMARY");
        if (target == null || target.isBlank()) return;
        try {
            Files.writeString(Path.of(target), markdown.endsWith("\n") ? markdown : markdown + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new TrackerException("done, but the step summary is missing: cannot append to the"
                    + " GITHUB_STEP_SUMMARY file " + target + ": " + Text.describe(e));
        }
    }
}
