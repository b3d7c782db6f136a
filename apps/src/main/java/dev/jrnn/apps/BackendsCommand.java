package dev.jrnn.apps;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.Use;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jrnn backends}: every backend, whether it runs here and why; with a shape, what auto picks for it. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "Lists every backend, its availability and the reason. With --cell, --input and --hidden, also times them on that shape for training, inference and streaming and prints what auto chooses for each, and the self-tests passed.")
final class BackendsCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--cell", paramLabel = "CELL", description = "lstm, gru, rnn_tanh or rnn_relu")
    CellKind cell;

    @Option(names = "--input", paramLabel = "I", description = "input channels")
    Integer input;

    @Option(names = "--hidden", paramLabel = "H", description = "hidden units")
    Integer hidden;

    @Option(names = "--layers", paramLabel = "L", defaultValue = "1")
    int layers;

    @Option(names = "--bidirectional")
    boolean bidirectional;

    @Option(names = "--steps", paramLabel = "T", defaultValue = "50")
    int steps;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1")
    int batch;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        if (cell != null || input != null || hidden != null) {
            if (cell == null || input == null || hidden == null) {
                throw new IllegalArgumentException("a shape needs --cell, --input and --hidden");
            }
            RnnDescriptor d = new RnnDescriptor(cell, layers, bidirectional ? Direction.BIDIRECTIONAL
                    : Direction.UNIDIRECTIONAL, steps, batch, input, hidden);
            RnnWeights weights = RnnWeights.uniform(d, 1);
            for (Use use : Use.values()) {
                Backends.selector().decide(d, weights, use);
            }
        }
        out.print(Backends.report());
        // what each available backend runs here (simd: its register tile, planned by timing on first use)
        for (var provider : Backends.discover()) {
            if (Backends.selector().availability(provider.name()).available()) {
                var backend = Backends.named(provider.name());
                String implementation = backend.implementation();
                if (!implementation.isEmpty()) {
                    out.println("implementation " + provider.name() + ": " + implementation);
                }
                out.println("precisions " + provider.name() + ": " + String.join(", ",
                        backend.precisions().stream().sorted().map(p -> p.label()).toList()));
            }
        }
        out.flush();
        return 0;
    }
}
