import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * GitHub-shaped payloads from tests/fixtures (taken from GitHub's published webhook examples,
 * with the run-name our sample workflow sets), re-targeted at any correlation and run id.
 */
final class Fixtures {
    static final String CORRELATION = "5b0b2ad4-3c1f-4f7e-9a55-8d3f2f0d7c11";
    static final long RUN_ID = 30433642L;

    private Fixtures() {}

    static Path dir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("tests/fixtures"))) return p.resolve("tests/fixtures");
        }
        throw new IllegalStateException("tests/fixtures not found above " + here);
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(dir().resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(String name) {
        return new String(bytes(name), StandardCharsets.UTF_8);
    }

    /** A workflow_run payload ("requested", "in_progress" or "completed") for the given run. */
    static byte[] workflowRun(String action, String correlation, long runId) {
        return text("workflow_run." + action + ".json")
                .replace(CORRELATION, correlation)
                .replace(Long.toString(RUN_ID), Long.toString(runId))
                .getBytes(StandardCharsets.UTF_8);
    }
}
