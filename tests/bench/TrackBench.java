import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lib.util.Json;
import lib.webhook.Correlation;

/** 4. Time to run id and API requests per dispatch for the three strategies, on the simulator with GitHub-like delays. */
final class TrackBench extends BenchSection {
    TrackBench(Bench bench) {
        super(bench);
    }

    void timeToRunId() throws Exception {
        int n = quick ? 2 : Math.max(3, Math.min(runs, 5));
        Duration visibility = Duration.ofSeconds(2);
        Duration queued = Duration.ofSeconds(1);
        Duration inProgress = Duration.ofSeconds(3);
        Duration deliveryDelay = Duration.ofMillis(300);
        String delays = "run listed after 2 s, queued 1 s, in_progress 3 s, each delivery 300 ms after its change";

        // Strategy 1: the dispatch answer (github.com-like)
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            sim.visibilityDelay(visibility).phaseDelays(queued, inProgress).deliveryDelay(deliveryDelay);
            Path store = tmp.resolve("track-api");
            List<double[]> m = new ArrayList<>();
            for (int i = 0; i < n + 1; i++) {
                progress("time to run id: dispatch answer, run " + (i + 1));
                int before = sim.requests().size();
                int remaining = sim.rateLimitRemaining();
                Proc p = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--json-only", "--repo", sim.repo(),
                        "--api-url", sim.apiUrl(), "--store-dir", store.toString(), "--ref", "main", "--timeout", "60");
                JsonNode out = Json.parse(p.out().getBytes(StandardCharsets.UTF_8), "stdout");
                if (p.exit() != 0 || !out.hasNonNull("run_id") || !"api".equals(Json.text(out, "source"))) {
                    throw new IllegalStateException("dispatch-answer run failed: " + p.out() + p.err());
                }
                if (i > 0) m.add(new double[] {p.seconds(), sim.requests().size() - before, remaining - sim.rateLimitRemaining()});
            }
            addTrackRow("dispatch answer (`source: api`)", "`./jbang trigger-and-track.java --ref main` on the github.com-like simulator",
                    m, "", "");
        }

        // Strategy 2: webhook (--webhook-only + receiver + wait)
        try (GitHubSimulator sim = GitHubSimulator.start()) {
            sim.visibilityDelay(visibility).phaseDelays(queued, inProgress).deliveryDelay(deliveryDelay);
            Path runsDir = tmp.resolve("track-webhook");
            Path secretFile = tmp.resolve("track-webhook-secret");
            Files.writeString(secretFile, SECRET + "\n");
            HttpClient http = HttpClient.newHttpClient();
            long hookId = Json.parse(simCall(http, sim, "POST", "/hooks", "{\"name\":\"web\",\"active\":true,\"events\":[\"workflow_run\",\"workflow_job\"],"
                    + "\"config\":{\"url\":\"http://127.0.0.1:9/\",\"content_type\":\"json\",\"secret\":\"" + SECRET + "\"}}").getBytes(StandardCharsets.UTF_8), "hook").path("id").asLong();
            List<double[]> m = new ArrayList<>();
            for (int i = 0; i < n + 1; i++) {
                progress("time to run id: webhook, run " + (i + 1));
                String corr = Correlation.newId();
                Live wait = Live.start(command(true, "wait-for-webhook.java", "--listen", "0", "--correlation-id", corr,
                        "--timeout", "60", "--runs-dir", runsDir.toString(), "--secret-file", secretFile.toString(),
                        "--state-dir", tmp.resolve("no-state").toString()), env(Map.of(), true), repo);
                String listenUrl = wait.awaitStderr("listening on ", Duration.ofSeconds(20));
                if (listenUrl == null) throw new IllegalStateException("wait-for-webhook did not listen: " + wait.stderr());
                simCall(http, sim, "PATCH", "/hooks/" + hookId + "/config", "{\"url\":\"" + listenUrl.trim()
                        + "\",\"content_type\":\"json\",\"secret\":\"" + SECRET + "\"}");
                int before = sim.requests().size();
                int remaining = sim.rateLimitRemaining();
                long t0 = System.nanoTime();
                Proc trigger = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--webhook-only", "--json-only",
                        "--correlation-id", corr, "--repo", sim.repo(), "--api-url", sim.apiUrl(), "--store-dir", runsDir.toString(),
                        "--ref", "main");
                int requests = sim.requests().size() - before;
                int charged = remaining - sim.rateLimitRemaining();
                String line = wait.awaitStdoutLine(Duration.ofSeconds(30));
                long t1 = wait.firstLineAt.get();
                wait.process.waitFor(10, TimeUnit.SECONDS);
                if (trigger.exit() != 0 || line == null || !Json.parse(line.getBytes(StandardCharsets.UTF_8), "out").hasNonNull("run_id")) {
                    throw new IllegalStateException("webhook run failed: " + trigger.err() + " / " + line + " / " + wait.stderr());
                }
                if (i > 0) m.add(new double[] {(t1 - t0) / 1e9, requests, charged});
                // The simulator's single hookshot thread sends one delivery at a time, 300 ms each: let this run's
                // six (3 workflow_run, 3 workflow_job) go out first, or the next run queues behind them.
                sim.awaitRun(sim.runs().get(sim.runs().size() - 1).id, "completed", Duration.ofSeconds(30));
                sim.awaitDeliveries(1 + 6 * (i + 1), Duration.ofSeconds(30));
            }
            addTrackRow("webhook (`--webhook-only` + `wait-for-webhook --listen`)",
                    "`./jbang wait-for-webhook.java --listen 0 --correlation-id U` running, then `./jbang trigger-and-track.java "
                            + "--webhook-only --correlation-id U --ref main`; time from the trigger's start to wait's run id; "
                            + "each run starts once the previous run's deliveries are out",
                    m, "≤ 2 requests per dispatch", "webhook");
        }

        // Strategy 3: polling (GHES 3.20: no run details), --interval 3 (the default)
        try (GitHubSimulator sim = GitHubSimulator.start(GitHubSimulator.Config.defaults().enterprise("3.20.0"))) {
            sim.visibilityDelay(visibility).phaseDelays(queued, inProgress).deliveryDelay(deliveryDelay);
            Path store = tmp.resolve("track-poll");
            List<double[]> m = new ArrayList<>();
            String runsPath = "/repos/" + sim.repo() + "/actions/workflows/dispatch-webhook.yml/runs";
            double firstRequests = 0;
            for (int i = 0; i < n + 1; i++) {
                progress("time to run id: polling, run " + (i + 1));
                int before = sim.requests().size();
                long listBefore = sim.requestCount("GET", runsPath);
                int remaining = sim.rateLimitRemaining();
                Proc p = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--json-only", "--repo", sim.repo(),
                        "--api-url", sim.apiUrl(), "--store-dir", store.toString(), "--ref", "main", "--interval", "3", "--timeout", "60");
                JsonNode out = Json.parse(p.out().getBytes(StandardCharsets.UTF_8), "stdout");
                if (p.exit() != 0 || !out.hasNonNull("run_id") || !"poll".equals(Json.text(out, "source"))) {
                    throw new IllegalStateException("polling run failed: " + p.out() + p.err());
                }
                double[] r = {p.seconds(), sim.requests().size() - before, remaining - sim.rateLimitRemaining(),
                    sim.requestCount("GET", runsPath) - listBefore};
                if (i == 0) firstRequests = r[1];
                else m.add(r);
            }
            addTrackRow("polling (`source: poll`), `--interval 3`",
                    "`./jbang trigger-and-track.java --ref main --interval 3` on the GHES 3.20 simulator (`enterprise(\"3.20.0\")`, "
                            + "no run details); steady state with the feature memory", m, "≤ 1 charged request per interval", "poll");
            // A run that shows up late: unchanged list answers come back 304 and cost nothing.
            sim.visibilityDelay(Duration.ofSeconds(10));
            List<double[]> late = new ArrayList<>();
            for (int i = 0; i < (quick ? 1 : 2); i++) {
                progress("time to run id: polling, run listed after 10 s, run " + (i + 1));
                int before = sim.requests().size();
                long listBefore = sim.requestCount("GET", runsPath);
                int remaining = sim.rateLimitRemaining();
                Proc p = jbang(Map.of("GH_TOKEN", sim.token()), true, "trigger-and-track.java", "--json-only", "--repo", sim.repo(),
                        "--api-url", sim.apiUrl(), "--store-dir", store.toString(), "--ref", "main", "--interval", "3", "--timeout", "60");
                if (p.exit() != 0) throw new IllegalStateException("polling run failed: " + p.out() + p.err());
                late.add(new double[] {p.seconds(), sim.requests().size() - before, remaining - sim.rateLimitRemaining(),
                    sim.requestCount("GET", runsPath) - listBefore});
            }
            addTrackRow("polling, run listed only after 10 s", "as above, `visibilityDelay(10 s)`", late,
                    "≤ 1 charged request per interval", "poll");
            notes.add(String.format(Locale.ROOT, "Polling: the very first dispatch against a GHES 3.20 API URL costs %.0f requests "
                    + "(the rejected `return_run_details` try included); the feature memory then skips that try.", firstRequests));
        }
        notes.add("Time to run id: simulator delays " + delays + "; wall times include the script's JVM start "
                + "(fast path). Requests are the simulator's request log; charged = drop of its core rate limit (304s are free).");
    }

    void addTrackRow(String strategy, String how, List<double[]> m, String target, String kind) {
        List<Double> secs = m.stream().map(r -> r[0]).toList();
        List<Double> req = m.stream().map(r -> r[1]).toList();
        List<Double> charged = m.stream().map(r -> r[2]).toList();
        String spread = "min–max " + sec(Collections.min(secs)) + "–" + sec(Collections.max(secs))
                + String.format(Locale.ROOT, "; requests/dispatch %s (charged %s)", num(req), num(charged));
        String verdict = "";
        if (kind.equals("webhook")) verdict = Collections.max(req) <= 2 ? "ok" : "MISSED";
        if (kind.equals("poll")) {
            List<Double> lists = m.stream().map(r -> r[3]).toList();
            // charged requests other than the list: the workflow GET and the dispatch
            double worstChargedLists = m.stream().mapToDouble(r -> r[2] - 2).max().orElse(0);
            double fewestIntervals = m.stream().mapToDouble(r -> Math.max(1, r[3])).min().orElse(1);
            spread += String.format(Locale.ROOT, "; list requests (one per interval) %s, of them charged at most %.0f (the rest 304)",
                    num(lists), worstChargedLists);
            verdict = worstChargedLists <= fewestIntervals ? "ok" : "MISSED";
        }
        rows.add(new Row("4. Time to run id", strategy, how, m.size(), sec(median(secs)), spread, target, verdict));
    }

    String simCall(HttpClient http, GitHubSimulator sim, String method, String path, String json) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(sim.apiUrl() + "/repos/" + sim.repo() + path))
                .header("Authorization", "Bearer " + sim.token()).header("Accept", "application/vnd.github+json")
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
        return r.body();
    }
}
