package lib.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.util.BadInputException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations on the command line: plain seconds, fractions allowed ({@code 30}, {@code 0.05}), or with a unit
 * ({@code 500ms}, {@code 30s}, {@code 5m}); at most 30 days. Zero parses; {@link #positive} rejects it where a pause is meant.
 */
public final class Durations implements ITypeConverter<Duration> {
    private static final Duration MAX = Duration.ofDays(30);
    private static final Pattern FORM = Pattern.compile("(\\d{1,9}(?:\\.\\d{1,3})?)(ms|s|m)?");

    @Override
    public Duration convert(String value) {
        try {
            return parse(value);
        } catch (BadInputException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    public static Duration parse(String value) {
        Matcher m = FORM.matcher(value == null ? "" : value.strip());
        if (!m.matches()) {
            throw new BadInputException("not a duration (seconds, or a number with ms, s or m): " + value);
        }
        double amount = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = switch (unit) {
            case "ms" -> amount;
            case "m" -> amount * 60_000;
            default -> amount * 1000;
        };
        if (millis > MAX.toMillis()) throw new BadInputException("a duration of at most 30 days, not " + value);
        return Duration.ofMillis(Math.round(millis));
    }

    /** For messages: seconds with a fraction, e.g. "15.0 s", "0.25 s". */
    public static String describe(Duration d) {
        return d.toMillis() / 1000.0 + " s";
    }

    /** {@code d} when it is more than zero, else a usage error naming {@code option} (a pause of 0 is not one). */
    public static Duration positive(Duration d, String option) {
        if (d.isZero()) throw new BadInputException(option + " must be a positive duration, e.g. 500ms or 2, not 0");
        return d;
    }

    /** For people: "45 s", "2 min 5 s", "1 h 2 min". */
    public static String human(long seconds) {
        if (seconds < 60) return seconds + " s";
        if (seconds < 3600) return seconds / 60 + " min " + seconds % 60 + " s";
        return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
    }
}
