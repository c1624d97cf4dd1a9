package lib.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.util.Locale;
import java.util.regex.Pattern;

/** Small text helpers shared by messages, logs and URLs. */
public final class Text {
    /** Terminal escape sequences: CSI (colours, cursor moves), OSC (titles, links), DCS/SOS/PM/APC strings, and the rest. */
    private static final Pattern ESCAPES = Pattern.compile("\\x1b\\[[0-?]*[ -/]*[@-~]?"
            + "|\\x1b\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)?"
            + "|\\x1b[PX^_][^\\x1b]*(?:\\x1b\\\\)?"
            + "|\\x1b[ -/]*[0-~]?"
            + "|\\x9b[0-?]*[ -/]*[@-~]?");
    /** C0 controls but the tab, DEL, C1 controls, a BOM, and the bidirectional overrides that make text read other than it is. */
    private static final Pattern CONTROLS = Pattern.compile("[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]");

    private static final Pattern URL_CREDENTIALS = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/?#@\\s\"']+@");

    private Text() {}

    /**
     * One line of text from elsewhere (a job log, a job or step name) as plain text that is safe to print
     * on a terminal: escape sequences and control characters removed, tabs kept; after a carriage return
     * only what a terminal would leave visible (the text after the last one). Null gives "".
     */
    public static String plain(String s) {
        if (s == null) return "";
        String t = ESCAPES.matcher(s).replaceAll("");
        int end = t.length();
        while (end > 0 && (t.charAt(end - 1) == '\r' || t.charAt(end - 1) == '\n')) end--;
        t = t.substring(0, end);
        int cr = t.lastIndexOf('\r');
        if (cr >= 0) t = t.substring(cr + 1);
        return CONTROLS.matcher(t).replaceAll("");
    }

    /**
     * The value with every character outside visible ASCII (controls, spaces, non-ASCII) shown as '?',
     * so text from a sender can be put into one log line or message safely; null shows as "-".
     */
    public static String printable(String s) {
        return s == null ? "-" : s.replaceAll("[^\\x21-\\x7e]", "?");
    }

    /** {@link #printable(String)}, cut to its first {@code max} characters and the length it had. */
    public static String printable(String s, int max) {
        String p = printable(s);
        return p.length() <= max ? p : p.substring(0, max) + "... (" + p.length() + " characters)";
    }

    /**
     * The text with the user information of every URL in it ("https://user:password@host") shown as "***":
     * a webhook URL may carry basic-auth credentials, which must not reach a terminal or a CI log.
     */
    public static String withoutUrlCredentials(String s) {
        return s == null ? null : URL_CREDENTIALS.matcher(s).replaceAll("$1***@");
    }

    /**
     * One path segment or query value, percent-encoded (UTF-8). A space is "%20", which both read as a space
     * (the form style's "+" is a literal plus in a path: "deploy prod.yml" named another workflow).
     */
    public static String urlEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * One line for an error: a {@link TrackerException}'s own message; otherwise the message and those of its
     * causes, e.g. "could not store the delivery under runs: runs/x: Not a directory". File errors come
     * without class names, unexpected ones (a NullPointerException) with.
     */
    public static String describe(Throwable ex) {
        if (ex instanceof TrackerException) return oneLine(ex.getMessage());
        StringBuilder line = new StringBuilder();
        Throwable e = ex;
        for (int depth = 0; e != null && depth < 5; e = e.getCause(), depth++) {
            String part = part(e);
            if (part == null || line.indexOf(part) >= 0) continue;
            line.append(line.length() == 0 ? "" : ": ").append(part);
        }
        if (line.length() == 0) line.append(ex.getClass().getSimpleName());
        return oneLine(line.toString());
    }

    /**
     * A message as one line: line breaks become spaces and other control characters '?', so a value quoted
     * in it (a flag's value, a run name) cannot start a line of its own, such as a fake "error:" or a
     * workflow command ("::...") in a CI log.
     */
    public static String oneLine(String s) {
        if (s == null) return "";
        return CONTROLS.matcher(s.replaceAll("\\s*\\R\\s*", " ")).replaceAll("?");
    }

    private static String part(Throwable e) {
        String m = e.getMessage();
        if (m != null && e.getCause() != null && m.equals(e.getCause().toString())) return null; // a bare wrapper
        if (e instanceof FileSystemException f && f.getReason() == null) { // e.g. AccessDeniedException: "/x: access denied"
            m = m + ": " + f.getClass().getSimpleName().replace("Exception", "")
                    .replaceAll("(?<=[a-z])(?=[A-Z])", " ").toLowerCase(Locale.ROOT);
        }
        if (e instanceof IOException || e instanceof UncheckedIOException) return m;
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
