///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.junit.jupiter:junit-jupiter:5.14.1
//DEPS org.junit.platform:junit-platform-launcher:1.14.1
//SOURCES ../*.java
//SOURCES support/*.java
//SOURCES *Test.java
//DESCRIPTION Runs every *Test class in tests/; prints 'N skipped', then ends with 'N passed, N failed'.
//MAIN RunTests

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Usage: ./jbang tests/run-tests.java [NAME...]
 * With names, runs only the test classes whose simple name contains one of them; NAME#method runs
 * only that test method of those classes.
 * Prints each failure and skip, then "N skipped" and, as the very last line, "N passed, N failed".
 * A test aborted by an assumption (or disabled) is skipped, not failed.
 * Exit code: 0 when at least one test passed and none failed, else 1.
 */
class RunTests {
    public static void main(String[] args) throws Exception {
        List<DiscoverySelector> selectors = selectors(args);
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectors)
                .configurationParameters(Map.of(
                        "junit.jupiter.execution.parallel.enabled", "true",
                        "junit.jupiter.execution.parallel.mode.default", "same_thread",
                        "junit.jupiter.execution.parallel.mode.classes.default", "concurrent",
                        "junit.jupiter.execution.parallel.config.strategy", "fixed",
                        "junit.jupiter.execution.parallel.config.fixed.parallelism", "4",
                        // the slowest classes carry @Order and start first: none is left to run alone at the end
                        "junit.jupiter.testclass.order.default", "org.junit.jupiter.api.ClassOrderer$OrderAnnotation",
                        "junit.jupiter.execution.timeout.default", "120 s",
                        // a class setup may build the four scripts through JBang: minutes on a cold cache
                        // (a fresh clone or source archive) while other classes load the machine
                        "junit.jupiter.execution.timeout.beforeall.method.default", "600 s"))
                .build();
        Summary summary = new Summary(new PrintWriter(System.out, true));
        long start = System.nanoTime();
        LauncherFactory.create().execute(request, summary);
        summary.report((System.nanoTime() - start) / 1_000_000);
        System.exit(exitCode(summary));
    }

    /** 0 when at least one test passed and none failed (a failing class setup counts as a failure), else 1. */
    static int exitCode(Summary summary) {
        return summary.failed.get() == 0 && summary.passed.get() > 0 ? 0 : 1;
    }

    /** Whole classes for plain names, single methods for CLASS#method names. */
    static List<DiscoverySelector> selectors(String[] names) throws IOException, URISyntaxException {
        List<DiscoverySelector> selectors = new ArrayList<>();
        for (String c : testClassNames(Stream.of(names).filter(n -> !n.contains("#")).toArray(String[]::new))) {
            if (names.length == 0 || Stream.of(names).anyMatch(n -> !n.contains("#") && c.contains(n))) {
                selectors.add(selectClass(c));
            }
        }
        for (String name : names) {
            if (!name.contains("#")) continue;
            String[] parts = name.split("#", 2);
            for (String c : testClassNames(new String[] {parts[0]})) selectors.add(selectMethod(c, parts[1]));
        }
        return selectors;
    }

    /** Top-level *Test classes compiled into this program's jar (or classes folder). */
    static List<String> testClassNames(String[] filters) throws IOException, URISyntaxException {
        Path root = Path.of(RunTests.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> entries = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                files.forEach(p -> entries.add(root.relativize(p).toString()));
            }
        } else {
            try (JarFile jar = new JarFile(root.toFile())) {
                jar.stream().forEach(e -> entries.add(e.getName()));
            }
        }
        return entries.stream()
                .filter(n -> n.endsWith("Test.class") && !n.contains("$") && !n.contains("/"))
                .map(n -> n.substring(0, n.length() - ".class".length()))
                .filter(n -> filters.length == 0 || Stream.of(filters).anyMatch(n::contains))
                .sorted()
                .toList();
    }

    /**
     * Counts and prints results. A test aborted by an assumption, or disabled, is skipped (so is every
     * test of a class whose setup was aborted or which is disabled); a failed class setup is one failure.
     */
    static final class Summary implements TestExecutionListener {
        final AtomicLong passed = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong skipped = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final PrintWriter out;
        private final Set<String> reported = ConcurrentHashMap.newKeySet();
        private final Map<String, Long> started = new ConcurrentHashMap<>();
        private final Map<String, Double> classSeconds = new ConcurrentHashMap<>();
        private final Map<String, Double> testSeconds = new ConcurrentHashMap<>();
        private volatile TestPlan plan;

        Summary(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) {
            plan = testPlan;
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            skip(id, reason);
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            if (isClass(id) || id.isTest()) started.put(id.getUniqueId(), System.nanoTime());
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            Long since = started.get(id.getUniqueId());
            if (since != null && isClass(id)) classSeconds.put(id.getDisplayName(), (System.nanoTime() - since) / 1e9);
            if (since != null && id.isTest()) testSeconds.put(path(id), (System.nanoTime() - since) / 1e9);
            switch (result.getStatus()) {
                case SUCCESSFUL -> {
                    if (id.isTest() && reported.add(id.getUniqueId())) passed.incrementAndGet();
                }
                case ABORTED -> skip(id, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
                case FAILED -> {
                    reported.add(id.getUniqueId());
                    failed.incrementAndGet();
                    String cause = result.getThrowable().map(RunTests::describe).orElse(result.getStatus().toString());
                    String line = "FAILED " + path(id) + "\n" + cause;
                    failures.add(line);
                    out.println(line);
                }
            }
        }

        /** Counts a skipped test, or the tests of a skipped class that were not reported on their own. */
        private void skip(TestIdentifier id, String reason) {
            long tests = 0;
            if (id.isTest()) {
                if (reported.add(id.getUniqueId())) tests = 1;
            } else if (plan != null) {
                for (TestIdentifier d : plan.getDescendants(id)) {
                    if (d.isTest() && reported.add(d.getUniqueId())) tests++;
                }
            }
            skipped.addAndGet(tests);
            out.println("SKIPPED " + path(id) + (reason == null || reason.isBlank() ? "" : "\n    " + reason));
        }

        private static boolean isClass(TestIdentifier id) {
            return id.getSource().filter(source -> source instanceof ClassSource).isPresent();
        }

        private static String path(TestIdentifier id) {
            return id.getUniqueIdObject().getSegments().stream()
                    .skip(1).map(s -> s.getValue()).reduce((a, b) -> a + " > " + b).orElse(id.getDisplayName());
        }

        /** The skipped count on its own line, then the last line, always "N passed, N failed" (CI greps it). */
        void report(long millis) {
            // the classes that set the suite's length (they run four at a time): CI allows the suite 6 minutes
            out.printf("%nSlowest classes: %s", slowest(classSeconds, 5, ", "));
            out.printf("%nSlowest tests:%n  %s", slowest(testSeconds, 8, "\n  "));
            out.printf("%nRan in %.1f s%n", millis / 1000.0);
            out.println(skipped.get() + " skipped");
            out.println(passed.get() + " passed, " + failed.get() + " failed");
        }
    }

    static String slowest(Map<String, Double> seconds, int n, String separator) {
        return seconds.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(n)
                .map(e -> String.format(Locale.ROOT, "%s %.0f s", e.getKey(), e.getValue()))
                .reduce((a, b) -> a + separator + b).orElse("none");
    }

    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder("    " + t);
        for (StackTraceElement e : t.getStackTrace()) {
            sb.append("\n        at ").append(e);
            if (e.getClassName().endsWith("Test")) break;
        }
        if (t.getCause() != null && t.getCause() != t) sb.append("\n    caused by ").append(t.getCause());
        return sb.toString();
    }
}
