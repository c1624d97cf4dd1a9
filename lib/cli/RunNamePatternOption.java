package lib.cli;

import java.util.regex.Pattern;
import lib.webhook.Correlation;
import picocli.CommandLine.Option;

/** {@code --run-name-pattern}: how the correlation id is found in a run's name. */
public final class RunNamePatternOption {
    @Option(names = "--run-name-pattern", paramLabel = "REGEX",
            description = "Regex with one capture group that finds the correlation UUID in the run name "
                    + "(default: 'Dispatch Webhook (<uuid>)').")
    public String runNamePattern;

    public Pattern pattern() {
        return runNamePattern == null ? Correlation.DEFAULT_PATTERN : Correlation.compile(runNamePattern);
    }
}
