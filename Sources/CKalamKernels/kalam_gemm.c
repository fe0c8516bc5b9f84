// Kalam's matrix-product kernels: a packed, cache-blocked sgemm in the GotoBLAS layout (B packed in
// strips of NR columns per KC-deep block, A in strips of MR rows, an MR × NR register tile), written
// once with vector extensions and instantiated per instruction set with a target attribute, so the
// library needs no compiler flags and a CPU runs only the kernels it supports.

#include "kalam_dispatch.h"
#include "kalam_gemv.h"
#include "kalam_kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if KALAM_X86
#include <cpuid.h>
#endif

enum { KC = 256, MC = 120, NC = 3072 };

// Packing buffers, one pair per thread, grown when a call needs more (never in the inner loops).
static _Thread_local float *pack_a_buffer = NULL, *pack_b_buffer = NULL;
static _Thread_local size_t pack_a_floats = 0, pack_b_floats = 0;

static float *buffer(float **slot, size_t *have, size_t need) {
    if (need > *have) {
        free(*slot);
        *slot = aligned_alloc(64, ((need * sizeof(float) + 63) / 64) * 64);
        *have = *slot ? need : 0;
    }
    return *slot;
}

// op(A)[i][p] and op(B)[p][j] of the row-major operands.
#define AT_A(i, p) (trans_a ? a[(p) * lda + (i)] : a[(i) * lda + (p)])
#define AT_B(p, j) (trans_b ? b[(j) * ldb + (p)] : b[(p) * ldb + (j)])

// Packs op(A)[i0 ..< i0+mc][p0 ..< p0+kc] as strips of MR rows, each stored column by column (MR floats
// per p), the last strip padded with zeros.
#define DEFINE_PACK_A(SUFFIX, ATTR, MR)                                                                  \
    ATTR static void pack_a_##SUFFIX(                                                                    \
        int trans_a, const float *a, long lda, long i0, long mc, long p0, long kc, float *out) {         \
        for (long is = 0; is < mc; is += MR) {                                                          \
            long rows = mc - is < MR ? mc - is : MR;                                                     \
            for (long p = 0; p < kc; p++) {                                                              \
                for (long r = 0; r < rows; r++) out[r] = AT_A(i0 + is + r, p0 + p);                      \
                for (long r = rows; r < MR; r++) out[r] = 0;                                             \
                out += MR;                                                                               \
            }                                                                                            \
        }                                                                                                \
    }

// Packs op(B)[p0 ..< p0+kc][j0 ..< j0+nc] as strips of NR columns, each stored row by row (NR floats per
// p), the last strip padded with zeros.
#define DEFINE_PACK_B(SUFFIX, ATTR, NR)                                                                  \
    ATTR static void pack_b_##SUFFIX(                                                                    \
        int trans_b, const float *b, long ldb, long p0, long kc, long j0, long nc, float *out) {         \
        for (long js = 0; js < nc; js += NR) {                                                          \
            long cols = nc - js < NR ? nc - js : NR;                                                     \
            for (long p = 0; p < kc; p++) {                                                              \
                if (!trans_b && cols == NR) {                                                            \
                    memcpy(out, b + (p0 + p) * ldb + j0 + js, NR * sizeof(float));                       \
                } else {                                                                                 \
                    for (long q = 0; q < cols; q++) out[q] = AT_B(p0 + p, j0 + js + q);                  \
                    for (long q = cols; q < NR; q++) out[q] = 0;                                         \
                }                                                                                        \
                out += NR;                                                                               \
            }                                                                                            \
        }                                                                                                \
    }

// The register tile: MR rows × two vectors of W floats. C[0 ..< rows][0 ..< cols] += alpha · Ap · Bp.
#define DEFINE_MICRO(SUFFIX, ATTR, VEC, W, MR)                                                           \
    ATTR static void micro_##SUFFIX(                                                                     \
        long kc, const float *restrict ap, const float *restrict bp, float *c, long ldc, float alpha,    \
        long rows, long cols) {                                                                          \
        VEC acc0[MR], acc1[MR];                                                                          \
        for (int r = 0; r < MR; r++) acc0[r] = acc1[r] = (VEC){0};                                       \
        for (long p = 0; p < kc; p++) {                                                                  \
            VEC b0 = *(const VEC *)bp, b1 = *(const VEC *)(bp + W);                                      \
            for (int r = 0; r < MR; r++) {                                                               \
                VEC x = (VEC){0} + ap[r];                                                                \
                acc0[r] += x * b0;                                                                       \
                acc1[r] += x * b1;                                                                       \
            }                                                                                            \
            ap += MR;                                                                                    \
            bp += 2 * W;                                                                                 \
        }                                                                                                \
        if (rows == MR && cols == 2 * W) {                                                               \
            for (int r = 0; r < MR; r++) {                                                               \
                VEC c0, c1;                                                                              \
                memcpy(&c0, c + r * ldc, sizeof(VEC));                                                   \
                memcpy(&c1, c + r * ldc + W, sizeof(VEC));                                               \
                c0 += acc0[r] * alpha;                                                                   \
                c1 += acc1[r] * alpha;                                                                   \
                memcpy(c + r * ldc, &c0, sizeof(VEC));                                                   \
                memcpy(c + r * ldc + W, &c1, sizeof(VEC));                                               \
            }                                                                                            \
        } else {                                                                                         \
            float tile[2 * W];                                                                           \
            for (long r = 0; r < rows; r++) {                                                            \
                memcpy(tile, &acc0[r], sizeof(VEC));                                                     \
                memcpy(tile + W, &acc1[r], sizeof(VEC));                                                 \
                for (long q = 0; q < cols; q++) c[r * ldc + q] += alpha * tile[q];                       \
            }                                                                                            \
        }                                                                                                \
    }

// The blocked driver: C = beta · C first, then C += alpha · op(A) · op(B) block by block.
#define DEFINE_SGEMM(SUFFIX, ATTR, MR, NR)                                                               \
    ATTR static void sgemm_##SUFFIX(                                                                     \
        int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,         \
        const float *b, long ldb, float beta, float *c, long ldc) {                                      \
        for (long i = 0; i < m; i++) {                                                                   \
            float *row = c + i * ldc;                                                                    \
            if (beta == 0) {                                                                             \
                memset(row, 0, (size_t)n * sizeof(float));                                               \
            } else if (beta != 1) {                                                                      \
                for (long j = 0; j < n; j++) row[j] *= beta;                                             \
            }                                                                                            \
        }                                                                                                \
        if (k == 0 || alpha == 0) return;                                                                \
        long nc_max = n < NC ? n : NC, kc_max = k < KC ? k : KC, mc_max = m < MC ? m : MC;               \
        float *bp = buffer(&pack_b_buffer, &pack_b_floats, (size_t)((nc_max + NR - 1) / NR * NR) * kc_max); \
        float *ap = buffer(&pack_a_buffer, &pack_a_floats, (size_t)((mc_max + MR - 1) / MR * MR) * kc_max); \
        if (!bp || !ap) abort();                                                                         \
        for (long j0 = 0; j0 < n; j0 += NC) {                                                            \
            long nc = n - j0 < NC ? n - j0 : NC;                                                         \
            for (long p0 = 0; p0 < k; p0 += KC) {                                                        \
                long kc = k - p0 < KC ? k - p0 : KC;                                                     \
                pack_b_##SUFFIX(trans_b, b, ldb, p0, kc, j0, nc, bp);                                    \
                for (long i0 = 0; i0 < m; i0 += MC) {                                                    \
                    long mc = m - i0 < MC ? m - i0 : MC;                                                 \
                    pack_a_##SUFFIX(trans_a, a, lda, i0, mc, p0, kc, ap);                                \
                    for (long js = 0; js < nc; js += NR) {                                               \
                        long cols = nc - js < NR ? nc - js : NR;                                         \
                        for (long is = 0; is < mc; is += MR) {                                           \
                            long rows = mc - is < MR ? mc - is : MR;                                     \
                            micro_##SUFFIX(                                                              \
                                kc, ap + is * kc, bp + js * kc, c + (i0 + is) * ldc + j0 + js, ldc,      \
                                alpha, rows, cols);                                                      \
                        }                                                                                \
                    }                                                                                    \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }

// The matrix-vector product on float32 weights (kalam_gemv.h): a vector is loaded as it is stored.
#define DEFINE_SGEMV(SUFFIX, ATTR, VEC, W)                                                               \
    ATTR static inline VEC load_##SUFFIX(const float *p) {                                               \
        VEC v;                                                                                           \
        memcpy(&v, p, sizeof(VEC));                                                                      \
        return v;                                                                                        \
    }                                                                                                    \
    DEFINE_GEMV(sgemv_##SUFFIX, ATTR, VEC, W, float, load_##SUFFIX, )

#define DEFINE_ISA(SUFFIX, ATTR, VEC, W, MR) \
    DEFINE_PACK_A(SUFFIX, ATTR, MR)           \
    DEFINE_PACK_B(SUFFIX, ATTR, 2 * W)        \
    DEFINE_MICRO(SUFFIX, ATTR, VEC, W, MR)    \
    DEFINE_SGEMM(SUFFIX, ATTR, MR, 2 * W)     \
    DEFINE_SGEMV(SUFFIX, ATTR, VEC, W)

// Portable: 4-float vectors (SSE2 / NEON), a 4 × 8 tile in 8 registers.
typedef float vec4 __attribute__((vector_size(16)));
DEFINE_ISA(generic, , vec4, 4, 4)

#if KALAM_X86
// AVX2 + FMA: 8-float vectors, a 6 × 16 tile in 12 of the 16 ymm registers.
typedef float vec8 __attribute__((vector_size(32)));
DEFINE_ISA(avx2, __attribute__((target("avx2,fma"))), vec8, 8, 6)

// AVX-512: 16-float vectors, a 6 × 32 tile in 12 of the 32 zmm registers.
typedef float vec16 __attribute__((vector_size(64)));
DEFINE_ISA(avx512, __attribute__((target("avx2,fma,avx512f"))), vec16, 16, 6)

// Whether the CPU has the instructions and the operating system saves the registers they use.
static int x86_supports(int isa) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    if (!(fma && osxsave && avx)) return 0;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0x6) != 0x6) return 0;  // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int avx2 = (ebx >> 5) & 1, avx512f = (ebx >> 16) & 1;
    if (isa == KALAM_ISA_AVX2) return avx2;
    if (isa == KALAM_ISA_AVX512) return avx2 && avx512f && (xcr0_lo & 0xE0) == 0xE0;  // opmask, ZMM state
    return 0;
}
#endif

int kalam_isa_supported(int isa) {
    if (isa == KALAM_ISA_GENERIC) return 1;
#if KALAM_X86
    if (isa == KALAM_ISA_AVX2 || isa == KALAM_ISA_AVX512) return x86_supports(isa);
#endif
    return 0;
}

void kalam_sgemm(
    int isa, int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
    const float *b, long ldb, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    DISPATCH(sgemm, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void kalam_sgemv(
    int isa, int trans_a, long rows, long cols, float alpha, const float *a, long lda, const float *x,
    float beta, float *y) {
    if (rows <= 0 || cols <= 0) return;
    DISPATCH(sgemv, trans_a, rows, cols, alpha, a, lda, x, beta, y);
}
