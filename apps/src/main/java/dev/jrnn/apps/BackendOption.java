package dev.jrnn.apps;

import picocli.CommandLine.Option;

/**
 * The {@code --backend} option of every command that runs a model, as a picocli mixin
 * ({@code @Mixin BackendOption backend = new BackendOption();}). The default, {@code auto}, picks
 * the fastest backend for each model and use (training, inference, streaming) by timing it.
 */
final class BackendOption {

    @Option(names = "--backend", paramLabel = "NAME",
            description = "the backend of the recurrent layers: auto, simd, onednn or reference (default ${DEFAULT-VALUE})")
    private String name;

    BackendOption() {
        this.name = "auto";
    }

    String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }
}
