// Kalam's elementwise kernels (GELU and its gradient, exact and tanh forms) on whole vectors, written
// once with vector extensions and instantiated per instruction set, like the matrix products. The math
// is KalamCore's scalar `Kernels.exp` / `erf` / `tanh` (same range reduction, polynomials and
// constants), branch-free.

#include "kalam_dispatch.h"
#include "kalam_kernels.h"

#include <string.h>


#define DEFINE_ELEMENTWISE(SUFFIX, ATTR, VEC, VINT, W)                                                   \
    /* mask ? a : b, lane by lane (mask lanes all ones or all zeros) */                                 \
    ATTR static inline VEC select_##SUFFIX(VINT mask, VEC a, VEC b) {                                   \
        return (VEC)((mask & (VINT)a) | (~mask & (VINT)b));                                              \
    }                                                                                                    \
    /* e^x: x = n ln2 + r, a degree-6 polynomial for e^r, 2^n from the exponent bits; 0 below -87.3 */   \
    ATTR static inline VEC exp_##SUFFIX(VEC x) {                                                         \
        VEC shifter = (VEC){0} + 12582912.0f;                                                            \
        VEC xc = select_##SUFFIX(x > 88.7f, (VEC){0} + 88.7f, x);                                        \
        VEC n = (xc * 1.44269504f + shifter) - shifter;                                                  \
        VEC r = xc - n * 0.69314575f - n * 1.4286068e-6f;                                                \
        VEC p = (VEC){0} + 1.3888889e-3f;                                                                \
        p = p * r + 8.3333333e-3f;                                                                       \
        p = p * r + 4.1666666e-2f;                                                                       \
        p = p * r + 1.6666667e-1f;                                                                       \
        p = p * r + 0.5f;                                                                                \
        p = p * r + 1.0f;                                                                                \
        p = p * r + 1.0f;                                                                                \
        VINT bits = (__builtin_convertvector(n, VINT) + 127) << 23;                                      \
        VEC e = p * (VEC)bits;                                                                           \
        e = select_##SUFFIX(x < -87.3f, (VEC){0}, e);                                                    \
        return select_##SUFFIX(x > 88.7f, (VEC){0} + __builtin_inff(), e);                               \
    }                                                                                                    \
    /* erf, Abramowitz & Stegun 7.1.26 */                                                                \
    ATTR static inline VEC erf_##SUFFIX(VEC x) {                                                         \
        VINT sign = (VINT)x & (VINT){0} + (int)0x80000000;                                               \
        VEC a = (VEC)((VINT)x & ~((VINT){0} + (int)0x80000000));                                         \
        VEC t = 1.0f / (1.0f + 0.3275911f * a);                                                          \
        VEC y = (VEC){0} + 1.061405429f;                                                                 \
        y = y * t - 1.453152027f;                                                                        \
        y = y * t + 1.421413741f;                                                                        \
        y = y * t - 0.284496736f;                                                                        \
        y = y * t + 0.254829592f;                                                                        \
        VEC r = 1.0f - y * t * exp_##SUFFIX(-a * a);                                                     \
        return (VEC)((VINT)r | sign);                                                                    \
    }                                                                                                    \
    /* tanh: a series below 0.0625, ±1 above 9, (1 - e) / (1 + e) with e = e^-2|x| between */            \
    ATTR static inline VEC tanh_##SUFFIX(VEC x) {                                                        \
        VINT sign = (VINT)x & (VINT){0} + (int)0x80000000;                                               \
        VEC a = (VEC)((VINT)x & ~((VINT){0} + (int)0x80000000));                                         \
        VEC x2 = x * x;                                                                                  \
        VEC series = x + x * x2 * (-0.33333334f + x2 * (0.13333333f + x2 * -0.053968254f));               \
        VEC e = exp_##SUFFIX(-2.0f * a);                                                                 \
        VEC t = (1.0f - e) / (1.0f + e);                                                                 \
        t = select_##SUFFIX(a > 9.0f, (VEC){0} + 1.0f, t);                                               \
        t = (VEC)((VINT)t | sign);                                                                       \
        return select_##SUFFIX(a < 0.0625f, series, t);                                                  \
    }                                                                                                    \
    ATTR static float hsum_##SUFFIX(VEC v) {                                                             \
        float lanes[W], total = 0;                                                                       \
        memcpy(lanes, &v, sizeof(VEC));                                                                  \
        for (int q = 0; q < W; q++) total += lanes[q];                                                   \
        return total;                                                                                    \
    }                                                                                                    \
    ATTR static float max_##SUFFIX(const float *x, long n) {                                             \
        VEC m = (VEC){0} - __builtin_inff();                                                             \
        long j = 0;                                                                                      \
        for (; j + W <= n; j += W) {                                                                     \
            VEC v;                                                                                       \
            memcpy(&v, x + j, sizeof(VEC));                                                              \
            m = select_##SUFFIX(v > m, v, m);                                                            \
        }                                                                                                \
        float lanes[W], best = -__builtin_inff();                                                        \
        memcpy(lanes, &m, sizeof(VEC));                                                                  \
        for (int q = 0; q < W; q++) best = lanes[q] > best ? lanes[q] : best;                            \
        for (; j < n; j++) best = x[j] > best ? x[j] : best;                                             \
        return best;                                                                                     \
    }                                                                                                    \
    ATTR static void gelu_erf_##SUFFIX(const float *x, float *y, long n) {                               \
        for (long i = 0; i < n; i += W) {                                                                \
            long lanes = n - i < W ? n - i : W;                                                          \
            VEC v = (VEC){0};                                                                            \
            memcpy(&v, x + i, (size_t)lanes * sizeof(float));                                            \
            VEC out = 0.5f * v * (1.0f + erf_##SUFFIX(v * 0.70710678f));                                 \
            memcpy(y + i, &out, (size_t)lanes * sizeof(float));                                          \
        }                                                                                                \
    }                                                                                                    \
    ATTR static void gelu_erf_backward_##SUFFIX(const float *g, const float *x, float *dx, long n) {     \
        for (long i = 0; i < n; i += W) {                                                                \
            long lanes = n - i < W ? n - i : W;                                                          \
            VEC v = (VEC){0}, gv = (VEC){0};                                                             \
            memcpy(&v, x + i, (size_t)lanes * sizeof(float));                                            \
            memcpy(&gv, g + i, (size_t)lanes * sizeof(float));                                           \
            VEC cdf = 0.5f * (1.0f + erf_##SUFFIX(v * 0.70710678f));                                     \
            VEC pdf = 0.39894228f * exp_##SUFFIX(-0.5f * v * v);                                         \
            VEC out = gv * (cdf + v * pdf);                                                              \
            memcpy(dx + i, &out, (size_t)lanes * sizeof(float));                                         \
        }                                                                                                \
    }                                                                                                    \
    ATTR static void gelu_tanh_##SUFFIX(const float *x, float *y, float *tk, long n) {                   \
        for (long i = 0; i < n; i += W) {                                                                \
            long lanes = n - i < W ? n - i : W;                                                          \
            VEC v = (VEC){0};                                                                            \
            memcpy(&v, x + i, (size_t)lanes * sizeof(float));                                            \
            VEC t = tanh_##SUFFIX(0.79788456f * (v + 0.044715f * v * v * v));                            \
            VEC out = 0.5f * v * (1.0f + t);                                                             \
            memcpy(tk + i, &t, (size_t)lanes * sizeof(float));                                           \
            memcpy(y + i, &out, (size_t)lanes * sizeof(float));                                          \
        }                                                                                                \
    }                                                                                                    \
    ATTR static void gelu_tanh_backward_##SUFFIX(                                                        \
        const float *g, const float *x, const float *tk, float *dx, long n) {                            \
        for (long i = 0; i < n; i += W) {                                                                \
            long lanes = n - i < W ? n - i : W;                                                          \
            VEC v = (VEC){0}, gv = (VEC){0}, t = (VEC){0};                                               \
            memcpy(&v, x + i, (size_t)lanes * sizeof(float));                                            \
            memcpy(&gv, g + i, (size_t)lanes * sizeof(float));                                           \
            memcpy(&t, tk + i, (size_t)lanes * sizeof(float));                                           \
            VEC du = 0.79788456f * (1.0f + 3.0f * 0.044715f * v * v);                                    \
            VEC out = gv * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);                          \
            memcpy(dx + i, &out, (size_t)lanes * sizeof(float));                                         \
        }                                                                                                \
    }                                                                                                    \
    ATTR static void softmax_rows_##SUFFIX(float *x, long rows, long cols) {                             \
        for (long r = 0; r < rows; r++) {                                                                \
            float *row = x + r * cols;                                                                   \
            float m = max_##SUFFIX(row, cols);                                                           \
            VEC sum = (VEC){0};                                                                          \
            long j = 0;                                                                                  \
            for (; j + W <= cols; j += W) {                                                              \
                VEC v;                                                                                   \
                memcpy(&v, row + j, sizeof(VEC));                                                        \
                v = exp_##SUFFIX(v - m);                                                                 \
                sum += v;                                                                                \
                memcpy(row + j, &v, sizeof(VEC));                                                        \
            }                                                                                            \
            float lanes[W], total = hsum_##SUFFIX(sum);                                                  \
            if (j < cols) {                                                                              \
                VEC v = (VEC){0} - __builtin_inff();                                                     \
                memcpy(&v, row + j, (size_t)(cols - j) * sizeof(float));                                 \
                v = exp_##SUFFIX(v - m);                                                                 \
                memcpy(lanes, &v, sizeof(VEC));                                                          \
                for (long q = 0; q < cols - j; q++) total += lanes[q];                                   \
                memcpy(row + j, &v, (size_t)(cols - j) * sizeof(float));                                  \
            }                                                                                            \
            VEC inv = (VEC){0} + 1.0f / total;                                                           \
            for (j = 0; j + W <= cols; j += W) {                                                         \
                VEC v;                                                                                   \
                memcpy(&v, row + j, sizeof(VEC));                                                        \
                v *= inv;                                                                                \
                memcpy(row + j, &v, sizeof(VEC));                                                        \
            }                                                                                            \
            for (; j < cols; j++) row[j] *= inv[0];                                                      \
        }                                                                                                \
    }                                                                                                    \
    ATTR static float exp_sum_##SUFFIX(const float *x, long n, float shift) {                            \
        VEC sum = (VEC){0};                                                                              \
        long j = 0;                                                                                      \
        for (; j + W <= n; j += W) {                                                                     \
            VEC v;                                                                                       \
            memcpy(&v, x + j, sizeof(VEC));                                                              \
            sum += exp_##SUFFIX(v - shift);                                                              \
        }                                                                                                \
        if (j < n) {                                                                                     \
            VEC v = (VEC){0} - __builtin_inff();                                                         \
            memcpy(&v, x + j, (size_t)(n - j) * sizeof(float));                                          \
            sum += exp_##SUFFIX(v - shift);                                                              \
        }                                                                                                \
        return hsum_##SUFFIX(sum);                                                                       \
    }                                                                                                    \
    ATTR static void exp_affine_##SUFFIX(                                                                \
        const float *x, float *y, long n, float shift, float offset, float scale) {                      \
        for (long j = 0; j < n; j += W) {                                                                \
            long lanes = n - j < W ? n - j : W;                                                          \
            VEC v = (VEC){0};                                                                            \
            memcpy(&v, x + j, (size_t)lanes * sizeof(float));                                            \
            VEC out = (exp_##SUFFIX(v - shift) - offset) * scale;                                        \
            memcpy(y + j, &out, (size_t)lanes * sizeof(float));                                          \
        }                                                                                                \
    }                                                                                                    \
    ATTR static void layer_norm_##SUFFIX(                                                                \
        const float *x, const float *w, const float *b, float *y, float *mean, float *rstd, long rows,   \
        long c, float eps) {                                                                             \
        for (long r = 0; r < rows; r++) {                                                                \
            const float *xr = x + r * c;                                                                 \
            float *yr = y + r * c;                                                                       \
            VEC acc = (VEC){0};                                                                          \
            long j = 0;                                                                                  \
            for (; j + W <= c; j += W) {                                                                 \
                VEC v;                                                                                   \
                memcpy(&v, xr + j, sizeof(VEC));                                                         \
                acc += v;                                                                                \
            }                                                                                            \
            float total = hsum_##SUFFIX(acc);                                                            \
            for (; j < c; j++) total += xr[j];                                                           \
            float m = total / (float)c;                                                                  \
            acc = (VEC){0};                                                                              \
            for (j = 0; j + W <= c; j += W) {                                                            \
                VEC v;                                                                                   \
                memcpy(&v, xr + j, sizeof(VEC));                                                         \
                v -= m;                                                                                  \
                acc += v * v;                                                                            \
            }                                                                                            \
            float var = hsum_##SUFFIX(acc);                                                              \
            for (; j < c; j++) var += (xr[j] - m) * (xr[j] - m);                                         \
            float s = 1.0f / __builtin_sqrtf(var / (float)c + eps);                                      \
            mean[r] = m;                                                                                 \
            rstd[r] = s;                                                                                 \
            for (j = 0; j + W <= c; j += W) {                                                            \
                VEC v, wv = (VEC){0} + 1.0f, bv = (VEC){0};                                              \
                memcpy(&v, xr + j, sizeof(VEC));                                                         \
                if (w) memcpy(&wv, w + j, sizeof(VEC));                                                  \
                if (b) memcpy(&bv, b + j, sizeof(VEC));                                                  \
                v = (v - m) * s * wv + bv;                                                               \
                memcpy(yr + j, &v, sizeof(VEC));                                                         \
            }                                                                                            \
            for (; j < c; j++) yr[j] = (xr[j] - m) * s * (w ? w[j] : 1.0f) + (b ? b[j] : 0.0f);          \
        }                                                                                                \
    }                                                                                                    \
    ATTR static void layer_norm_backward_##SUFFIX(                                                       \
        const float *g, const float *x, const float *mean, const float *rstd, const float *w, float *dx, \
        float *gw, float *gb, long rows, long c) {                                                       \
        for (long r = 0; r < rows; r++) {                                                                \
            const float *gr = g + r * c, *xr = x + r * c;                                                \
            float *dr = dx + r * c;                                                                      \
            float m = mean[r], s = rstd[r];                                                              \
            VEC sd = (VEC){0}, sdx = (VEC){0};                                                           \
            long j = 0;                                                                                  \
            for (; j + W <= c; j += W) {                                                                 \
                VEC gv, xv, wv = (VEC){0} + 1.0f;                                                        \
                memcpy(&gv, gr + j, sizeof(VEC));                                                        \
                memcpy(&xv, xr + j, sizeof(VEC));                                                        \
                if (w) memcpy(&wv, w + j, sizeof(VEC));                                                  \
                VEC xhat = (xv - m) * s, d = gv * wv;                                                    \
                sd += d;                                                                                 \
                sdx += d * xhat;                                                                         \
                if (gw) {                                                                                \
                    VEC acc;                                                                             \
                    memcpy(&acc, gw + j, sizeof(VEC));                                                   \
                    acc += gv * xhat;                                                                    \
                    memcpy(gw + j, &acc, sizeof(VEC));                                                   \
                }                                                                                        \
                if (gb) {                                                                                \
                    VEC acc;                                                                             \
                    memcpy(&acc, gb + j, sizeof(VEC));                                                   \
                    acc += gv;                                                                           \
                    memcpy(gb + j, &acc, sizeof(VEC));                                                   \
                }                                                                                        \
            }                                                                                            \
            float sumD = hsum_##SUFFIX(sd), sumDX = hsum_##SUFFIX(sdx);                                  \
            for (long q = j; q < c; q++) {                                                               \
                float xhat = (xr[q] - m) * s, d = gr[q] * (w ? w[q] : 1.0f);                             \
                sumD += d;                                                                               \
                sumDX += d * xhat;                                                                       \
                if (gw) gw[q] += gr[q] * xhat;                                                           \
                if (gb) gb[q] += gr[q];                                                                  \
            }                                                                                            \
            float meanD = sumD / (float)c, meanDX = sumDX / (float)c;                                    \
            for (j = 0; j + W <= c; j += W) {                                                            \
                VEC gv, xv, wv = (VEC){0} + 1.0f;                                                        \
                memcpy(&gv, gr + j, sizeof(VEC));                                                        \
                memcpy(&xv, xr + j, sizeof(VEC));                                                        \
                if (w) memcpy(&wv, w + j, sizeof(VEC));                                                  \
                VEC xhat = (xv - m) * s;                                                                 \
                VEC out = s * (gv * wv - meanD - xhat * meanDX);                                         \
                memcpy(dr + j, &out, sizeof(VEC));                                                       \
            }                                                                                            \
            for (; j < c; j++) {                                                                         \
                float xhat = (xr[j] - m) * s;                                                            \
                dr[j] = s * (gr[j] * (w ? w[j] : 1.0f) - meanD - xhat * meanDX);                         \
            }                                                                                            \
        }                                                                                                \
    }

typedef float evec4 __attribute__((vector_size(16)));
typedef int eint4 __attribute__((vector_size(16)));
DEFINE_ELEMENTWISE(generic, , evec4, eint4, 4)

#if KALAM_X86
typedef float evec8 __attribute__((vector_size(32)));
typedef int eint8 __attribute__((vector_size(32)));
DEFINE_ELEMENTWISE(avx2, __attribute__((target("avx2,fma"))), evec8, eint8, 8)

typedef float evec16 __attribute__((vector_size(64)));
typedef int eint16 __attribute__((vector_size(64)));
DEFINE_ELEMENTWISE(avx512, __attribute__((target("avx2,fma,avx512f"))), evec16, eint16, 16)
#endif

void kalam_gelu_erf(int isa, const float *x, float *y, long n) { DISPATCH(gelu_erf, x, y, n); }

void kalam_gelu_erf_backward(int isa, const float *g, const float *x, float *dx, long n) {
    DISPATCH(gelu_erf_backward, g, x, dx, n);
}

void kalam_gelu_tanh(int isa, const float *x, float *y, float *t, long n) { DISPATCH(gelu_tanh, x, y, t, n); }

void kalam_gelu_tanh_backward(int isa, const float *g, const float *x, const float *t, float *dx, long n) {
    DISPATCH(gelu_tanh_backward, g, x, t, dx, n);
}

void kalam_softmax_rows(int isa, float *x, long rows, long cols) { DISPATCH(softmax_rows, x, rows, cols); }

float kalam_max(int isa, const float *x, long n) { DISPATCH_RETURN(max, x, n); }

float kalam_exp_sum(int isa, const float *x, long n, float shift) { DISPATCH_RETURN(exp_sum, x, n, shift); }

void kalam_exp_affine(int isa, const float *x, float *y, long n, float shift, float offset, float scale) {
    DISPATCH(exp_affine, x, y, n, shift, offset, scale);
}

void kalam_layer_norm(
    int isa, const float *x, const float *w, const float *b, float *y, float *mean, float *rstd, long rows, long c,
    float eps) {
    DISPATCH(layer_norm, x, w, b, y, mean, rstd, rows, c, eps);
}

void kalam_layer_norm_backward(
    int isa, const float *g, const float *x, const float *mean, const float *rstd, const float *w, float *dx,
    float *gw, float *gb, long rows, long c) {
    DISPATCH(layer_norm_backward, g, x, mean, rstd, w, dx, gw, gb, rows, c);
}
