import Foundation
import KalamCore
import KalamNN
import Testing

@Suite struct AdamWTests {
    @Test func firstStepByHand() throws {
        // Step 1: m = 0.1 g, v = 0.05 g² (β = 0.9, 0.95); m̂ = g, √v̂ = |g|, so
        // p ← p (1 − lr · wd) − lr · g / (|g| + ε) = 2 · (1 − 0.001) − 0.1 · sign(g) (up to ε).
        let w = try Tensor([2, 2, -1, 3], shape: [2, 2]).requiringGrad()
        w.grad = try Tensor([0.5, -4, 1e-3, 0], shape: [2, 2])
        let opt = try AdamW(learningRate: 0.1, betas: (0.9, 0.95), eps: 1e-8, weightDecay: 0.01)
        try opt.step([(key: "h.0.attn.c_attn.weight", tensor: w)])
        let expected: [Float] = [
            2 * 0.999 - 0.1, 2 * 0.999 + 0.1, -1 * 0.999 - 0.1 * (1e-3 / (1e-3 + 1e-8)), 3 * 0.999,
        ]
        for (a, b) in zip(w.scalars, expected) { #expect(abs(a - b) < 1e-6) }
        #expect(opt.parameterSteps == ["h.0.attn.c_attn.weight": 1])
    }

    @Test func aStepDropsTheBFloat16CopyOfTheParameter() throws {
        // The copy holds the values before the step; decoding must read the new float32 values.
        let w = try Tensor([2, 2, -1, 3], shape: [2, 2]).requiringGrad()
        try w.storeAsBFloat16()
        #expect(w.bfloat16Values != nil)
        w.grad = try Tensor([0.5, -4, 1e-3, 0], shape: [2, 2])
        try AdamW(learningRate: 0.1).step([(key: "w", tensor: w)])
        #expect(w.bfloat16Values == nil)
        #expect(w.scalars[0] < 2)
    }

    @Test func matchesPyTorchWithNoDecayBias() throws {
        let fixture = try OptimFixture.load()
        let opt = try AdamW(learningRate: 0.01, betas: (0.9, 0.95), eps: 1e-8, weightDecay: 0.1)
        #expect(try fixture.maxDifference(opt, case: "adamw") <= 1e-6)
    }

    @Test func matchesPyTorchDefaultsWhenEveryParameterDecays() throws {
        let fixture = try OptimFixture.load()
        let all = ParameterGroup(name: "all", weightDecay: 0.01) { _, _ in true }
        let opt = try AdamW(learningRate: 0.001, groups: [all])
        #expect(try fixture.maxDifference(opt, case: "adamw_defaults_all_decay") <= 1e-6)
    }

    @Test func largeTensorsSplitOverCoresGiveTheSameResult() throws {
        // 100,003 elements (not a multiple of 8) run in parallel chunks; compare with a scalar reference.
        let n = 100_003
        var rng = KalamRandom(seed: 7)
        let p0 = (0..<n).map { _ in rng.nextFloat() - 0.5 }
        let g = (0..<n).map { _ in rng.nextFloat() - 0.5 }
        let w = try Tensor(p0, shape: [n]).requiringGrad()
        let opt = try AdamW(learningRate: 0.01, betas: (0.9, 0.99), eps: 1e-8, weightDecay: 0.0)
        for _ in 0..<2 {
            w.grad = try Tensor(g, shape: [n])
            try opt.step([(key: "w", tensor: w)])
        }
        // Two identical gradients: m̂ = g, v̂ = g², so each step moves by lr · g / (|g| + ε).
        let out = w.scalars
        var worst: Float = 0
        for i in 0..<n {
            let step = 0.01 * g[i] / (abs(g[i]) + 1e-8)
            worst = max(worst, abs(out[i] - (p0[i] - 2 * step)))
        }
        #expect(worst < 1e-6)
    }

    @Test func defaultNoDecayRule() {
        let decays = ParameterGroup.defaultDecays
        #expect(decays("h.0.attn.c_attn.weight", [96, 32]))
        #expect(decays("bert.encoder.layer.0.attention.self.query.weight", [8, 8]))
        #expect(!decays("h.0.attn.c_attn.bias", [96]))
        #expect(!decays("h.0.ln_1.weight", [32]))
        #expect(!decays("encoder.block.0.layer.0.layer_norm.weight", [4, 4]))  // rank 2 still a norm by name
        #expect(!decays("bert.embeddings.LayerNorm.weight", [8]))
        #expect(!decays("wte.weight", [64, 32]))
        #expect(!decays("transformer.wpe.weight", [16, 32]))
        #expect(!decays("shared.weight", [64, 32]))
        #expect(!decays("bert.embeddings.word_embeddings.weight", [64, 32]))
        #expect(!decays("model.embed_tokens.weight", [64, 32]))
        #expect(!decays("scalar", []))
    }

    @Test func groupsOverrideDecayAndScaleTheRate() throws {
        let head = ParameterGroup(name: "head", weightDecay: 0.5, learningRateScale: 0.1) { key, _ in
            key.hasPrefix("head.")
        }
        let opt = try AdamW(learningRate: 1, weightDecay: 0.1, groups: [head])
        #expect(opt.setting(key: "head.weight", shape: [2, 2]) == (0.5, 0.1))
        #expect(opt.setting(key: "head.bias", shape: [2]) == (0.5, 0.1))
        #expect(opt.setting(key: "h.0.mlp.c_fc.weight", shape: [2, 2]) == (0.1, 1))
        #expect(opt.setting(key: "h.0.mlp.c_fc.bias", shape: [2]) == (0, 1))
    }

    @Test func tiedTensorIsUpdatedOnce() throws {
        let shared = try Tensor([1], shape: [1]).requiringGrad()
        shared.grad = try Tensor([1], shape: [1])
        let opt = try AdamW(learningRate: 0.1, weightDecay: 0)
        try opt.step([(key: "wte.weight", tensor: shared), (key: "lm_head.weight", tensor: shared)])
        #expect(abs(shared.scalars[0] - 0.9) < 1e-6)
        #expect(Array(opt.state.keys) == ["wte.weight"])
    }

    @Test func rejectsBadHyperparameters() {
        #expect(throws: OptimizerError.invalidHyperparameter(name: "beta2", value: 1, reason: "must be in [0, 1)")) {
            try AdamW(betas: (0.9, 1))
        }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "eps", value: -1, reason: "must be ≥ 0")) {
            try AdamW(eps: -1)
        }
    }
}
