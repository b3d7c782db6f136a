package dev.jrnn.simd;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Availability;

/** Run in a child JVM by {@link ProviderTest}: prints what a user's JVM would see. */
public final class ProbeMain {

    public static void main(String[] args) {
        Availability a = new SimdBackendProvider().probe();
        System.out.println("available=" + a.available());
        System.out.println("reason=" + a.reason());
        try {
            Backends.named("simd");
            System.out.println("named=ok");
        } catch (IllegalStateException e) {
            System.out.println("named=" + e.getMessage());
        }
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 3, 2, 4, 5);
        System.out.println("auto=" + Backends.prepare(d, RnnWeights.uniform(d, 1)).backendName());
    }
}
