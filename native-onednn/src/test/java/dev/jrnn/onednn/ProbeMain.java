package dev.jrnn.onednn;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.tensor.FloatTensor;

/** Run in a child JVM by {@link LibraryLoadingTest}: prints what a user's JVM would see. */
public final class ProbeMain {

    public static void main(String[] args) {
        Availability a = new OneDnnBackendProvider().probe();
        System.out.println("available=" + a.available());
        System.out.println("reason=" + a.reason());
        try {
            Backends.named("onednn");
            System.out.println("named=ok");
        } catch (IllegalStateException e) {
            System.out.println("named=" + e.getMessage());
        }
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 3, 2, 4, 5);
        for (String backend : new String[] {"reference", a.available() ? "onednn" : "reference"}) {
            try (PreparedRnn rnn = Backends.named(backend).prepare(d, RnnWeights.uniform(d, 1))) {
                FloatTensor y = rnn.forward(FloatTensor.zeros(d.srcLayerShape()), null, null).output();
                System.out.println(backend + "=" + y.get(2, 1, 4));
            }
        }
    }
}
