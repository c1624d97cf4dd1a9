package lib.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import lib.follow.Job;
import lib.follow.RunFollower;
import lib.follow.RunState;
import lib.util.Text;

/**
 * A followed run's progress on stderr, like {@code gh run watch}: on a terminal ({@link Mode#LIVE}) the
 * run, its jobs and their steps, redrawn in place on every change; elsewhere ({@link Mode#LINES}) one
 * line per change of the run's or a job's status, so logs stay readable. Never on stdout.
 */
public final class RunWatchView implements RunFollower.Listener {
    /** LIVE redraws a view (a terminal); LINES prints changes (a log); OFF shows nothing but warnings. */
    public enum Mode { LIVE, LINES, OFF }

    private static final String UP = "\u001b[%dA";
    private static final String ERASE_DOWN = "\u001b[J";

    private final PrintWriter err;
    private final Mode mode;
    private final String refresh;
    private final int width;
    private final int height;
    private int drawnLines;
    private RunState lastRun;
    private final Map<Long, String> lastJobStatus = new HashMap<>();

    /**
     * @param refresh how the view says it is refreshed, e.g. "every 3.0 s"
     * @param width   the terminal's columns (lines are cut to fit, so the redraw can count them)
     * @param height  the terminal's rows: a view taller than that could not be redrawn in place
     */
    public RunWatchView(PrintWriter err, Mode mode, String refresh, int width, int height) {
        this.err = err;
        this.mode = mode;
        this.refresh = refresh;
        this.width = Math.max(20, width);
        this.height = Math.max(5, height);
    }

    /** The view for a command's stderr: LIVE on a terminal, LINES otherwise, OFF with --json-only; COLUMNS wide. */
    public static RunWatchView forStderr(PrintWriter err, boolean terminal, boolean jsonOnly, Duration interval,
            Map<String, String> env) {
        return new RunWatchView(err, jsonOnly ? Mode.OFF : terminal ? Mode.LIVE : Mode.LINES,
                "every " + Durations.describe(interval), size(env, "COLUMNS", 80), size(env, "LINES", 40));
    }

    /** The terminal's width (COLUMNS) or height (LINES) when the shell exports them, else a common size. */
    static int size(Map<String, String> env, String variable, int otherwise) {
        try {
            return Integer.parseInt(env.getOrDefault(variable, String.valueOf(otherwise)).strip());
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    @Override
    public synchronized void progress(RunState run, List<Job> jobs) {
        if (mode == Mode.LIVE) redraw(frame(run, jobs));
        else if (mode == Mode.LINES) changes(run, jobs);
    }

    @Override
    public synchronized void warn(String message) {
        err.println("warning: " + message);
        err.flush();
        drawnLines = 0; // the warning stays; the next view is drawn below it
    }

    /**
     * The live view's lines: the run, then each job with its steps. When that is taller than the terminal,
     * only running and failed jobs show their steps, and what still does not fit is summed up in a last line.
     */
    List<String> frame(RunState run, List<Job> jobs) {
        List<String> lines = frame(run, jobs, false);
        if (lines.size() < height) return lines;
        lines = frame(run, jobs, true);
        if (lines.size() < height) return lines;
        List<String> cut = new ArrayList<>(lines.subList(0, height - 2));
        cut.add("  ... " + (lines.size() - cut.size()) + " more lines (the JSON line at the end lists every job)");
        return cut;
    }

    private List<String> frame(RunState run, List<Job> jobs, boolean compact) {
        List<String> lines = new ArrayList<>();
        String title = Text.plain(run.title());
        lines.add(symbol(run.status(), run.conclusion()) + " run " + run.runId() + (title.isEmpty() ? "" : " " + title)
                + " (attempt " + run.attempt() + "): " + describe(run.status(), run.conclusion()));
        if (run.htmlUrl() != null) lines.add("  " + Text.plain(run.htmlUrl()));
        lines.add("  refreshing " + refresh + "; Ctrl-C stops watching (the run goes on)");
        for (Job job : jobs) {
            Long took = job.durationSeconds();
            lines.add("  " + symbol(job.status(), job.conclusion()) + " " + Text.plain(job.name())
                    + (took == null ? "" : " in " + Durations.human(took)) + "  " + describe(job.status(), job.conclusion()));
            if (compact && !"in_progress".equals(job.status()) && !job.failed()) continue;
            for (Job.Step step : job.steps()) {
                lines.add("      " + symbol(step.status(), step.conclusion()) + " " + Text.plain(step.name()));
            }
        }
        return lines;
    }

    private void redraw(List<String> lines) {
        StringBuilder out = new StringBuilder();
        if (drawnLines > 0) out.append(String.format(UP, drawnLines)).append('\r').append(ERASE_DOWN);
        for (String line : lines) out.append(line.length() >= width ? line.substring(0, width - 1) : line).append('\n');
        err.print(out);
        err.flush();
        drawnLines = lines.size();
    }

    /** One line per change: the run's status or attempt, then each job whose status changed. */
    private void changes(RunState run, List<Job> jobs) {
        if (lastRun == null || !lastRun.sameAs(run)) {
            if (lastRun != null && run.attempt() > lastRun.attempt()) {
                err.println("run " + run.runId() + " was re-run: following attempt " + run.attempt());
                lastJobStatus.clear();
            }
            err.println("run " + run.runId() + " (attempt " + run.attempt() + "): " + describe(run.status(), run.conclusion()));
            lastRun = run;
        }
        for (Job job : jobs) {
            String status = describe(job.status(), job.conclusion());
            if (Objects.equals(lastJobStatus.put(job.id(), status), status)) continue;
            Long took = job.durationSeconds();
            err.println("  job " + Text.plain(job.name()) + ": " + status + (took == null ? "" : " in " + Durations.human(took)));
        }
        err.flush();
    }

    static String describe(String status, String conclusion) {
        if (status == null) return "unknown";
        return "completed".equals(status) && conclusion != null ? conclusion : status;
    }

    /** + success, X failed, - skipped/cancelled/neutral, * running, . waiting. */
    static String symbol(String status, String conclusion) {
        if (!"completed".equals(status)) return "in_progress".equals(status) ? "*" : ".";
        if (conclusion == null) return "?";
        return switch (conclusion) {
            case "success" -> "+";
            case "skipped", "neutral", "cancelled" -> "-";
            default -> "X";
        };
    }
}
