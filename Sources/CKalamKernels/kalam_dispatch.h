// The per-instruction-set dispatch of Kalam's kernels (private to CKalamKernels): NAME_avx512,
// NAME_avx2 or NAME_generic by the `isa` argument in scope; only the portable kernel off x86.
#ifndef KALAM_DISPATCH_H
#define KALAM_DISPATCH_H

#if defined(__x86_64__) || defined(__i386__)
#define KALAM_X86 1
#define DISPATCH(NAME, ...)                                 \
    do {                                                    \
        if (isa == KALAM_ISA_AVX512) {                      \
            NAME##_avx512(__VA_ARGS__);                     \
        } else if (isa == KALAM_ISA_AVX2) {                 \
            NAME##_avx2(__VA_ARGS__);                       \
        } else {                                            \
            NAME##_generic(__VA_ARGS__);                    \
        }                                                   \
    } while (0)
#define DISPATCH_RETURN(NAME, ...)                                                    \
    return isa == KALAM_ISA_AVX512 ? NAME##_avx512(__VA_ARGS__)                        \
           : isa == KALAM_ISA_AVX2 ? NAME##_avx2(__VA_ARGS__)                          \
                                   : NAME##_generic(__VA_ARGS__)
#else
#define DISPATCH(NAME, ...) NAME##_generic(__VA_ARGS__)
#define DISPATCH_RETURN(NAME, ...) return NAME##_generic(__VA_ARGS__)
#endif

#endif
