import Foundation
import Testing

@testable import KalamCore

@Suite struct TensorTests {
    @Test func matmulValues() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = try Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        #expect(try matmul(a, b).scalars == [58, 64, 139, 154])
        // aᵀ·a through a transposed view: [3, 2] × [2, 3]
        #expect(try matmul(a.transposed(), a).scalars == [17, 22, 27, 22, 29, 36, 27, 36, 45])
        let y = try linear(
            a, weight: try Tensor([1, 0, -1, 2, 2, 2], shape: [2, 3]), bias: try Tensor([0.5, -1], shape: [2]))
        #expect(y.scalars == [-1.5, 11, -1.5, 29])
    }

    @Test func shapeMismatchNamesBothShapes() throws {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5])
        #expect(throws: TensorError.shapeMismatch(op: "matmul", lhs: [2, 3], rhs: [4, 5])) { try matmul(a, b) }
        #expect(throws: TensorError.shapeMismatch(op: "add", lhs: [2, 3], rhs: [4, 5])) { try a + b }
        let error = TensorError.shapeMismatch(op: "matmul", lhs: [2, 3], rhs: [4, 5])
        #expect(error.description == "matmul: shapes [2, 3] and [4, 5] do not match")
        #expect(
            throws: TensorError.invalidShape(op: "reshape", shape: [4], reason: "cannot reshape [2, 3] (6 elements)")
        ) {
            try a.reshaped([4])
        }
        #expect(throws: TensorError.indexOutOfRange(op: "embedding", index: 7, bound: 4)) {
            try embedding(IndexTensor([1, 7]), weight: Tensor.zeros([4, 2]))
        }
        #expect(throws: TensorError.backwardOnNonScalar(shape: [2, 3])) { try a.requiringGrad().backward() }
    }

    @Test func broadcastingAndReductions() throws {
        let x = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(try (x + Tensor([10, 20, 30], shape: [3])).scalars == [11, 22, 33, 14, 25, 36])
        #expect(try (x * Tensor([2, 3], shape: [2, 1])).scalars == [2, 4, 6, 12, 15, 18])
        #expect(try x.sum(axes: [0]).scalars == [5, 7, 9])
        #expect(try x.mean(axes: [1], keepDims: true).shape == [2, 1])
        #expect(try x.max(axis: 1).scalars == [3, 6])
        #expect(try x.transposed().contiguous().scalars == [1, 4, 2, 5, 3, 6])
        #expect(try x.slice(axis: 1, 1..<3).scalars == [2, 3, 5, 6])
        #expect(try concat([x, x.slice(axis: 0, 0..<1)], axis: 0).shape == [3, 3])
    }

    @Test func fastMathAccuracy() {
        var worstExp: Float = 0, worstTanh: Float = 0, worstErf: Float = 0
        var v: Float = -20
        while v <= 20 {
            worstExp = max(
                worstExp, abs(Kernels.exp(v) - Float(Foundation.exp(Double(v)))) / Float(Foundation.exp(Double(v))))
            worstTanh = max(worstTanh, abs(Kernels.tanh(v) - Float(Foundation.tanh(Double(v)))))
            worstErf = max(worstErf, abs(Kernels.erf(v) - Float(Foundation.erf(Double(v)))))
            v += 0.001
        }
        #expect(worstExp < 3e-7)
        #expect(worstTanh < 5e-7)
        #expect(worstErf < 5e-7)
    }

    @Test func softmaxAndCrossEntropyValues() throws {
        let logits = try Tensor([1, 2, 3, 0, 0, 0], shape: [2, 3])
        let p = try logits.softmax().scalars
        let e = [Foundation.exp(1.0), Foundation.exp(2.0), Foundation.exp(3.0)]
        let z = e.reduce(0, +)
        for (got, want) in zip(p.prefix(3), e.map { $0 / z }) { #expect(abs(Double(got) - want) < 1e-6) }
        #expect(p.suffix(3).allSatisfy { abs($0 - 1.0 / 3) < 1e-6 })
        let loss = try crossEntropy(logits: logits, targets: IndexTensor([2, 1])).item()
        let expected = (-Foundation.log(e[2] / z) + Foundation.log(3.0)) / 2
        #expect(abs(Double(loss) - expected) < 1e-6)
        // Every row ignored: NaN, like PyTorch.
        #expect(try crossEntropy(logits: logits, targets: IndexTensor([-100, -100])).item().isNaN)
    }

    @Test func layerNormValues() throws {
        let x = try Tensor([1, 2, 3, 4], shape: [1, 4])
        let y = try x.layerNorm(weight: nil, bias: nil, eps: 0).scalars
        let s = Float(1.25).squareRoot()
        #expect(zip(y, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]).allSatisfy { abs($0 - $1) < 1e-6 })
        let r = try x.rmsNorm(weight: Tensor.ones([4]), eps: 0).scalars
        let rms = Float(7.5).squareRoot()
        #expect(zip(r, [1 / rms, 2 / rms, 3 / rms, 4 / rms]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func gradientsAccumulateAcrossBackwardCalls() throws {
        let w = try Tensor([1, 2], shape: [2]).requiringGrad()
        try (w * 3).sum().backward()
        try (w * 3).sum().backward()
        #expect(w.grad?.scalars == [6, 6])
        let frozen = Tensor.withoutGrad { w * 2 }
        #expect(!frozen.requiresGrad)
        #expect(!w.detached().requiresGrad)
    }

    @Test func causalAttentionIgnoresTheFuture() throws {
        var r = TestRNG(1)
        let q = r.tensor([1, 1, 3, 2]), k = r.tensor([1, 1, 3, 2]), v = r.tensor([1, 1, 3, 2])
        let full = try scaledDotProductAttention(q, k, v, options: AttentionOptions(causal: true))
        // Changing the last key and value does not change the first two outputs.
        let k2 = try concat([k.slice(axis: 2, 0..<2), Tensor.full([1, 1, 1, 2], 9)], axis: 2)
        let v2 = try concat([v.slice(axis: 2, 0..<2), Tensor.full([1, 1, 1, 2], -9)], axis: 2)
        let other = try scaledDotProductAttention(q, k2, v2, options: AttentionOptions(causal: true))
        #expect(Array(full.scalars.prefix(4)) == Array(other.scalars.prefix(4)))
        // The first query sees only the first value.
        #expect(Array(full.scalars.prefix(2)) == Array(v.scalars.prefix(2)))
    }
}

@Suite struct SafeTensorsTensorTests {
    @Test func tensorsRoundTripThroughAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-tensor-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let a = try Tensor([1, -2, 3.5, 0, 1e-8, 6], shape: [2, 3])
        try SafeTensors.write([(name: "a", tensor: a.transposed())], to: url)
        let back = try SafeTensorsFile(contentsOf: url).tensor("a")
        #expect(back.shape == [3, 2])
        #expect(back.scalars == [1, 0, -2, 1e-8, 3.5, 6])
    }
}
