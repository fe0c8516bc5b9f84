import Testing

@testable import KalamCore

/// Finite-difference checks of every differentiable operation (see `gradientError`).
/// Tolerance: relative error ≤ 1e-3 for every op, with inputs kept away from kinks (relu, max).
@Suite struct OpGradientTests {
    let tolerance = 1e-3

    @Test func arithmeticWithBroadcasting() throws {
        var r = TestRNG(1)
        let a = r.tensor([2, 3, 4]), b = r.tensor([4]), c = r.tensor([2, 1, 4]), d = r.tensor([3, 1], 0.5, 2)
        #expect(try gradientError([a, b]) { try $0[0] + $0[1] } < tolerance)
        #expect(try gradientError([a, c]) { try $0[0] - $0[1] } < tolerance)
        #expect(try gradientError([a, c]) { try $0[0] * $0[1] } < tolerance)
        #expect(try gradientError([a, d]) { try $0[0] / $0[1] } < tolerance)
        #expect(try gradientError([a]) { (2 - $0[0] * 3 + 1) / 4 } < tolerance)
        #expect(try gradientError([a]) { -$0[0] } < tolerance)
    }

    @Test func unaryFunctions() throws {
        var r = TestRNG(2)
        let x = r.tensor([3, 5], -2, 2), pos = r.tensor([3, 5], 0.5, 3)
        #expect(try gradientError([x]) { $0[0].exp() } < tolerance)
        #expect(try gradientError([pos]) { $0[0].log() } < tolerance)
        #expect(try gradientError([pos]) { $0[0].sqrt() } < tolerance)
        #expect(try gradientError([pos]) { $0[0].pow(1.5) } < tolerance)
        #expect(try gradientError([x]) { $0[0].square() } < tolerance)
        #expect(try gradientError([x]) { $0[0].tanh() } < tolerance)
        #expect(try gradientError([x]) { $0[0].sigmoid() } < tolerance)
        #expect(try gradientError([x]) { $0[0].geluTanh() } < tolerance)
        #expect(try gradientError([x]) { $0[0].geluErf() } < tolerance)
        #expect(try gradientError([x]) { $0[0].silu() } < tolerance)
        // relu: values at least 0.1 away from the kink at 0.
        let away = try Tensor(x.scalars.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }, shape: x.shape)
        #expect(try gradientError([away]) { $0[0].relu() } < tolerance)
    }

    @Test func reductions() throws {
        var r = TestRNG(3)
        let x = r.tensor([2, 3, 4])
        #expect(try gradientError([x]) { $0[0].sum() } < tolerance)
        #expect(try gradientError([x]) { try $0[0].sum(axes: [1]) } < tolerance)
        #expect(try gradientError([x]) { try $0[0].sum(axes: [0, 2], keepDims: true) } < tolerance)
        #expect(try gradientError([x]) { try $0[0].mean(axes: [-1]) } < tolerance)
        #expect(try gradientError([x]) { try $0[0].max(axis: 1) } < tolerance)
    }

    @Test func softmaxFamily() throws {
        var r = TestRNG(4)
        let x = r.tensor([2, 5, 3], -2, 2)
        #expect(try gradientError([x]) { try $0[0].softmax() } < tolerance)
        #expect(try gradientError([x]) { try $0[0].softmax(axis: 1) } < tolerance)
        #expect(try gradientError([x]) { try $0[0].logSoftmax() } < tolerance)
        #expect(try gradientError([x]) { try $0[0].logSoftmax(axis: 0) } < tolerance)
    }

    @Test func products() throws {
        var r = TestRNG(5)
        let a = r.tensor([2, 3, 4]), b = r.tensor([4, 5]), bb = r.tensor([2, 4, 5]), w = r.tensor([6, 4]),
            bias = r.tensor([6])
        #expect(try gradientError([a, b]) { try matmul($0[0], $0[1]) } < tolerance)
        #expect(try gradientError([a, bb]) { try matmul($0[0], $0[1]) } < tolerance)
        // A transposed view goes to BLAS with its transpose flag.
        let c = r.tensor([2, 4, 3])
        #expect(try gradientError([c, bb]) { try matmul($0[0].transposed(), $0[1]) } < tolerance)
        #expect(try gradientError([a, w]) { try matmul($0[0], $0[1].transposed()) } < tolerance)
        #expect(try gradientError([a, w, bias]) { try linear($0[0], weight: $0[1], bias: $0[2]) } < tolerance)
        #expect(try gradientError([a, w]) { try linear($0[0], weight: $0[1]) } < tolerance)
        // GPT-2's Conv1D: weight [in, out]; equal to matmul + bias.
        let cw = r.tensor([4, 6])
        #expect(try gradientError([a, cw, bias]) { try conv1D($0[0], weight: $0[1], bias: $0[2]) } < tolerance)
        let fused = try conv1D(a, weight: cw, bias: bias).scalars, split = try (matmul(a, cw) + bias).scalars
        #expect(zip(fused, split).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func viewsJoinsAndMasks() throws {
        var r = TestRNG(6)
        let x = r.tensor([2, 3, 4]), y = r.tensor([2, 2, 4])
        #expect(try gradientError([x]) { try $0[0].reshaped([6, -1]) } < tolerance)
        #expect(try gradientError([x]) { try $0[0].permuted([2, 0, 1]).contiguous() } < tolerance)
        #expect(try gradientError([x]) { try $0[0].slice(axis: 1, 1..<3) } < tolerance)
        #expect(try gradientError([x, y]) { try concat([$0[0], $0[1]], axis: 1) } < tolerance)
        #expect(try gradientError([x]) { try $0[0].split([1, 3], axis: 2)[1] } < tolerance)
        let mask = try Tensor([1, 0, 0, 1], shape: [4])
        #expect(try gradientError([x]) { try $0[0].maskedFill(mask, value: -5) } < tolerance)
        let cond = try Tensor([1, 0, 1], shape: [3, 1])
        #expect(try gradientError([x, r.tensor([2, 1, 4])]) { try Tensor.where(cond, $0[0], $0[1]) } < tolerance)
        #expect(try gradientError([x, r.tensor([4])]) { try Tensor.where(cond, $0[0], $0[1]) } < tolerance)
    }

    @Test func embeddingScatterAdd() throws {
        var r = TestRNG(7)
        let table = r.tensor([5, 3])
        let ids = try IndexTensor([4, 1, 4, 0, 2, 4], shape: [2, 3])  // repeated ids accumulate
        #expect(try gradientError([table]) { try embedding(ids, weight: $0[0]) } < tolerance)
    }

    @Test func normalisation() throws {
        var r = TestRNG(8)
        let x = r.tensor([3, 8], -2, 2), w = r.tensor([8]), b = r.tensor([8])
        #expect(try gradientError([x, w, b]) { try $0[0].layerNorm(weight: $0[1], bias: $0[2]) } < tolerance)
        #expect(try gradientError([x]) { try $0[0].layerNorm(weight: nil, bias: nil) } < tolerance)
        #expect(try gradientError([x, w]) { try $0[0].rmsNorm(weight: $0[1]) } < tolerance)
    }

    @Test func dropoutUsesItsMask() throws {
        var r = TestRNG(9)
        let x = r.tensor([4, 6])
        #expect(
            try gradientError([x]) {
                var g = TestRNG(42)
                return try $0[0].dropout(0.3, rng: &g)
            } < tolerance)
    }

    @Test func attention() throws {
        var r = TestRNG(10)
        let q = r.tensor([2, 2, 3, 4]), k = r.tensor([2, 2, 5, 4]), v = r.tensor([2, 2, 5, 4])
        let bias = r.tensor([1, 2, 3, 5])
        let keyMask = try Tensor([1, 1, 1, 1, 1, 1, 1, 0, 1, 0], shape: [2, 5])
        let plain = AttentionOptions()
        #expect(
            try gradientError([q, k, v]) { try scaledDotProductAttention($0[0], $0[1], $0[2], options: plain) }
                < tolerance)
        let causal = AttentionOptions(causal: true, keyMask: keyMask)
        #expect(
            try gradientError([q, k, v]) { try scaledDotProductAttention($0[0], $0[1], $0[2], options: causal) }
                < tolerance)
        #expect(
            try gradientError([q, k, v, bias]) {
                try scaledDotProductAttention($0[0], $0[1], $0[2], options: AttentionOptions(scale: 1, bias: $0[3]))
            } < tolerance)
        #expect(
            try gradientError([q, k, v]) {
                var g = TestRNG(3)
                return try scaledDotProductAttention(
                    $0[0], $0[1], $0[2], options: AttentionOptions(dropout: 0.25), rng: &g)
            } < tolerance)
    }

    @Test func crossEntropyWithIgnoreAndSmoothing() throws {
        var r = TestRNG(11)
        let logits = r.tensor([2, 3, 6], -2, 2)
        let targets = try IndexTensor([0, 5, -100, 2, 2, 1], shape: [2, 3])
        #expect(try gradientError([logits]) { try crossEntropy(logits: $0[0], targets: targets) } < tolerance)
        #expect(
            try gradientError([logits]) { try crossEntropy(logits: $0[0], targets: targets, labelSmoothing: 0.1) }
                < tolerance)
        #expect(
            try gradientError([logits]) { try crossEntropy(logits: $0[0], targets: targets, reduction: .sum) }
                < tolerance)
    }
}
