#if canImport(Accelerate)
    import Accelerate
#else
    import COpenBLAS
#endif

/// Row-major float32 products for the inference decoders (one BLAS call each).
enum Gemm {
    /// `y[m, n] = x[m, k] · w[k, n] (+ bias[n])`, the layout of GPT-2's `Conv1D` weights.
    static func matmul(
        _ x: UnsafePointer<Float>, rows m: Int, _ w: UnsafePointer<Float>, k: Int, n: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, w, Int32(n), x, 1, 0, y, 1)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                1, x, Int32(k), w, Int32(n), 0, y, Int32(n))
        }
    }

    /// `y[m, n] = x[m, k] · w[n, k]ᵀ`, the layout of `nn.Linear` weights and tied embeddings.
    static func matmulTransposed(
        _ x: UnsafePointer<Float>, rows m: Int, _ w: UnsafePointer<Float>, k: Int, n: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, w, Int32(k), x, 1, 0, y, 1)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                1, x, Int32(k), w, Int32(k), 0, y, Int32(n))
        }
    }
}
