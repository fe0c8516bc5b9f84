import Foundation
import Testing

@testable import KalamCore

/// bfloat16 weight storage: the rounding (bit for bit, as `torch.Tensor.to(torch.bfloat16)` rounds), the
/// matrix-vector kernels that read bfloat16 on every instruction set this CPU runs, and the one-row
/// products of `linear` and `conv1D` that use them.
@Suite struct BFloat16Tests {
    /// `(input bits, bfloat16 bits)`: exact values, both kinds of tie (to even, down and up), just above
    /// a tie, the largest float (rounds to infinity), infinity, a subnormal, negative zero. The expected
    /// bits are those torch's (2.15) `torch.tensor([x]).to(torch.bfloat16)` gives for these inputs.
    static let roundingCases: [(UInt32, UInt16)] = [
        (0x3F80_0000, 0x3F80),  // 1
        (0x3F80_8000, 0x3F80),  // 1 + 2⁻⁸: a tie, to the even 1
        (0x3F81_8000, 0x3F82),  // 1 + 3·2⁻⁸: a tie, to the even 1 + 2⁻⁶
        (0x3F80_8001, 0x3F81),  // just above a tie
        (0xC020_0000, 0xC020),  // -2.5
        (0x7F7F_FFFF, 0x7F80),  // the largest float rounds to infinity
        (0x7F80_0000, 0x7F80),  // infinity
        (0x0001_2345, 0x0001),  // a subnormal
        (0x8000_0000, 0x8000),  // -0
    ]

    @Test func roundingIsToNearestEvenBitForBit() {
        let inputs = Self.roundingCases.map { Float(bitPattern: $0.0) }
        let rounded = roundedToBFloat16(inputs)
        for ((input, want), got) in zip(Self.roundingCases, rounded) {
            #expect(got.bitPattern == UInt32(want) << 16, "0x\(String(input, radix: 16))")
        }
        let nan = roundedToBFloat16([Float(bitPattern: 0x7FC0_0001), -.nan])
        #expect(nan.allSatisfy { $0.isNaN })
        #expect(roundedToBFloat16([]).isEmpty)
    }

    @Test(arguments: [(70, 333), (600, 500), (5, 3)])
    func everyInstructionSetsMatrixVectorProductMatchesTheReference(rows: Int, cols: Int) {
        var rng = KalamRandom(seed: UInt64(rows * 1000 + cols))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.nextDouble() * 2 - 1) } }
        let lda = cols + 3
        let values = roundedToBFloat16(random(rows * lda))
        let half = values.map { UInt16($0.bitPattern >> 16) }
        for isa in BLAS.InstructionSet.supported {
            for transA in [false, true] {
                for beta: Float in [0, 2] {
                    let inputs = transA ? rows : cols, outputs = transA ? cols : rows
                    let x = random(inputs)
                    // With beta 0, y must not be read: NaN there would poison the result.
                    var y = beta == 0 ? [Float](repeating: .nan, count: outputs) : random(outputs)
                    var want = [Double](repeating: 0, count: outputs)
                    for o in 0..<outputs {
                        var s = 0.0
                        for p in 0..<inputs {
                            s += Double(transA ? values[p * lda + o] : values[o * lda + p]) * Double(x[p])
                        }
                        want[o] = 0.5 * s + (beta == 0 ? 0 : Double(beta) * Double(y[o]))
                    }
                    y.withUnsafeMutableBufferPointer { py in
                        BLAS.sgemvBFloat16(
                            transA: transA, rows: rows, cols: cols, alpha: 0.5, a: half, lda: lda, x: x, beta: beta,
                            y: py.baseAddress!, instructionSet: isa)
                    }
                    let worst = (0..<outputs).map { abs(Double(y[$0]) - want[$0]) }.max() ?? 0
                    #expect(worst < 2e-4, "\(isa) \(rows)x\(cols) transA \(transA) beta \(beta): \(worst)")
                }
            }
        }
    }

    /// Uniform values in [-scale, scale).
    static func random(_ shape: [Int], _ scale: Float, _ rng: inout KalamRandom) throws -> Tensor {
        try Tensor((0..<shape.reduce(1, *)).map { _ in (rng.nextFloat() * 2 - 1) * scale }, shape: shape)
    }

    @Test func oneRowProductsReadTheCopyAndEqualTheRoundedFloat32Products() throws {
        var rng = KalamRandom(seed: 3)
        let x = try Self.random([1, 96], 1, &rng)
        let weight = try Self.random([80, 96], 0.5, &rng)  // linear: [out, in]
        let conv = try Self.random([96, 80], 0.5, &rng)  // conv1D: [in, out]
        let bias = try Self.random([80], 1, &rng)
        let (before, convBefore) = (try linear(x, weight: weight), try conv1D(x, weight: conv, bias: bias))
        // The float32 products of the rounded weights, computed before any copy exists.
        let roundedWeight = try Tensor(roundedToBFloat16(weight.scalars), shape: weight.shape)
        let roundedConv = try Tensor(roundedToBFloat16(conv.scalars), shape: conv.shape)
        let want = try linear(x, weight: roundedWeight, bias: bias).scalars
        let convWant = try conv1D(x, weight: roundedConv, bias: bias).scalars
        try weight.storeAsBFloat16()
        try conv.storeAsBFloat16()
        #expect(weight.scalars == roundedWeight.scalars)  // rounded in place
        #expect(weight.bfloat16Values != nil && conv.bfloat16Values != nil)
        let got = try linear(x, weight: weight, bias: bias).scalars
        let convGot = try conv1D(x, weight: conv, bias: bias).scalars
        #expect(zip(got, want).map { abs($0 - $1) }.max()! < 1e-5)
        #expect(zip(convGot, convWant).map { abs($0 - $1) }.max()! < 1e-5)
        // The rounding is visible against the unrounded products.
        #expect(zip(try linear(x, weight: weight).scalars, before.scalars).map { abs($0 - $1) }.max()! > 1e-5)
        #expect(zip(convGot, convBefore.scalars).map { abs($0 - $1) }.max()! > 1e-5)
        // Two rows take the float32 product of the same rounded values.
        let two = try linear(concat([x, x], axis: 0), weight: weight, bias: bias).scalars
        #expect(zip(two.prefix(80), want).map { abs($0 - $1) }.max()! < 1e-5)
    }

    @Test func aViewCannotKeepACopyAndDroppingItFallsBackToFloat32() throws {
        var rng = KalamRandom(seed: 4)
        let weight = try Self.random([8, 6], 1, &rng)
        let view = try weight.slice(axis: 0, 2..<4)
        let error = TensorError.invalidArgument(
            op: "storeAsBFloat16", reason: "the tensor [2, 6] is a view, not a whole dense storage")
        #expect(throws: error) { try view.storeAsBFloat16() }
        try weight.storeAsBFloat16()
        #expect(weight.bfloat16Values != nil)
        #expect(view.bfloat16Values == nil)  // a view never reads the whole matrix's copy
        weight.dropBFloat16()
        #expect(weight.bfloat16Values == nil)
    }
}
