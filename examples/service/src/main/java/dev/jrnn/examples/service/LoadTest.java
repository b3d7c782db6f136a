package dev.jrnn.examples.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * A bounded load test of the service on the loopback interface: the service runs in a JVM of its
 * own (so its resident memory and CPU time are its own), and every phase stops by itself after a
 * fixed duration or request count. After a warm-up as long as a phase, the saturating rate: as
 * many connections as the service admits ({@code workers + queue}) send back to back for the
 * phase's duration, and the rate of 200s is the service's capacity. Then open-loop phases at 1, 2
 * and 4 times that rate over {@code connections} keep-alive connections ({@link LoadClient}: one
 * thread, no coordinated omission; at most {@value #MAX_WAITING} requests wait for a connection,
 * past that a request is counted as not sent). Each phase reports the answers by status, the
 * throughput of 200s, their p50/p99/p99.9 latency from the moment each was due, the CPU the load
 * generator and the service used (cores: on a machine of two, their sum says whether the machine
 * itself was the bound), and the service's RSS (now and its peak; it runs with
 * {@code -Xmx}{@value #SERVICE_HEAP}).
 */
final class LoadTest {

    static final int MAX_WAITING = 10_000;
    /** The clock ticks per second of {@code /proc/PID/stat} (USER_HZ: 100 on Linux). */
    private static final int CLOCK_TICKS = 100;
    /** The service JVM's heap bound: its RSS then says what the service holds, not how lazily a large heap is collected. */
    static final String SERVICE_HEAP = "256m";

    record Phase(String name, double rate, LoadClient.Counts counts, double clientCpu, double serviceCpu, long rss, long peakRss) {

        double throughput() {
            return counts.ok() / counts.seconds();
        }

        double percentile(double p) {
            long[] latencies = counts.latencies();
            if (latencies.length == 0) {
                return Double.NaN;
            }
            return latencies[Math.min(latencies.length - 1, (int) Math.ceil(p * latencies.length) - 1)] / 1e6;
        }
    }

    private final InetSocketAddress address;
    private final String body;
    private final long servicePid;
    private final int connections;

    LoadTest(int port, String body, long servicePid, int connections) {
        this.address = new InetSocketAddress("127.0.0.1", port);
        this.body = body;
        this.servicePid = servicePid;
        this.connections = connections;
    }

    /** {@code clients} connections back to back for {@code seconds}, or {@code maxRequests} in all. */
    Phase closedLoop(int clients, double seconds, long maxRequests) throws Exception {
        try (LoadClient closed = new LoadClient(address, "/predict", body, clients)) {
            return measure("saturating (" + clients + " clients back to back)", Double.NaN,
                    () -> closed.closedLoop(seconds, maxRequests));
        }
    }

    /** Requests on a fixed schedule of {@code rate} per second for {@code seconds}, or {@code maxRequests}. */
    Phase openLoop(String name, double rate, double seconds, long maxRequests) throws Exception {
        try (LoadClient open = new LoadClient(address, "/predict", body, connections)) {
            return measure(name, rate, () -> open.openLoop(rate, seconds, maxRequests, MAX_WAITING));
        }
    }

    private Phase measure(String name, double rate, Callable<LoadClient.Counts> phase) throws Exception {
        long clientCpu = clientCpuNanos(), serviceCpu = serviceCpuTicks();
        LoadClient.Counts counts = phase.call();
        double clientSeconds = (clientCpuNanos() - clientCpu) / 1e9;
        double serviceSeconds = (serviceCpuTicks() - serviceCpu) / (double) CLOCK_TICKS;
        return new Phase(name, rate, counts, clientSeconds / counts.seconds(), serviceSeconds / counts.seconds(),
                status("VmRSS:"), status("VmHWM:"));
    }

    private static long clientCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The service's user and system time so far, in clock ticks ({@code /proc/PID/stat}'s fields 14 and 15). */
    private long serviceCpuTicks() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + servicePid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
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
        StringBuilder out = new StringBuilder("| phase | offered/s | sent | not sent | 200 | 503 | other | errors | 200s/s "
                + "| p50 ms | p99 ms | p99.9 ms | generator CPU | service CPU | RSS MB (peak) |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Phase p : phases) {
            LoadClient.Counts c = p.counts();
            out.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %d | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f (%.0f) |%n",
                    p.name(), Double.isNaN(p.rate()) ? "-" : String.format(Locale.ROOT, "%.0f", p.rate()), c.sent(), c.notSent(),
                    c.ok(), c.busy(), c.other(), c.errors(), p.throughput(), p.percentile(0.5), p.percentile(0.99),
                    p.percentile(0.999), p.clientCpu(), p.serviceCpu(), p.rss() / 1048576.0, p.peakRss() / 1048576.0));
        }
        return out.toString();
    }

    /**
     * Starts the service on {@code model} in a child JVM, runs the phases, prints the table, and
     * stops the service. {@code serviceArgs} go to its {@code serve} command.
     */
    static List<Phase> run(Path model, String body, List<String> serviceArgs, int admitted, int connections, double seconds,
                           long maxRequests)
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
            LoadTest test = new LoadTest(port, body, service.pid(), connections);
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
