import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lib.ingest.Ingest;
import lib.store.RunStore;
import lib.webhook.Correlation;

/** 1. Start-up of each script's smallest real job through ./jbang, with and without the launcher's fast path. */
final class StartupBench extends BenchSection {
    StartupBench(Bench bench) {
        super(bench);
    }

    void startup() throws Exception {
        progress("start-up: warming up (builds, fast-path records, AppCDS archives)");
        Path pwwRuns = tmp.resolve("startup/pww-runs");
        Path noState = tmp.resolve("startup/no-state");
        Path sample = repo.resolve("tests/fixtures/sample/payload.json");

        // wait-for-webhook: a verified delivery is already stored.
        Path waitRuns = tmp.resolve("startup/wait-runs");
        String waitCorr = Correlation.newId();
        ingestSigned(new Ingest(new RunStore(waitRuns), verifying(), Clock.systemUTC(), m -> {}),
                payload(completedFixture, waitCorr, 900_000_001L), "startup-wait-1");

        try (GitHubSimulator manageSim = GitHubSimulator.start();
                GitHubSimulator triggerSim = GitHubSimulator.start()) {
            manageSim.phaseDelays(Duration.ofSeconds(600), Duration.ofSeconds(600));
            triggerSim.phaseDelays(Duration.ofSeconds(600), Duration.ofSeconds(600));
            Path manageState = tmp.resolve("startup/manage-state");
            Map<String, String> manageEnv = Map.of("GH_TOKEN", manageSim.token(), "GITHUB_REPOSITORY", manageSim.repo(),
                    "GITHUB_API_URL", manageSim.apiUrl());
            Proc reg = jbang(manageEnv, true, "manage-actions-webhook.java", "register", "--state-dir", manageState.toString(),
                    "--url", "http://127.0.0.1:9/hook");
            if (reg.exit() != 0) throw new IllegalStateException("register failed: " + reg.err());
            Path triggerRuns = tmp.resolve("startup/trigger-runs");
            Map<String, String> triggerEnv = Map.of("GH_TOKEN", triggerSim.token());

            record Job(String name, String reference, Map<String, String> env, java.util.function.IntFunction<String[]> args) {}
            List<Job> jobs = List.of(
                    new Job("process-workflow-webhook (ingest one file)", "bash reference: section 5", Map.of(),
                            i -> new String[] {"process-workflow-webhook.java", "--file", sample.toString(), "--skip-verify",
                                "--runs-dir", pwwRuns.toString(), "--state-dir", noState.toString(),
                                "--delivered", "startup-" + i, "--event", "workflow_run"}),
                    new Job("wait-for-webhook (already stored)", "", Map.of(),
                            i -> new String[] {"wait-for-webhook.java", "--correlation-id", waitCorr, "--timeout", "5",
                                "--runs-dir", waitRuns.toString(), "--state-dir", noState.toString()}),
                    new Job("manage-actions-webhook status", "", manageEnv,
                            i -> new String[] {"manage-actions-webhook.java", "status", "--state-dir", manageState.toString()}),
                    new Job("trigger-and-track --webhook-only", "", triggerEnv,
                            i -> new String[] {"trigger-and-track.java", "--webhook-only", "--json-only", "--repo", triggerSim.repo(),
                                "--api-url", triggerSim.apiUrl(), "--store-dir", triggerRuns.toString(), "--ref", "main"}));
            int counter = 0;
            for (Job job : jobs) { // warm-up: JBang build, fast-path record, then the AppCDS archive
                for (int w = 0; w < 2; w++) {
                    Proc p = jbang(job.env, true, job.args.apply(counter++));
                    if (p.exit() != 0) throw new IllegalStateException(job.name + " failed in warm-up: " + p.err());
                }
                Proc p = jbang(job.env, false, job.args.apply(counter++));
                if (p.exit() != 0) throw new IllegalStateException(job.name + " failed through plain JBang: " + p.err());
            }
            for (Job job : jobs) {
                List<Double> fast = new ArrayList<>();
                List<Double> plain = new ArrayList<>();
                for (int r = 0; r < runs; r++) { // interleaved, so drift hits both alike
                    Proc f = jbang(job.env, true, job.args.apply(counter++));
                    Proc s = jbang(job.env, false, job.args.apply(counter++));
                    if (f.exit() != 0 || s.exit() != 0) throw new IllegalStateException(job.name + " failed: " + f.err() + s.err());
                    fast.add(f.seconds());
                    plain.add(s.seconds());
                }
                progress(String.format(Locale.ROOT, "start-up %s: fast %.2f s, plain %.2f s", job.name, median(fast), median(plain)));
                rows.add(new Row("1. Start-up (warm, wall)", job.name, "`./jbang` plain JBang (`JBANG_LAUNCHER_FASTPATH=0`)",
                        plain.size(), sec(median(plain)), range(plain, "s"), job.reference.isEmpty() ? "" : job.reference, ""));
                rows.add(new Row("1. Start-up (warm, wall)", job.name, "`./jbang` fast path (default)", fast.size(),
                        sec(median(fast)), range(fast, "s"),
                        String.format(Locale.ROOT, "%.1fx faster than plain", median(plain) / median(fast)), ""));
            }
        }
        notes.add("Start-up: each job runs as `./jbang SCRIPT.java ...` from the repository root, wall time from process start "
                + "to exit, everything warm (2 fast-path runs and 1 plain run first). Fast and plain runs are interleaved. "
                + "process-workflow-webhook stores a new delivery id each run; manage status and trigger-and-track talk to "
                + "the loopback simulator (trigger dispatches for real: 2 API requests).");
    }
}
