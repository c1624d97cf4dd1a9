package lib.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --verbose}: GitHub requests logged and stack traces shown on stderr. */
public final class VerboseOption {
    @Option(names = "--verbose", description = "Log GitHub requests and show stack traces on stderr.")
    public boolean verbose;

    /** Where to log requests: {@code err} with --verbose, else nowhere (null). */
    public PrintWriter log(PrintWriter err) {
        return verbose ? err : null;
    }
}
