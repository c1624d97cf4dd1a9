import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import lib.webhook.Correlation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Files the checkout ships besides the scripts: the sample workflow and .gitignore. Read as text. */
class ShippedFilesTest {
    static Path root;

    @BeforeAll
    static void findRoot() {
        root = SandboxFlow.repoRoot();
    }

    static List<String> lines(String file) throws Exception {
        return Files.readAllLines(root.resolve(file)).stream()
                .map(l -> l.replaceAll("\\s+#.*$", "").stripTrailing())
                .filter(l -> !l.isBlank() && !l.stripLeading().startsWith("#"))
                .toList();
    }

    static int indent(String line) {
        return line.length() - line.stripLeading().length();
    }

    /** The child keys of the block at {@code path} (e.g. on, workflow_dispatch, inputs), each with its own lines. */
    static Map<String, List<String>> block(List<String> yaml, String... path) {
        int from = 0;
        int depth = -1;
        for (String key : path) {
            int found = -1;
            for (int i = from; i < yaml.size(); i++) {
                String l = yaml.get(i);
                if (indent(l) <= depth) break;
                if (l.strip().equals(key + ":")) {
                    found = i;
                    break;
                }
            }
            assertTrue(found >= 0, "no '" + key + ":' in the path " + List.of(path));
            depth = indent(yaml.get(found));
            from = found + 1;
        }
        Map<String, List<String>> children = new LinkedHashMap<>();
        int childIndent = from < yaml.size() ? indent(yaml.get(from)) : 0;
        String current = null;
        for (int i = from; i < yaml.size() && indent(yaml.get(i)) > depth; i++) {
            String l = yaml.get(i);
            if (indent(l) == childIndent) {
                current = l.strip().replaceAll(":.*$", "");
                children.put(current, new java.util.ArrayList<>());
            } else if (current != null) {
                children.get(current).add(l.strip());
            }
        }
        return children;
    }

    @Test
    void theSampleWorkflowTakesTheCorrelationIdAndAWebhookUrl() throws Exception {
        List<String> yaml = lines(".github/workflows/dispatch-webhook.yml");
        Map<String, List<String>> inputs = block(yaml, "on", "workflow_dispatch", "inputs");
        assertEquals(List.of("correlation_id", "webhook_url"), List.copyOf(inputs.keySet()), yaml.toString());
        assertTrue(inputs.get("correlation_id").contains("required: true"), inputs.toString());
        assertTrue(!inputs.get("webhook_url").contains("required: true"), inputs.toString());
    }

    @Test
    void theSampleWorkflowsRunNameCarriesTheCorrelationIdInTheDefaultPattern() throws Exception {
        List<String> runName = lines(".github/workflows/dispatch-webhook.yml").stream()
                .filter(l -> l.startsWith("run-name:")).toList();
        assertEquals(1, runName.size());
        String template = runName.get(0).substring("run-name:".length()).strip();
        assertEquals("Dispatch Webhook (${{ inputs.correlation_id }})", template);

        String uuid = UUID.randomUUID().toString();
        String rendered = template.replace("${{ inputs.correlation_id }}", uuid);
        assertEquals("Dispatch Webhook (" + uuid + ")", rendered);
        Matcher m = Correlation.DEFAULT_PATTERN.matcher(rendered);
        assertTrue(m.matches(), rendered);
        assertEquals(uuid, m.group(1));

        // The simulator's default workflow is this one.
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            assertEquals(template, sim.workflow(1001).runNameTemplate);
            assertEquals(List.of("correlation_id", "webhook_url"), sim.workflow(1001).inputs);
            assertEquals(".github/workflows/dispatch-webhook.yml", sim.workflow(1001).path);
        }
    }

    @Test
    void gitIgnoresTheWebhookStateAndTheRunStore() throws Exception {
        List<String> ignored = lines(".gitignore").stream().map(String::strip).toList();
        assertTrue(ignored.contains(".webhook/"), ignored.toString());
        assertTrue(ignored.contains("runs/"), ignored.toString());
    }
}
