import Foundation
import KalamCore
import KalamNN
import Testing

@Suite struct ClipGradNormTests {
    @Test func matchesPyTorch() throws {
        let fixture = try OptimFixture.load()
        for clip in fixture.clip {
            let params = try fixture.parameters()
            try fixture.setGrads(params, step: 0)
            let total = try clipGradNorm(params, maxNorm: clip.maxNorm)
            #expect(abs(total - clip.totalNorm) < 1e-6)
            for (a, b) in zip(params[0].tensor.grad!.scalars, clip.wGrad) { #expect(abs(a - b) < 1e-7) }
            for (a, b) in zip(params[1].tensor.grad!.scalars, clip.bGrad) { #expect(abs(a - b) < 1e-7) }
        }
    }

    @Test func byHandSkipsMissingGradientsAndCountsTiedOnce() throws {
        // grads (3, 4) → norm 5; max 1 → scale 1 / (5 + 1e-6).
        let a = try Tensor([0, 0], shape: [2]).requiringGrad()
        a.grad = try Tensor([3, 4], shape: [2])
        let b = try Tensor([0], shape: [1]).requiringGrad()  // no gradient
        let total = try clipGradNorm(
            [(key: "a", tensor: a), (key: "b", tensor: b), (key: "tied", tensor: a)], maxNorm: 1)
        #expect(total == 5)
        let scale = Float(1 / (5 + 1e-6))
        #expect(a.grad!.scalars == [3 * scale, 4 * scale])
        #expect(b.grad == nil)
    }

    @Test func nonContiguousGradientIsReplacedByAScaledCopy() throws {
        let w = try Tensor([0, 0, 0, 0], shape: [2, 2]).requiringGrad()
        w.grad = try Tensor([1, 2, 3, 4], shape: [2, 2]).transposed()  // [[1, 3], [2, 4]]
        let total = try clipGradNorm([(key: "w", tensor: w)], maxNorm: 0.5)
        #expect(abs(total - Float(30).squareRoot()) < 1e-6)
        let scale = Float(0.5 / (Double(30).squareRoot() + 1e-6))
        #expect(w.grad!.isContiguous)
        for (x, y) in zip(w.grad!.scalars, [1, 3, 2, 4].map { $0 * scale }) { #expect(abs(x - y) < 1e-7) }
    }

    @Test func rejectsNegativeMaxNorm() {
        #expect(throws: OptimizerError.invalidHyperparameter(name: "maxNorm", value: -1, reason: "must be ≥ 0")) {
            try clipGradNorm([], maxNorm: -1)
        }
    }
}
