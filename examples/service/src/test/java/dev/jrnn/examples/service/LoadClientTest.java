package dev.jrnn.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The load generator against a server whose answers it knows: every scheduled request accounted for. */
class LoadClientTest {

    /** Answers 200, 503 (and closes the connection) and 400 in turn, after reading the whole body. */
    private static HttpServer server(AtomicInteger requests, AtomicInteger badBodies, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/predict", exchange -> {
            if (!new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).equals(body)) {
                badBodies.incrementAndGet();
            }
            int n = requests.getAndIncrement();
            int status = n % 3 == 0 ? 200 : n % 3 == 1 ? 503 : 400;
            if (status == 503) {
                exchange.getResponseHeaders().set("Connection", "close");
            }
            byte[] answer = ("{\"n\": " + n + "}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        return server;
    }

    @Test
    void anOpenLoopSendsItsScheduleAndCountsEveryAnswer() throws IOException {
        AtomicInteger requests = new AtomicInteger(), badBodies = new AtomicInteger();
        String body = "{\"sequence\": [[1, 2], [3, 4]]}";
        HttpServer server = server(requests, badBodies, body);
        try (LoadClient client = new LoadClient(server.getAddress(), "/predict", body, 4)) {
            LoadClient.Counts c = client.openLoop(400, 0.5, 1_000_000, 10_000);
            assertEquals(200, c.sent() + c.notSent(), "400 a second for half a second");
            assertEquals(0, c.notSent());
            assertEquals(0, c.errors());
            assertEquals(c.sent(), requests.get(), "every request reached the server once");
            assertEquals(c.sent(), c.ok() + c.busy() + c.other());
            assertTrue(Math.abs(c.ok() - c.busy()) <= 1 && Math.abs(c.busy() - c.other()) <= 1, c.toString());
            assertEquals(c.ok(), c.latencies().length);
            assertTrue(c.latencies()[0] > 0 && c.latencies()[0] <= c.latencies()[c.latencies().length - 1], "sorted latencies");
            assertEquals(0, badBodies.get(), "the server read the body as sent");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aClosedLoopStopsAtItsCount() throws IOException {
        AtomicInteger requests = new AtomicInteger(), badBodies = new AtomicInteger();
        HttpServer server = server(requests, badBodies, "{}");
        try (LoadClient client = new LoadClient(server.getAddress(), "/predict", "{}", 3)) {
            LoadClient.Counts c = client.closedLoop(30, 90);
            assertEquals(90, c.sent());
            assertEquals(90, requests.get());
            assertEquals(30, c.ok());
            assertEquals(0, c.errors());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aScheduleBeyondTheWaitingBoundIsCountedAsNotSent() throws IOException {
        // a server that never answers: each connection holds its one request, the rest wait, then are not sent
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/predict", exchange -> { /* never answers */ });
        server.start();
        try (LoadClient client = new LoadClient(server.getAddress(), "/predict", "{}", 2)) {
            client.drainSeconds = 0.3;
            LoadClient.Counts c = client.openLoop(1000, 0.2, 1_000_000, 10);
            assertEquals(200, c.sent() + c.notSent());
            assertEquals(2, c.sent(), "one request in flight on each connection, never answered");
            assertEquals(2, c.errors(), "the two unanswered when the drain ended");
            assertEquals(0, c.ok() + c.busy() + c.other());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void responsesAreCompleteOnlyWithTheirWholeBody() throws IOException {
        byte[] full = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy"
                .getBytes(StandardCharsets.US_ASCII);
        assertNull(LoadClient.Response.parse(full, full.length - 1));
        assertNull(LoadClient.Response.parse(full, 20));
        assertEquals(new LoadClient.Response(503, true), LoadClient.Response.parse(full, full.length));
        byte[] ok = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(new LoadClient.Response(200, false), LoadClient.Response.parse(ok, ok.length));
        byte[] chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThrows(IOException.class, () -> LoadClient.Response.parse(chunked, chunked.length));
        byte[] junk = "SSH-2.0-OpenSSH\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThrows(IOException.class, () -> LoadClient.Response.parse(junk, junk.length));
    }
}
