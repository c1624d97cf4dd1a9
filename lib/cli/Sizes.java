package lib.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.util.BadInputException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Sizes on the command line: bytes, or a whole number with a unit: {@code 512KB}, {@code 128MB}, {@code 1GB}
 * (units of 1,024, as GitHub's 25 MB cap is counted; {@code KiB}, {@code MiB}, {@code GiB} mean the same).
 */
public final class Sizes implements ITypeConverter<Long> {
    private static final Pattern FORM = Pattern.compile("(\\d{1,12})\\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?");

    @Override
    public Long convert(String value) {
        try {
            return parse(value);
        } catch (BadInputException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    public static long parse(String value) {
        Matcher m = FORM.matcher(value == null ? "" : value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new BadInputException("not a size (bytes, or a number with KB, MB or GB): " + value);
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        long factor = switch (unit.charAt(0)) {
            case 'k' -> 1024L;
            case 'm' -> 1024L * 1024;
            case 'g' -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        if (amount > Long.MAX_VALUE / factor / 4) throw new BadInputException("a size this large makes no sense: " + value);
        return amount * factor;
    }
}
