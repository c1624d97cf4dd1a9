package lib.github;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A workflow run's REST endpoints: the run, its jobs, a job's log, cancel. Reads that are repeated
 * while following a run are conditional ({@code If-None-Match}), so an unchanged answer is a free 304.
 */
public final class ActionsRuns {
    /** GitHub's largest page. */
    public static final int PER_PAGE = 100;
    /** A log line longer than this is cut (a minified bundle can be one line of megabytes). */
    public static final int MAX_LINE = 2_000;

    private final GitHubClient client;

    public ActionsRuns(GitHubClient client) {
        this.client = client;
    }

    /** The same endpoints through {@link GitHubClient#until}: retries, waits and timeouts within {@code deadline}. */
    public ActionsRuns until(LongSupplier nanoTime, long deadline, Consumer<String> warn) {
        return new ActionsRuns(client.until(nanoTime, deadline, warn));
    }

    /** {@code GET /actions/runs/{id}}, conditional: a 304 serves the body seen before, with {@code notModified()}. */
    public GitHubClient.Reply run(long runId) {
        return client.getConditional(runPath(runId));
    }

    /**
     * The newest attempt's jobs ({@code GET .../jobs?filter=latest&per_page=100}). The first page is
     * conditional; with {@code allPages}, further pages follow the {@code Link} header.
     */
    public List<JsonNode> jobs(long runId, boolean allPages) {
        GitHubClient.Reply first = client.getConditional(runPath(runId) + "/jobs?filter=latest&per_page=" + PER_PAGE);
        List<JsonNode> jobs = new ArrayList<>();
        if (first.body() != null) first.body().path("jobs").forEach(jobs::add);
        String next = GitHubClient.nextLink(first.header("Link"));
        if (allPages && next != null) jobs.addAll(client.paginate(next, 0));
        return jobs;
    }

    /**
     * {@code POST .../cancel}: true when GitHub took the request (202), false when the run can no longer
     * be cancelled (409, e.g. it completed meanwhile). Retried on 5xx and no answer like a GET: a repeated
     * cancel is harmless (202 again, or 409 once the first took effect). Other errors are thrown.
     */
    public boolean cancel(long runId) {
        try {
            client.sendRepeatable("POST", runPath(runId) + "/cancel", null);
            return true;
        } catch (GitHubApiException e) {
            if (e.status() == 409) return false;
            throw e;
        }
    }

    /**
     * The last {@code lines} lines of a job's log, as sent (timestamps and colour codes included).
     * {@code GET .../jobs/{id}/logs} answers 302 with a short-lived URL on another host, which is
     * fetched without the token ({@link GitHubClient#download}). Only the tail is kept in memory.
     */
    public List<String> logTail(long jobId, int lines) {
        return client.download(client.repoPath("/actions/jobs/" + jobId + "/logs"), body -> tail(body, lines));
    }

    /**
     * The last {@code lines} lines of a text, split at line feeds only: a carriage return inside a line
     * (a progress bar redrawing itself) stays part of it, as a terminal would show one line.
     */
    static List<String> tail(InputStream body, int lines) throws IOException {
        Deque<String> last = new ArrayDeque<>(Math.max(1, lines));
        StringBuilder line = new StringBuilder();
        char[] buffer = new char[8192];
        try (Reader reader = new InputStreamReader(body, StandardCharsets.UTF_8)) {
            for (int n = reader.read(buffer); n >= 0; n = reader.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != '\n') {
                        if (line.length() < MAX_LINE) line.append(buffer[i]);
                        else if (line.length() == MAX_LINE) line.append(" [...]");
                        continue;
                    }
                    keep(last, line, lines);
                }
            }
        }
        if (line.length() > 0) keep(last, line, lines);
        return List.copyOf(last);
    }

    private static void keep(Deque<String> last, StringBuilder line, int lines) {
        if (lines > 0) {
            if (last.size() == lines) last.removeFirst();
            last.addLast(line.toString());
        }
        line.setLength(0);
    }

    private String runPath(long runId) {
        return client.repoPath("/actions/runs/" + runId);
    }
}
