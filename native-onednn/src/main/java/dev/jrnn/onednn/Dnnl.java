package dev.jrnn.onednn;

import static dev.jrnn.onednn.dnnl_h.C_LONG;
import static dev.jrnn.onednn.dnnl_h.C_POINTER;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The one place where oneDNN statuses become exceptions, and the few helpers every caller of
 * {@link dnnl_h} needs: the engine, memory descriptors, queries and memory objects.
 */
final class Dnnl {

    private Dnnl() {
    }

    /** Throws {@link DnnlException} naming {@code function} unless {@code status} is success. */
    static void check(int status, String function) {
        if (status != dnnl_h.dnnl_success) {
            throw new DnnlException(function, status);
        }
    }

    static String statusName(int status) {
        return switch (status) {
            case dnnl_h.dnnl_success -> "dnnl_success";
            case dnnl_h.dnnl_out_of_memory -> "dnnl_out_of_memory";
            case dnnl_h.dnnl_invalid_arguments -> "dnnl_invalid_arguments";
            case dnnl_h.dnnl_unimplemented -> "dnnl_unimplemented (no implementation for these arguments)";
            case dnnl_h.dnnl_last_impl_reached -> "dnnl_last_impl_reached";
            case dnnl_h.dnnl_runtime_error -> "dnnl_runtime_error";
            case dnnl_h.dnnl_not_required -> "dnnl_not_required";
            default -> "unknown status " + status;
        };
    }

    /**
     * The instruction set oneDNN dispatches to on this CPU (at most {@code ONEDNN_MAX_CPU_ISA} when
     * that is set), by its oneDNN name.
     */
    static String effectiveIsa() {
        int isa = dnnl_h.dnnl_get_effective_cpu_isa();
        return dnnl_h.dnnl_cpu_isa_names.getOrDefault(isa, String.format("isa 0x%x", isa));
    }

    /** Whether the ISA oneDNN dispatches to has AMX tiles ({@code dnnl_cpu_isa_t}'s AMX bits, 0xe00). */
    static boolean hasAmx() {
        return (dnnl_h.dnnl_get_effective_cpu_isa() & 0xe00) == 0xe00;
    }

    /**
     * Whether the ISA oneDNN dispatches to multiplies u8 by s8 with 32-bit sums (VNNI: {@code
     * avx2_vnni}'s bit 0x8, {@code avx512_core_vnni}'s 0x40): without it oneDNN's int8 products sum
     * pairs in saturating 16 bits, which full-range u8 data can overflow.
     */
    static boolean hasVnni() {
        int isa = dnnl_h.dnnl_get_effective_cpu_isa();
        return (isa & 0x8) != 0 || (isa & 0x40) != 0;
    }

    private static final class EngineHolder {
        static {
            PrimitiveCache.apply(); // before any primitive is made
        }

        /** The CPU engine, thread-safe, shared by every prepared stack and kept for the JVM's life. */
        static final DnnlHandle ENGINE = DnnlHandle.create("engine", "dnnl_engine_create",
                out -> dnnl_h.dnnl_engine_create(out, dnnl_h.dnnl_cpu, 0), dnnl_h::dnnl_engine_destroy);
    }

    static MemorySegment engine() {
        return EngineHolder.ENGINE.address();
    }

    /** A plain f32 memory descriptor with {@code dims} in {@code tag}'s order ({@code any} lets a primitive choose). */
    static DnnlHandle memoryDesc(int tag, long... dims) {
        return typedMemoryDesc(dnnl_h.dnnl_f32, tag, dims);
    }

    /** A memory descriptor of {@code dataType} ({@code dnnl_f32}, {@code dnnl_bf16}, ...) with {@code dims} in {@code tag}'s order. */
    static DnnlHandle typedMemoryDesc(int dataType, int tag, long... dims) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeDims = arena.allocateFrom(C_LONG, dims);
            return DnnlHandle.create("memory_desc", "dnnl_memory_desc_create_with_tag",
                    out -> dnnl_h.dnnl_memory_desc_create_with_tag(out, dims.length, nativeDims, dataType, tag),
                    dnnl_h::dnnl_memory_desc_destroy);
        }
    }

    /** A copy of memory descriptor {@code md}, owned by the caller (it outlives the primitive descriptor {@code md} came from). */
    static DnnlHandle clone(MemorySegment md) {
        return DnnlHandle.create("memory_desc", "dnnl_memory_desc_clone",
                out -> dnnl_h.dnnl_memory_desc_clone(out, md), dnnl_h::dnnl_memory_desc_destroy);
    }

    /**
     * The memory descriptor a primitive descriptor uses for execution argument {@code arg}
     * (owned by {@code pd}), or {@code NULL} when it takes no such argument.
     */
    static MemorySegment argumentDesc(DnnlHandle pd, int arg) {
        return dnnl_h.dnnl_primitive_desc_query_md(pd.address(), 255 /* dnnl_query_exec_arg_md */, arg);
    }

    /** Bytes of memory {@code md} describes; 0 for {@code NULL} or an empty descriptor. */
    static long size(MemorySegment md) {
        return md.equals(MemorySegment.NULL) ? 0 : dnnl_h.dnnl_memory_desc_get_size(md);
    }

    static boolean sameLayout(MemorySegment a, MemorySegment b) {
        return dnnl_h.dnnl_memory_desc_equal(a, b) != 0;
    }

    /** A memory object over {@code data} (not owned: it must outlive the object). */
    static DnnlHandle memory(MemorySegment md, MemorySegment data) {
        if (data.byteSize() < size(md)) {
            throw new IllegalArgumentException("buffer of " + data.byteSize() + " bytes for a memory of " + size(md));
        }
        return DnnlHandle.create("memory", "dnnl_memory_create",
                out -> dnnl_h.dnnl_memory_create(out, md, engine(), data), dnnl_h::dnnl_memory_destroy);
    }

    static DnnlHandle stream() {
        return DnnlHandle.create("stream", "dnnl_stream_create",
                out -> dnnl_h.dnnl_stream_create(out, engine(), dnnl_h.dnnl_stream_default_flags),
                dnnl_h::dnnl_stream_destroy);
    }

    static DnnlHandle primitive(DnnlHandle pd) {
        return DnnlHandle.create("primitive", "dnnl_primitive_create",
                out -> dnnl_h.dnnl_primitive_create(out, pd.address()), dnnl_h::dnnl_primitive_destroy);
    }

    /** Attributes asking for a user-provided scratchpad: the caller passes it, so any thread may execute. */
    static DnnlHandle userScratchpadAttr() {
        DnnlHandle attr = DnnlHandle.create("primitive_attr", "dnnl_primitive_attr_create",
                dnnl_h::dnnl_primitive_attr_create, dnnl_h::dnnl_primitive_attr_destroy);
        try {
            check(dnnl_h.dnnl_primitive_attr_set_scratchpad_mode(attr.address(), dnnl_h.dnnl_scratchpad_mode_user),
                    "dnnl_primitive_attr_set_scratchpad_mode");
            return attr;
        } catch (RuntimeException e) {
            attr.close();
            throw e;
        }
    }

    /**
     * {@link #userScratchpadAttr()} with the quantization of an int8 RNN: data {@code u8 = scale * x +
     * shift} (for its inputs, states and outputs alike) and weights {@code s8 = weightScales[go] * w}
     * per gate and output unit ({@code g * H + o}, mask {@code 0b11000} over {@code ldigo}: shared by
     * the directions and by both matrices, as oneDNN allows no other mask for them).
     */
    static DnnlHandle int8Attr(float scale, float shift, float[] weightScales) {
        DnnlHandle attr = userScratchpadAttr();
        try (Arena arena = Arena.ofConfined()) {
            check(dnnl_h.dnnl_primitive_attr_set_rnn_data_qparams(attr.address(), scale, shift),
                    "dnnl_primitive_attr_set_rnn_data_qparams");
            MemorySegment scales = arena.allocateFrom(dnnl_h.C_FLOAT, weightScales);
            check(dnnl_h.dnnl_primitive_attr_set_rnn_weights_qparams(attr.address(), weightScales.length, 0b11000, scales),
                    "dnnl_primitive_attr_set_rnn_weights_qparams");
            return attr;
        } catch (RuntimeException e) {
            attr.close();
            throw e;
        }
    }

    static DnnlHandle reorderDesc(MemorySegment from, MemorySegment to, DnnlHandle attr) {
        return DnnlHandle.create("primitive_desc", "dnnl_reorder_primitive_desc_create",
                out -> dnnl_h.dnnl_reorder_primitive_desc_create(out, from, engine(), to, engine(),
                        attr == null ? MemorySegment.NULL : attr.address()),
                dnnl_h::dnnl_primitive_desc_destroy);
    }

    /** The implementation oneDNN chose for {@code pd}, e.g. {@code brgemm:avx512_core}. */
    static String implementation(DnnlHandle pd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(C_POINTER);
            check(dnnl_h.dnnl_primitive_desc_query(pd.address(), dnnl_h.dnnl_query_impl_info_str, 0, out),
                    "dnnl_primitive_desc_query");
            return out.get(C_POINTER, 0).reinterpret(256).getString(0);
        }
    }

    /** Copies {@code from} into {@code to} through a reorder primitive, on this thread, now. */
    static void reorder(MemorySegment fromMd, MemorySegment fromData, MemorySegment toMd, MemorySegment toData) {
        reorder(fromMd, fromData, toMd, toData, null);
    }

    /** {@link #reorder(MemorySegment, MemorySegment, MemorySegment, MemorySegment)} with attributes (null: none), e.g. an int8 quantization. */
    static void reorder(MemorySegment fromMd, MemorySegment fromData, MemorySegment toMd, MemorySegment toData,
                        DnnlHandle attr) {
        try (Resources r = new Resources(); Arena arena = Arena.ofConfined()) {
            DnnlHandle pd = r.add(reorderDesc(fromMd, toMd, attr));
            DnnlHandle primitive = r.add(primitive(pd));
            DnnlHandle stream = r.add(stream());
            DnnlHandle src = r.add(memory(fromMd, fromData));
            DnnlHandle dst = r.add(memory(toMd, toData));
            MemorySegment scratchMd = argumentDesc(pd, dnnl_h.DNNL_ARG_SCRATCHPAD);
            DnnlHandle scratch = size(scratchMd) == 0 ? null
                    : r.add(memory(scratchMd, arena.allocate(size(scratchMd), 64)));
            ExecArgs args = new ExecArgs(arena, 3);
            args.add(dnnl_h.DNNL_ARG_FROM, src).add(dnnl_h.DNNL_ARG_TO, dst).add(dnnl_h.DNNL_ARG_SCRATCHPAD, scratch);
            execute(primitive, stream, args);
            check(dnnl_h.dnnl_stream_wait(stream.address()), "dnnl_stream_wait");
        }
    }

    static void execute(DnnlHandle primitive, DnnlHandle stream, ExecArgs args) {
        check(dnnl_h.dnnl_primitive_execute(primitive.address(), stream.address(), args.count(), args.segment()),
                "dnnl_primitive_execute");
    }
}
