import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.util.Json;

/**
 * 5. How soon {@code trigger-and-track --until completed} exits after the run completes on the simulator:
 * polling alone (one conditional GET of the run every 3 s) versus a receiver storing the run's
 * workflow_run deliveries (the stored completed delivery ends the wait).
 */
final class FollowBench extends BenchSection {
    static final Duration QUEUED = Duration.ofSeconds(1);
    static final Duration IN_PROGRESS = Duration.ofSeconds(3);
    static final Duration DELIVERY_DELAY = Duration.ofMillis(300);

    FollowBench(Bench bench) {
        super(bench);
    }

    void completionToExit() throws Exception {
        int n = quick ? 2 : Math.max(3, Math.min(runs, 5));
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            sim.phaseDelays(QUEUED, IN_PROGRESS);
            List<double[]> m = measure(sim, tmp.resolve("follow-poll"), n, "api");
            addRow("polling (`outcome_source: api`), `--interval 3`, no hook",
                    "`./jbang trigger-and-track.java --until completed --interval 3 --json-only --ref main`; exit time minus the "
                            + "simulator's completion time", m, "≤ 3 s (one interval) + exit");
        }
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            sim.phaseDelays(QUEUED, IN_PROGRESS).deliveryDelay(DELIVERY_DELAY);
            Path runsDir = tmp.resolve("follow-webhook");
            Path secretFile = tmp.resolve("follow-webhook-secret");
            Files.writeString(secretFile, SECRET + "\n");
            Live receiver = Live.start(command(true, "wait-for-webhook.java", "--serve", "--listen", "0", "--runs-dir",
                    runsDir.toString(), "--secret-file", secretFile.toString(), "--state-dir", tmp.resolve("no-state").toString()),
                    env(Map.of(), true), repo);
            try {
                String url = receiver.awaitStderr("listening on ", Duration.ofSeconds(60));
                if (url == null) throw new IllegalStateException("the receiver did not listen: " + receiver.stderr());
                GitHubClient gh = new GitHubClient(new GitHubContext(sim.apiUrl(), sim.repo(), sim.token(), "bench"));
                ObjectNode hook = Json.object().put("name", "web").put("active", true);
                hook.putArray("events").add("workflow_run").add("workflow_job");
                hook.putObject("config").put("url", url.strip()).put("content_type", "json").put("secret", SECRET);
                gh.post(gh.repoPath("/hooks"), hook);
                List<double[]> m = measure(sim, runsDir, n, "webhook");
                addRow("webhook (`outcome_source: webhook`), `--interval 3`, receiver storing into the same runs folder",
                        "`./jbang wait-for-webhook.java --serve --listen 0` running, the hook pointing at it; the same "
                                + "trigger-and-track command", m, "≈ the completed delivery's delay (0.6 s) + exit");
            } finally {
                receiver.process.destroy();
            }
        }
        notes.add("Completion to exit: the simulator's runs are queued 1 s and in progress 3 s plus 0, 0.7, 1.4, 2.1, 2.8 s "
                + "(so they complete at different points of the 3 s polling cycle); the delay runs from the moment the "
                + "simulator completed the run to the moment the trigger-and-track process had exited (the JVM's exit "
                + "included). Polling notices the completion at its next tick, up to one interval later; the webhook path as "
                + "soon as the receiver stored the completed delivery, which the simulator sends one at a time, each 300 ms "
                + "after the previous (the job's completion goes first, so the run's leaves about 0.6 s after it). With both "
                + "the receiver and polling, whichever sees the completion first wins. Run GETs: the simulator's request log "
                + "for the run (the dispatch's confirming GET included; charged = not 304).");
    }

    /**
     * {@code n} followed runs after one warm-up: [delay s, GETs of the run, charged GETs of the run, 1 when
     * {@code expectedSource} saw the completion first] each. Either source may win a race: that is counted, not failed.
     */
    private List<double[]> measure(GitHubSimulator sim, Path runsDir, int n, String expectedSource) throws Exception {
        List<double[]> m = new ArrayList<>();
        for (int i = 0; i < n + 1; i++) {
            progress("completion to exit: " + expectedSource + ", run " + (i + 1));
            // runs of different lengths complete at different points of the 3 s polling cycle
            sim.phaseDelays(QUEUED, IN_PROGRESS.plusMillis(i * 700L % 3000));
            Proc p = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--json-only", "--repo", sim.repo(),
                    "--api-url", sim.apiUrl(), "--store-dir", runsDir.toString(), "--ref", "main", "--until", "completed",
                    "--interval", "3", "--timeout", "100");
            long exited = System.nanoTime();
            JsonNode out = Json.parse(p.out().getBytes(StandardCharsets.UTF_8), "stdout");
            if (p.exit() != 0 || !"success".equals(Json.text(out, "conclusion"))) {
                throw new IllegalStateException("following run failed (" + expectedSource + "): " + p.out() + p.err());
            }
            long runId = out.path("run_id").asLong();
            SimState.Run run = sim.run(runId);
            List<SimState.Request> gets = sim.requestDetails("GET", "/repos/" + sim.repo() + "/actions/runs/" + runId);
            double charged = gets.stream().filter(g -> g.status() != 304).count();
            double won = expectedSource.equals(Json.text(out, "outcome_source")) ? 1 : 0;
            if (i > 0) m.add(new double[] {(exited - run.completedNanos) / 1e9, gets.size(), charged, won});
            // the simulator sends one delivery at a time: let this run's go out before the next run starts
            if (expectedSource.equals("webhook")) sim.awaitDeliveries(1 + 6 * (i + 1), Duration.ofSeconds(30));
        }
        return m;
    }

    private void addRow(String what, String how, List<double[]> m, String target) {
        List<Double> delays = m.stream().map(r -> r[0]).toList();
        String spread = "min–max " + sec(Collections.min(delays)) + "–" + sec(Collections.max(delays))
                + String.format(Locale.ROOT, "; GETs of the run per follow %s (charged %s); completion seen first this way "
                        + "in %.0f of %d", num(m.stream().map(r -> r[1]).toList()), num(m.stream().map(r -> r[2]).toList()),
                        m.stream().mapToDouble(r -> r[3]).sum(), m.size());
        rows.add(new Row("5. Completion to exit", what, how, m.size(), sec(median(delays)), spread, target, ""));
    }
}
