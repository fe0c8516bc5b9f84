// bfloat16 weights for decoding: rounding float32 to bfloat16 (the upper 16 bits, rounded to nearest
// even) and matrix-vector products that read bfloat16 weights, widen them to float32 in registers and
// accumulate in float32. A bfloat16 value widens exactly (its bits shifted left by 16), so the product
// equals the float32 product of the rounded weights up to the order of the sums, while it streams half
// the bytes of a float32 matrix.

#include "kalam_dispatch.h"
#include "kalam_gemv.h"
#include "kalam_kernels.h"

#include <stdint.h>
#include <string.h>

static inline uint16_t round_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0) {
        return (uint16_t)((bits >> 16) | 0x0040u);  // a NaN stays a (quiet) NaN
    }
    uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);  // ties to even
    return (uint16_t)((bits + rounding) >> 16);
}

static inline float widen_one(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

void kalam_round_bf16(const float *x, uint16_t *out, float *rounded, long n) {
    for (long i = 0; i < n; i++) {
        uint16_t h = round_bf16(x[i]);
        if (out) out[i] = h;
        if (rounded) rounded[i] = widen_one(h);
    }
}

// The matrix-vector product on bfloat16 weights (kalam_gemv.h): W values widened in registers.
#define DEFINE_SGEMV_BF16(SUFFIX, ATTR, VEC, U16, U32, W)                                                \
    ATTR static inline VEC widen_##SUFFIX(const uint16_t *p) {                                           \
        U16 h;                                                                                           \
        memcpy(&h, p, sizeof(U16));                                                                      \
        U32 wide = __builtin_convertvector(h, U32) << 16;                                                \
        VEC f;                                                                                           \
        memcpy(&f, &wide, sizeof(VEC));                                                                  \
        return f;                                                                                        \
    }                                                                                                    \
    DEFINE_GEMV(sgemv_bf16_##SUFFIX, ATTR, VEC, W, uint16_t, widen_##SUFFIX, widen_one)

typedef float bf16_f4 __attribute__((vector_size(16)));
typedef uint16_t bf16_h4 __attribute__((vector_size(8)));
typedef uint32_t bf16_w4 __attribute__((vector_size(16)));
DEFINE_SGEMV_BF16(generic, , bf16_f4, bf16_h4, bf16_w4, 4)

#if KALAM_X86
typedef float bf16_f8 __attribute__((vector_size(32)));
typedef uint16_t bf16_h8 __attribute__((vector_size(16)));
typedef uint32_t bf16_w8 __attribute__((vector_size(32)));
DEFINE_SGEMV_BF16(avx2, __attribute__((target("avx2,fma"))), bf16_f8, bf16_h8, bf16_w8, 8)

typedef float bf16_f16 __attribute__((vector_size(64)));
typedef uint16_t bf16_h16 __attribute__((vector_size(32)));
typedef uint32_t bf16_w16 __attribute__((vector_size(64)));
DEFINE_SGEMV_BF16(avx512, __attribute__((target("avx2,fma,avx512f"))), bf16_f16, bf16_h16, bf16_w16, 16)
#endif

void kalam_sgemv_bf16(
    int isa, int trans_a, long rows, long cols, float alpha, const uint16_t *a, long lda, const float *x,
    float beta, float *y) {
    if (rows <= 0 || cols <= 0) return;
    DISPATCH(sgemv_bf16, trans_a, rows, cols, alpha, a, lda, x, beta, y);
}
