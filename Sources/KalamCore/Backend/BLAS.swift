#if canImport(Accelerate)
    import Accelerate
#else
    import COpenBLAS
#endif

/// The one place Kalam calls a BLAS: OpenBLAS on Linux, Accelerate on macOS.
///
/// All matrices are row-major float32. Another BLAS can be swapped in by changing this file only.
public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C`, with `op(X) = X` or `Xᵀ`.
    ///
    /// `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`; `lda`, `ldb`, `ldc` are row strides.
    @inlinable
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched when k is 0; the product is beta * C.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = alpha · op(A) · x + beta · y` for a row-major `A` `[rows, cols]` (`op(A) = Aᵀ` when
    /// `transA`), vectors with strides `incX` and `incY`.
    @inlinable
    public static func sgemv(
        transA: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incX: Int = 1, beta: Float = 0, y: UnsafeMutablePointer<Float>, incY: Int = 1
    ) {
        guard rows > 0, cols > 0 else { return }
        cblas_sgemv(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols), alpha, a, Int32(lda),
            x, Int32(incX), beta, y, Int32(incY))
    }

    /// Sets how many threads the BLAS may use for one call (OpenBLAS only; a no-op elsewhere).
    ///
    /// Kalam calls BLAS from several threads at once for batched products and lets it thread on its own
    /// only for large single products; see `Parallel`.
    public static func setThreads(_ count: Int) {
        #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(count))
        #endif
    }

    /// The number of threads the BLAS uses now (OpenBLAS only; 1 elsewhere).
    public static var threads: Int {
        #if canImport(Accelerate)
            return 1
        #else
            return Int(openblas_get_num_threads())
        #endif
    }
}
