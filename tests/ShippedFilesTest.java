import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import lib.webhook.Correlation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Files the checkout ships besides the scripts: the sample workflow, .gitignore, the README and docs/. Read as text. */
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

    // ------------------------------------------------------------------ the README and docs/

    /** README.md and every Markdown file under docs/, as paths relative to the root. */
    static List<Path> markdownFiles() throws Exception {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        Path docs = root.resolve("docs");
        if (Files.isDirectory(docs)) {
            try (Stream<Path> s = Files.walk(docs)) {
                s.filter(f -> f.toString().endsWith(".md")).sorted().forEach(f -> files.add(root.relativize(f)));
            }
        }
        return files;
    }

    /** The lines outside fenced code blocks (a code block's '#' lines are no headings, its brackets no links). */
    static List<String> prose(Path file) throws Exception {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(root.resolve(file))) {
            if (line.stripLeading().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (!fenced) out.add(line);
        }
        return out;
    }

    /** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces to '-', repeats numbered. */
    static Set<String> anchors(Path file) throws Exception {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : prose(file)) {
            Matcher h = Pattern.compile("^#{1,6}\\s+(.+?)\\s*#*\\s*$").matcher(line);
            if (!h.matches()) continue;
            String slug = h.group(1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum);
            anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        return anchors;
    }

    static final Pattern INLINE_LINK = Pattern.compile("\\[[^\\]]*\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    static final Pattern REFERENCE_LINK = Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*<?([^\\s>]+)>?");
    static final Pattern MD_FILE_NAME = Pattern.compile("(?<![\\w./:-])((?:\\.{1,2}/)?[\\w./-]*\\w\\.md)(?![\\w/-])");

    /** What is wrong with one link target in {@code from}, or null when it resolves (other schemes are not checked). */
    static String brokenLink(Path from, String target) throws Exception {
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) return null; // https:, mailto:, ...
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? from : from.resolveSibling(file).normalize();
        if (resolved.startsWith("..") || !Files.exists(root.resolve(resolved))) return target + ": no file " + resolved;
        if (anchor != null && resolved.toString().endsWith(".md") && !anchors(resolved).contains(anchor)) {
            return target + ": no heading with the anchor #" + anchor + " in " + resolved;
        }
        return null;
    }

    /**
     * Every relative link in the README and docs/ (inline or reference style, with or without an anchor)
     * points to a file of this repository, and an anchor to a heading there. Any Markdown file named in
     * the text, linked or not, exists too (the README once named a jbang-notes.md that was never here).
     */
    @Test
    void everyLinkAndMarkdownFileNamedInTheReadmeAndTheDocsExists() throws Exception {
        List<String> broken = new ArrayList<>();
        int links = 0;
        for (Path file : markdownFiles()) {
            List<String> lines = prose(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                List<String> targets = new ArrayList<>();
                for (Matcher m = INLINE_LINK.matcher(line); m.find(); ) targets.add(m.group(1));
                Matcher ref = REFERENCE_LINK.matcher(line);
                if (ref.find()) targets.add(ref.group(1));
                for (String target : targets) {
                    links++;
                    String problem = brokenLink(file, target);
                    if (problem != null) broken.add(file + ": " + problem);
                }
                for (Matcher m = MD_FILE_NAME.matcher(line.replaceAll("\\]\\([^)]*\\)", "]")); m.find(); ) {
                    String name = m.group(1);
                    boolean here = Files.exists(root.resolve(file).resolveSibling(name)) || Files.exists(root.resolve(name));
                    if (!here) broken.add(file + ": names " + name + ", which is not in the repository");
                }
            }
        }
        assertTrue(links > 0, "no links found: the scan is broken");
        assertEquals(List.of(), broken);
    }

    /** The README stays a newcomer's page: short, and every doc is one click away and links back. */
    @Test
    void theReadmeIsShortAndLinksEveryDocWhichLinksBack() throws Exception {
        List<String> readme = Files.readAllLines(root.resolve("README.md"));
        assertTrue(readme.size() <= 250, "README.md has " + readme.size() + " lines; move details into docs/");
        assertTrue(readme.stream().anyMatch(l -> l.contains("./jbang tests/sandbox.java")), "the quick start");
        assertTrue(readme.stream().anyMatch(l -> l.contains("./jbang tests/run-tests.java")), "the quick start");
        Set<String> linkedFromReadme = new HashSet<>();
        for (String line : prose(Path.of("README.md"))) {
            for (Matcher m = INLINE_LINK.matcher(line); m.find(); ) {
                linkedFromReadme.add(Path.of(m.group(1).replaceAll("#.*$", "")).normalize().toString());
            }
        }
        for (Path doc : markdownFiles()) {
            if (doc.toString().equals("README.md")) continue;
            assertTrue(linkedFromReadme.contains(doc.toString()), "the README does not link " + doc);
            List<String> text = Files.readAllLines(root.resolve(doc));
            assertTrue(!text.isEmpty() && text.get(0).startsWith("# "), doc + " starts with its title");
            String back = root.resolve(doc).getParent().relativize(root.resolve("README.md")).toString();
            assertTrue(text.stream().anyMatch(l -> l.contains("](" + back + ")") || l.contains("](" + back + "#")),
                    doc + " links back to " + back);
        }
    }
}
