package dev.jrnn.onednn;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Bindings to the part of oneDNN 3.x's C API ({@code oneapi/dnnl/dnnl.h}) that jrnn uses, in the
 * shape jextract gives them: C layouts, the constants as they are in the headers of
 * {@code org.bytedeco:dnnl:3.13-1.5.14}, one downcall handle and one static method per function.
 * jextract is not obtainable here, so this class is written by hand; {@code bindings/dnnl_h.symbols}
 * lists the functions for {@code jextract --include-function}. Package-private: callers go
 * through {@link Dnnl} and {@link DnnlHandle}, which check every status.
 *
 * <p>The handles resolve when this class initializes, against the library {@link OneDnnLibrary}
 * loaded; a missing symbol fails initialization, inside the provider's probe.
 */
@SuppressWarnings({"checkstyle:MethodName", "checkstyle:TypeName"})
final class dnnl_h {

    private dnnl_h() {
    }

    // C types on x86_64 Linux
    static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG; // size_t, int64_t dnnl_dim_t
    static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    // dnnl_status_t
    static final int dnnl_success = 0;
    static final int dnnl_out_of_memory = 1;
    static final int dnnl_invalid_arguments = 2;
    static final int dnnl_unimplemented = 3;
    static final int dnnl_last_impl_reached = 4;
    static final int dnnl_runtime_error = 5;
    static final int dnnl_not_required = 6;

    // dnnl_data_type_t, dnnl_format_tag_t
    static final int dnnl_bf16 = 2;
    static final int dnnl_f32 = 3;
    static final int dnnl_s8 = 5;
    static final int dnnl_u8 = 6;
    static final int dnnl_format_tag_any = 1;
    static final int dnnl_tnc = 4;
    static final int dnnl_ldnc = 5;
    static final int dnnl_ldgo = 5;
    static final int dnnl_ldgoi = 31;
    static final int dnnl_ldigo = 6;

    // dnnl_prop_kind_t, dnnl_alg_kind_t, dnnl_rnn_direction_t, dnnl_rnn_flags_t
    static final int dnnl_forward_training = 64;
    static final int dnnl_forward_inference = 96;
    static final int dnnl_backward = 128;
    static final int dnnl_eltwise_relu = 32;
    static final int dnnl_eltwise_tanh = 33;
    static final int dnnl_unidirectional_left2right = 1;
    static final int dnnl_bidirectional_concat = 3;
    static final int dnnl_rnn_flags_diff_weights_overwrite = 1;

    // engines, streams, attributes, queries
    static final int dnnl_cpu = 1;
    static final int dnnl_stream_default_flags = 1;
    static final int dnnl_scratchpad_mode_user = 1;
    static final int dnnl_query_impl_info_str = 8;
    static final int dnnl_query_weights_md = 131;
    static final int dnnl_query_diff_weights_md = 132;
    static final int dnnl_query_workspace_md = 135;
    static final int dnnl_query_scratchpad_md = 136;

    // dnnl_cpu_isa_t: what dnnl_get_effective_cpu_isa returns (each value's bits include the lower ISAs')
    static final Map<Integer, String> dnnl_cpu_isa_names = Map.ofEntries(
            Map.entry(0x0, "default"), Map.entry(0x1, "sse41"), Map.entry(0x3, "avx"),
            Map.entry(0x7, "avx2"), Map.entry(0xf, "avx2_vnni"), Map.entry(0x1f, "avx2_vnni_2"),
            Map.entry(0x27, "avx512_core"), Map.entry(0x67, "avx512_core_vnni"),
            Map.entry(0xe7, "avx512_core_bf16"), Map.entry(0x1ef, "avx10_1_512 (avx512_core_fp16)"),
            Map.entry(0xfef, "avx10_1_512_amx (avx512_core_amx)"),
            Map.entry(0x1fef, "avx10_1_512_amx_fp16 (avx512_core_amx_fp16)"),
            Map.entry(0x201ff, "avx10_2"), Map.entry(0x22fff, "avx10_2_amx_2"));

    // execution argument indices (DNNL_ARG_*)
    static final int DNNL_ARG_SRC_LAYER = 1;
    static final int DNNL_ARG_SRC_ITER = 2;
    static final int DNNL_ARG_SRC_ITER_C = 3;
    static final int DNNL_ARG_DST_LAYER = 17;
    static final int DNNL_ARG_DST_ITER = 18;
    static final int DNNL_ARG_DST_ITER_C = 19;
    static final int DNNL_ARG_WEIGHTS_LAYER = 33;
    static final int DNNL_ARG_WEIGHTS_ITER = 34;
    static final int DNNL_ARG_BIAS = 41;
    static final int DNNL_ARG_WORKSPACE = 64;
    static final int DNNL_ARG_SCRATCHPAD = 80;
    static final int DNNL_ARG_FROM = 1;
    static final int DNNL_ARG_TO = 17;
    static final int DNNL_ARG_DIFF_SRC_LAYER = 129;
    static final int DNNL_ARG_DIFF_SRC_ITER = 130;
    static final int DNNL_ARG_DIFF_SRC_ITER_C = 131;
    static final int DNNL_ARG_DIFF_DST_LAYER = 145;
    static final int DNNL_ARG_DIFF_DST_ITER = 146;
    static final int DNNL_ARG_DIFF_DST_ITER_C = 147;
    static final int DNNL_ARG_DIFF_WEIGHTS_LAYER = 161;
    static final int DNNL_ARG_DIFF_WEIGHTS_ITER = 162;
    static final int DNNL_ARG_DIFF_BIAS = 169;

    /** {@code typedef struct { int arg; dnnl_memory_t memory; } dnnl_exec_arg_t;} */
    static final MemoryLayout dnnl_exec_arg_t = MemoryLayout.structLayout(
            C_INT.withName("arg"), MemoryLayout.paddingLayout(4), C_POINTER.withName("memory"));

    /** {@code typedef struct { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; } dnnl_version_t;} */
    static final MemoryLayout dnnl_version_t = MemoryLayout.structLayout(
            C_INT.withName("major"), C_INT.withName("minor"), C_INT.withName("patch"), MemoryLayout.paddingLayout(4),
            C_POINTER.withName("hash"), C_INT.withName("cpu_runtime"), C_INT.withName("gpu_runtime"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup SYMBOLS = OneDnnLibrary.require().dnnl();
    private static final List<String> BOUND = new ArrayList<>();

    private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        MemorySegment address = SYMBOLS.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("oneDNN library has no symbol " + name));
        BOUND.add(name);
        return LINKER.downcallHandle(address, descriptor);
    }

    private static FunctionDescriptor status(MemoryLayout... arguments) {
        return FunctionDescriptor.of(C_INT, arguments);
    }

    private static MemoryLayout[] pointers(int n) {
        MemoryLayout[] layouts = new MemoryLayout[n];
        java.util.Arrays.fill(layouts, C_POINTER);
        return layouts;
    }

    private static MemoryLayout[] concat(MemoryLayout[]... parts) {
        List<MemoryLayout> all = new ArrayList<>();
        for (MemoryLayout[] part : parts) {
            all.addAll(List.of(part));
        }
        return all.toArray(MemoryLayout[]::new);
    }

    private static final MethodHandle dnnl_version$MH = bind("dnnl_version", FunctionDescriptor.of(C_POINTER));
    private static final MethodHandle dnnl_get_effective_cpu_isa$MH = bind("dnnl_get_effective_cpu_isa",
            FunctionDescriptor.of(C_INT));
    private static final MethodHandle dnnl_set_primitive_cache_capacity$MH = bind("dnnl_set_primitive_cache_capacity",
            status(C_INT));
    private static final MethodHandle dnnl_get_primitive_cache_capacity$MH = bind("dnnl_get_primitive_cache_capacity",
            status(C_POINTER));
    private static final MethodHandle dnnl_engine_create$MH = bind("dnnl_engine_create", status(C_POINTER, C_INT, C_LONG));
    private static final MethodHandle dnnl_engine_destroy$MH = bind("dnnl_engine_destroy", status(C_POINTER));
    private static final MethodHandle dnnl_stream_create$MH = bind("dnnl_stream_create", status(C_POINTER, C_POINTER, C_INT));
    private static final MethodHandle dnnl_stream_wait$MH = bind("dnnl_stream_wait", status(C_POINTER));
    private static final MethodHandle dnnl_stream_destroy$MH = bind("dnnl_stream_destroy", status(C_POINTER));
    private static final MethodHandle dnnl_memory_desc_create_with_tag$MH = bind("dnnl_memory_desc_create_with_tag",
            status(C_POINTER, C_INT, C_POINTER, C_INT, C_INT));
    private static final MethodHandle dnnl_memory_desc_clone$MH = bind("dnnl_memory_desc_clone",
            status(C_POINTER, C_POINTER));
    private static final MethodHandle dnnl_memory_desc_destroy$MH = bind("dnnl_memory_desc_destroy", status(C_POINTER));
    private static final MethodHandle dnnl_memory_desc_get_size$MH = bind("dnnl_memory_desc_get_size",
            FunctionDescriptor.of(C_LONG, C_POINTER));
    private static final MethodHandle dnnl_memory_desc_equal$MH = bind("dnnl_memory_desc_equal",
            FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle dnnl_memory_create$MH = bind("dnnl_memory_create",
            status(C_POINTER, C_POINTER, C_POINTER, C_POINTER));
    private static final MethodHandle dnnl_memory_destroy$MH = bind("dnnl_memory_destroy", status(C_POINTER));
    private static final MethodHandle dnnl_primitive_attr_create$MH = bind("dnnl_primitive_attr_create", status(C_POINTER));
    private static final MethodHandle dnnl_primitive_attr_destroy$MH = bind("dnnl_primitive_attr_destroy", status(C_POINTER));
    private static final MethodHandle dnnl_primitive_attr_set_scratchpad_mode$MH = bind(
            "dnnl_primitive_attr_set_scratchpad_mode", status(C_POINTER, C_INT));
    private static final MethodHandle dnnl_primitive_attr_set_rnn_data_qparams$MH = bind(
            "dnnl_primitive_attr_set_rnn_data_qparams", status(C_POINTER, C_FLOAT, C_FLOAT));
    private static final MethodHandle dnnl_primitive_attr_set_rnn_weights_qparams$MH = bind(
            "dnnl_primitive_attr_set_rnn_weights_qparams", status(C_POINTER, C_LONG, C_INT, C_POINTER));
    private static final MethodHandle dnnl_reorder_primitive_desc_create$MH = bind("dnnl_reorder_primitive_desc_create",
            status(pointers(6)));
    // (pd*, engine, prop, activation, direction, src_layer, src_iter, weights_layer, weights_iter, bias,
    //  dst_layer, dst_iter, flags, alpha, beta, attr)
    private static final MethodHandle dnnl_vanilla_rnn_forward_primitive_desc_create$MH = bind(
            "dnnl_vanilla_rnn_forward_primitive_desc_create", status(concat(pointers(2),
                    new MemoryLayout[] {C_INT, C_INT, C_INT}, pointers(7), new MemoryLayout[] {C_INT, C_FLOAT, C_FLOAT, C_POINTER})));
    // (..., dst_iter, diff_src_layer, diff_src_iter, diff_weights_layer, diff_weights_iter, diff_bias,
    //  diff_dst_layer, diff_dst_iter, flags, alpha, beta, hint_fwd_pd, attr)
    private static final MethodHandle dnnl_vanilla_rnn_backward_primitive_desc_create$MH = bind(
            "dnnl_vanilla_rnn_backward_primitive_desc_create", status(concat(pointers(2),
                    new MemoryLayout[] {C_INT, C_INT, C_INT}, pointers(14),
                    new MemoryLayout[] {C_INT, C_FLOAT, C_FLOAT, C_POINTER, C_POINTER})));
    // (pd*, engine, prop, direction, src_layer, src_iter, src_iter_c, weights_layer, weights_iter,
    //  weights_peephole, weights_projection, bias, dst_layer, dst_iter, dst_iter_c, flags, attr)
    private static final MethodHandle dnnl_lstm_forward_primitive_desc_create$MH = bind(
            "dnnl_lstm_forward_primitive_desc_create", status(concat(pointers(2),
                    new MemoryLayout[] {C_INT, C_INT}, pointers(11), new MemoryLayout[] {C_INT, C_POINTER})));
    // (..., dst_iter_c, diff_src_layer, diff_src_iter, diff_src_iter_c, diff_weights_layer, diff_weights_iter,
    //  diff_weights_peephole, diff_weights_projection, diff_bias, diff_dst_layer, diff_dst_iter, diff_dst_iter_c,
    //  flags, hint_fwd_pd, attr)
    private static final MethodHandle dnnl_lstm_backward_primitive_desc_create$MH = bind(
            "dnnl_lstm_backward_primitive_desc_create", status(concat(pointers(2),
                    new MemoryLayout[] {C_INT, C_INT}, pointers(22), new MemoryLayout[] {C_INT, C_POINTER, C_POINTER})));
    // (pd*, engine, prop, direction, src_layer, src_iter, weights_layer, weights_iter, bias, dst_layer,
    //  dst_iter, flags, attr)
    private static final MethodHandle dnnl_lbr_gru_forward_primitive_desc_create$MH = bind(
            "dnnl_lbr_gru_forward_primitive_desc_create", status(concat(pointers(2),
                    new MemoryLayout[] {C_INT, C_INT}, pointers(7), new MemoryLayout[] {C_INT, C_POINTER})));
    // (..., dst_iter, diff_src_layer, diff_src_iter, diff_weights_layer, diff_weights_iter, diff_bias,
    //  diff_dst_layer, diff_dst_iter, flags, hint_fwd_pd, attr)
    private static final MethodHandle dnnl_lbr_gru_backward_primitive_desc_create$MH = bind(
            "dnnl_lbr_gru_backward_primitive_desc_create", status(concat(pointers(2),
                    new MemoryLayout[] {C_INT, C_INT}, pointers(14), new MemoryLayout[] {C_INT, C_POINTER, C_POINTER})));
    private static final MethodHandle dnnl_primitive_desc_query$MH = bind("dnnl_primitive_desc_query",
            status(C_POINTER, C_INT, C_INT, C_POINTER));
    private static final MethodHandle dnnl_primitive_desc_query_md$MH = bind("dnnl_primitive_desc_query_md",
            FunctionDescriptor.of(C_POINTER, C_POINTER, C_INT, C_INT));
    private static final MethodHandle dnnl_primitive_desc_destroy$MH = bind("dnnl_primitive_desc_destroy", status(C_POINTER));
    private static final MethodHandle dnnl_primitive_create$MH = bind("dnnl_primitive_create", status(C_POINTER, C_POINTER));
    private static final MethodHandle dnnl_primitive_execute$MH = bind("dnnl_primitive_execute",
            status(C_POINTER, C_POINTER, C_INT, C_POINTER));
    private static final MethodHandle dnnl_primitive_destroy$MH = bind("dnnl_primitive_destroy", status(C_POINTER));

    /** The names of every function bound above, in order. */
    static List<String> boundSymbols() {
        return Collections.unmodifiableList(BOUND);
    }

    private static AssertionError unreachable(Throwable t) {
        return new AssertionError("should not reach here", t);
    }

    static MemorySegment dnnl_version() {
        try {
            return (MemorySegment) dnnl_version$MH.invokeExact();
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_get_effective_cpu_isa() {
        try {
            return (int) dnnl_get_effective_cpu_isa$MH.invokeExact();
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_set_primitive_cache_capacity(int capacity) {
        try {
            return (int) dnnl_set_primitive_cache_capacity$MH.invokeExact(capacity);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_get_primitive_cache_capacity(MemorySegment capacity) {
        try {
            return (int) dnnl_get_primitive_cache_capacity$MH.invokeExact(capacity);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_engine_create(MemorySegment engine, int kind, long index) {
        try {
            return (int) dnnl_engine_create$MH.invokeExact(engine, kind, index);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_engine_destroy(MemorySegment engine) {
        try {
            return (int) dnnl_engine_destroy$MH.invokeExact(engine);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_stream_create(MemorySegment stream, MemorySegment engine, int flags) {
        try {
            return (int) dnnl_stream_create$MH.invokeExact(stream, engine, flags);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_stream_wait(MemorySegment stream) {
        try {
            return (int) dnnl_stream_wait$MH.invokeExact(stream);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_stream_destroy(MemorySegment stream) {
        try {
            return (int) dnnl_stream_destroy$MH.invokeExact(stream);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_memory_desc_create_with_tag(MemorySegment md, int ndims, MemorySegment dims, int dataType, int tag) {
        try {
            return (int) dnnl_memory_desc_create_with_tag$MH.invokeExact(md, ndims, dims, dataType, tag);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_memory_desc_clone(MemorySegment md, MemorySegment existing) {
        try {
            return (int) dnnl_memory_desc_clone$MH.invokeExact(md, existing);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_memory_desc_destroy(MemorySegment md) {
        try {
            return (int) dnnl_memory_desc_destroy$MH.invokeExact(md);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static long dnnl_memory_desc_get_size(MemorySegment md) {
        try {
            return (long) dnnl_memory_desc_get_size$MH.invokeExact(md);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_memory_desc_equal(MemorySegment lhs, MemorySegment rhs) {
        try {
            return (int) dnnl_memory_desc_equal$MH.invokeExact(lhs, rhs);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_memory_create(MemorySegment memory, MemorySegment md, MemorySegment engine, MemorySegment handle) {
        try {
            return (int) dnnl_memory_create$MH.invokeExact(memory, md, engine, handle);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_memory_destroy(MemorySegment memory) {
        try {
            return (int) dnnl_memory_destroy$MH.invokeExact(memory);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_attr_create(MemorySegment attr) {
        try {
            return (int) dnnl_primitive_attr_create$MH.invokeExact(attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_attr_destroy(MemorySegment attr) {
        try {
            return (int) dnnl_primitive_attr_destroy$MH.invokeExact(attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_attr_set_scratchpad_mode(MemorySegment attr, int mode) {
        try {
            return (int) dnnl_primitive_attr_set_scratchpad_mode$MH.invokeExact(attr, mode);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_attr_set_rnn_data_qparams(MemorySegment attr, float scale, float shift) {
        try {
            return (int) dnnl_primitive_attr_set_rnn_data_qparams$MH.invokeExact(attr, scale, shift);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_attr_set_rnn_weights_qparams(MemorySegment attr, long count, int mask, MemorySegment scales) {
        try {
            return (int) dnnl_primitive_attr_set_rnn_weights_qparams$MH.invokeExact(attr, count, mask, scales);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_reorder_primitive_desc_create(MemorySegment pd, MemorySegment srcMd, MemorySegment srcEngine,
                                                  MemorySegment dstMd, MemorySegment dstEngine, MemorySegment attr) {
        try {
            return (int) dnnl_reorder_primitive_desc_create$MH.invokeExact(pd, srcMd, srcEngine, dstMd, dstEngine, attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_vanilla_rnn_forward_primitive_desc_create(
            MemorySegment pd, MemorySegment engine, int propKind, int activation, int direction,
            MemorySegment srcLayer, MemorySegment srcIter, MemorySegment weightsLayer, MemorySegment weightsIter,
            MemorySegment bias, MemorySegment dstLayer, MemorySegment dstIter, int flags, float alpha, float beta,
            MemorySegment attr) {
        try {
            return (int) dnnl_vanilla_rnn_forward_primitive_desc_create$MH.invokeExact(pd, engine, propKind, activation,
                    direction, srcLayer, srcIter, weightsLayer, weightsIter, bias, dstLayer, dstIter, flags, alpha, beta, attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_vanilla_rnn_backward_primitive_desc_create(
            MemorySegment pd, MemorySegment engine, int propKind, int activation, int direction,
            MemorySegment srcLayer, MemorySegment srcIter, MemorySegment weightsLayer, MemorySegment weightsIter,
            MemorySegment bias, MemorySegment dstLayer, MemorySegment dstIter,
            MemorySegment diffSrcLayer, MemorySegment diffSrcIter, MemorySegment diffWeightsLayer,
            MemorySegment diffWeightsIter, MemorySegment diffBias, MemorySegment diffDstLayer, MemorySegment diffDstIter,
            int flags, float alpha, float beta, MemorySegment hintForward, MemorySegment attr) {
        try {
            return (int) dnnl_vanilla_rnn_backward_primitive_desc_create$MH.invokeExact(pd, engine, propKind, activation,
                    direction, srcLayer, srcIter, weightsLayer, weightsIter, bias, dstLayer, dstIter,
                    diffSrcLayer, diffSrcIter, diffWeightsLayer, diffWeightsIter, diffBias, diffDstLayer, diffDstIter,
                    flags, alpha, beta, hintForward, attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_lstm_forward_primitive_desc_create(
            MemorySegment pd, MemorySegment engine, int propKind, int direction,
            MemorySegment srcLayer, MemorySegment srcIter, MemorySegment srcIterC, MemorySegment weightsLayer,
            MemorySegment weightsIter, MemorySegment weightsPeephole, MemorySegment weightsProjection,
            MemorySegment bias, MemorySegment dstLayer, MemorySegment dstIter, MemorySegment dstIterC, int flags,
            MemorySegment attr) {
        try {
            return (int) dnnl_lstm_forward_primitive_desc_create$MH.invokeExact(pd, engine, propKind, direction,
                    srcLayer, srcIter, srcIterC, weightsLayer, weightsIter, weightsPeephole, weightsProjection, bias,
                    dstLayer, dstIter, dstIterC, flags, attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_lstm_backward_primitive_desc_create(
            MemorySegment pd, MemorySegment engine, int propKind, int direction,
            MemorySegment srcLayer, MemorySegment srcIter, MemorySegment srcIterC, MemorySegment weightsLayer,
            MemorySegment weightsIter, MemorySegment weightsPeephole, MemorySegment weightsProjection,
            MemorySegment bias, MemorySegment dstLayer, MemorySegment dstIter, MemorySegment dstIterC,
            MemorySegment diffSrcLayer, MemorySegment diffSrcIter, MemorySegment diffSrcIterC,
            MemorySegment diffWeightsLayer, MemorySegment diffWeightsIter, MemorySegment diffWeightsPeephole,
            MemorySegment diffWeightsProjection, MemorySegment diffBias, MemorySegment diffDstLayer,
            MemorySegment diffDstIter, MemorySegment diffDstIterC, int flags, MemorySegment hintForward,
            MemorySegment attr) {
        try {
            return (int) dnnl_lstm_backward_primitive_desc_create$MH.invokeExact(pd, engine, propKind, direction,
                    srcLayer, srcIter, srcIterC, weightsLayer, weightsIter, weightsPeephole, weightsProjection, bias,
                    dstLayer, dstIter, dstIterC, diffSrcLayer, diffSrcIter, diffSrcIterC, diffWeightsLayer,
                    diffWeightsIter, diffWeightsPeephole, diffWeightsProjection, diffBias, diffDstLayer, diffDstIter,
                    diffDstIterC, flags, hintForward, attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_lbr_gru_forward_primitive_desc_create(
            MemorySegment pd, MemorySegment engine, int propKind, int direction,
            MemorySegment srcLayer, MemorySegment srcIter, MemorySegment weightsLayer, MemorySegment weightsIter,
            MemorySegment bias, MemorySegment dstLayer, MemorySegment dstIter, int flags, MemorySegment attr) {
        try {
            return (int) dnnl_lbr_gru_forward_primitive_desc_create$MH.invokeExact(pd, engine, propKind, direction,
                    srcLayer, srcIter, weightsLayer, weightsIter, bias, dstLayer, dstIter, flags, attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_lbr_gru_backward_primitive_desc_create(
            MemorySegment pd, MemorySegment engine, int propKind, int direction,
            MemorySegment srcLayer, MemorySegment srcIter, MemorySegment weightsLayer, MemorySegment weightsIter,
            MemorySegment bias, MemorySegment dstLayer, MemorySegment dstIter,
            MemorySegment diffSrcLayer, MemorySegment diffSrcIter, MemorySegment diffWeightsLayer,
            MemorySegment diffWeightsIter, MemorySegment diffBias, MemorySegment diffDstLayer, MemorySegment diffDstIter,
            int flags, MemorySegment hintForward, MemorySegment attr) {
        try {
            return (int) dnnl_lbr_gru_backward_primitive_desc_create$MH.invokeExact(pd, engine, propKind, direction,
                    srcLayer, srcIter, weightsLayer, weightsIter, bias, dstLayer, dstIter, diffSrcLayer, diffSrcIter,
                    diffWeightsLayer, diffWeightsIter, diffBias, diffDstLayer, diffDstIter, flags, hintForward, attr);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_desc_query(MemorySegment pd, int what, int index, MemorySegment result) {
        try {
            return (int) dnnl_primitive_desc_query$MH.invokeExact(pd, what, index, result);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static MemorySegment dnnl_primitive_desc_query_md(MemorySegment pd, int what, int index) {
        try {
            return (MemorySegment) dnnl_primitive_desc_query_md$MH.invokeExact(pd, what, index);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_desc_destroy(MemorySegment pd) {
        try {
            return (int) dnnl_primitive_desc_destroy$MH.invokeExact(pd);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_create(MemorySegment primitive, MemorySegment pd) {
        try {
            return (int) dnnl_primitive_create$MH.invokeExact(primitive, pd);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_execute(MemorySegment primitive, MemorySegment stream, int nargs, MemorySegment args) {
        try {
            return (int) dnnl_primitive_execute$MH.invokeExact(primitive, stream, nargs, args);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }

    static int dnnl_primitive_destroy(MemorySegment primitive) {
        try {
            return (int) dnnl_primitive_destroy$MH.invokeExact(primitive);
        } catch (Throwable t) {
            throw unreachable(t);
        }
    }
}
