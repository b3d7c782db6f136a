package dev.jrnn.flink;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * Events per second streamed through {@link JrnnStreamFunction} in a local Flink (one task
 * manager), with 1 and then 2 slots: a generated keyed stream (no rate limit), an LSTM regressor
 * stepped per event, each key's state in Flink's keyed state, outputs discarded. Not a test: the
 * lead runs it on a quiet machine ({@code flink/throughput}, which passes its arguments here).
 *
 * <pre>
 * flink/throughput [--events 1000000] [--keys 10000] [--hidden 64] [--inputs 8] [--state hashmap|rocksdb] [--backend auto]
 * </pre>
 */
public final class StreamThroughput {

    /** A generated event: its key and features. */
    public static class Reading {
        public long key;
        public float[] x;

        public Reading() {
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new java.util.HashMap<>(Map.of("events", "1000000", "keys", "10000", "hidden", "64",
                "inputs", "8", "state", "hashmap", "backend", System.getProperty("jrnn.backend", "auto")));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--") || !options.containsKey(args[i].substring(2))) {
                System.err.println("unknown option " + args[i] + "; options: " + options.keySet());
                System.exit(2);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        long events = Long.parseLong(options.get("events"));
        int keys = Integer.parseInt(options.get("keys")), hidden = Integer.parseInt(options.get("hidden"));
        int inputs = Integer.parseInt(options.get("inputs"));
        byte[] model;
        try (SequenceRegressor regressor = new SequenceRegressor(CellKind.LSTM, inputs, hidden, 1, 1, 1)) {
            model = Checkpoint.toBytes(regressor, Map.of());
        }
        Path checkpoints = Files.createTempDirectory("jrnn-flink-throughput");
        System.out.printf(Locale.ROOT, "LSTM %d -> %d, %d keys, %s state, backend %s; %,d events a run%n", inputs, hidden,
                keys, options.get("state"), options.get("backend"), events);
        run(model, 1, Math.min(events, 100_000), keys, inputs, options, checkpoints); // warm-up: the JIT, the backend's choice
        for (int slots = 1; slots <= 2; slots++) {
            JobExecutionResult result = run(model, slots, events, keys, inputs, options, checkpoints);
            double seconds = result.getNetRuntime() / 1e3;
            System.out.printf(Locale.ROOT, "%d slot%s: %,.0f events/s (%.1f s)%n", slots, slots == 1 ? " " : "s",
                    events / seconds, seconds);
        }
    }

    private static JobExecutionResult run(byte[] model, int slots, long events, int keys, int inputs,
                                          Map<String, String> options, Path checkpoints) throws Exception {
        Configuration conf = Configuration.fromMap(Map.of(
                "taskmanager.numberOfTaskSlots", Integer.toString(slots),
                "state.backend.type", options.get("state"),
                "execution.checkpointing.interval", "10 s",
                "execution.checkpointing.dir", checkpoints.toUri().toString()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(slots, conf);
        DataGeneratorSource<Reading> source = new DataGeneratorSource<>(i -> {
            Reading r = new Reading();
            r.key = (i * 7919) % keys;
            SplittableRandom random = new SplittableRandom(i);
            r.x = new float[inputs];
            for (int j = 0; j < inputs; j++) {
                r.x[j] = (float) random.nextDouble();
            }
            return r;
        }, events, Types.POJO(Reading.class));
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "readings")
                .keyBy(r -> r.key)
                .process(JrnnStreamFunction.<Long, Reading, float[]>overFeatures(model, r -> r.x,
                        (key, r, output, state) -> output, PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO)
                        .backend(options.get("backend")))
                .sinkTo(new DiscardingSink<>());
        return env.execute("jrnn throughput, " + slots + " slot(s)");
    }

    private StreamThroughput() {
    }
}
