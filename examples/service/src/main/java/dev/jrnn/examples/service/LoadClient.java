package dev.jrnn.examples.service;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * The load generator: one POST request, sent over a fixed set of HTTP/1.1 keep-alive connections
 * by one thread and one selector, so that it takes little of the CPU it shares with the service
 * it loads (the JDK's {@code HttpClient}, a thread and a future per request, took so much on two
 * cores that it could not send half of an open-loop schedule).
 *
 * <p>Open loop ({@link #openLoop}): request {@code i} is due at {@code start + i / rate} whatever
 * the answers; a due request waits for a free connection (at most {@code maxWaiting} wait; past
 * that it is counted as not sent), and its latency runs from when it was due, so a slow answer
 * cannot hide the requests queued behind it (no coordinated omission). Closed loop
 * ({@link #closedLoop}): every connection sends its next request as soon as it has its answer.
 * Requests still waiting when a phase's time is up are sent and waited for (at most
 * {@link #drainSeconds} more), so every scheduled request is counted once: sent (then answered,
 * or an error) or not sent.
 */
final class LoadClient implements AutoCloseable {

    /** What a phase counted: answers by status, errors, and every 200's latency in nanoseconds. */
    record Counts(long sent, long notSent, long ok, long busy, long other, long errors, double seconds, long[] latencies) {
    }

    private static final int MAX_RESPONSE = 1 << 20;
    private final InetSocketAddress address;
    private final byte[] request;
    private final Selector selector;
    private final Connection[] connections;
    /** How long a phase may go on after its time is up, for the answers to the requests already due. */
    double drainSeconds = 60;

    LoadClient(InetSocketAddress address, String path, String body, int connections) throws IOException {
        this.address = address;
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + content.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        this.request = Arrays.copyOf(head, head.length + content.length);
        System.arraycopy(content, 0, request, head.length, content.length);
        this.selector = Selector.open();
        this.connections = new Connection[connections];
        for (int i = 0; i < connections; i++) {
            this.connections[i] = new Connection();
        }
    }

    Counts closedLoop(double seconds, long maxRequests) throws IOException {
        return run(Double.NaN, seconds, maxRequests, 0);
    }

    Counts openLoop(double rate, double seconds, long maxRequests, int maxWaiting) throws IOException {
        return run(rate, seconds, maxRequests, maxWaiting);
    }

    private Counts run(double rate, double seconds, long maxRequests, int maxWaiting) throws IOException {
        boolean open = !Double.isNaN(rate);
        Tally tally = new Tally();
        ArrayDeque<Long> waiting = new ArrayDeque<>(); // due times of requests without a connection yet
        long start = System.nanoTime(), end = start + (long) (seconds * 1e9), drainUntil = end + (long) (drainSeconds * 1e9);
        long interval = open ? Math.max(1, (long) (1e9 / rate)) : 0, scheduled = 0;
        for (Connection c : connections) { // fresh connections: the service may have closed idle ones between phases
            c.close();
            c.open();
        }
        Ticker ticker = new Ticker();
        try {
            while (true) {
                long now = System.nanoTime();
                boolean scheduling = now < end && scheduled < maxRequests;
                if (open) { // everything due by now joins the queue (or is not sent, past its bound)
                    for (long due; scheduling && (due = start + scheduled * interval) <= now && due < end
                            && scheduled < maxRequests; scheduled++) {
                        if (waiting.size() < maxWaiting) {
                            waiting.add(due);
                        } else {
                            tally.notSent++;
                        }
                    }
                }
                for (Connection c : connections) {
                    if (c.idle()) {
                        if (open && !waiting.isEmpty()) {
                            c.send(waiting.poll(), tally);
                        } else if (!open && scheduling && scheduled < maxRequests) {
                            scheduled++;
                            c.send(now, tally);
                        }
                    }
                }
                boolean busy = !waiting.isEmpty() || Arrays.stream(connections).anyMatch(c -> !c.idle());
                if (!scheduling && !busy || now > drainUntil) {
                    break;
                }
                // sleep until an answer arrives or the next request is due (the ticker wakes the selector then:
                // a select's own timeout counts whole milliseconds, too coarse for thousands of requests a second)
                ticker.nextDue = open && scheduling ? start + scheduled * interval : Long.MAX_VALUE;
                selector.select(10);
                for (SelectionKey key : selector.selectedKeys()) {
                    ((Connection) key.attachment()).ready(key, tally);
                }
                selector.selectedKeys().clear();
            }
        } finally {
            ticker.stop();
        }
        tally.notSent += waiting.size(); // only when the drain timed out
        for (Connection c : connections) {
            if (!c.idle()) {
                tally.errors++;
                c.close();
            }
        }
        return tally.counts((System.nanoTime() - start) / 1e9);
    }

    /** A thread that wakes the selector when the next request is due. */
    private final class Ticker {
        volatile long nextDue = Long.MAX_VALUE;
        private volatile boolean running = true;
        private final Thread thread = Thread.ofPlatform().daemon().name("load-ticker").start(this::tick);

        private void tick() {
            long woken = Long.MIN_VALUE; // the due time the selector was last woken for
            while (running) {
                long due = nextDue, wait = due - System.nanoTime();
                if (due == Long.MAX_VALUE || due == woken || wait > 1_000_000) {
                    LockSupport.parkNanos(due == woken ? 20_000 : Math.min(Math.max(wait, 20_000), 1_000_000));
                    continue;
                }
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                selector.wakeup();
                woken = due;
            }
        }

        void stop() {
            running = false;
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void close() throws IOException {
        for (Connection c : connections) {
            c.close();
        }
        selector.close();
    }

    private static final class Tally {
        long sent, notSent, ok, busy, other, errors, count;
        long[] latencies = new long[1 << 16];

        void answer(int status, long nanos) {
            switch (status) {
                case 200 -> {
                    ok++;
                    if (count == latencies.length) {
                        latencies = Arrays.copyOf(latencies, latencies.length * 2);
                    }
                    latencies[(int) count++] = nanos;
                }
                case 503 -> busy++;
                default -> other++;
            }
        }

        Counts counts(double seconds) {
            long[] sorted = Arrays.copyOf(latencies, (int) count);
            Arrays.sort(sorted);
            return new Counts(sent, notSent, ok, busy, other, errors, seconds, sorted);
        }
    }

    /** One keep-alive connection: at most one request in flight. */
    private final class Connection {
        private SocketChannel channel;
        private SelectionKey key;
        private final ByteBuffer out = ByteBuffer.allocate(request.length);
        private ByteBuffer in = ByteBuffer.allocate(16 << 10);
        private boolean inFlight, connected;
        private long due;

        void open() throws IOException {
            if (channel != null) {
                return;
            }
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            connected = channel.connect(address);
            key = channel.register(selector, connected ? 0 : SelectionKey.OP_CONNECT, this);
        }

        boolean idle() {
            return !inFlight;
        }

        void send(long due, Tally tally) throws IOException {
            this.due = due;
            inFlight = true;
            tally.sent++;
            out.clear().put(request).flip();
            in.clear();
            open();
            if (connected) {
                write(tally);
            }
        }

        void ready(SelectionKey key, Tally tally) {
            if (!key.isValid()) { // closed earlier in this round
                return;
            }
            try {
                if (key.isConnectable()) {
                    channel.finishConnect();
                    connected = true;
                    key.interestOps(0);
                    if (inFlight) {
                        write(tally);
                    }
                    return;
                }
                if (key.isWritable()) {
                    write(tally);
                }
                if (key.isReadable()) {
                    read(tally);
                }
            } catch (IOException e) {
                fail(tally);
            }
        }

        private void write(Tally tally) throws IOException {
            channel.write(out);
            key.interestOps(out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        private void read(Tally tally) throws IOException {
            if (!in.hasRemaining()) {
                if (in.capacity() >= MAX_RESPONSE) {
                    throw new IOException("a response over " + MAX_RESPONSE + " bytes");
                }
                in = ByteBuffer.allocate(in.capacity() * 2).put(in.flip());
            }
            int n = channel.read(in);
            Response r = Response.parse(in.array(), in.position());
            if (r != null) {
                long nanos = System.nanoTime() - due;
                inFlight = false;
                key.interestOps(0);
                tally.answer(r.status(), nanos);
                if (r.close()) {
                    close();
                }
            } else if (n < 0) {
                throw new IOException("the service closed the connection mid-response");
            }
        }

        private void fail(Tally tally) {
            tally.errors++;
            inFlight = false;
            close();
        }

        void close() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing a broken connection: nothing left to do
                }
            }
            channel = null;
            connected = false;
            inFlight = false;
        }
    }

    /** A complete HTTP/1.1 response's status and whether the server closes the connection after it. */
    record Response(int status, boolean close) {

        /** The response in {@code bytes[0, length)} if it is complete (headers and a Content-Length body), else null. */
        static Response parse(byte[] bytes, int length) throws IOException {
            int headerEnd = -1;
            for (int i = 3; i < length; i++) {
                if (bytes[i] == '\n' && bytes[i - 1] == '\r' && bytes[i - 2] == '\n' && bytes[i - 3] == '\r') {
                    headerEnd = i + 1;
                    break;
                }
            }
            if (headerEnd < 0) {
                return null;
            }
            String[] lines = new String(bytes, 0, headerEnd, StandardCharsets.ISO_8859_1).split("\r\n");
            String[] statusLine = lines[0].split(" ");
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x response: " + lines[0]);
            }
            long contentLength = -1;
            boolean close = false;
            for (String line : lines) {
                String lower = line.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    contentLength = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                } else if (lower.startsWith("transfer-encoding:")) {
                    throw new IOException("a chunked response (the service sends fixed lengths)");
                }
            }
            if (contentLength < 0) {
                throw new IOException("a response without Content-Length");
            }
            return length - headerEnd >= contentLength ? new Response(Integer.parseInt(statusLine[1]), close) : null;
        }
    }
}
