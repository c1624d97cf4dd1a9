package lib.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.regex.Pattern;
import lib.follow.Job;
import lib.follow.RunFollower;
import lib.follow.RunOutcome;
import lib.follow.RunState;
import lib.util.Text;

/** What people read about a followed run's outcome: lines on stderr, and the Markdown of an Actions step summary. */
public final class RunReport {
    /** The RFC 3339 time GitHub puts before every log line (the first may follow a byte order mark). */
    private static final Pattern LOG_TIME = Pattern.compile("^\uFEFF?\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?Z ?");

    private RunReport() {}

    /**
     * On stderr: how the run ended (left out for a successful run when {@code quiet}); for a run without
     * success also its failed jobs, their failed steps and the tails of their logs; after a timeout, what
     * was last seen and whether a cancel was requested. {@code waited} describes the timeout.
     */
    public static void explain(PrintWriter err, RunOutcome o, long runId, String waited, boolean quiet) {
        RunState run = o.run();
        if (!o.completed()) {
            err.println("error: run " + runId + " did not complete within " + waited
                    + (run == null ? "" : " (last seen " + RunWatchView.describe(run.status(), run.conclusion())
                    + ", attempt " + run.attempt() + ")")
                    + (o.cancelRequested() ? "; cancel requested" : o.cancelError() != null
                            ? "; cancel failed: " + Text.plain(o.cancelError()) + " - it may go on"
                            : "; it goes on (--cancel-on-timeout would cancel it)"));
            err.flush();
            return;
        }
        if (o.successful() && quiet) return;
        Long took = run.durationSeconds();
        err.println((o.successful() ? "" : "error: ") + "run " + runId + " (attempt " + run.attempt() + ") completed: "
                + run.conclusion() + (took == null ? "" : " in " + Durations.human(took))
                + (run.htmlUrl() == null ? "" : ": " + Text.plain(run.htmlUrl())));
        if (!o.successful()) failures(err, o);
        err.flush();
    }

    private static void failures(PrintWriter err, RunOutcome o) {
        List<Job> failed = o.failedJobs();
        if (failed.isEmpty()) {
            err.println("  no failed job is listed (" + (o.jobs().isEmpty() ? "the run has no jobs" : "none of "
                    + o.jobs().size() + " jobs failed") + "; conclusion " + o.run().conclusion() + ")");
        }
        for (Job job : failed) {
            err.println("failed job: " + Text.plain(job.name()) + " (" + job.conclusion() + ")"
                    + (job.htmlUrl() == null ? "" : ": " + Text.plain(job.htmlUrl())));
            for (Job.Step step : job.failedSteps()) {
                err.println("  failed step " + step.number() + ": " + Text.plain(step.name()) + " (" + step.conclusion() + ")");
            }
            RunOutcome.LogTail tail = o.logs().get(job.id());
            if (tail == null) continue;
            if (tail.error() != null) {
                err.println("  its log could not be read: " + tail.error());
                continue;
            }
            err.println("  last " + tail.lines().size() + " lines of its log:");
            for (String line : tail.lines()) err.println("    " + logLine(line));
        }
        if (failed.size() > RunFollower.MAX_LOGGED_JOBS && !o.logs().isEmpty()) {
            err.println("(logs shown for the first " + RunFollower.MAX_LOGGED_JOBS + " failed jobs only)");
        }
    }

    /** A log line as plain text: GitHub's leading timestamp dropped, escape sequences and control characters removed. */
    public static String logLine(String raw) {
        return Text.plain(LOG_TIME.matcher(raw).replaceFirst(""));
    }

    /** The step summary: a heading with the conclusion, a link to the run, and a table of its jobs. */
    public static String markdown(RunOutcome o, long runId, String runUrl, String waited) {
        RunState run = o.run();
        String url = run != null && run.htmlUrl() != null ? run.htmlUrl() : runUrl;
        String link = url == null ? "run " + runId : "[run " + runId + "](" + href(url) + ")";
        StringBuilder md = new StringBuilder();
        if (!o.completed()) {
            md.append("### ⏱ Run ").append(runId).append(" did not complete within ").append(waited).append("\n\n");
            md.append(link).append(run == null ? "" : " · attempt " + run.attempt() + " · last seen **"
                    + RunWatchView.describe(run.status(), run.conclusion()) + "**")
                    .append(o.cancelRequested() ? " · cancel requested" : "")
                    .append(o.cancelError() != null ? " · cancel failed: " + cell(o.cancelError()) : "").append("\n");
            return md.toString();
        }
        Long took = run.durationSeconds();
        md.append("### ").append(o.successful() ? "✅" : "❌").append(" Run ").append(runId).append(": ")
                .append(run.conclusion()).append("\n\n");
        md.append(link).append(run.title() == null ? "" : " · " + cell(run.title())).append(" · attempt ").append(run.attempt())
                .append(" · conclusion **").append(run.conclusion()).append("**")
                .append(took == null ? "" : " · " + Durations.human(took)).append("\n");
        if (!o.jobs().isEmpty()) {
            md.append("\n| job | conclusion | failed steps |\n| --- | --- | --- |\n");
            for (Job job : o.jobs()) {
                String name = job.htmlUrl() == null ? cell(job.name()) : "[" + cell(job.name()) + "](" + href(job.htmlUrl()) + ")";
                md.append("| ").append(name).append(" | ").append(cell(RunWatchView.describe(job.status(), job.conclusion())))
                        .append(" | ").append(String.join(", ", job.failedSteps().stream().map(s -> cell(s.name())).toList()))
                        .append(" |\n");
            }
        }
        return md.toString();
    }

    /** A URL from GitHub as a Markdown link target: nothing that ends the link or the cell. */
    static String href(String url) {
        return Text.plain(url).replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("|", "%7C")
                .replace("<", "%3C").replace(">", "%3E");
    }

    /** Text from GitHub inside a Markdown table cell or link: one line, nothing that ends the cell or opens markup. */
    static String cell(String s) {
        return Text.plain(s).replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")
                .replace("<", "&lt;").replace(">", "&gt;").replace("`", "\\`");
    }
}
