package dev.jrnn.examples.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A prediction service on the JDK's {@link HttpServer}: {@code POST /predict} with a JSON body
 * runs one prediction of the model a {@link Predictor} serves; {@code GET /health} says what is
 * served and the counts so far.
 *
 * <p>Memory is bounded whatever the clients do. A request first takes one of {@code workers +
 * queue} permits, before its body is read; when none is free the answer is 503 at once (with
 * {@code Retry-After}), never a longer queue, and a refusal costs no parsing. Its body is then read
 * only under one of {@link Limits#readers()} permits and only up to {@link Limits#maxBytes()} (413
 * past it), and it runs on one of {@link Limits#workers()} threads or waits in a queue of
 * {@link Limits#queue()}. Bad input (malformed JSON, a wrong shape,
 * a sequence longer than {@link Limits#maxLength()}) is 400, naming the problem.
 */
public final class PredictionService implements AutoCloseable {

    /** The service's bounds. */
    public record Limits(int workers, int queue, int readers, int maxBytes, int maxLength) {
        public Limits {
            if (workers < 1 || queue < 0 || readers < 1 || maxBytes < 1 || maxLength < 1) {
                throw new IllegalArgumentException("limits must be positive (the queue may be 0): " + workers + " workers, queue "
                        + queue + ", " + readers + " readers, " + maxBytes + " bytes, length " + maxLength);
            }
        }

        /** One worker per core, a queue of twice that, 1 MiB bodies, sequences of at most 2,000 steps. */
        public static Limits defaults() {
            int cores = Runtime.getRuntime().availableProcessors();
            return new Limits(cores, 2 * cores, 4 * cores, 1 << 20, 2000);
        }
    }

    private final Predictor predictor;
    private final Limits limits;
    private final HttpServer server;
    private final ThreadPoolExecutor workers;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore reading, admitted;
    private final AtomicLong ok = new AtomicLong(), badRequest = new AtomicLong(), tooLarge = new AtomicLong(),
            saturated = new AtomicLong(), failed = new AtomicLong();

    /** Starts serving {@code predictor} on {@code port} of the loopback interface (0: any free port). */
    public static PredictionService start(Predictor predictor, Limits limits, int port) throws IOException {
        return new PredictionService(predictor, limits, new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
    }

    private PredictionService(Predictor predictor, Limits limits, InetSocketAddress address) throws IOException {
        this.predictor = predictor;
        this.limits = limits;
        reading = new Semaphore(limits.readers());
        admitted = new Semaphore(limits.workers() + limits.queue());
        // the permits bound the work; the pool's own queue has room for all of it, since a worker whose
        // prediction was answered (its permit given back) may not have taken the next task yet
        workers = new ThreadPoolExecutor(limits.workers(), limits.workers(), 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.workers() + limits.queue()),
                Thread.ofPlatform().name("predict-", 0).daemon().factory(), new ThreadPoolExecutor.AbortPolicy());
        server = HttpServer.create(address, 128);
        server.setExecutor(handlers); // a handler only reads, checks and waits: a virtual thread each, bounded by the permits
        server.createContext("/predict", this::predict);
        server.createContext("/health", this::health);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void predict(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.getResponseHeaders().set("Allow", "POST");
                respond(exchange, 405, error("POST a JSON body to /predict"));
                return;
            }
            if (!admitted.tryAcquire()) { // refused before its body is read: a 503 costs no parsing
                saturated(exchange);
                return;
            }
            String result;
            try {
                Callable<String> job = readRequest(exchange);
                if (job == null) {
                    return; // answered 400, 413, 500 or 503
                }
                Future<String> future = workers.submit(job);
                result = future.get();
            } catch (RejectedExecutionException e) { // the pool is shut down: the service is stopping
                saturated(exchange);
                return;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IllegalArgumentException bad) { // e.g. a shape the model does not take
                    badRequest.incrementAndGet();
                    respond(exchange, 400, error(bad.getMessage()));
                } else {
                    failed.incrementAndGet();
                    respond(exchange, 500, error("the prediction failed: " + e.getCause()));
                }
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed.incrementAndGet();
                respond(exchange, 500, error("interrupted"));
                return;
            } finally {
                admitted.release();
            }
            ok.incrementAndGet();
            respond(exchange, 200, result);
        }
    }

    /**
     * The prediction a request asks for, read under one of the readers' permits; null when it has
     * been answered instead (400 bad input, 413 too large, 500 a defect of ours, 503 no reader free).
     */
    private Callable<String> readRequest(HttpExchange exchange) throws IOException {
        if (!reading.tryAcquire()) {
            saturated(exchange);
            return null;
        }
        try {
            String body = body(exchange);
            if (body == null) {
                return null; // answered 413
            }
            Object request = RequestJson.parse(body);
            if (!(request instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) map;
            return predictor.prepare(fields, limits.maxLength());
        } catch (IllegalArgumentException e) {
            badRequest.incrementAndGet();
            respond(exchange, 400, error(e.getMessage()));
            return null;
        } catch (RuntimeException e) { // a defect of ours: said, not a dropped connection
            failed.incrementAndGet();
            respond(exchange, 500, error("the request could not be read: " + e));
            return null;
        } finally {
            reading.release();
        }
    }

    /** The body as text, or null when it is larger than the limit (then answered 413). */
    private String body(HttpExchange exchange) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Content-Length is not a number: " + declared);
            }
            if (length > limits.maxBytes()) {
                tooLarge(exchange, length + " bytes");
                return null;
            }
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(limits.maxBytes() + 1); // chunked bodies come without a length: read one byte past the limit
            if (bytes.length > limits.maxBytes()) {
                tooLarge(exchange, "more than " + limits.maxBytes() + " bytes");
                return null;
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("the body is not UTF-8 text");
            }
        }
    }

    private void tooLarge(HttpExchange exchange, String size) throws IOException {
        tooLarge.incrementAndGet();
        exchange.getResponseHeaders().set("Connection", "close"); // the rest of the body is not read
        respond(exchange, 413, error("the body is " + size + "; this service takes at most " + limits.maxBytes()));
    }

    private void saturated(HttpExchange exchange) throws IOException {
        saturated.incrementAndGet();
        exchange.getResponseHeaders().set("Retry-After", "1");
        respond(exchange, 503, error("busy: " + limits.workers() + " workers and a queue of " + limits.queue()
                + " are taken; try again"));
    }

    private void health(HttpExchange exchange) throws IOException {
        try (exchange) {
            respond(exchange, 200, "{\"model\": " + Json.quote(predictor.describe()) + ", \"ok\": " + ok + ", \"bad_request\": "
                    + badRequest + ", \"too_large\": " + tooLarge + ", \"saturated\": " + saturated + ", \"failed\": " + failed + "}");
        }
    }

    /** Requests that could still be admitted now (to run or to wait in the queue). */
    int admissible() {
        return admitted.availablePermits();
    }

    /** Answers counted so far: 200, 400, 413, 503, 500. */
    public Map<Integer, Long> counts() {
        return Map.of(200, ok.get(), 400, badRequest.get(), 413, tooLarge.get(), 503, saturated.get(), 500, failed.get());
    }

    private static String error(String message) {
        return "{\"error\": " + Json.quote(message) + "}";
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops accepting, lets the requests under way finish (up to a second), and closes the model. */
    @Override
    public void close() {
        server.stop(1);
        workers.shutdown();
        handlers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        predictor.close();
    }
}
