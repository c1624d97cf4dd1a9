package lib.webhook;

import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import lib.util.BadInputException;

/** Finds the correlation UUID that a dispatched run carries in its run-name. */
public final class Correlation {
    private static final String UUID_TEXT =
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    /** The run-name our sample workflow sets: {@code Dispatch Webhook (<uuid>)}. */
    public static final Pattern DEFAULT_PATTERN = Pattern.compile("Dispatch Webhook \\((" + UUID_TEXT + ")\\)");

    private Correlation() {}

    /** A new correlation id: a random UUID in lower case. */
    public static String newId() {
        return UUID.randomUUID().toString();
    }

    /** True for a UUID in its 8-4-4-4-12 hex form (either case). Checked by hand: a receiver asks on every file it names. */
    public static boolean isValid(String id) {
        if (id == null || id.length() != 36) return false;
        for (int i = 0; i < 36; i++) {
            char c = id.charAt(i);
            boolean ok = i == 8 || i == 13 || i == 18 || i == 23 ? c == '-'
                    : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!ok) return false;
        }
        return true;
    }

    /** The canonical (lower-case) form of a correlation id, or a usage error when it is not a UUID. */
    public static String canonical(String id) {
        if (!isValid(id)) throw new BadInputException("not a correlation id (a UUID was expected): " + id);
        return id.toLowerCase(Locale.ROOT);
    }

    /** Compiles a user's --run-name-pattern: a regex with exactly one capture group. */
    public static Pattern compile(String regex) {
        try {
            Pattern p = Pattern.compile(regex);
            if (p.matcher("").groupCount() != 1) {
                throw new BadInputException("--run-name-pattern needs exactly one capture group: " + regex);
            }
            return p;
        } catch (PatternSyntaxException e) {
            throw new BadInputException("--run-name-pattern is not a valid regular expression: " + e.getDescription());
        }
    }

    /**
     * Searches {@code displayTitle} first (real payloads can carry an empty name with the
     * run-name in display_title), then {@code name}. Only a captured UUID counts.
     */
    public static Optional<String> find(Pattern pattern, String displayTitle, String name) {
        for (String candidate : new String[] {displayTitle, name}) {
            if (candidate == null || candidate.isEmpty()) continue;
            Matcher m = pattern.matcher(candidate);
            while (m.find()) {
                String captured = m.group(1);
                if (isValid(captured)) return Optional.of(captured.toLowerCase(Locale.ROOT));
            }
        }
        return Optional.empty();
    }
}
