package dev.jrnn.examples.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceTest {

    /** The smoke: both model files served, every status code (200, 400, 404, 405, 413, 503) where it belongs, the library's answer. */
    @Test
    void theSmokeChecksHold() throws Exception {
        assertTrue(Smoke.run(), "a smoke check failed (see the output)");
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
