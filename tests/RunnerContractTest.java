import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The test runner's contract: failures and skips are printed, "N skipped" comes just before the last
 * line, the last line is "N passed, N failed", a test aborted by an assumption is skipped (not failed),
 * and the exit code is non-zero on any failure or when no test passed. The sample classes are static nested classes, which
 * the runner's discovery (top-level *Test classes only) never picks up, so they do not fail the suite.
 */
class RunnerContractTest {

    /** One passing and one failing test. */
    static class Sample {
        @Test
        void passes() {}

        @Test
        void fails() {
            fail("the sample failure");
        }
    }

    static class AllPass {
        @Test
        void passes() {}
    }

    /** A class whose setup fails: no test runs, yet the run must fail. */
    static class BrokenSetup {
        @BeforeAll
        static void setUp() {
            throw new IllegalStateException("the sample setup failure");
        }

        @Test
        void neverRuns() {}
    }

    /** One test of each outcome: passed, aborted by an assumption, failed. */
    static class WithAssumption {
        @Test
        void passes() {}

        @Test
        void aborts() {
            assumeTrue(false, "the sample assumption");
        }

        @Test
        void fails() {
            fail("the sample failure");
        }
    }

    /** A class whose setup is aborted by an assumption: both its tests are skipped, none failed. */
    static class AbortedSetup {
        @BeforeAll
        static void setUp() {
            assumeTrue(false, "the sample setup assumption");
        }

        @Test
        void first() {}

        @Test
        void second() {}
    }

    static class PassAndAbort {
        @Test
        void passes() {}

        @Test
        void aborts() {
            assumeTrue(false, "the sample assumption");
        }
    }

    /** Named like a test class, but nested: discovery must still skip it. */
    static class NestedTest {
        @Test
        void wouldPass() {}
    }

    record Outcome(RunTests.Summary summary, String printed) {}

    static Outcome runWithSummary(Class<?> testClass) {
        StringWriter printed = new StringWriter();
        RunTests.Summary summary = new RunTests.Summary(new PrintWriter(printed, true));
        LauncherFactory.create().execute(
                LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build(), summary);
        summary.report(1234);
        return new Outcome(summary, printed.toString());
    }

    @Test
    void printsEachFailureAndEndsWithTheCounts() {
        Outcome o = runWithSummary(Sample.class);
        assertTrue(o.printed().contains("FAILED RunnerContractTest$Sample > fails()\n"), o.printed());
        assertTrue(o.printed().contains("the sample failure"), o.printed());
        assertFalse(o.printed().contains("FAILED RunnerContractTest$Sample > passes()"), o.printed());
        List<String> lines = o.printed().lines().toList();
        assertEquals("1 passed, 1 failed", lines.get(lines.size() - 1), o.printed());
        assertEquals(List.of("FAILED RunnerContractTest$Sample > fails()"),
                lines.stream().filter(l -> l.startsWith("FAILED")).toList());
        assertEquals(1, RunTests.exitCode(o.summary()));
    }

    @Test
    void exitCodeIsZeroOnlyWhenTestsRanAndNoneFailed() {
        Outcome green = runWithSummary(AllPass.class);
        assertTrue(green.printed().endsWith("1 passed, 0 failed\n"), green.printed());
        assertEquals(0, RunTests.exitCode(green.summary()));

        Outcome broken = runWithSummary(BrokenSetup.class);
        assertTrue(broken.printed().contains("FAILED RunnerContractTest$BrokenSetup"), broken.printed());
        assertTrue(broken.printed().contains("the sample setup failure"), broken.printed());
        assertTrue(broken.printed().endsWith("0 passed, 1 failed\n"), broken.printed());
        assertEquals(1, RunTests.exitCode(broken.summary()));

        RunTests.Summary nothing = new RunTests.Summary(new PrintWriter(new StringWriter()));
        assertEquals(1, RunTests.exitCode(nothing), "no test ran");
    }

    @Test
    void aTestAbortedByAnAssumptionIsSkippedNotFailed() {
        Outcome o = runWithSummary(WithAssumption.class);
        List<String> lines = o.printed().lines().toList();
        assertEquals("1 passed, 1 failed", lines.get(lines.size() - 1), o.printed());
        assertEquals("1 skipped", lines.get(lines.size() - 2), o.printed());
        assertEquals(List.of("FAILED RunnerContractTest$WithAssumption > fails()"),
                lines.stream().filter(l -> l.startsWith("FAILED")).toList());
        assertEquals(List.of("SKIPPED RunnerContractTest$WithAssumption > aborts()"),
                lines.stream().filter(l -> l.startsWith("SKIPPED")).toList());
        assertTrue(o.printed().contains("the sample assumption"), o.printed());
        assertEquals(1, o.summary().skipped.get());
        assertEquals(1, RunTests.exitCode(o.summary()), "the failure still fails the run");

        Outcome green = runWithSummary(PassAndAbort.class);
        assertTrue(green.printed().endsWith("1 skipped\n1 passed, 0 failed\n"), green.printed());
        assertEquals(0, RunTests.exitCode(green.summary()), "a skip alone does not fail the run");
    }

    @Test
    void aClassSetupAbortedByAnAssumptionSkipsItsTests() {
        Outcome o = runWithSummary(AbortedSetup.class);
        assertTrue(o.printed().endsWith("2 skipped\n0 passed, 0 failed\n"), o.printed());
        assertFalse(o.printed().contains("FAILED"), o.printed());
        assertTrue(o.printed().contains("SKIPPED RunnerContractTest$AbortedSetup\n"), o.printed());
        assertTrue(o.printed().contains("the sample setup assumption"), o.printed());
        assertEquals(1, RunTests.exitCode(o.summary()), "no test ran");
    }

    @Test
    void discoveryTakesTopLevelTestClassesOnly() throws Exception {
        assertEquals(List.of(), RunTests.testClassNames(new String[] {"NoSuchName"}));
        List<String> mine = RunTests.testClassNames(new String[] {"RunnerContract"});
        assertEquals(List.of("RunnerContractTest"), mine, "nested sample classes are never run by the runner");
        assertTrue(RunTests.testClassNames(new String[0]).contains("GitHubClientTest"));
    }

    @Test
    void aRunWhereNoTestMatchesExitsOne() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File out = File.createTempFile("runner-out", ".txt");
        try {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "RunTests", "NoSuchName")
                    .redirectErrorStream(true).redirectOutput(out).start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the runner did not finish");
            }
            String printed = Files.readString(out.toPath());
            assertEquals(1, p.exitValue(), printed);
            List<String> lines = printed.lines().toList();
            assertEquals("0 passed, 0 failed", lines.get(lines.size() - 1), printed);
        } finally {
            out.delete();
        }
    }
}
