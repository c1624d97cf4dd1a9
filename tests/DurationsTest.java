import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import lib.cli.Durations;
import lib.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One duration syntax for every --timeout and interval: seconds with fractions, or a unit. */
class DurationsTest {
    @TempDir Path tmp;

    @Test
    void plainSecondsFractionsAndUnits() {
        assertEquals(Duration.ofMillis(50), Durations.parse("0.05"));
        assertEquals(Duration.ofSeconds(300), Durations.parse("300"));
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ZERO, Durations.parse("0"));
        assertThrows(BadInputException.class, () -> Durations.parse("-1"));
        assertThrows(BadInputException.class, () -> Durations.parse("999999999m"));
    }

    @Test
    void aPollIntervalOfZeroIsAUsageError() {
        WaitForWebhook cmd = new WaitForWebhook();
        cmd.env = Map.of("GITHUB_WEBHOOK_SECRET", "s");
        Testing.Run r = Testing.run(cmd, "--runs-dir", tmp.resolve("runs").toString(), "--state-dir", tmp.toString(),
                "--from-webhook-site", "9b3f6c1e-2d4a-4e8b-a7c5-1f0e9d8c7b6a", "--webhook-site-url", "http://127.0.0.1:1",
                "--correlation-id", "6e5d4c3b-2a19-4f08-b7e6-d5c4b3a29180", "--poll-interval", "0", "--timeout", "1");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("--poll-interval must be a positive duration"), r.err());
    }

    @Test
    void triggerAndTrackTakesTheSameDurations() {
        TriggerAndTrack cmd = new TriggerAndTrack();
        cmd.env = Map.of();
        Testing.Run zero = Testing.run(cmd, "--repo", "o/r", "--interval", "0");
        assertEquals(2, zero.exitCode(), zero.all());
        assertTrue(zero.err().contains("--interval must be a positive duration"), zero.err());
        Testing.Run bad = Testing.run(new TriggerAndTrack(), "--repo", "o/r", "--timeout", "soon");
        assertEquals(2, bad.exitCode(), bad.all());
        assertTrue(bad.err().contains("not a duration"), bad.err());
    }
}
