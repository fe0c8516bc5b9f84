import Foundation
import KalamCore
import Testing

@testable import KalamNN

/// A two-block toy model with Hugging Face-style keys, tied head and optional parts.
final class ToyBlock: Module {
    @Child(key: "ln_1") var norm: LayerNorm
    @Child(key: "mlp") var feedForward: FeedForward
    init(rng: inout KalamRandom) {
        super.init()
        _norm.wrappedValue = LayerNorm(4)
        _feedForward.wrappedValue = FeedForward(dimension: 4, hidden: 8, rng: &rng)
    }
}

final class ToyModel: Module {
    @Child var wte: Embedding
    @Child(key: "h") var blocks: [ToyBlock]
    @Child(key: "lm_head") var head: Linear
    @Child var pooler: Linear?
    init(seed: UInt64) {
        var rng = KalamRandom(seed: seed)
        let wte = Embedding(10, 4, rng: &rng)
        self.wte = wte
        super.init()
        _blocks.wrappedValue = [ToyBlock(rng: &rng), ToyBlock(rng: &rng)]
        let head = Linear(4, 10, bias: false, rng: &rng)
        head.weight = wte.weight  // tied
        _head.wrappedValue = head
        _pooler.wrappedValue = nil
    }
    override var tiedKeyAliases: [String: String] { ["lm_head.weight": "wte.weight"] }
}

@Suite struct ModuleTests {
    @Test func keysFollowDeclarationOrderAndTiesAreListedOnce() {
        let model = ToyModel(seed: 1)
        let keys = model.namedParameters().map(\.key)
        #expect(
            keys == [
                "wte.weight",
                "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.mlp.fc1.weight", "h.0.mlp.fc1.bias", "h.0.mlp.fc2.weight",
                "h.0.mlp.fc2.bias",
                "h.1.ln_1.weight", "h.1.ln_1.bias", "h.1.mlp.fc1.weight", "h.1.mlp.fc1.bias", "h.1.mlp.fc2.weight",
                "h.1.mlp.fc2.bias",
            ])
        #expect(model.parameterCount == 40 + 2 * (4 + 4 + 32 + 8 + 32 + 4))
    }

    @Test func freezeByPrefix() {
        let model = ToyModel(seed: 1)
        #expect(model.freeze(prefix: "h.0") == 6)
        #expect(model.trainableParameterCount == model.parameterCount - 84)
        #expect(model.freeze(prefix: "h.1.mlp") == 4)
        model.unfreeze()
        #expect(model.trainableParameterCount == model.parameterCount)
    }

    @Test func sameSeedSameWeights() {
        #expect(ToyModel(seed: 3).stateDict().map(\.values) == ToyModel(seed: 3).stateDict().map(\.values))
        #expect(ToyModel(seed: 3).stateDict().map(\.values) != ToyModel(seed: 4).stateDict().map(\.values))
    }

    @Test func saveAndLoadRoundTripStrictly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-module-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        let a = ToyModel(seed: 1), b = ToyModel(seed: 2)
        try a.saveParameters(to: url)
        try b.load(contentsOf: url)
        #expect(a.stateDict().map(\.values) == b.stateDict().map(\.values))

        // A checkpoint with the tied alias also present loads (the alias is checked and skipped).
        let withAlias =
            a.stateDict().map { SafeTensors.TensorData.float32(name: $0.key, shape: $0.shape, values: $0.values) }
            + [
                SafeTensors.TensorData.float32(
                    name: "lm_head.weight", shape: [10, 4], values: [Float](repeating: 0, count: 40))
            ]
        try SafeTensors.write(tensors: withAlias, to: url)
        try b.load(contentsOf: url)

        // Missing, unexpected and misshapen keys are named.
        var entries = a.stateDict().map {
            SafeTensors.TensorData.float32(name: $0.key, shape: $0.shape, values: $0.values)
        }
        try SafeTensors.write(tensors: Array(entries.dropFirst()), to: url)
        #expect(throws: ModuleError.missingKey("wte.weight")) { try b.load(contentsOf: url) }
        try SafeTensors.write(tensors: entries + [.float32(name: "extra.weight", shape: [1], values: [0])], to: url)
        #expect(throws: ModuleError.unexpectedKey("extra.weight")) { try b.load(contentsOf: url) }
        entries[1] = .float32(name: "h.0.ln_1.weight", shape: [5], values: [0, 0, 0, 0, 0])
        try SafeTensors.write(tensors: entries, to: url)
        #expect(throws: ModuleError.shapeMismatch(key: "h.0.ln_1.weight", expected: [4], found: [5])) {
            try b.load(contentsOf: url)
        }
        // Nothing was changed by the failed loads.
        #expect(a.stateDict().map(\.values) == b.stateDict().map(\.values))
    }

    @Test func dropoutFollowsModeAndSeed() throws {
        let x = Tensor.ones([64])
        let d1 = Dropout(0.5, source: RandomSource(seed: 9)), d2 = Dropout(0.5, source: RandomSource(seed: 9))
        let y1 = try d1(x).scalars, y2 = try d2(x).scalars
        #expect(y1 == y2)
        #expect(Set(y1) == [0, 2])
        d1.eval()
        #expect(try d1(x).scalars == x.scalars)
    }

    @Test func kvCachedAttentionEqualsFullAttention() throws {
        var rng = KalamRandom(seed: 5)
        let attention = MultiHeadAttention(dimension: 8, heads: 2, rng: &rng)
        attention.eval()
        let x = Tensor(uninitializedShape: [2, 5, 8])
        rng.fillNormal(UnsafeMutableBufferPointer(start: x.data, count: x.count))
        let full = try attention(x, causal: true).scalars
        let cache = KVCache(layerCount: 1)
        var steps: [Tensor] = []
        for t in 0..<5 { steps.append(try attention(try x.slice(axis: 1, t..<(t + 1)), causal: true, cache: cache)) }
        let incremental = try concat(steps, axis: 1).scalars
        #expect(zip(full, incremental).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(cache.length == 5)
    }

    final class ScaledLinear: Linear {
        override func callAsFunction(_ x: Tensor) throws -> Tensor { try super.callAsFunction(x) * 2 }
    }

    @Test func replaceByKeyPathKeepsKeysAndChecksTypes() throws {
        let model = ToyModel(seed: 1)
        var rng = KalamRandom(seed: 2)
        let wrapped = ScaledLinear(4, 8, rng: &rng)
        try model.replace("h.1.mlp.fc1", with: wrapped)
        #expect(model.blocks[1].feedForward.up === wrapped)
        #expect(model.module(at: "h.1.mlp.fc1") === wrapped)
        #expect(model.namedParameters().map(\.key).contains("h.1.mlp.fc1.weight"))
        let x = Tensor.ones([1, 4])
        let plain = try linear(x, weight: wrapped.weight, bias: wrapped.bias).scalars
        #expect(try model.blocks[1].feedForward.up(x).scalars == plain.map { $0 * 2 })
        // An array element and an optional child are slots too.
        let block = ToyBlock(rng: &rng)
        try model.replace("h.0", with: block)
        #expect(model.blocks[0] === block)
        #expect(throws: ModuleError.noSuchModule("h.2.mlp")) { try model.replace("h.2.mlp", with: wrapped) }
        #expect(
            throws: ModuleError.incompatibleReplacement(key: "h.1.ln_1", expected: "LayerNorm", found: "ScaledLinear")
        ) {
            try model.replace("h.1.ln_1", with: wrapped)
        }
    }

    @Test func parameterGroupsAndLayerIndices() {
        let model = ToyModel(seed: 1)
        let groups = model.parameterGroups([ParameterGroup(name: "first block") { key, _ in key.hasPrefix("h.0.") }])
        #expect(groups.map(\.name) == ["first block", "decay", "no_decay"])
        #expect(groups[0].parameters.count == 6)
        #expect(groups[1].parameters.map(\.key) == ["h.1.mlp.fc1.weight", "h.1.mlp.fc2.weight"])
        #expect(groups[2].parameters.map(\.key).first == "wte.weight")
        #expect(Module.layerIndex(of: "bert.encoder.layer.3.output.dense.weight") == 3)
        #expect(Module.layerIndex(of: "transformer.h.0.attn.c_attn.weight") == 0)
        #expect(Module.layerIndex(of: "decoder.block.2.layer.0.SelfAttention.q.weight") == 2)
        #expect(Module.layerIndex(of: "transformer.wte.weight") == nil)
    }
}
