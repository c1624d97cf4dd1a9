package lib.cli;

//DEPS info.picocli:picocli:4.7.7
// String concatenation as StringBuilder calls, for every script (they all use this class): the JDK's
// invokedynamic concatenation spins classes on first use of each shape, which the launcher's archive cannot keep.
//JAVAC_OPTIONS -XDstringConcat=inline

import java.io.PrintWriter;
import lib.util.Text;
import picocli.CommandLine;

/**
 * Builds every command's {@link CommandLine} the same way: exit codes, one-line errors,
 * and writers that tests can replace. Used by each script's main and by the tests.
 */
public final class Cli {
    private Cli() {}

    public static CommandLine create(Object command) {
        return create(command, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    }

    public static CommandLine create(Object command, PrintWriter out, PrintWriter err) {
        // No Groovy here: otherwise picocli's factory looks for groovy.lang.Closure, opening every jar on the class path.
        if (System.getProperty("picocli.disable.closures") == null) System.setProperty("picocli.disable.closures", "true");
        CommandLine cli = new CommandLine(command);
        // "@file" arguments would be read as argument files, and a bad one echoed back: "--repo @/proc/self/environ"
        // printed the token. Values reach the commands as written (the Action passes its inputs as arguments).
        cli.setExpandAtFiles(false);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(new ExitCodes());
        headExitCodes(cli);
        cli.setParameterExceptionHandler(new UsageErrors());
        cli.setExecutionExceptionHandler(new Failures());
        return cli;
    }

    // The handlers are classes, not lambdas: picocli's class files are Java 5, and a lambda implementing one of
    // its interfaces keeps that interface (and the lambda) out of the launcher's class-data archive.

    private static final class ExitCodes implements CommandLine.IExitCodeExceptionMapper {
        @Override
        public int getExitCode(Throwable failure) {
            return ExitCode.of(failure);
        }
    }

    private static final class UsageErrors implements CommandLine.IParameterExceptionHandler {
        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + Text.withoutUrlCredentials(Text.oneLine(ex.getMessage())));
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            c.getErr().flush();
            return ExitCode.USAGE;
        }
    }

    private static final class Failures implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception ex, CommandLine c, CommandLine.ParseResult parseResult) {
            boolean verbose = parseResult.originalArgs().contains("--verbose");
            c.getErr().println("error: " + Text.withoutUrlCredentials(Text.describe(ex)));
            if (verbose) ex.printStackTrace(c.getErr());
            c.getErr().flush();
            return ExitCode.of(ex);
        }
    }

    /** Every command's --help lists its exit codes under one heading. */
    private static void headExitCodes(CommandLine command) {
        command.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n");
        command.getSubcommands().values().forEach(Cli::headExitCodes);
    }

    /** Runs a command as a program: parses args, executes, exits with the command's code. */
    public static void main(Object command, String[] args) {
        System.exit(create(command).execute(args));
    }
}
