package lib.cli;

import java.io.PrintWriter;

/** A one-line progress indicator on stderr, redrawn in place; silent unless enabled (stderr is a terminal). */
public final class Spinner {
    private static final char[] FRAMES = {'|', '/', '-', '\\'};
    private final PrintWriter err;
    private final boolean enabled;
    private int frame;
    private int width;

    public Spinner(PrintWriter err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    public void update(String text) {
        if (!enabled) return;
        String line = FRAMES[frame++ % FRAMES.length] + " " + text;
        err.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
        err.flush();
        width = line.length();
    }

    /** Erases the line so the next message starts clean. */
    public void clear() {
        if (!enabled || width == 0) return;
        err.print("\r" + " ".repeat(width) + "\r");
        err.flush();
        width = 0;
    }
}
