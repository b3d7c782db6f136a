package dev.jrnn.examples.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A bounded load test of the service on the loopback interface: the service runs in a JVM of its
 * own (so its resident memory is its own), and every phase stops by itself after a fixed duration
 * or request count. After a warm-up as long as a phase, the saturating rate: as many clients as the service admits
 * ({@code workers + queue}) send back to back for the phase's duration, and the rate of 200s is the
 * service's capacity. Then open-loop phases at 1, 2 and 4 times that rate: requests go out on a
 * fixed schedule whatever the answers (at most {@value #MAX_OUTSTANDING} unanswered at once; past
 * that a request is counted as not sent), and each latency runs from the moment the schedule said
 * to send, so a slow answer cannot hide the requests queued behind it. Each phase reports the
 * answers by status, the throughput of 200s, their p50/p99/p99.9 latency and the service's RSS
 * (now and its peak; the service runs with {@code -Xmx}{@value #SERVICE_HEAP}).
 */
final class LoadTest {

    static final int MAX_OUTSTANDING = 1000;
    /** The service JVM's heap bound: its RSS then says what the service holds, not how lazily a large heap is collected. */
    static final String SERVICE_HEAP = "256m";

    record Phase(String name, double rate, long sent, long notSent, long ok, long busy, long other, long errors,
                 double seconds, long[] latencies, long rss, long peakRss) {

        double throughput() {
            return ok / seconds;
        }

        double percentile(double p) {
            if (latencies.length == 0) {
                return Double.NaN;
            }
            return latencies[Math.min(latencies.length - 1, (int) Math.ceil(p * latencies.length) - 1)] / 1e6;
        }
    }

    private final HttpClient client;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final URI uri;
    private final String body;
    private final long servicePid;

    LoadTest(int port, String body, long servicePid) {
        this.client = HttpClient.newBuilder().executor(executor).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.uri = URI.create("http://127.0.0.1:" + port + "/predict");
        this.body = body;
        this.servicePid = servicePid;
    }

    private HttpRequest request() {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** {@code clients} back to back for {@code seconds}, or {@code maxRequests} in all. */
    Phase closedLoop(int clients, double seconds, long maxRequests) throws Exception {
        Counts counts = new Counts();
        long start = System.nanoTime(), end = start + (long) (seconds * 1e9);
        AtomicLong issued = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end && issued.incrementAndGet() <= maxRequests) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(request(), HttpResponse.BodyHandlers.ofString());
                        counts.answer(r.statusCode(), System.nanoTime() - t0);
                    } catch (IOException e) {
                        counts.errors.incrementAndGet();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return counts.phase("saturating (" + clients + " clients back to back)", Double.NaN, 0, (System.nanoTime() - start) / 1e9);
    }

    /** Requests on a fixed schedule of {@code rate} per second for {@code seconds}, or {@code maxRequests}. */
    Phase openLoop(String name, double rate, double seconds, long maxRequests) throws Exception {
        Counts counts = new Counts();
        Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);
        long interval = (long) (1e9 / rate), start = System.nanoTime(), end = start + (long) (seconds * 1e9);
        long notSent = 0, sent = 0;
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (long i = 0; i < maxRequests; i++) {
            long due = start + i * interval;
            if (due >= end) {
                break;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (!outstanding.tryAcquire()) {
                notSent++;
                continue;
            }
            sent++;
            pending.add(client.sendAsync(request(), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
                outstanding.release();
                if (e != null) {
                    counts.errors.incrementAndGet();
                } else {
                    counts.answer(r.statusCode(), System.nanoTime() - due);
                }
            }));
            if (pending.size() > 10_000) {
                pending.removeIf(CompletableFuture::isDone);
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get(60, TimeUnit.SECONDS);
        Phase p = counts.phase(name, rate, notSent, elapsed);
        return new Phase(p.name(), rate, sent, notSent, p.ok(), p.busy(), p.other(), p.errors(), elapsed, p.latencies(), p.rss(), p.peakRss());
    }

    private final class Counts {
        final AtomicLong ok = new AtomicLong(), busy = new AtomicLong(), other = new AtomicLong(), errors = new AtomicLong();
        private final List<Long> latencies = new ArrayList<>();

        synchronized void answer(int status, long nanos) {
            switch (status) {
                case 200 -> {
                    ok.incrementAndGet();
                    latencies.add(nanos);
                }
                case 503 -> busy.incrementAndGet();
                default -> other.incrementAndGet();
            }
        }

        synchronized Phase phase(String name, double rate, long notSent, double seconds) throws IOException {
            long[] sorted = latencies.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(sorted);
            long sent = ok.get() + busy.get() + other.get() + errors.get();
            return new Phase(name, rate, sent, notSent, ok.get(), busy.get(), other.get(), errors.get(), seconds, sorted,
                    status("VmRSS:"), status("VmHWM:"));
        }
    }

    /** A figure of the service's {@code /proc/PID/status}, in bytes. */
    private long status(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + servicePid + "/status"))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }

    static String table(List<Phase> phases) {
        StringBuilder out = new StringBuilder(
                "| phase | offered/s | sent | not sent | 200 | 503 | other | errors | 200s/s | p50 ms | p99 ms | p99.9 ms | RSS MB (peak) |\n"
                        + "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Phase p : phases) {
            out.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %d | %d | %.0f | %.2f | %.2f | %.2f | %.0f (%.0f) |%n",
                    p.name(), Double.isNaN(p.rate()) ? "-" : String.format(Locale.ROOT, "%.0f", p.rate()), p.sent(), p.notSent(),
                    p.ok(), p.busy(), p.other(), p.errors(), p.throughput(), p.percentile(0.5), p.percentile(0.99),
                    p.percentile(0.999), p.rss() / 1048576.0, p.peakRss() / 1048576.0));
        }
        return out.toString();
    }

    /**
     * Starts the service on {@code model} in a child JVM, runs the phases, prints the table, and
     * stops the service. {@code serviceArgs} go to its {@code serve} command.
     */
    static List<Phase> run(Path model, String body, List<String> serviceArgs, int admitted, double seconds, long maxRequests)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx" + SERVICE_HEAP, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--model", model.toString(), "--port", "0"));
        command.addAll(serviceArgs);
        Process service = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(service.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            for (String line; port < 0 && (line = out.readLine()) != null; ) {
                System.out.println("service: " + line);
                if (line.startsWith(Main.LISTENING)) {
                    port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
                }
            }
            if (port < 0) {
                throw new IOException("the service ended before listening (exit status " + service.waitFor() + ")");
            }
            Thread.ofVirtual().start(() -> out.lines().forEach(l -> System.out.println("service: " + l)));
            LoadTest test = new LoadTest(port, body, service.pid());
            List<Phase> phases = new ArrayList<>();
            test.closedLoop(admitted, seconds, maxRequests); // warm-up, as long as a phase: the JIT, auto's choice, the plan's capacity
            Phase saturating = test.closedLoop(admitted, seconds, maxRequests);
            phases.add(saturating);
            double rate = Math.max(1, saturating.throughput());
            for (int times : new int[] {1, 2, 4}) {
                phases.add(test.openLoop(times + "x saturating", times * rate, seconds, maxRequests));
            }
            System.out.print(table(phases));
            return phases;
        } finally {
            service.destroy();
            if (!service.waitFor(10, TimeUnit.SECONDS)) {
                service.destroyForcibly();
            }
        }
    }
}
