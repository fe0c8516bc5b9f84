// The matrix-vector product, written once for every storage type of A (private to CKalamKernels):
// float32 weights (kalam_gemm.c) and bfloat16 weights (kalam_bf16.c) share it. ELEM is A's element
// type, LOADV(p) loads W of them as a float vector and LOAD1(e) widens one (empty for float32); x, y and
// the sums are float32. Without transposition each output is a dot product of a row with x (four rows
// at a time); with it, y accumulates alpha · x[i] · row i (four rows at a time). Both stream A once.
// When beta is 0, y is not read.
#ifndef KALAM_GEMV_H
#define KALAM_GEMV_H

#include <string.h>

#define DEFINE_GEMV(NAME, ATTR, VEC, W, ELEM, LOADV, LOAD1)                                              \
    ATTR static float NAME##_dot(const ELEM *restrict u, const float *restrict v, long count) {         \
        VEC s0 = (VEC){0}, s1 = (VEC){0};                                                                \
        long j = 0;                                                                                      \
        for (; j + 2 * W <= count; j += 2 * W) {                                                         \
            VEC v0, v1;                                                                                  \
            memcpy(&v0, v + j, sizeof(VEC));                                                             \
            memcpy(&v1, v + j + W, sizeof(VEC));                                                         \
            s0 += LOADV(u + j) * v0;                                                                     \
            s1 += LOADV(u + j + W) * v1;                                                                 \
        }                                                                                                \
        s0 += s1;                                                                                        \
        float lanes[W], total = 0;                                                                       \
        memcpy(lanes, &s0, sizeof(VEC));                                                                 \
        for (int q = 0; q < W; q++) total += lanes[q];                                                   \
        for (; j < count; j++) total += LOAD1(u[j]) * v[j];                                              \
        return total;                                                                                    \
    }                                                                                                    \
    ATTR static void NAME(                                                                               \
        int trans_a, long rows, long cols, float alpha, const ELEM *a, long lda, const float *x,         \
        float beta, float *y) {                                                                          \
        long outputs = trans_a ? cols : rows;                                                            \
        for (long i = 0; i < outputs; i++) y[i] = beta == 0 ? 0 : beta * y[i];                           \
        if (!trans_a) {                                                                                  \
            long i = 0;                                                                                  \
            for (; i + 4 <= rows; i += 4) {                                                              \
                const ELEM *r0 = a + i * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;            \
                VEC s0 = (VEC){0}, s1 = (VEC){0}, s2 = (VEC){0}, s3 = (VEC){0};                          \
                long j = 0;                                                                              \
                for (; j + W <= cols; j += W) {                                                          \
                    VEC xv;                                                                              \
                    memcpy(&xv, x + j, sizeof(VEC));                                                     \
                    s0 += LOADV(r0 + j) * xv;                                                            \
                    s1 += LOADV(r1 + j) * xv;                                                            \
                    s2 += LOADV(r2 + j) * xv;                                                            \
                    s3 += LOADV(r3 + j) * xv;                                                            \
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
                    d[0] += LOAD1(r0[j]) * x[j];                                                         \
                    d[1] += LOAD1(r1[j]) * x[j];                                                         \
                    d[2] += LOAD1(r2[j]) * x[j];                                                         \
                    d[3] += LOAD1(r3[j]) * x[j];                                                         \
                }                                                                                        \
                for (int q = 0; q < 4; q++) y[i + q] += alpha * d[q];                                    \
            }                                                                                            \
            for (; i < rows; i++) y[i] += alpha * NAME##_dot(a + i * lda, x, cols);                      \
            return;                                                                                      \
        }                                                                                                \
        long i = 0;                                                                                      \
        for (; i + 4 <= rows; i += 4) {                                                                  \
            const ELEM *r0 = a + i * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;                \
            float s0 = alpha * x[i], s1 = alpha * x[i + 1], s2 = alpha * x[i + 2], s3 = alpha * x[i + 3]; \
            VEC v0 = (VEC){0} + s0, v1 = (VEC){0} + s1, v2 = (VEC){0} + s2, v3 = (VEC){0} + s3;          \
            long j = 0;                                                                                  \
            for (; j + W <= cols; j += W) {                                                              \
                VEC o;                                                                                   \
                memcpy(&o, y + j, sizeof(VEC));                                                          \
                o += v0 * LOADV(r0 + j) + v1 * LOADV(r1 + j) + v2 * LOADV(r2 + j) + v3 * LOADV(r3 + j);  \
                memcpy(y + j, &o, sizeof(VEC));                                                          \
            }                                                                                            \
            for (; j < cols; j++) {                                                                      \
                y[j] += s0 * LOAD1(r0[j]) + s1 * LOAD1(r1[j]) + s2 * LOAD1(r2[j]) + s3 * LOAD1(r3[j]);   \
            }                                                                                            \
        }                                                                                                \
        for (; i < rows; i++) {                                                                          \
            const ELEM *row = a + i * lda;                                                               \
            float s = alpha * x[i];                                                                      \
            VEC sv = (VEC){0} + s;                                                                       \
            long j = 0;                                                                                  \
            for (; j + W <= cols; j += W) {                                                              \
                VEC o;                                                                                   \
                memcpy(&o, y + j, sizeof(VEC));                                                          \
                o += sv * LOADV(row + j);                                                                \
                memcpy(y + j, &o, sizeof(VEC));                                                          \
            }                                                                                            \
            for (; j < cols; j++) y[j] += s * LOAD1(row[j]);                                             \
        }                                                                                                \
    }

#endif
