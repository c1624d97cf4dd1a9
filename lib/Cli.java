package lib;

//DEPS info.picocli:picocli:4.7.7

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Builds every command's {@link CommandLine} the same way: exit codes, one-line errors,
 * and writers that tests can replace. Used by each script's main and by the tests.
 */
public final class Cli {
    private Cli() {}

    /** Adds {@code --verbose} to a command: stack traces and request logs on stderr. */
    public static final class VerboseOption {
        @Option(names = "--verbose", description = "Log requests and show stack traces on stderr.")
        public boolean verbose;
    }

    public static CommandLine create(Object command) {
        return create(command, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    }

    public static CommandLine create(Object command, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(command);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(Cli::exitCodeOf);
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            c.getErr().flush();
            return ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parseResult) -> {
            boolean verbose = parseResult.originalArgs().contains("--verbose");
            c.getErr().println("error: " + messageOf(ex));
            if (verbose) ex.printStackTrace(c.getErr());
            c.getErr().flush();
            return exitCodeOf(ex);
        });
        return cli;
    }

    /** Runs a command as a program: parses args, executes, exits with the command's code. */
    public static void main(Object command, String[] args) {
        System.exit(create(command).execute(args));
    }

    static int exitCodeOf(Throwable ex) {
        if (ex instanceof CommandException ce) return ce.exitCode();
        if (ex instanceof CommandLine.ParameterException) return ExitCode.USAGE;
        return ExitCode.GITHUB;
    }

    private static String messageOf(Throwable ex) {
        if (ex instanceof CommandException) return ex.getMessage();
        String m = ex.getMessage();
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
