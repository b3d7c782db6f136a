package dev.jrnn.examples.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The service's command line:
 * <pre>
 * serve --model FILE [--backend auto] [--port 8080] [--workers N] [--queue N] [--readers N] [--max-bytes N] [--max-length N]
 *       FILE: a jrnn checkpoint (Checkpoint.saveModel) or an .onnx model; stops on Ctrl-C
 * smoke                 starts the service on a small model of its own (checkpoint and ONNX), checks good and
 *                       bad requests and one prediction against the library called directly, stops; exit 0 when all hold
 * load [--seconds 10] [--requests 1000000] [--connections 4x(workers+queue)] [--length 100] [--workers N] [--queue N] [--model FILE --body FILE]
 *                       the bounded load test (LoadTest) on loopback: a model of its own unless given
 * </pre>
 * Mistakes get one line on stderr and exit status 2.
 */
public final class Main {

    static final String LISTENING = "listening on http://127.0.0.1:";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        try {
            if (args.length == 0) {
                throw new IllegalArgumentException("usage: serve --model FILE [options] | smoke | load [options]");
            }
            Options o = new Options(java.util.Arrays.copyOfRange(args, 1, args.length));
            switch (args[0]) {
                case "serve" -> serve(o);
                case "smoke" -> System.exit(Smoke.run() ? 0 : 1);
                case "load" -> load(o);
                default -> throw new IllegalArgumentException("unknown command " + args[0] + "; serve, smoke or load");
            }
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("service: " + e.getMessage());
            System.exit(2);
        }
    }

    /** {@code --name value} pairs. */
    record Options(java.util.Map<String, String> values) {
        Options(String[] args) {
            this(parse(args));
        }

        private static java.util.Map<String, String> parse(String[] args) {
            java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("expected --option value, got " + String.join(" ", args));
                }
                m.put(args[i].substring(2), args[i + 1]);
            }
            return m;
        }

        String text(String name, String otherwise) {
            return values.getOrDefault(name, otherwise);
        }

        int number(String name, int otherwise) {
            String v = values.get(name);
            if (v == null) {
                return otherwise;
            }
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " takes a whole number, got " + v);
            }
        }

        PredictionService.Limits limits() {
            PredictionService.Limits d = PredictionService.Limits.defaults();
            return new PredictionService.Limits(number("workers", d.workers()), number("queue", d.queue()),
                    number("readers", d.readers()), number("max-bytes", d.maxBytes()), number("max-length", d.maxLength()));
        }
    }

    /** The model in {@code file}: ONNX by its extension, else a jrnn checkpoint. */
    static Predictor load(Path file, String backend) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such file");
        }
        return file.getFileName().toString().endsWith(".onnx") ? new OnnxPredictor(file, backend) : ModelPredictor.load(file, backend);
    }

    private static void serve(Options o) throws Exception {
        String model = o.text("model", null);
        if (model == null) {
            throw new IllegalArgumentException("serve needs --model FILE (a jrnn checkpoint or an .onnx model)");
        }
        // slow clients cannot hold a reader for long: the JDK server's own request and response time limits, in seconds
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "10"));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
        PredictionService.Limits limits = o.limits();
        PredictionService service = PredictionService.start(load(Path.of(model), o.text("backend", "auto")), limits,
                o.number("port", 8080));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }));
        System.out.println("serving " + model + " with " + limits);
        System.out.println(LISTENING + service.port());
        stopped.await();
    }

    private static void load(Options o) throws Exception {
        PredictionService.Limits limits = o.limits();
        Path model;
        String body;
        if (o.text("model", null) != null) {
            model = Path.of(o.text("model", null));
            body = Files.readString(Path.of(o.text("body", "request.json")));
        } else {
            Path dir = Files.createTempDirectory("jrnn-load");
            dir.toFile().deleteOnExit();
            model = Smoke.classifierCheckpoint(dir);
            body = Smoke.sequenceBody(o.number("length", 100), 1);
        }
        List<String> serviceArgs = new ArrayList<>();
        for (String name : List.of("backend", "workers", "queue", "readers", "max-bytes", "max-length")) {
            if (o.values().containsKey(name)) {
                serviceArgs.add("--" + name);
                serviceArgs.add(o.values().get(name));
            }
        }
        int admitted = limits.workers() + limits.queue();
        LoadTest.run(model, body, serviceArgs, admitted, (int) o.number("connections", 4 * admitted), o.number("seconds", 10),
                o.number("requests", 1_000_000));
    }
}
