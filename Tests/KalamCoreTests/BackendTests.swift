import Foundation
import Testing

@testable import KalamCore

/// Every path of the backend's `gemm` (the one-row matrix-vector branch included) against a naive product.
@Suite struct BackendTests {
    @Test(arguments: [(1, 7, 5), (1, 1, 3), (3, 7, 5), (1, 64, 33)])
    func gemmMatchesNaiveForEveryTransposeAndBeta(m: Int, n: Int, k: Int) {
        var rng = KalamRandom(seed: UInt64(m * 100 + n * 10 + k))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.nextDouble() * 2 - 1) } }
        for transA in [false, true] {
            for transB in [false, true] {
                for beta: Float in [0, 0.5] {
                    let a = random(m * k), b = random(k * n)
                    var c = beta == 0 ? [Float](repeating: .nan, count: m * n) : random(m * n)
                    var want = c
                    for i in 0..<m {
                        for j in 0..<n {
                            var s: Float = 0
                            for p in 0..<k {
                                let x = transA ? a[p * m + i] : a[i * k + p]
                                let y = transB ? b[j * k + p] : b[p * n + j]
                                s += x * y
                            }
                            want[i * n + j] = 1.5 * s + (beta == 0 ? 0 : beta * want[i * n + j])
                        }
                    }
                    c.withUnsafeMutableBufferPointer { cp in
                        CPUBackend().gemm(
                            transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5, a: a, lda: transA ? m : k,
                            b: b, ldb: transB ? k : n, beta: beta, c: cp.baseAddress!, ldc: n)
                    }
                    let worst = zip(c, want).map { abs($0 - $1) }.max() ?? 0
                    #expect(
                        worst < 1e-5, "m \(m) n \(n) k \(k) transA \(transA) transB \(transB) beta \(beta): \(worst)")
                }
            }
        }
    }
}
