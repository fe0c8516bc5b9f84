/// The primitives a compute device must provide for Kalam's tensors.
///
/// Tensor operations are written against this protocol; `CPUBackend` implements it with BLAS and Swift
/// kernels. A GPU backend would implement the same primitives over device memory. The set is small on
/// purpose: products go to `gemm`, everything else is a fused kernel in `Kernels` that a backend may
/// replace.
public protocol Backend: Sendable {
    /// A short name for logs and benchmarks.
    var name: String { get }

    /// `C = alpha * op(A) * op(B) + beta * C` on row-major float32 matrices.
    func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)

    /// `batch` independent products with fixed strides between the matrices of each batch.
    func batchedGemm(
        batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int)

    /// `y = op(A) · x + beta · y` with a row-major `A` `[rows, cols]` stored as bfloat16 (`op(A) = Aᵀ`
    /// when `transA`), dense vectors: the one-row product of weights kept with
    /// ``Tensor/storeAsBFloat16()``.
    func gemvBFloat16(
        transA: Bool, rows: Int, cols: Int, a: UnsafePointer<UInt16>, x: UnsafePointer<Float>, beta: Float,
        y: UnsafeMutablePointer<Float>)
}

/// The CPU backend: BLAS for products (single-threaded BLAS calls split over cores for batches; BLAS's
/// own threads for large single products), Swift kernels for the rest.
public struct CPUBackend: Backend {
    /// Creates the CPU backend.
    public init() {}

    public var name: String { "cpu" }

    public func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 1 && k > 0 {
            // One row (batch-1 decoding): a matrix-vector product streams B once. C[1, n] = a · op(B)
            // with a's elements `lda` apart when A is stored transposed. C may be uninitialised when beta
            // is 0, and 0 · NaN is NaN, so it is cleared first.
            if beta == 0 { c.update(repeating: 0, count: n) }
            BLAS.sgemv(
                transA: !transB, rows: transB ? n : k, cols: transB ? k : n, alpha: alpha, a: b, lda: ldb,
                x: a, incX: transA ? lda : 1, beta: beta, y: c, incY: 1)
            return
        }
        BLAS.sgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    public func gemvBFloat16(
        transA: Bool, rows: Int, cols: Int, a: UnsafePointer<UInt16>, x: UnsafePointer<Float>, beta: Float,
        y: UnsafeMutablePointer<Float>
    ) {
        BLAS.sgemvBFloat16(transA: transA, rows: rows, cols: cols, a: a, lda: cols, x: x, beta: beta, y: y)
    }

    public func batchedGemm(
        batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int
    ) {
        if batch == 1 {
            gemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let cost = 2 * m * n * k
        let threaded = Parallel.threads > 1 && batch * cost >= 200_000
        if threaded { BLAS.setThreads(1) }
        Parallel.forEach(batch, costPerItem: cost) { i in
            BLAS.sgemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb,
                beta: beta, c: c + i * strideC, ldc: ldc)
        }
        if threaded { BLAS.setThreads(Parallel.threads) }
    }
}

/// The backend tensor operations use.
public enum Backends {
    /// The active backend (the CPU backend).
    nonisolated(unsafe) public static var current: any Backend = CPUBackend()
}
