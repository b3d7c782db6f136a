package dev.jrnn.apps;

import dev.jrnn.models.Sampling;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jrnn generate}: text from a trained character model, by sampling or beam search. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continues a prompt with a character model trained by jrnn demo (sampling streams one step at a time).")
final class GenerateCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "C.safetensors", description = "e.g. jrnn-demo/char-lstm.safetensors")
    Path checkpoint;

    @Option(names = "--prompt", required = true, description = "the start of the text")
    String prompt;

    @Option(names = "--length", defaultValue = "300", description = "characters to write (default ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--temperature", defaultValue = "0.7", description = "0 is greedy (default ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "sample among the k most likely characters only (0: all)")
    int topK;

    @Option(names = "--beam", defaultValue = "0", description = "beam search with this many beams instead of sampling")
    int beam;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Override
    public Integer call() throws IOException {
        if (prompt.isEmpty()) {
            throw new IllegalArgumentException("--prompt is empty: give the generator a start");
        }
        if (length < 1 || temperature < 0 || topK < 0 || beam < 0) {
            throw new IllegalArgumentException("--length must be >= 1 and --temperature, --top-k, --beam >= 0");
        }
        CharacterModel.Loaded loaded = CharacterModel.load(checkpoint);
        try (var lm = loaded.model()) {
            int[] start = CharacterModel.encode(prompt, loaded.alphabet(), "--prompt", "");
            int[] ids = beam > 0 ? lm.beamSearch(start, length, beam)
                    : lm.generate(start, length, new Sampling(temperature, topK), seed);
            StringBuilder text = new StringBuilder(prompt);
            for (int id : ids) {
                text.append(loaded.alphabet().charAt(id));
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(text);
            out.flush();
        }
        return 0;
    }
}
