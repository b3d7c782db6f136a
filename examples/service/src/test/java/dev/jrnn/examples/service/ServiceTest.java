package dev.jrnn.examples.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ServiceTest {

    /** The smoke: both model files served, every status code (200, 400, 404, 405, 413, 503) where it belongs, the library's answer. */
    @Test
    void theSmokeChecksHold() throws Exception {
        assertTrue(Smoke.run(), "a smoke check failed (see the output)");
    }

    /**
     * Clients that never have more requests out than the service admits are never refused: an
     * answered request's worker may not have taken its next task yet when the next request comes
     * (a 503 within the limits, 122 of 1,621 in a load test, while the pool's own queue was only
     * {@code queue} long).
     */
    @Test
    void requestsWithinTheLimitsAreNeverRefused() throws Exception {
        Predictor instant = new Predictor() {
            @Override
            public Callable<String> prepare(Map<String, Object> request, int maxLength) {
                return () -> "{}";
            }

            @Override
            public String describe() {
                return "instant";
            }

            @Override
            public void close() {
            }
        };
        int workers = 1, queue = 1, clients = workers + queue, requests = 1500;
        try (PredictionService service = PredictionService.start(instant, new PredictionService.Limits(workers, queue, 4, 1024, 10), 0);
             HttpClient http = HttpClient.newHttpClient();
             ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/predict"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
            Callable<Integer> client = () -> {
                int refused = 0;
                for (int i = 0; i < requests; i++) {
                    int status = http.send(post, HttpResponse.BodyHandlers.discarding()).statusCode();
                    assertTrue(status == 200 || status == 503, "status " + status);
                    refused += status == 503 ? 1 : 0;
                }
                return refused;
            };
            var results = pool.invokeAll(java.util.Collections.nCopies(clients, client));
            int refused = 0;
            for (Future<Integer> r : results) {
                refused += r.get();
            }
            assertEquals(0, refused, "refused of " + clients * requests + " requests from " + clients + " clients, each one at a time");
        }
    }

    @Test
    void requestsReadNestedArraysAsShapes() {
        Map<?, ?> m = (Map<?, ?>) RequestJson.parse("{\"sequence\": [[1, 2.5, -3e-1], [4, 5, 6]], \"name\": \"a\\u0041\", \"f\": false}");
        RequestJson.Numbers x = (RequestJson.Numbers) m.get("sequence");
        assertArrayEquals(new int[] {2, 3}, x.shape());
        assertArrayEquals(new double[] {1, 2.5, -0.3, 4, 5, 6}, x.values());
        assertEquals("aA", m.get("name"));
        assertEquals(Boolean.FALSE, m.get("f"));
    }

    @Test
    void malformedRequestsAreRefusedNamingTheOffset() {
        for (String bad : new String[] {"", "{", "{\"a\": [1, 2", "{\"a\": [[1], [2, 3]]}", "{\"a\": [\"x\"]}", "{\"a\": 1, \"a\": 2}",
                "{\"a\": 1e999}", "{\"a\": NaN}", "[[[[[[[[[[1]]]]]]]]]]", "{\"a\": 1} x", "{\"a\": \"\\q\"}"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RequestJson.parse(bad), bad);
            assertTrue(e.getMessage().contains("offset"), e.getMessage());
        }
    }
}
