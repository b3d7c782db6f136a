package dev.jrnn.examples.service;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.onnx.OnnxExport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The service's self-check (seconds): a small GRU classifier of its own, saved as a jrnn
 * checkpoint and exported as ONNX; for each file the service is started on loopback, sent good and
 * bad requests whose status codes are checked (200, 400, 404, 405, 413 and, with its one worker and
 * queue of one held busy, 503), its prediction compared with the classifier's own
 * {@link SequenceClassifier#logits}, and stopped. Prints one line per check.
 */
final class Smoke {

    static final int INPUT = 8, HIDDEN = 32, CLASSES = 4;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<String> failures = new ArrayList<>();
    private int checks;

    private Smoke() {
    }

    static SequenceClassifier classifier() {
        return new SequenceClassifier(CellKind.GRU, INPUT, HIDDEN, 1, Direction.UNIDIRECTIONAL, CLASSES, 7);
    }

    /** The smoke's classifier saved as a checkpoint in {@code dir}. */
    static Path classifierCheckpoint(Path dir) throws IOException {
        Path file = dir.resolve("classifier.safetensors");
        try (SequenceClassifier model = classifier()) {
            Checkpoint.saveModel(file, model, null, Map.of("purpose", "the prediction service smoke test"));
        }
        return file;
    }

    /** A request body for the checkpoint's service: one sequence of {@code length} steps, seeded. */
    static String sequenceBody(int length, long seed) {
        return "{\"sequence\": " + nested(sequence(length, seed), length) + "}";
    }

    static float[] sequence(int length, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[length * INPUT];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-1, 1);
        }
        return x;
    }

    /** {@code x} as a JSON array of {@code length} rows of {@code INPUT} numbers. */
    static String nested(float[] x, int length) {
        StringBuilder out = new StringBuilder("[");
        for (int t = 0; t < length; t++) {
            out.append(t > 0 ? ", " : "");
            Json.floats(out, java.util.Arrays.copyOfRange(x, t * INPUT, (t + 1) * INPUT));
        }
        return out.append(']').toString();
    }

    /** Rows {@code [[...], [...]]} as a batch of one, {@code [T, 1, I]}: {@code [[[...]], [[...]]]}. */
    static String batchOfOne(String rows) {
        return rows.replace("[[", "[[[").replace("]]", "]]]").replace("], [", "]], [[");
    }

    /** Runs every check; true when all held. */
    static boolean run() throws Exception {
        Smoke smoke = new Smoke();
        Path dir = Files.createTempDirectory("jrnn-service-smoke");
        try (SequenceClassifier reference = classifier()) {
            int length = 13;
            float[] x = sequence(length, 3);
            float[] expected = reference.logits(FloatTensor.of(x.clone(), length, 1, INPUT), null).toArray();
            Path checkpoint = classifierCheckpoint(dir);
            smoke.check("checkpoint", Main.load(checkpoint, "auto"), sequenceBody(length, 3), "\"scores\": ", expected, 50);
            Path onnx = dir.resolve("classifier.onnx");
            OnnxExport.write(reference, onnx);
            smoke.check("onnx", Main.load(onnx, "auto"), "{\"input\": " + batchOfOne(nested(x, length)) + "}", "\"values\": ", expected, 50);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
        System.out.println(smoke.checks + " checks, " + smoke.failures.size() + " failed" + (smoke.failures.isEmpty() ? "" : ": " + smoke.failures));
        return smoke.failures.isEmpty();
    }

    private void expect(String what, boolean holds, String detail) {
        checks++;
        System.out.println((holds ? "ok    " : "FAIL  ") + what + (holds ? "" : ": " + detail));
        if (!holds) {
            failures.add(what);
        }
    }

    private HttpResponse<String> send(int port, String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(java.time.Duration.ofSeconds(30));
        r = body == null ? r.method(method, HttpRequest.BodyPublishers.noBody()) : r.method(method, HttpRequest.BodyPublishers.ofString(body));
        return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Serves {@code predictor} with one worker and a queue of one, and checks it: the good request's
     * numbers after {@code key} against {@code expected}, then the bad requests, then saturation.
     */
    private void check(String name, Predictor predictor, String good, String key, float[] expected, int maxLength) throws Exception {
        Gate gate = new Gate(predictor);
        int maxBytes = 64 * 1024;
        try (PredictionService service = PredictionService.start(gate, new PredictionService.Limits(1, 1, 4, maxBytes, maxLength), 0)) {
            int port = service.port();
            HttpResponse<String> r = send(port, "POST", "/predict", good);
            expect(name + ": a good request is 200", r.statusCode() == 200, r.statusCode() + " " + r.body());
            float[] got = numbersAfter(r.body(), key);
            boolean close = got.length == expected.length;
            for (int i = 0; close && i < got.length; i++) {
                close = Math.abs(got[i] - expected[i]) <= 1e-4f * (1 + Math.abs(expected[i]));
            }
            expect(name + ": the prediction is the library's", close, java.util.Arrays.toString(got) + " against "
                    + java.util.Arrays.toString(expected));
            status(port, name + ": malformed JSON", "POST", "/predict", "{\"sequence\": [[1, 2,", 400);
            String narrow = "[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]"; // 3 features a step, not INPUT
            status(port, name + ": a wrong shape", "POST", "/predict", name.equals("onnx") ? "{\"input\": " + batchOfOne(narrow) + "}"
                    : "{\"sequence\": " + narrow + "}", 400);
            status(port, name + ": a ragged array", "POST", "/predict", "{\"sequence\": [[1, 2], [3]]}", 400);
            status(port, name + ": an unknown field", "POST", "/predict", "{\"colour\": \"blue\"}", 400);
            String rows = nested(new float[(maxLength + 1) * INPUT], maxLength + 1);
            String tooLong = name.equals("onnx") ? "{\"input\": " + batchOfOne(rows) + "}" : "{\"sequence\": " + rows + "}";
            status(port, name + ": a sequence past the length limit", "POST", "/predict", tooLong, 400);
            status(port, name + ": a body past the size limit", "POST", "/predict", "{\"sequence\": [" + " ".repeat(maxBytes) + "]}", 413);
            status(port, name + ": GET /predict", "GET", "/predict", null, 405);
            status(port, name + ": an unknown path", "GET", "/nothing", null, 404);
            // saturation: the one worker held and the one queue place taken, the next request is 503
            gate.shut();
            var first = client.sendAsync(post(port, good), HttpResponse.BodyHandlers.ofString());
            gate.awaitHeld();
            var second = client.sendAsync(post(port, good), HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (service.admissible() > 0 && System.nanoTime() < deadline) { // until the second has the queue's place
                Thread.sleep(5);
            }
            HttpResponse<String> third = client.send(post(port, good), HttpResponse.BodyHandlers.ofString());
            expect(name + ": saturated, a request is 503 at once", third.statusCode() == 503, third.statusCode() + " " + third.body());
            expect(name + ": 503 says when to retry", third.headers().firstValue("Retry-After").isPresent(), third.headers().toString());
            // refused before its body is read: malformed JSON, which would be 400 once read, is 503 too
            status(port, name + ": saturated, a malformed request is 503 (refused unread)", "POST", "/predict", "{\"sequence\": [[", 503);
            gate.open();
            expect(name + ": the held requests are answered 200", first.get(30, TimeUnit.SECONDS).statusCode() == 200
                    && second.get(30, TimeUnit.SECONDS).statusCode() == 200, "");
            HttpResponse<String> health = send(port, "GET", "/health", null);
            expect(name + ": /health counts the answers", health.statusCode() == 200 && health.body().contains("\"saturated\": ")
                    && !health.body().contains("\"saturated\": 0"), health.body());
        }
    }

    private static HttpRequest post(int port, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predict"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private void status(int port, String what, String method, String path, String body, int expected) throws Exception {
        HttpResponse<String> r = send(port, method, path, body);
        expect(what + " is " + expected, r.statusCode() == expected, r.statusCode() + " " + r.body());
    }

    /** The first JSON array of numbers after {@code key} in {@code json}. */
    static float[] numbersAfter(String json, String key) {
        int at = json.indexOf(key);
        if (at < 0) {
            return new float[0];
        }
        int from = json.indexOf('[', at), to = json.indexOf(']', from);
        String[] parts = json.substring(from + 1, to).split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Float.parseFloat(parts[i].trim().toLowerCase(Locale.ROOT));
        }
        return out;
    }

    /** A predictor whose jobs wait while the gate is shut: the smoke's way to hold the worker busy. */
    private static final class Gate implements Predictor {
        private final Predictor inner;
        private volatile CountDownLatch open = new CountDownLatch(0);
        private final java.util.concurrent.Semaphore held = new java.util.concurrent.Semaphore(0);

        Gate(Predictor inner) {
            this.inner = inner;
        }

        void shut() {
            open = new CountDownLatch(1);
        }

        void open() {
            open.countDown();
        }

        void awaitHeld() throws InterruptedException {
            if (!held.tryAcquire(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the first request never reached the worker");
            }
        }

        @Override
        public Callable<String> prepare(Map<String, Object> request, int maxLength) {
            Callable<String> job = inner.prepare(request, maxLength);
            CountDownLatch gate = open;
            return () -> {
                held.release();
                gate.await();
                return job.call();
            };
        }

        @Override
        public String describe() {
            return inner.describe();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
