import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import lib.github.ApiFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-API-URL memory of a rejected return_run_details: kept per server version, forgotten after a week. */
class ApiFeaturesTest {
    static final String GHES = "https://ghe.example.com/api/v3";
    static final String F = ApiFeatures.RETURN_RUN_DETAILS;

    @TempDir Path tmp;

    @Test
    void rememberedPerApiUrlAndServerVersionForAWeek() throws Exception {
        Instant now = Instant.parse("2026-03-01T10:00:00Z");
        ApiFeatures features = new ApiFeatures(tmp, Clock.fixed(now, ZoneOffset.UTC));
        assertTrue(features.mayHave(GHES, F, "3.20.0"), "nothing known: worth trying");
        features.recordMissing(GHES, F, "3.20.0");
        assertFalse(features.mayHave(GHES, F, "3.20.0"));
        assertTrue(features.mayHave("https://other.example.com/api/v3", F, "3.20.0"), "another server");
        assertTrue(features.mayHave(GHES, F, "3.21.0"), "an upgraded server is asked again");
        ApiFeatures weekLater = new ApiFeatures(tmp, Clock.fixed(now.plus(Duration.ofDays(8)), ZoneOffset.UTC));
        assertTrue(weekLater.mayHave(GHES, F, "3.20.0"), "forgotten after a week");
    }

    /** A record made on a clock that was ahead (or a file edited by hand) does not hold for longer than a week. */
    @Test
    void aRecordFromTheFutureIsNotBelieved() throws Exception {
        Instant now = Instant.parse("2026-03-01T10:00:00Z");
        new ApiFeatures(tmp, Clock.fixed(now.plus(Duration.ofDays(300)), ZoneOffset.UTC)).recordMissing(GHES, F, null);
        assertTrue(new ApiFeatures(tmp, Clock.fixed(now, ZoneOffset.UTC)).mayHave(GHES, F, null));
        new ApiFeatures(tmp, Clock.fixed(now.plus(Duration.ofMinutes(1)), ZoneOffset.UTC)).recordMissing(GHES, F, null);
        assertFalse(new ApiFeatures(tmp, Clock.fixed(now, ZoneOffset.UTC)).mayHave(GHES, F, null), "a minute ahead is a clock");
    }

    @Test
    void aDamagedFileMeansNothingKnown() throws Exception {
        Files.writeString(tmp.resolve(ApiFeatures.FILE_NAME), "{not json");
        ApiFeatures features = new ApiFeatures(tmp);
        assertTrue(features.mayHave(GHES, F, null));
        features.recordMissing(GHES, F, null);
        assertFalse(features.mayHave(GHES, F, null));
    }

    @Test
    void aFileThatCannotBeWrittenIsOnlyReported() throws Exception {
        Files.createDirectories(tmp.resolve(ApiFeatures.FILE_NAME).resolve("blocker")); // a folder in its place
        assertFalse(new ApiFeatures(tmp).recordMissing(GHES, F, null));
    }
}
