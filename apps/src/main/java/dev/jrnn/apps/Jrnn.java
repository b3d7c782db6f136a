package dev.jrnn.apps;

import dev.jrnn.core.runtime.Backends;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jrnn} command. User mistakes (a missing file, a wrong shape, an unknown backend) end
 * in one line on standard error and exit status 2; only a bug in jrnn prints a stack trace.
 */
@Command(name = "jrnn", mixinStandardHelpOptions = true, version = "jrnn 0.1.0",
        description = "Recurrent neural networks on the JVM: PyTorch-layout RNN, LSTM and GRU stacks on the fastest backend here.",
        subcommands = {DemoCommand.class, GenerateCommand.class, SentimentCommand.class, G2pCommand.class, TranslateCommand.class,
                PunctuateCommand.class, ForecastCommand.class, AnomaliesCommand.class, VideoCommand.class, ControlCommand.class, MusicCommand.class,
                DigitsCommand.class,
                RunCommand.class, ExportCommand.class, BackendsCommand.class, CommandLine.HelpCommand.class})
public final class Jrnn implements Runnable {

    /** Exit status of a user mistake. */
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given streams; returns the exit status. */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        System.setProperty("java.awt.headless", "true"); // pictures are drawn off screen, also on machines with a display
        CommandLine cli = new CommandLine(new Jrnn()).setOut(out).setErr(err).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, arguments) -> {
            CommandLine where = e.getCommandLine();
            err.println(where.getCommandName().equals("jrnn") ? "jrnn: " + e.getMessage()
                    : "jrnn " + where.getCommandName() + ": " + e.getMessage()
                    + " (see jrnn " + where.getCommandName() + " --help)");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, where, parsed) -> {
            String message = userMistake(e);
            if (message == null) {
                throw e; // a bug: picocli prints the stack trace
            }
            err.println("jrnn " + where.getCommandName() + ": " + message);
            return USAGE;
        });
        long mark = Backends.selector().mark();
        int status = cli.execute(args);
        String auto = Backends.selector().summary(mark);
        if (status == 0 && !auto.isEmpty()) { // what auto chose for this command, as its last line
            boolean textOut = cli.getParseResult().subcommand() != null
                    && cli.getParseResult().subcommand().commandSpec().userObject() instanceof GenerateCommand;
            (textOut ? err : out).println("auto chose " + auto); // generate's standard output is the text alone
        }
        return status;
    }

    /** The one-line message for a user's mistake, or null for a bug. */
    private static String userMistake(Exception e) {
        if (e instanceof NoSuchFileException f) {
            return "no such file: " + f.getFile();
        }
        if (e instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (e instanceof IOException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof UnsupportedOperationException) {
            return e.getMessage();
        }
        return null;
    }
}
