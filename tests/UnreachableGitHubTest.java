import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import lib.dispatch.Dispatcher;
import lib.github.ApiFeatures;
import lib.github.GitHubClient;
import lib.github.GitHubContext;
import lib.github.GitHubException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A refused connection reached nothing: the dispatch certainly did not happen. */
class UnreachableGitHubTest {
    static final String CLOSED = "http://127.0.0.1:1"; // loopback port 1 refuses connections

    @TempDir Path tmp;

    @Test
    void aRefusedDispatchIsCertainlyNotSent() {
        GitHubClient client = new GitHubClient(new GitHubContext(CLOSED, "o/r", "t", "test"),
                GitHubClient.Policy.defaults().withMaxAttempts(1), d -> {}, null);
        Dispatcher dispatcher = new Dispatcher(client, new ApiFeatures(tmp), m -> {});
        GitHubException e = assertThrows(GitHubException.class, () -> dispatcher.dispatch("w.yml", "main", Map.of(), null));
        assertTrue(e.getMessage().startsWith("could not reach GitHub at POST"), e.getMessage());
        assertFalse(Dispatcher.isUncertain(e));
    }

    @Test
    void triggerAndTrackSaysGitHubCouldNotBeReached() {
        TriggerAndTrack cmd = new TriggerAndTrack();
        cmd.env = Map.of("GH_TOKEN", "t");
        cmd.workDir = tmp;
        cmd.stderrIsTerminal = false;
        cmd.sleeper = d -> {};
        Testing.Run r = Testing.run(cmd, "--repo", "o/r", "--api-url", CLOSED, "--ref", "main",
                "--store-dir", tmp.resolve("runs").toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.err().startsWith("error: could not reach GitHub at "), r.err());
        assertFalse(r.err().contains("may or may not"), r.err());
    }
}
