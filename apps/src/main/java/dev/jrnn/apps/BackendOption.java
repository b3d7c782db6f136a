package dev.jrnn.apps;

import picocli.CommandLine.Option;

/**
 * The {@code --backend} option of every command that runs a model, as a picocli mixin:
 * {@code @Mixin BackendOption backend = new BackendOption("simd");} gives the command its default.
 */
final class BackendOption {

    @Option(names = "--backend", paramLabel = "NAME",
            description = "the backend of the recurrent layers: auto, simd, onednn or reference (default ${DEFAULT-VALUE})")
    private String name;

    /** picocli's: the default is auto. */
    BackendOption() {
        this("auto");
    }

    BackendOption(String defaultName) {
        this.name = defaultName;
    }

    String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }
}
