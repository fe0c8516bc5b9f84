import Foundation
import Testing

@testable import KalamCore

/// Every matrix-product kernel this machine can run (the system BLAS and each of Kalam's instruction
/// sets the CPU supports) against a double-precision naive product, and the rule that picks one.
@Suite struct BLASKernelTests {
    /// The kernels this machine runs.
    static let kernels = BLAS.availableKernels

    /// C = alpha · op(A) · op(B) + beta · C in Double, with the strides given.
    static func reference(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int, b: [Float],
        ldb: Int, beta: Float, c: [Float], ldc: Int
    ) -> [Double] {
        var out = c.map(Double.init)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    s +=
                        Double(transA ? a[p * lda + i] : a[i * lda + p])
                        * Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                }
                out[i * ldc + j] = Double(alpha) * s + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return out
    }

    // Shapes: single rows and columns, tiles with edges in both directions, more than one 256-deep
    // block, and products large enough to be split across threads by rows (m ≥ 32) and by columns.
    @Test(arguments: [
        (1, 1, 1), (1, 40, 7), (5, 1, 9), (6, 32, 256), (7, 33, 257), (37, 53, 300), (13, 517, 64), (300, 70, 129),
    ])
    func everyKernelMatchesTheReference(m: Int, n: Int, k: Int) {
        var rng = KalamRandom(seed: UInt64(m * 10_000 + n * 100 + k))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.nextDouble() * 2 - 1) } }
        for kernel in Self.kernels {
            for transA in [false, true] {
                for transB in [false, true] {
                    for beta: Float in [0, 1, -0.5] {
                        // Row strides wider than the rows, so a kernel that ignores them is caught.
                        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 1
                        let a = random((transA ? k : m) * lda), b = random((transB ? n : k) * ldb)
                        // With beta 0, C must not be read: NaN there would poison the result.
                        var c = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : random(m * ldc)
                        let want = Self.reference(
                            transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b,
                            ldb: ldb, beta: beta, c: c, ldc: ldc)
                        c.withUnsafeMutableBufferPointer { pc in
                            BLAS.sgemm(
                                kernel: kernel, transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a,
                                lda: lda, b: b, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
                        }
                        var worst = 0.0
                        for i in 0..<m {
                            for j in 0..<n { worst = max(worst, abs(Double(c[i * ldc + j]) - want[i * ldc + j])) }
                        }
                        #expect(
                            worst < 2e-5 * Double(k).squareRoot() + 1e-6,
                            "\(kernel) m \(m) n \(n) k \(k) transA \(transA) transB \(transB) beta \(beta): \(worst)")
                    }
                }
            }
        }
    }

    // The second shape is large enough to be split across threads (rows, or partial sums when transposed).
    @Test(arguments: [(70, 333), (600, 500)])
    func everyKernelsMatrixVectorProductMatchesTheReference(rows: Int, cols: Int) {
        var rng = KalamRandom(seed: UInt64(rows))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.nextDouble() * 2 - 1) } }
        let lda = cols + 5
        let a = random(rows * lda)
        for kernel in Self.kernels {
            for transA in [false, true] {
                for beta: Float in [0, 2] {
                    let inputs = transA ? rows : cols, outputs = transA ? cols : rows
                    // x with stride 2 and y with stride 3, as CPUBackend passes a transposed row.
                    let x = random(inputs * 2)
                    var y = beta == 0 ? [Float](repeating: .nan, count: outputs * 3) : random(outputs * 3)
                    var want = [Double](repeating: 0, count: outputs)
                    for o in 0..<outputs {
                        var s = 0.0
                        for p in 0..<inputs { s += Double(transA ? a[p * lda + o] : a[o * lda + p]) * Double(x[p * 2]) }
                        want[o] = 0.5 * s + (beta == 0 ? 0 : Double(beta) * Double(y[o * 3]))
                    }
                    y.withUnsafeMutableBufferPointer { py in
                        BLAS.sgemv(
                            kernel: kernel, transA: transA, rows: rows, cols: cols, alpha: 0.5, a: a, lda: lda, x: x,
                            incX: 2, beta: beta, y: py.baseAddress!, incY: 3)
                    }
                    let worst = (0..<outputs).map { abs(Double(y[$0 * 3]) - want[$0]) }.max() ?? 0
                    #expect(worst < 2e-4, "\(kernel) \(rows)x\(cols) transA \(transA) beta \(beta): \(worst)")
                    // The elements between y's strided slots are left as they were.
                    if beta == 0 { #expect(y[1].isNaN && y[2].isNaN) }
                }
            }
        }
    }

    @Test func everyKernelPassesTheSelfCheck() {
        for kernel in Self.kernels { #expect(BLAS.selfCheck(kernel), "\(kernel)") }
    }

    @Test func openBLASCoreNamesMapToTheirInstructionSets() {
        #expect(BLAS.instructionSet(ofCore: "SkylakeX") == .avx512)
        #expect(BLAS.instructionSet(ofCore: "Cooperlake") == .avx512)
        #expect(BLAS.instructionSet(ofCore: "Haswell") == .avx2)
        #expect(BLAS.instructionSet(ofCore: "Zen") == .avx2)
        #expect(BLAS.instructionSet(ofCore: "Prescott") == .generic)
        #expect(BLAS.instructionSet(ofCore: "Sandybridge") == .generic)
        #expect(BLAS.instructionSet(ofCore: "NeoverseN1") == nil)
    }

    @Test func theEnvironmentChoosesAKernelAndAnUnsupportedOneFallsBackToTheBest() {
        let best = BLAS.InstructionSet.supported.last!
        #expect(BLAS.choose(environment: "blas").kernel == .system(core: BLAS.systemCore))
        #expect(BLAS.choose(environment: "generic").kernel == .kalam(.generic))
        #expect(BLAS.choose(environment: "GENERIC").kernel == .kalam(.generic))
        for isa in BLAS.InstructionSet.allCases {
            let choice = BLAS.choose(environment: isa.description)
            #expect(choice.kernel == .kalam(isa.isSupported ? isa : best))
            if !isa.isSupported { #expect(choice.reason == "KALAM_GEMM=\(isa), not supported here: \(best)") }
        }
        let unknown = BLAS.choose(environment: "mkl")
        #expect(unknown.reason.hasPrefix("KALAM_GEMM=mkl is not one of blas, generic, avx2, avx512"))
        #expect(unknown.kernel == .system(core: BLAS.systemCore))
    }

    @Test func aKernelNameThatDoesNotExistIsAnError() throws {
        #expect(throws: BLASError.unknownKernel("mkl")) { try BLAS.checkEnvironment(["KALAM_GEMM": "mkl"]) }
        for name in ["blas", "generic", "AVX2", "avx512", ""] { try BLAS.checkEnvironment(["KALAM_GEMM": name]) }
        try BLAS.checkEnvironment([:])
        #expect(
            BLASError.unknownKernel("mkl").description
                == "KALAM_GEMM=mkl is not a matrix-product kernel: use blas, generic, avx2 or avx512")
    }

    @Test func withoutASettingTheBLASRunsUnlessItsKernelsLackFMAAndKalamsHaveIt() {
        let best = BLAS.InstructionSet.supported.last!
        let choice = BLAS.choose(environment: nil)
        if BLAS.instructionSet(ofCore: BLAS.systemCore) == .generic, best != .generic {
            #expect(choice.kernel == .kalam(best))
        } else {
            #expect(choice.kernel == .system(core: BLAS.systemCore))
        }
        // The same machine and environment always choose the same kernel.
        #expect(BLAS.choose(environment: nil).kernel == choice.kernel)
    }
}
