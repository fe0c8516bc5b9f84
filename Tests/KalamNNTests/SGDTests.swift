import Foundation
import KalamCore
import KalamNN
import Testing

@Suite struct SGDTests {
    @Test func plainStepIsLearningRateTimesGradient() throws {
        let p = try Tensor([1, 2], shape: [2]).requiringGrad()
        p.grad = try Tensor([0.5, -1], shape: [2])
        let opt = try SGD(learningRate: 0.1)
        try opt.step([(key: "w", tensor: p)])
        #expect(p.scalars == [0.95, 2.1])
        #expect(opt.stepCount == 1)
        #expect(opt.state.isEmpty)
    }

    @Test func momentumByHand() throws {
        // lr 0.1, μ 0.9, dampening 0.5, wd 0.1; p = 1, g = 1 then 2.
        // step 1: g' = 1 + 0.1 = 1.1, b = 1.1, p = 1 − 0.11 = 0.89
        // step 2: g' = 2 + 0.089 = 2.089, b = 0.99 + 0.5 · 2.089 = 2.0345, p = 0.89 − 0.20345 = 0.68655
        let p = try Tensor([1], shape: [1]).requiringGrad()
        let opt = try SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1)
        p.grad = try Tensor([1], shape: [1])
        try opt.step([(key: "w", tensor: p)])
        #expect(abs(p.scalars[0] - 0.89) < 1e-6)
        p.grad = try Tensor([2], shape: [1])
        try opt.step([(key: "w", tensor: p)])
        #expect(abs(p.scalars[0] - 0.68655) < 1e-6)
        #expect(abs(opt.state["w"]!["momentum_buffer"]!.scalars[0] - 2.0345) < 1e-6)
    }

    @Test(arguments: ["sgd_plain", "sgd_momentum", "sgd_nesterov"])
    func matchesPyTorch(_ name: String) throws {
        let fixture = try OptimFixture.load()
        let opt: SGD
        switch name {
        case "sgd_plain": opt = try SGD(learningRate: 0.1)
        case "sgd_momentum": opt = try SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
        default: opt = try SGD(learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.02)
        }
        #expect(try fixture.maxDifference(opt, case: name) <= 1e-6)
    }

    @Test func skipsFrozenAndGradlessParameters() throws {
        let frozen = try Tensor([1], shape: [1])  // requiresGrad false
        frozen.grad = try Tensor([1], shape: [1])
        let noGrad = try Tensor([2], shape: [1]).requiringGrad()
        let opt = try SGD(learningRate: 1, momentum: 0.9)
        try opt.step([(key: "a", tensor: frozen), (key: "b", tensor: noGrad)])
        #expect(frozen.scalars == [1])
        #expect(noGrad.scalars == [2])
        #expect(opt.state.isEmpty)
    }

    @Test func rejectsBadSettingsAndInput() throws {
        #expect(
            throws: OptimizerError.invalidHyperparameter(
                name: "nesterov", value: 1, reason: "Nesterov momentum needs momentum > 0 and zero dampening")
        ) {
            try SGD(learningRate: 0.1, nesterov: true)
        }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "learningRate", value: -1, reason: "must be ≥ 0")) {
            try SGD(learningRate: -1)
        }
        let p = try Tensor([1, 2], shape: [2]).requiringGrad()
        p.grad = try Tensor([1, 2, 3], shape: [3])
        #expect(throws: OptimizerError.gradientShapeMismatch(key: "w", parameter: [2], gradient: [3])) {
            try SGD(learningRate: 0.1).step([(key: "w", tensor: p)])
        }
        let q = try Tensor([1, 2], shape: [2]).requiringGrad()
        q.grad = try Tensor([1, 2], shape: [2])
        #expect(throws: OptimizerError.duplicateKey(key: "w")) {
            try SGD(learningRate: 0.1).step([(key: "w", tensor: q), (key: "w", tensor: Tensor.zeros([2]))])
        }
    }
}
