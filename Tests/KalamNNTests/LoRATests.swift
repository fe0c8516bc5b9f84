import KalamCore
import Testing

@testable import KalamNN

/// A two-layer module whose layers LoRA and adapters can wrap.
private final class TwoLayers: Module {
    @Child(key: "query") var query: Linear
    @Child(key: "value") var value: Linear

    init(rng: inout KalamRandom) {
        super.init()
        _query.wrappedValue = Linear(3, 4, rng: &rng)
        _value.wrappedValue = Linear(4, 2, initializer: .normal(std: 0.5), rng: &rng)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor { try value(query(x)) }
}

/// A module with GPT-2's `[in, out]` layer.
private final class FusedProjection: Module {
    @Child(key: "c_attn") var cAttn: Conv1D

    init(rng: inout KalamRandom) {
        super.init()
        _cAttn.wrappedValue = Conv1D(3, 4, initializer: .normal(std: 0.6), rng: &rng)
    }
}

@Suite struct LoRATests {
    let source = RandomSource(seed: 5)

    func input() throws -> Tensor { try Tensor([0.5, -1, 2, 1.5, 0.25, -0.75], shape: [2, 3]) }

    @Test func startsAsTheBaseLayerAndAddsScaledBA() throws {
        var rng = KalamRandom(seed: 1)
        let base = Linear(3, 2, initializer: .normal(std: 0.7), rng: &rng)
        let baseOut = try base(input()).scalars
        let lora = LoRALinear(wrapping: base, rank: 2, alpha: 6, source: source, rng: &rng)
        #expect(lora.scaling == 3)
        #expect(try lora(input()).scalars == baseOut)  // B = 0
        #expect(lora.weight === base.weight && lora.bias === base.bias)
        #expect(!lora.weight.requiresGrad && lora.loraA.weight.requiresGrad && lora.loraB.weight.requiresGrad)
        // A drawn uniform in ±1/√in, as PEFT's kaiming_uniform(a = √5).
        #expect(lora.loraA.weight.scalars.allSatisfy { abs($0) <= 1 / Float(3).squareRoot() })
        let b: [Float] = [0.5, -1, 2, 0.25]  // [out 2, r 2]
        for i in 0..<4 { lora.loraB.weight.data[i] = b[i] }
        let a = lora.loraA.weight.scalars, w = base.weight.scalars, x = try input().scalars
        var expected: [Float] = []
        for row in 0..<2 {
            for o in 0..<2 {
                var y = base.bias!.scalars[o]
                for i in 0..<3 { y += w[o * 3 + i] * x[row * 3 + i] }
                for r in 0..<2 {
                    var ax: Float = 0
                    for i in 0..<3 { ax += a[r * 3 + i] * x[row * 3 + i] }
                    y += 3 * b[o * 2 + r] * ax
                }
                expected.append(y)
            }
        }
        let out = try lora(input()).scalars
        for (u, v) in zip(out, expected) { #expect(abs(u - v) < 1e-5) }
        // Merged: one product, the same values; unmerged: the base weight back.
        let original = base.weight.scalars
        try lora.merge()
        #expect(lora.isMerged)
        for (u, v) in zip(try lora(input()).scalars, expected) { #expect(abs(u - v) < 1e-5) }
        try lora.unmerge()
        for (u, v) in zip(base.weight.scalars, original) { #expect(abs(u - v) < 1e-6) }
    }

    @Test func gradientsReachOnlyTheLowRankMatrices() throws {
        var rng = KalamRandom(seed: 2)
        let model = TwoLayers(rng: &rng)
        model.freeze()
        let wrapped = try model.injectLoRA(
            LoRASettings(rank: 2, alpha: 4, dropout: 0, targets: ["query"]), source: source, rng: &rng)
        #expect(wrapped == ["query"])
        #expect(model.module(at: "query") is LoRALinear)
        #expect(
            model.trainableParameters().map(\.key) == ["query.lora_A.weight", "query.lora_B.weight"])
        #expect(model.namedParameters().map(\.key).contains("query.weight"))
        try model(input()).sum().backward()
        let lora = try #require(model.query as? LoRALinear)
        #expect(model.query.weight.grad == nil && model.value.weight.grad == nil)
        #expect(lora.loraA.weight.grad == nil || lora.loraA.weight.grad!.scalars.allSatisfy { $0 == 0 })
        #expect(lora.loraB.weight.grad!.scalars.contains { $0 != 0 })
    }

    @Test func targetsFollowPEFTsSuffixRuleAndBadSettingsAreErrors() throws {
        var rng = KalamRandom(seed: 3)
        let model = TwoLayers(rng: &rng)
        #expect(throws: ModuleError.noMatchingModule("key")) {
            try model.injectLoRA(LoRASettings(targets: ["key"]), source: source, rng: &rng)
        }
        #expect(throws: ModuleError.invalidSetting(name: "LoRA rank", reason: "0 must be at least 1")) {
            try model.injectLoRA(LoRASettings(rank: 0), source: source, rng: &rng)
        }
        #expect(throws: ModuleError.invalidSetting(name: "LoRA dropout", reason: "1.0 must be in [0, 1)")) {
            try model.injectLoRA(LoRASettings(dropout: 1), source: source, rng: &rng)
        }
        #expect(LoRASettings(targets: ["query"]).matches("bert.encoder.layer.0.attention.self.query"))
        #expect(!LoRASettings(targets: ["query"]).matches("bert.encoder.layer.0.attention.self.myquery"))
        // Both layers wrapped, then merged into plain products.
        try model.injectLoRA(LoRASettings(rank: 2, targets: ["query", "value"]), source: source, rng: &rng)
        #expect(try model.mergeLoRA() == 2)
    }

    @Test func anAdapterStartsAsTheIdentityAndTrainsAlone() throws {
        var rng = KalamRandom(seed: 4)
        let model = TwoLayers(rng: &rng)
        let before = try model(input()).scalars
        model.freeze()
        try model.injectAdapters(at: ["query"], size: 2, rng: &rng)
        #expect(try model(input()).scalars == before)
        #expect(
            model.trainableParameters().map(\.key) == [
                "query.adapter.down.weight", "query.adapter.down.bias", "query.adapter.up.weight",
                "query.adapter.up.bias",
            ])
        #expect(throws: ModuleError.noSuchModule("nothing")) {
            try model.injectAdapters(at: ["nothing"], size: 2, rng: &rng)
        }
        #expect(throws: ModuleError.invalidSetting(name: "adapter size", reason: "0 must be at least 1")) {
            try model.injectAdapters(at: ["value"], size: 0, rng: &rng)
        }
    }

    @Test func loraOnAConv1DAddsTheSameUpdateAsOnTheLinearLayerItTransposes() throws {
        var rng = KalamRandom(seed: 6)
        let model = FusedProjection(rng: &rng)
        let w = model.cAttn.weight.scalars  // [in 3, out 4]
        let linear = try Linear(
            weight: Tensor((0..<4).flatMap { o in (0..<3).map { i in w[i * 4 + o] } }, shape: [4, 3]),
            bias: model.cAttn.bias)
        var a = KalamRandom(seed: 9), b = KalamRandom(seed: 9)
        let settings = LoRASettings(rank: 2, alpha: 4, dropout: 0, targets: ["c_attn"])
        #expect(try model.injectLoRA(settings, source: source, rng: &a) == ["c_attn"])
        let lora = try #require(model.cAttn as? LoRAConv1D)
        let reference = LoRALinear(wrapping: linear, rank: 2, alpha: 4, source: source, rng: &b)
        #expect(lora.loraA.weight.scalars == reference.loraA.weight.scalars)
        #expect(lora.loraA.weight.shape == [2, 3] && lora.loraB.weight.shape == [4, 2])
        for i in 0..<8 {
            (lora.loraB.weight.data[i], reference.loraB.weight.data[i]) = (Float(i) - 3.5, Float(i) - 3.5)
        }
        let expected = try reference(input()).scalars
        let out = try lora(input()).scalars
        for (u, v) in zip(out, expected) { #expect(abs(u - v) < 1e-5) }
        #expect(!lora.weight.requiresGrad && lora.loraB.weight.requiresGrad)
        // Merged and unloaded: a plain Conv1D under the old key giving the same outputs.
        #expect(try model.mergeAndUnloadLoRA() == 1)
        #expect(!(model.cAttn is LoRAConv1D))
        for (u, v) in zip(try model.cAttn(input()).scalars, expected) { #expect(abs(u - v) < 1e-5) }
        #expect(model.namedParameters().map(\.key) == ["c_attn.weight", "c_attn.bias"])
    }
}
