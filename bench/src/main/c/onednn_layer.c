/*
 * The layer workloads of LayerBench, run through oneDNN's own C API: the peer that the Java path
 * (the onednn backend) is measured against. Written the way a C user would: one single-layer
 * primitive, weights in the layout the primitive chose (reordered once, outside the timing),
 * library-managed scratchpad, buffers allocated once. Prints milliseconds per call.
 *
 *   onednn_layer WORKLOAD [SECONDS]     e.g. onednn_layer W3 5
 *
 * Thread count: OMP_NUM_THREADS. Built and run by `./build bench-c` (see bench/RESULTS.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "oneapi/dnnl/dnnl.h"

#define CHECK(f) do { dnnl_status_t s_ = (f); if (s_ != dnnl_success) { \
    fprintf(stderr, "%s failed: status %d (line %d)\n", #f, (int) s_, __LINE__); exit(2); } } while (0)

typedef struct { const char *name; dnnl_alg_kind_t cell; int dirs, t, n, i, h, training; } workload;

static const workload WORKLOADS[] = {
    {"W1", dnnl_vanilla_lstm, 1, 50, 1, 64, 128, 0},
    {"W2", dnnl_vanilla_lstm, 1, 100, 1, 256, 256, 0},
    {"W3", dnnl_vanilla_lstm, 1, 50, 64, 256, 512, 0},
    {"W4_GRU", dnnl_lbr_gru, 1, 100, 1, 256, 256, 0},
    {"W4_RNN", dnnl_vanilla_rnn, 1, 100, 1, 256, 256, 0},
    {"W5", dnnl_vanilla_lstm, 1, 35, 32, 128, 256, 1},
    {"W6", dnnl_vanilla_lstm, 2, 100, 8, 128, 256, 0},
};

static dnnl_engine_t engine;

static dnnl_memory_desc_t md(int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t m;
    CHECK(dnnl_memory_desc_create_with_tag(&m, ndims, dims, dnnl_f32, tag));
    return m;
}

static dnnl_memory_t mem(const_dnnl_memory_desc_t m, float fill) {
    dnnl_memory_t out;
    size_t bytes = dnnl_memory_desc_get_size(m);
    float *data = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    for (size_t k = 0; k < bytes / sizeof(float); k++) data[k] = fill * (float) ((k * 7919) % 1000) / 1000.0f;
    CHECK(dnnl_memory_create(&out, m, engine, data));
    return out;
}

static const_dnnl_memory_desc_t q(const_dnnl_primitive_desc_t pd, int arg) {
    return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
}

static dnnl_primitive_desc_t rnn_pd(const workload *w, dnnl_prop_kind_t prop, dnnl_memory_desc_t src, dnnl_memory_desc_t it,
                                    dnnl_memory_desc_t wl, dnnl_memory_desc_t wi, dnnl_memory_desc_t b,
                                    dnnl_memory_desc_t dst, const_dnnl_primitive_desc_t hint) {
    dnnl_primitive_desc_t pd;
    dnnl_rnn_direction_t dir = w->dirs == 2 ? dnnl_bidirectional_concat : dnnl_unidirectional_left2right;
    unsigned ow = dnnl_rnn_flags_diff_weights_overwrite;
    if (prop != dnnl_backward) {
        if (w->cell == dnnl_vanilla_lstm)
            CHECK(dnnl_lstm_forward_primitive_desc_create(&pd, engine, prop, dir, src, it, it, wl, wi, NULL, NULL, b, dst, it, it, 0, NULL));
        else if (w->cell == dnnl_lbr_gru)
            CHECK(dnnl_lbr_gru_forward_primitive_desc_create(&pd, engine, prop, dir, src, it, wl, wi, b, dst, it, 0, NULL));
        else
            CHECK(dnnl_vanilla_rnn_forward_primitive_desc_create(&pd, engine, prop, dnnl_eltwise_tanh, dir, src, it, wl, wi, b, dst, it, 0, 0, 0, NULL));
    } else {
        if (w->cell == dnnl_vanilla_lstm)
            CHECK(dnnl_lstm_backward_primitive_desc_create(&pd, engine, prop, dir, src, it, it, wl, wi, NULL, NULL, b, dst, it, it,
                  src, it, it, wl, wi, NULL, NULL, b, dst, it, it, ow, hint, NULL));
        else if (w->cell == dnnl_lbr_gru)
            CHECK(dnnl_lbr_gru_backward_primitive_desc_create(&pd, engine, prop, dir, src, it, wl, wi, b, dst, it,
                  src, it, wl, wi, b, dst, it, ow, hint, NULL));
        else
            CHECK(dnnl_vanilla_rnn_backward_primitive_desc_create(&pd, engine, prop, dnnl_eltwise_tanh, dir, src, it, wl, wi, b, dst, it,
                  src, it, wl, wi, b, dst, it, ow, 0, 0, hint, NULL));
    }
    return pd;
}

/* Weights of pd's chosen layout, filled through a reorder from the plain ldgoi layout. */
static dnnl_memory_t weights(dnnl_stream_t stream, dnnl_memory_desc_t plain, const_dnnl_memory_desc_t chosen) {
    dnnl_memory_t src = mem(plain, 0.01f), dst = mem(chosen, 0);
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, plain, engine, chosen, engine, NULL));
    CHECK(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
    CHECK(dnnl_primitive_execute(r, stream, 2, args));
    CHECK(dnnl_stream_wait(stream));
    return dst;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const workload *w = NULL;
    for (size_t k = 0; argc > 1 && k < sizeof(WORKLOADS) / sizeof(*WORKLOADS); k++)
        if (!strcmp(argv[1], WORKLOADS[k].name)) w = &WORKLOADS[k];
    if (!w) { fprintf(stderr, "usage: onednn_layer W1|W2|W3|W4_GRU|W4_RNN|W5|W6 [seconds]\n"); return 1; }
    double seconds = argc > 2 ? atof(argv[2]) : 5;
    int g = w->cell == dnnl_vanilla_lstm ? 4 : w->cell == dnnl_lbr_gru ? 3 : 1, bg = w->cell == dnnl_lbr_gru ? 4 : g;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    dnnl_stream_t stream;
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));

    dnnl_dims_t src_d = {w->t, w->n, w->i}, dst_d = {w->t, w->n, w->dirs * w->h}, it_d = {1, w->dirs, w->n, w->h};
    dnnl_dims_t wl_d = {1, w->dirs, w->i, g, w->h}, wi_d = {1, w->dirs, w->h, g, w->h}, b_d = {1, w->dirs, bg, w->h};
    dnnl_memory_desc_t src = md(3, src_d, dnnl_tnc), dst = md(3, dst_d, dnnl_tnc), it = md(4, it_d, dnnl_ldnc);
    dnnl_memory_desc_t b = md(4, b_d, dnnl_ldgo), wl_any = md(5, wl_d, dnnl_format_tag_any), wi_any = md(5, wi_d, dnnl_format_tag_any);
    dnnl_memory_desc_t wl_plain = md(5, wl_d, dnnl_ldgoi), wi_plain = md(5, wi_d, dnnl_ldgoi);

    dnnl_prop_kind_t prop = w->training ? dnnl_forward_training : dnnl_forward_inference;
    dnnl_primitive_desc_t fpd = rnn_pd(w, prop, src, it, wl_any, wi_any, b, dst, NULL);
    dnnl_primitive_t fwd;
    CHECK(dnnl_primitive_create(&fwd, fpd));
    dnnl_memory_t m_src = mem(src, 1), m_dst = mem(dst, 0), m_b = mem(b, 0.1f);
    dnnl_memory_t m_hi = mem(it, 0), m_ci = mem(it, 0), m_ho = mem(it, 0), m_co = mem(it, 0);
    dnnl_memory_t m_wl = weights(stream, wl_plain, q(fpd, DNNL_ARG_WEIGHTS_LAYER));
    dnnl_memory_t m_wi = weights(stream, wi_plain, q(fpd, DNNL_ARG_WEIGHTS_ITER));
    dnnl_memory_t m_ws = w->training ? mem(q(fpd, DNNL_ARG_WORKSPACE), 0) : NULL;
    int lstm = w->cell == dnnl_vanilla_lstm;
    dnnl_exec_arg_t fargs[16];
    int nf = 0;
    fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_SRC_LAYER, m_src};
    fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_SRC_ITER, m_hi};
    fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_WEIGHTS_LAYER, m_wl};
    fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_WEIGHTS_ITER, m_wi};
    fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_BIAS, m_b};
    fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_DST_LAYER, m_dst};
    fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_DST_ITER, m_ho};
    if (lstm) {
        fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_SRC_ITER_C, m_ci};
        fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_DST_ITER_C, m_co};
    }
    if (m_ws) fargs[nf++] = (dnnl_exec_arg_t) {DNNL_ARG_WORKSPACE, m_ws};

    dnnl_primitive_t bwd = NULL;
    dnnl_exec_arg_t bargs[32];
    int nb = 0;
    if (w->training) {
        dnnl_primitive_desc_t bpd = rnn_pd(w, dnnl_backward, src, it, wl_any, wi_any, b, dst, fpd);
        CHECK(dnnl_primitive_create(&bwd, bpd));
        dnnl_memory_t bwl = weights(stream, wl_plain, q(bpd, DNNL_ARG_WEIGHTS_LAYER));
        dnnl_memory_t bwi = weights(stream, wi_plain, q(bpd, DNNL_ARG_WEIGHTS_ITER));
        memcpy(bargs, fargs, sizeof(dnnl_exec_arg_t) * nf);
        nb = nf;
        bargs[2].memory = bwl;
        bargs[3].memory = bwi;
        bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_SRC_LAYER, mem(src, 0)};
        bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_SRC_ITER, mem(it, 0)};
        bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_WEIGHTS_LAYER, mem(q(bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER), 0)};
        bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_WEIGHTS_ITER, mem(q(bpd, DNNL_ARG_DIFF_WEIGHTS_ITER), 0)};
        bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_BIAS, mem(b, 0)};
        bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_DST_LAYER, mem(dst, 0.5f)};
        bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_DST_ITER, mem(it, 0)};
        if (lstm) {
            bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_SRC_ITER_C, mem(it, 0)};
            bargs[nb++] = (dnnl_exec_arg_t) {DNNL_ARG_DIFF_DST_ITER_C, mem(it, 0)};
        }
    }

    const char *impl;
    CHECK(dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl));
    /* warm-up, then timed calls in one-second rounds; the best round and the mean are printed */
    double best = 1e30, total = 0;
    long calls = 0;
    for (int round = -2; round < (int) seconds; round++) {
        long k = 0;
        double start = now();
        do {
            CHECK(dnnl_primitive_execute(fwd, stream, nf, fargs));
            if (bwd) CHECK(dnnl_primitive_execute(bwd, stream, nb, bargs));
            CHECK(dnnl_stream_wait(stream));
            k++;
        } while (now() - start < 1.0);
        double per = (now() - start) / k * 1e3;
        if (round >= 0) {
            best = per < best ? per : best;
            total += per * k;
            calls += k;
        }
    }
    printf("%s onednn-c %s threads=%s best=%.4f ms mean=%.4f ms calls=%ld\n", w->name, impl,
           getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "default", best, total / calls, calls);
    return 0;
}
