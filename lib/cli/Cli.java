package lib.cli;

//DEPS info.picocli:picocli:4.7.7

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
        CommandLine cli = new CommandLine(command);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(ExitCode::of);
        headExitCodes(cli);
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            c.getErr().flush();
            return ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parseResult) -> {
            boolean verbose = parseResult.originalArgs().contains("--verbose");
            c.getErr().println("error: " + Text.describe(ex));
            if (verbose) ex.printStackTrace(c.getErr());
            c.getErr().flush();
            return ExitCode.of(ex);
        });
        return cli;
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
