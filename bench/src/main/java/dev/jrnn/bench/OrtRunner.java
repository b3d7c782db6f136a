package dev.jrnn.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.tensor.FloatTensor;
import java.nio.FloatBuffer;
import java.util.Map;

/** The ONNX Runtime peer: one session per workload, inference only, its own thread pool of {@code threads}. */
final class OrtRunner implements AutoCloseable {

    private final RnnDescriptor d;
    private final OrtSession session;
    private final OnnxTensor x;

    OrtRunner(RnnDescriptor d, RnnWeights w, FloatTensor input, int threads) throws OrtException {
        this.d = d;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(OnnxRnnModel.build(d, w), options);
        }
        x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.toArray()),
                new long[] {d.steps(), d.batch(), d.inputSize()});
    }

    /** One inference: the output sequence {@code Y [T, D, N, H]}. */
    float[] run() throws OrtException {
        try (OrtSession.Result result = session.run(Map.of("X", x))) {
            return ((OnnxTensor) result.get(0)).getFloatBuffer().array();
        }
    }

    /** {@link #run()} reordered to jrnn's {@code [T, N, D*H]}. */
    float[] runAsJrnnLayout() throws OrtException {
        float[] y = run();
        int t = d.steps(), n = d.batch(), dirs = d.directions(), h = d.hiddenSize();
        float[] out = new float[y.length];
        for (int s = 0; s < t; s++) {
            for (int dir = 0; dir < dirs; dir++) {
                for (int b = 0; b < n; b++) {
                    System.arraycopy(y, ((s * dirs + dir) * n + b) * h, out, (s * n + b) * dirs * h + dir * h, h);
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws OrtException {
        x.close();
        session.close();
    }
}
