// bfloat16 weights for decoding: rounding float32 to bfloat16 (the upper 16 bits, rounded to nearest
// even) and matrix-vector products that read bfloat16 weights, widen them to float32 in registers and
// accumulate in float32. A bfloat16 value widens exactly (its bits shifted left by 16), so the product
// equals the float32 product of the rounded weights up to the order of the sums, while it streams half
// the bytes of a float32 matrix.

#include "kalam_dispatch.h"
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

void kalam_round_bf16(const float *x, uint16_t *out, float *rounded, long n) {
    for (long i = 0; i < n; i++) {
        uint16_t h = round_bf16(x[i]);
        if (out) out[i] = h;
        if (rounded) {
            uint32_t bits = (uint32_t)h << 16;
            memcpy(&rounded[i], &bits, sizeof bits);
        }
    }
}

static inline float widen_one(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

// Without transposition each output is a dot product of a row with x (four rows at a time); with it,
// y accumulates alpha · x[i] · row i (four rows at a time). Both stream A once.
#define DEFINE_SGEMV_BF16(SUFFIX, ATTR, VEC, U16, U32, W)                                                \
    ATTR static inline VEC widen_##SUFFIX(const uint16_t *p) {                                           \
        U16 h;                                                                                           \
        memcpy(&h, p, sizeof(U16));                                                                      \
        U32 wide = __builtin_convertvector(h, U32) << 16;                                                \
        VEC f;                                                                                           \
        memcpy(&f, &wide, sizeof(VEC));                                                                  \
        return f;                                                                                        \
    }                                                                                                    \
    ATTR static void sgemv_bf16_##SUFFIX(                                                                \
        int trans_a, long rows, long cols, float alpha, const uint16_t *a, long lda, const float *x,     \
        float beta, float *y) {                                                                          \
        long outputs = trans_a ? cols : rows;                                                            \
        for (long i = 0; i < outputs; i++) y[i] = beta == 0 ? 0 : beta * y[i];                           \
        if (!trans_a) {                                                                                  \
            long i = 0;                                                                                  \
            for (; i + 4 <= rows; i += 4) {                                                              \
                const uint16_t *r0 = a + i * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;        \
                VEC s0 = (VEC){0}, s1 = (VEC){0}, s2 = (VEC){0}, s3 = (VEC){0};                          \
                long j = 0;                                                                              \
                for (; j + W <= cols; j += W) {                                                          \
                    VEC xv;                                                                              \
                    memcpy(&xv, x + j, sizeof(VEC));                                                     \
                    s0 += widen_##SUFFIX(r0 + j) * xv;                                                   \
                    s1 += widen_##SUFFIX(r1 + j) * xv;                                                   \
                    s2 += widen_##SUFFIX(r2 + j) * xv;                                                   \
                    s3 += widen_##SUFFIX(r3 + j) * xv;                                                   \
                }                                                                                        \
                float t[4][W], d[4] = {0, 0, 0, 0};                                                      \
                memcpy(t[0], &s0, sizeof(VEC));                                                          \
                memcpy(t[1], &s1, sizeof(VEC));                                                          \
                memcpy(t[2], &s2, sizeof(VEC));                                                          \
                memcpy(t[3], &s3, sizeof(VEC));                                                          \
                for (int q = 0; q < W; q++) {                                                            \
                    d[0] += t[0][q];                                                                     \
                    d[1] += t[1][q];                                                                     \
                    d[2] += t[2][q];                                                                     \
                    d[3] += t[3][q];                                                                     \
                }                                                                                        \
                for (; j < cols; j++) {                                                                  \
                    d[0] += widen_one(r0[j]) * x[j];                                                     \
                    d[1] += widen_one(r1[j]) * x[j];                                                     \
                    d[2] += widen_one(r2[j]) * x[j];                                                     \
                    d[3] += widen_one(r3[j]) * x[j];                                                     \
                }                                                                                        \
                for (int q = 0; q < 4; q++) y[i + q] += alpha * d[q];                                    \
            }                                                                                            \
            for (; i < rows; i++) {                                                                      \
                const uint16_t *row = a + i * lda;                                                       \
                float d = 0;                                                                             \
                for (long j = 0; j < cols; j++) d += widen_one(row[j]) * x[j];                           \
                y[i] += alpha * d;                                                                       \
            }                                                                                            \
            return;                                                                                      \
        }                                                                                                \
        long i = 0;                                                                                      \
        for (; i + 4 <= rows; i += 4) {                                                                  \
            const uint16_t *r0 = a + i * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;            \
            float s0 = alpha * x[i], s1 = alpha * x[i + 1], s2 = alpha * x[i + 2], s3 = alpha * x[i + 3]; \
            VEC v0 = (VEC){0} + s0, v1 = (VEC){0} + s1, v2 = (VEC){0} + s2, v3 = (VEC){0} + s3;          \
            long j = 0;                                                                                  \
            for (; j + W <= cols; j += W) {                                                              \
                VEC o;                                                                                   \
                memcpy(&o, y + j, sizeof(VEC));                                                          \
                o += v0 * widen_##SUFFIX(r0 + j) + v1 * widen_##SUFFIX(r1 + j) + v2 * widen_##SUFFIX(r2 + j) + \
                     v3 * widen_##SUFFIX(r3 + j);                                                        \
                memcpy(y + j, &o, sizeof(VEC));                                                          \
            }                                                                                            \
            for (; j < cols; j++) {                                                                      \
                y[j] += s0 * widen_one(r0[j]) + s1 * widen_one(r1[j]) + s2 * widen_one(r2[j]) +          \
                        s3 * widen_one(r3[j]);                                                           \
            }                                                                                            \
        }                                                                                                \
        for (; i < rows; i++) {                                                                          \
            const uint16_t *row = a + i * lda;                                                           \
            float s = alpha * x[i];                                                                      \
            for (long j = 0; j < cols; j++) y[j] += s * widen_one(row[j]);                               \
        }                                                                                                \
    }

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
