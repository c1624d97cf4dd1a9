import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import lib.cli.ExitCode;
import lib.util.BadInputException;
import lib.webhook.Correlation;
import org.junit.jupiter.api.Test;

class CorrelationTest {
    private static final String ID = "5b0b2ad4-3c1f-4f7e-9a55-8d3f2f0d7c11";

    @Test
    void validIdsAreExactlyTheHexUuidsOfEitherCase() {
        assertTrue(Correlation.isValid(ID));
        assertTrue(Correlation.isValid(ID.toUpperCase(java.util.Locale.ROOT)));
        for (String bad : new String[] {null, "", "unknown", ID + "0", ID.substring(1), ID.replace('-', '_'),
                ID.replace("5b0b", "5b0g"), "../" + ID.substring(3), ID.substring(0, 35) + "\n", "5b0b2ad4f3c1f-4f7e-9a55-8d3f2f0d7c11"}) {
            assertFalse(Correlation.isValid(bad), String.valueOf(bad));
        }
        // every single-character change agrees with the UUID grammar
        java.util.regex.Pattern grammar = java.util.regex.Pattern.compile(
                "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
        for (int i = 0; i < ID.length(); i++) {
            for (char c : "0aF-gZ/. ".toCharArray()) {
                String changed = ID.substring(0, i) + c + ID.substring(i + 1);
                assertEquals(grammar.matcher(changed).matches(), Correlation.isValid(changed), changed);
            }
        }
    }

    @Test
    void findsTheUuidInDisplayTitleBeforeName() {
        String other = "0e3a7b62-1111-4222-8333-944455556666";
        assertEquals(Optional.of(ID), Correlation.find(Correlation.DEFAULT_PATTERN,
                "Dispatch Webhook (" + ID + ")", "Dispatch Webhook (" + other + ")"));
    }

    @Test
    void fallsBackToNameWhenDisplayTitleHasNone() {
        assertEquals(Optional.of(ID), Correlation.find(Correlation.DEFAULT_PATTERN, "", "Dispatch Webhook (" + ID + ")"));
    }

    @Test
    void writesTheUuidInLowerCase() {
        assertEquals(Optional.of(ID), Correlation.find(Correlation.DEFAULT_PATTERN,
                "Dispatch Webhook (" + ID.toUpperCase() + ")", null));
    }

    @Test
    void ignoresRunNamesWithoutAUuid() {
        assertTrue(Correlation.find(Correlation.DEFAULT_PATTERN, "Dispatch Webhook (not-a-uuid)", "CI").isEmpty());
    }

    @Test
    void customPatternMustCaptureAUuid() {
        var pattern = Correlation.compile("deploy-(\\S+)");
        assertEquals(Optional.of(ID), Correlation.find(pattern, "deploy-" + ID, null));
        assertTrue(Correlation.find(pattern, "deploy-../../etc", null).isEmpty());
    }

    @Test
    void customPatternNeedsExactlyOneGroup() {
        assertEquals(2, ExitCode.of(assertThrows(BadInputException.class, () -> Correlation.compile("no group"))));
        assertEquals(2, ExitCode.of(assertThrows(BadInputException.class, () -> Correlation.compile("(a)(b)"))));
        assertEquals(2, ExitCode.of(assertThrows(BadInputException.class, () -> Correlation.compile("(unclosed"))));
    }
}
