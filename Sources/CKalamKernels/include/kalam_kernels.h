#ifndef KALAM_KERNELS_H
#define KALAM_KERNELS_H

// Kalam's own matrix-product kernels, one per instruction set, chosen at run time by the CPU's
// features (no compiler flags: each kernel carries its own target attribute).

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction sets Kalam has kernels for.
enum {
    KALAM_ISA_GENERIC = 0,  // portable C (SSE2 on x86-64, NEON on arm64)
    KALAM_ISA_AVX2 = 1,     // AVX2 + FMA, 256-bit
    KALAM_ISA_AVX512 = 2,   // AVX-512F, 512-bit
    KALAM_ISA_COUNT = 3
};

/// 1 when this build has the kernel for `isa` and this CPU (and its operating system) can run it.
int kalam_isa_supported(int isa);

/// C = alpha · op(A) · op(B) + beta · C on row-major float32 matrices with the kernel for `isa`
/// (which must be supported); op(A) is m × k, op(B) k × n. When beta is 0, C is not read.
/// Single-threaded; callers split C's rows or columns across threads.
void kalam_sgemm(
    int isa, int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
    const float *b, long ldb, float beta, float *c, long ldc);

/// y = alpha · op(A) · x + beta · y for a row-major A (rows × cols; op(A) = Aᵀ when trans_a), x and y
/// contiguous. When beta is 0, y is not read. Single-threaded.
void kalam_sgemv(
    int isa, int trans_a, long rows, long cols, float alpha, const float *a, long lda, const float *x,
    float beta, float *y);

/// Rounds n floats to bfloat16 (to nearest, ties to even; a NaN stays a NaN): the 16-bit values into
/// `out` and, widened back to float32, into `rounded` (either may be NULL; `rounded` may be `x`).
void kalam_round_bf16(const float *x, uint16_t *out, float *rounded, long n);

/// ``kalam_sgemv`` with A stored as bfloat16 (each element widened exactly to float32; the sums in
/// float32). Single-threaded.
void kalam_sgemv_bf16(
    int isa, int trans_a, long rows, long cols, float alpha, const uint16_t *a, long lda, const float *x,
    float beta, float *y);

/// GELU with the exact error function, y = 0.5 x (1 + erf(x / √2)), over n floats.
void kalam_gelu_erf(int isa, const float *x, float *y, long n);

/// The gradient of ``kalam_gelu_erf``: dx = g · (Φ(x) + x φ(x)).
void kalam_gelu_erf_backward(int isa, const float *g, const float *x, float *dx, long n);

/// GELU with the tanh approximation, y = 0.5 x (1 + t) with t = tanh(√(2/π) (x + 0.044715 x³)),
/// keeping t for the backward pass.
void kalam_gelu_tanh(int isa, const float *x, float *y, float *t, long n);

/// The gradient of ``kalam_gelu_tanh`` from x and the kept t.
void kalam_gelu_tanh_backward(int isa, const float *g, const float *x, const float *t, float *dx, long n);

/// Softmax of each of `rows` rows of `cols` floats (row stride `cols`), in place: e^(x - max) / sum.
/// A row whose entries are all -FLT_MAX (every score masked) becomes uniform, as the scalar code does.
void kalam_softmax_rows(int isa, float *x, long rows, long cols);

/// The largest of n floats (-inf for n = 0; NaNs are skipped unless every value is NaN).
float kalam_max(int isa, const float *x, long n);

/// Σ e^(x[j] - shift) over n floats.
float kalam_exp_sum(int isa, const float *x, long n, float shift);

/// y[j] = (e^(x[j] - shift) - offset) · scale over n floats (the cross-entropy gradient).
void kalam_exp_affine(int isa, const float *x, float *y, long n, float shift, float offset, float scale);

/// Layer normalisation of `rows` rows of c floats: y = (x - mean) · rstd · w + b (w, b may be NULL),
/// storing each row's mean and rstd = 1 / sqrt(var + eps) for the backward pass.
void kalam_layer_norm(
    int isa, const float *x, const float *w, const float *b, float *y, float *mean, float *rstd, long rows, long c,
    float eps);

/// The layer-norm gradient of `rows` rows: dx, and (when not NULL) gw += Σ g · x̂ and gb += Σ g.
void kalam_layer_norm_backward(
    int isa, const float *g, const float *x, const float *mean, const float *rstd, const float *w, float *dx,
    float *gw, float *gb, long rows, long c);

/// One item of a parallel loop: `index` in 0 ..< count, `context` as given.
typedef void (*kalam_task_fn)(void *context, long index);

/// Calls fn(context, i) for every i in 0 ..< count, on up to `threads` threads (the caller's among
/// them; Kalam's workers spin for a few tens of microseconds after a job before they sleep). Runs the
/// items inline, in order, when threads ≤ 1, when called from inside an item, or while another
/// thread's loop is running. Returns when every item is done.
void kalam_parallel_for(long count, int threads, kalam_task_fn fn, void *context);

#ifdef __cplusplus
}
#endif

#endif
