import Foundation
import KalamCore
import KalamNN
import Testing

@testable import KalamTraining

@Suite struct ScoreMatrixTests {
    // R[i][j] after training through task i; b[j] before any training.
    static let r: [[Double]] = [[0.9, 0.85, 0.4], [0.7, 0.8, 0.45], [0.6, 0.7, 0.9]]
    static let b: [Double] = [0.5, 0.3, 0.2]

    @Test func metricsOfAKnownMatrix() throws {
        let m = try ScoreMatrix(matrix: Self.r, baseline: Self.b)
        // ACC = (0.6 + 0.7 + 0.9) / 3
        #expect(abs(m.averageAccuracy - 2.2 / 3) < 1e-12)
        // BWT = ((0.6 − 0.9) + (0.7 − 0.8)) / 2
        #expect(abs(m.backwardTransfer - -0.2) < 1e-12)
        // FWT = ((R[0][1] − b1) + (R[1][2] − b2)) / 2 = (0.55 + 0.25) / 2
        #expect(abs(m.forwardTransfer - 0.4) < 1e-12)
        // forgetting = ((max(0.9, 0.7) − 0.6) + (max(0.85, 0.8) − 0.7)) / 2 = (0.3 + 0.15) / 2
        #expect(abs(m.forgetting - 0.225) < 1e-12)
    }

    @Test func scoresThatKeepRisingGiveNegativeForgetting() throws {
        let m = try ScoreMatrix(
            matrix: [[0.5, 0.1, 0.1], [0.6, 0.7, 0.2], [0.7, 0.8, 0.9]], baseline: [0.1, 0.1, 0.1])
        // ((max(0.5, 0.6) − 0.7) + (max(0.1, 0.7) − 0.8)) / 2: the max runs over rows before the last.
        #expect(abs(m.forgetting - -0.1) < 1e-12)
        #expect(abs(m.backwardTransfer - 0.15) < 1e-12)
    }

    @Test func malformedMatricesAreTypedErrors() {
        #expect(throws: ContinualError.self) { try ScoreMatrix(matrix: [[1]], baseline: [1]) }
        #expect(throws: ContinualError.self) { try ScoreMatrix(matrix: [[1, 2], [3]], baseline: [0, 0]) }
        #expect(throws: ContinualError.self) { try ScoreMatrix(matrix: [[1, 2], [3, 4]], baseline: [0, 0, 0]) }
    }
}

/// A module of two parameter vectors, for penalties with hand-computed values.
final class PenaltyToy: Module {
    @Parameter var a: Tensor
    @Parameter var b: Tensor
    init(a: [Float], b: [Float]) throws {
        self.a = try Tensor(a, shape: [a.count])
        self.b = try Tensor(b, shape: [b.count])
        super.init()
    }
}

@Suite struct QuadraticPenaltyTests {
    @Test func ewcPenaltyAndGradientWithAKnownFisher() throws {
        let model = try PenaltyToy(a: [1.5, 1], b: [3])
        var penalty = QuadraticPenalty(strength: 2)
        penalty.importance["a"] = try Tensor([1, 4], shape: [2])
        penalty.anchor["a"] = try Tensor([0.5, -1], shape: [2])
        // λ/2 Σ F (θ − θ*)² = 1 · (1·1² + 4·2²) = 17; b has no Fisher and is not penalised.
        let loss = try #require(try penalty.loss(model))
        #expect(abs(try loss.item() - 17) < 1e-5)
        try loss.backward()
        // λ F (θ − θ*) = 2 · [1·1, 4·2]
        #expect(model.a.grad?.scalars == [2, 16])
        #expect(model.b.grad == nil || model.b.grad!.scalars == [0])
    }

    @Test func ewcSumsTaskPenaltiesOnlineEWCDecaysThem() throws {
        let model = try PenaltyToy(a: [0, 1], b: [0])
        let ewc = try EWCStrategy(lambda: 1)
        let online = try EWCStrategy(lambda: 1, decay: 0.5)
        for (fisher, theta) in [([Float(1), 2], [Float(0), 1]), ([3, 2], [4, 3])] {
            let values = ["a": try Tensor(fisher, shape: [2])]
            try ParameterSnapshot(values: ["a": try Tensor(theta, shape: [2])]).assign(to: model)
            ewc.consolidate(fisher: values, parameters: model.trainableParameters())
            online.consolidate(fisher: values, parameters: model.trainableParameters())
        }
        // EWC: Ω = F1 + F2, anchor (F1 θ1 + F2 θ2) / Ω: the gradient of Σ_t F_t (θ − θ_t)².
        #expect(ewc.penalty.importance["a"]?.scalars == [4, 4])
        #expect(ewc.penalty.anchor["a"]?.scalars == [3, 2])
        // Online: Ω = γ F1 + F2, anchor θ2.
        #expect(online.penalty.importance["a"]?.scalars == [3.5, 3])
        #expect(online.penalty.anchor["a"]?.scalars == [4, 3])
        // At θ = [1, 1]: Σ_t F_t (θ − θ_t) = [1·1 + 3·(−3), 2·0 + 2·(−2)] = [−8, −4].
        try ParameterSnapshot(values: ["a": try Tensor([1, 1], shape: [2])]).assign(to: model)
        try #require(try ewc.penalty.loss(model)).backward()
        #expect(model.a.grad?.scalars == [-8, -4])
    }

    @Test func siImportanceOnAQuadratic() throws {
        // L(θ) = ½ · 2 · (θ − 1)², gradient descent with rate 0.25 from θ = 0.
        let model = try PenaltyToy(a: [0], b: [5])
        let si = try SIStrategy(lambda: 1, damping: 0.1)
        si.start(parameters: model.trainableParameters())
        for _ in 0..<2 {
            let theta = model.a.scalars[0]
            let g = 2 * (theta - 1)
            model.a.grad = try Tensor([g], shape: [1])
            model.b.grad = try Tensor([0], shape: [1])
            try si.transformGradients(model.trainableParameters(), step: 1)
            model.a.data[0] = theta - 0.25 * g
            si.accumulate(parameters: model.trainableParameters())
        }
        // Step 1: g = −2, Δθ = 0.5, ω += 1; step 2: g = −1, Δθ = 0.25, ω += 0.25.
        #expect(abs(si.pathIntegral["a"]!.scalars[0] - 1.25) < 1e-6)
        si.consolidate(parameters: model.trainableParameters())
        // Ω = ω / (Δ² + ξ) = 1.25 / (0.75² + 0.1); b never moved and has no importance.
        #expect(abs(si.penalty.importance["a"]!.scalars[0] - 1.25 / 0.6625) < 1e-5)
        #expect(si.penalty.importance["b"]?.scalars == [0])
        #expect(si.penalty.anchor["a"]?.scalars == [0.75])
    }

    @Test func negativeStrengthIsATypedError() {
        #expect(throws: ContinualError.self) { try EWCStrategy(lambda: -1) }
        #expect(throws: ContinualError.self) { try SIStrategy(lambda: -0.5) }
        #expect(throws: ContinualError.self) { try L2SPStrategy(lambda: .nan) }
        #expect(throws: ContinualError.self) { try EWCStrategy(lambda: 1, decay: 2) }
    }
}

@Suite struct RehearsalTests {
    @Test func agemProjectionRemovesTheConflictAndKeepsAgreeingGradients() {
        // g · r = −1 < 0: g − (−1/2) r = [1.5, 1.5], orthogonal to r.
        #expect(AGEMStrategy.project([1, 2], reference: [1, -1]) == [1.5, 1.5])
        #expect(AGEMStrategy.project([1, 2], reference: [1, 1]) == [1, 2])
        var rng = KalamRandom(seed: 3)
        for _ in 0..<200 {
            let g = rng.normalArray(count: 7), r = rng.normalArray(count: 7)
            let p = AGEMStrategy.project(g, reference: r)
            let dot = zip(g, r).reduce(0) { $0 + $1.0 * $1.1 }
            let projectedDot = zip(p, r).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(projectedDot >= -1e-5)
            if dot >= 0 { #expect(p == g) }
        }
    }

    @Test func reservoirKeepsEachExampleWithProbabilityNOverN() throws {
        // N = 10 of n = 100: each example kept with p = 0.1. Over S = 2000 seeds a count has standard
        // deviation √(S p (1 − p)) ≈ 13.4; every example's count must be within 4.5σ (≈ 60) of 200.
        let (capacity, stream, seeds) = (10, 100, 2000)
        var kept = [Int](repeating: 0, count: stream)
        for seed in 0..<seeds {
            let buffer = try ReservoirBuffer(capacity: capacity, seed: UInt64(seed))
            buffer.offer((0..<stream).map { ContinualExample(ids: [Int32($0)], label: 0, task: 0) })
            #expect(buffer.examples.count == capacity)
            for example in buffer.examples { kept[Int(example.ids[0])] += 1 }
        }
        let expected = Double(seeds * capacity) / Double(stream)
        let sigma = (Double(seeds) * 0.1 * 0.9).squareRoot()
        let worst = kept.map { abs(Double($0) - expected) }.max()!
        #expect(worst < 4.5 * sigma, "largest deviation \(worst) from \(expected)")
        // The first and last examples are kept equally often (not biased to the start of the stream).
        let early = kept.prefix(10).reduce(0, +), late = kept.suffix(10).reduce(0, +)
        #expect(abs(Double(early - late)) < 6 * (2 * 10 * Double(seeds) * 0.09).squareRoot())
    }

    @Test func reservoirStateRoundTripsAndZeroMemoryIsATypedError() throws {
        let buffer = try ReservoirBuffer(capacity: 3, seed: 1)
        buffer.offer(
            (0..<7).map {
                ContinualExample(ids: Array([Int32($0), 5, 6].prefix($0 % 3 + 1)), label: Int32($0), task: $0 % 2)
            })
        let copy = try ReservoirBuffer(capacity: 3, seed: 1)
        try copy.restore(buffer.stateTensors(prefix: "b."), prefix: "b.")
        #expect(copy.examples == buffer.examples)
        #expect(copy.seen == 7)
        #expect(throws: ContinualError.self) { try ReservoirBuffer(capacity: 0, seed: 0) }
        #expect(throws: ContinualError.self) { try ReplayStrategy(memory: 0, replayRows: 4, seed: 0) }
    }

    @Test func distillationAtTemperatureTwo() throws {
        // Teacher logits [2 ln 3, 0] / 2 → p = [3/4, 1/4]; student [0, 0] → q = [1/2, 1/2].
        // KL(p ‖ q) = 3/4 ln(3/2) + 1/4 ln(1/2); times T² = 4.
        let teacher = try Tensor([2 * Float(Foundation.log(3.0)), 0], shape: [1, 2])
        let student = try Tensor([0, 0], shape: [1, 2])
        let kd = try LwFStrategy.distillation(student: student, teacher: teacher, groups: [0..<2], temperature: 2)
        let expected = 4 * (0.75 * Foundation.log(1.5) + 0.25 * Foundation.log(0.5))
        #expect(abs(Double(try kd.item()) - expected) < 1e-5)
        let same = try LwFStrategy.distillation(student: teacher, teacher: teacher, groups: [0..<2], temperature: 2)
        #expect(abs(try same.item()) < 1e-6)
    }

    @Test func snapshotsPutTheModelsOwnValuesBack() throws {
        let model = try PenaltyToy(a: [1, 2], b: [3])
        let other = ParameterSnapshot(values: ["a": try Tensor([7, 8], shape: [2])])
        let inside = try other.withAssigned(to: model) { model.a.scalars }
        #expect(inside == [7, 8])
        #expect(model.a.scalars == [1, 2])
        let wrong = ParameterSnapshot(values: ["a": try Tensor([7], shape: [1])])
        #expect(throws: ModuleError.self) { try wrong.assign(to: model) }
        #expect(model.a.scalars == [1, 2])
    }
}
