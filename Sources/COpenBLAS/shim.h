#ifndef KALAM_COPENBLAS_SHIM_H
#define KALAM_COPENBLAS_SHIM_H
#include <cblas.h>
// OpenBLAS extensions used to pin BLAS threading (declared by openblas' cblas.h on Debian).
#endif
