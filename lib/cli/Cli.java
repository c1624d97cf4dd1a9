package lib.cli;

//DEPS info.picocli:picocli:4.7.7

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.util.Locale;
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

    /**
     * One line for an error: a {@link CommandException}'s own message; otherwise the message and those of its
     * causes, e.g. "could not store the delivery under runs: runs/x: Not a directory". File errors come
     * without class names, unexpected ones (a NullPointerException) with.
     */
    public static String messageOf(Throwable ex) {
        if (ex instanceof CommandException) return ex.getMessage();
        StringBuilder line = new StringBuilder();
        Throwable e = ex;
        for (int depth = 0; e != null && depth < 5; e = e.getCause(), depth++) {
            String part = describe(e);
            if (part == null || line.indexOf(part) >= 0) continue;
            line.append(line.length() == 0 ? "" : ": ").append(part);
        }
        if (line.length() == 0) line.append(ex.getClass().getSimpleName());
        return line.toString().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (m != null && e.getCause() != null && m.equals(e.getCause().toString())) return null; // a bare wrapper
        if (e instanceof FileSystemException f && f.getReason() == null) { // e.g. AccessDeniedException: "/x: access denied"
            m = m + ": " + f.getClass().getSimpleName().replace("Exception", "")
                    .replaceAll("(?<=[a-z])(?=[A-Z])", " ").toLowerCase(Locale.ROOT);
        }
        if (e instanceof IOException || e instanceof UncheckedIOException) return m;
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
