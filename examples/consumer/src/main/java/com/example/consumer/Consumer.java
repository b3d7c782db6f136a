package com.example.consumer;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.Sampling;
import dev.jrnn.models.io.Npy;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.onnx.OnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a user of jrnn's artifacts does, every result checked: runs a model PyTorch exported to
 * ONNX, trains a small character model, saves it as a checkpoint, loads it back, predicts and
 * streams it one character at a time. Prints what it did; exits with 1 when a check fails.
 *
 * <pre>{@code java [flags] Consumer [DATA_FOLDER]    (default: data)}</pre>
 */
public final class Consumer {

    private static final String TEXT = "the quick brown fox jumps over the lazy dog. ";

    private final List<String> failures = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Consumer consumer = new Consumer();
        System.out.println("jrnn consumer, on the " + (Consumer.class.getModule().isNamed() ? "module path" : "class path"));
        consumer.backends();
        consumer.onnx(Path.of(args.length > 0 ? args[0] : "data"));
        consumer.checkpoint();
        if (!consumer.failures.isEmpty()) {
            consumer.failures.forEach(f -> System.err.println("FAILED: " + f));
            System.exit(1);
        }
        System.out.println("all checks passed");
    }

    /** Both backends on the path are found and usable: a missing JVM flag would show here, named. */
    private void backends() {
        for (String name : List.of("simd", "onednn")) {
            Availability a = Backends.selector().availability(name);
            System.out.println("backend " + name + ": " + (a.available() ? "available, " : "UNAVAILABLE, ") + a.reason());
            check(a.available(), "backend " + name + " is unavailable: " + a.reason());
        }
    }

    /** A GRU forecaster exported by PyTorch's torch.onnx.export, against PyTorch's own outputs. */
    private void onnx(Path data) throws Exception {
        try (OnnxModel model = OnnxModel.load(data.resolve("forecaster.onnx"))) {
            FloatTensor series = Npy.read(data.resolve("forecaster.series.npy"));
            FloatTensor next = model.run(Map.of("series", series)).get("next");
            double error = maxRelativeError(next.toArray(), Npy.read(data.resolve("forecaster.next.npy")).toArray());
            System.out.printf("onnx: forecaster.onnx on %s, next values %s, largest relative difference to PyTorch %.1e%n",
                    model.backendName(), next.shape(), error);
            check(error <= 1e-5, "the ONNX forecaster is " + error + " from PyTorch's outputs");
        }
    }

    /** Trains a character LSTM and saves it; loads it from the checkpoint alone, predicts and streams it. */
    private void checkpoint() throws Exception {
        String alphabet = TEXT.chars().distinct().sorted()
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        int steps = 24, batch = 8;
        int[][] inputs = new int[steps][batch], targets = new int[steps][batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                inputs[t][n] = alphabet.indexOf(TEXT.charAt((5 * n + t) % TEXT.length()));
                targets[t][n] = alphabet.indexOf(TEXT.charAt((5 * n + t + 1) % TEXT.length()));
            }
        }
        Path folder = Files.createTempDirectory("jrnn-consumer");
        Path file = folder.resolve("char-lstm.safetensors");
        try {
            float[] trained = trainAndSave(alphabet, inputs, targets, file);
            loadPredictAndStream(alphabet, inputs, trained, file);
        } finally {
            Files.deleteIfExists(file);
            Files.delete(folder);
        }
    }

    /** Trains a character LSTM on {@link #TEXT}, saves it to {@code file}; returns its predictions on {@code inputs}. */
    private float[] trainAndSave(String alphabet, int[][] inputs, int[][] targets, Path file) throws Exception {
        try (LanguageModel model = new LanguageModel(CellKind.LSTM, alphabet.length(), 16, 48, 1, 0.0, 42)) {
            Optimizer adam = Optimizer.adam(model, 0.02);
            for (int step = 0; step < 200; step++) {
                model.trainStep(inputs, targets, null, adam, 1.0);
            }
            double loss = model.loss(inputs, targets);
            System.out.printf("trained: a character LSTM on \"%s\", loss %.3f nats per character (uniform: %.3f)%n",
                    TEXT, loss, Math.log(alphabet.length()));
            check(loss < 0.2, "training left the loss at " + loss);
            Checkpoint.saveModel(file, model, null, Map.of("alphabet", alphabet)); // no optimizer: for inference
            return model.forward(inputs, null).logits().toArray();
        }
    }

    /** The checkpoint alone (the model's class and sizes are in it): predictions, then one character at a time. */
    private void loadPredictAndStream(String alphabet, int[][] inputs, float[] trained, Path file) throws Exception {
        Checkpoint.SavedModel saved = Checkpoint.loadModel(file);
        if (!(saved.model() instanceof LanguageModel loaded)) {
            check(false, "the checkpoint held a " + saved.model().getClass().getSimpleName() + ", not a LanguageModel");
            return;
        }
        try (LanguageModel model = loaded) {
            check(alphabet.equals(saved.info().get("alphabet")), "the checkpoint's metadata came back as " + saved.info());
            float[] logits = model.forward(inputs, null).logits().toArray();
            double error = maxRelativeError(logits, trained);
            System.out.printf("checkpoint: %s (%d bytes) loaded, a LanguageModel over %s; predictions %.1e from the trained model's on %s%n",
                    file.getFileName(), Files.size(file), model.architecture(), error, model.backendName());
            check(error <= 1e-5, "the loaded model predicts " + error + " away from the trained one");

            // streaming: one character at a time (a StreamingRnn inside), as a service would
            try (LanguageModel.Generator stream = model.generator()) {
                int batch = inputs[0].length, vocabulary = alphabet.length();
                double streamError = 0;
                for (int t = 0; t < inputs.length; t++) {
                    float[] scores = stream.next(inputs[t][0]);
                    for (int v = 0; v < vocabulary; v++) {
                        float whole = logits[(t * batch) * vocabulary + v];
                        streamError = Math.max(streamError, Math.abs(scores[v] - whole) / Math.max(1, Math.abs(whole)));
                    }
                }
                check(streamError <= 1e-4, "streaming steps are " + streamError + " from the whole-sequence predictions");
                stream.reset();
                String prompt = "the quick ";
                String expected = TEXT.substring(prompt.length()) + "the";
                int[] out = stream.generate(prompt.chars().map(alphabet::indexOf).toArray(), expected.length(),
                        Sampling.GREEDY, 1);
                StringBuilder continuation = new StringBuilder();
                for (int token : out) {
                    continuation.append(alphabet.charAt(token));
                }
                System.out.printf("streaming on %s: steps %.1e from whole sequences; \"%s\" continues \"%s\"%n",
                        stream.backendName(), streamError, prompt, continuation);
                check(continuation.toString().equals(expected), "greedy continuation \"" + continuation
                        + "\", expected \"" + expected + "\"");
            }
        }
    }

    private static double maxRelativeError(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
        }
        return worst;
    }

    private void check(boolean ok, String failure) {
        if (!ok) {
            failures.add(failure);
        }
    }
}
