package dev.jrnn.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's example keeps compiling and running. */
class ReadmeExampleTest {

    @Test
    void runsAndReportsTheBackendAndGradients() {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            ReadmeExample.main(new String[0]);
        } finally {
            System.setOut(saved);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("LSTM[L=2 D=1 T=50 N=4 I=16 H=32] on backend '"), text);
        assertTrue(text.matches("(?s).*\\|grad weight_hh_l1 *\\| = [1-9].*"), text); // a nonzero gradient norm
        assertTrue(text.contains("reference  yes"), text);
    }
}
