import ArgumentParser
import Foundation
import KalamCore

/// `kalam bench engine`: forward + backward throughput of a GPT block stack built directly from
/// KalamCore's ops, for `Benchmarks/engine/engine_bench.py`, which runs the same model in PyTorch.
///
/// The model is nanoGPT's (and the engine parity test's): token + position embeddings, `layers` pre-norm
/// blocks (layer norm, causal multi-head attention, residual; layer norm, GELU-tanh MLP of width 4d,
/// residual), final layer norm, output head tied to the token embedding, mean cross-entropy.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Forward + backward tokens/s of a GPT block stack made of KalamCore ops (no optimizer).",
        discussion: """
            tiny: batch 16, context 128, width 128, 4 heads, 4 layers, vocab 256. small: batch 8, context \
            256, width 256, 8 heads, 4 layers, vocab 8192 (engine_bench.py's configurations; 4 layers, unlike \
            pytorch_bench.py's 6-layer small). Random weights and targets (seed 0); --warmup steps, then \
            --repeats runs of k steps (k fills about 2 s, at most 50, or --steps). sgemm: kalam bench roofline.
            """)

    /// A model and batch configuration.
    struct Config {
        let name: String, batch: Int, context: Int, width: Int, heads: Int, layers: Int, vocab: Int
        static let tiny = Config(name: "tiny", batch: 16, context: 128, width: 128, heads: 4, layers: 4, vocab: 256)
        static let small = Config(name: "small", batch: 8, context: 256, width: 256, heads: 8, layers: 4, vocab: 8192)
    }

    /// The cases.
    enum Case: String, CaseIterable, ExpressibleByArgument {
        case tiny, small
        var config: Config { self == .tiny ? .tiny : .small }
    }

    @OptionGroup var options: BenchOptions

    @Option(name: .customLong("case"), help: "tiny or small.")
    var benchCase: Case = .tiny

    @Option(help: "Timed runs.")
    var repeats = 3

    @Option(help: "Untimed steps first.")
    var warmup = 2

    @Option(help: "Steps per run (0: as many as fill about 2 s, at most 50).")
    var steps = 0

    init() {}

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard warmup >= 0, steps >= 0 else { throw ValidationError("--warmup and --steps must not be negative") }
    }

    func run() throws {
        try execute { FileHandle.standardOutput.write(Data($0.utf8)) }
    }

    /// Runs the benchmark, sending what it prints to `write`.
    func execute(write: (String) -> Void) throws {
        options.applyThreads()
        let load = BenchMachine.loadAverage()
        let c = benchCase.config
        var rng = KalamRandom(seed: 0)
        let p = Self.makeParameters(c, rng: &rng)
        let batches: [(IndexTensor, IndexTensor)] = try (0..<4).map { _ in
            let ids = (0..<(c.batch * c.context)).map { _ in Int32(rng.nextInt(below: c.vocab)) }
            let targets = (0..<(c.batch * c.context)).map { _ in Int32(rng.nextInt(below: c.vocab)) }
            return (
                try IndexTensor(ids, shape: [c.batch, c.context]),
                try IndexTensor(targets, shape: [c.batch, c.context])
            )
        }
        var index = 0
        var loss: Float = .nan
        let (runs, k) = try BenchTiming.steps(
            warmup: warmup, repeats: repeats, steps: steps, targetSeconds: 2, maxSteps: 50,
            unitsPerStep: c.batch * c.context
        ) {
            let (ids, targets) = batches[index % batches.count]
            index += 1
            for t in p.values { t.grad = nil }
            let l = try Self.loss(p, c, ids: ids, targets: targets)
            try l.backward()
            loss = try l.item()
        }
        var result = BenchResult(
            name: c.name, baseline: nil, unit: "tokens/s", runs: runs, warmup: warmup, loadAverage: load)
        result.shape = [
            ("batch", c.batch), ("ctx", c.context), ("d", c.width), ("heads", c.heads), ("layers", c.layers),
            ("vocab", c.vocab),
        ]
        result.counts = [("steps_per_run", k), ("params", p.values.reduce(0) { $0 + $1.count })]
        result.measures = [("loss", Double(loss))]
        try options.emit(result, write: write)
    }

    /// nanoGPT's parameters: N(0, 0.02) matrices, residual projections scaled by 1/√(2·layers), layer
    /// norms 1 and 0, zero biases.
    static func makeParameters(_ c: Config, rng: inout KalamRandom) -> [String: Tensor] {
        func normal(_ shape: [Int], _ std: Float) -> Tensor {
            let t = Tensor(uninitializedShape: shape)
            for j in 0..<t.count { t.data[j] = rng.nextNormal() * std }
            return t.requiringGrad()
        }
        let d = c.width
        let projStd = 0.02 / Float(2 * c.layers).squareRoot()
        var p: [String: Tensor] = [
            "wte.weight": normal([c.vocab, d], 0.02), "wpe.weight": normal([c.context, d], 0.02),
        ]
        for l in 0..<c.layers {
            let pre = "h.\(l)."
            p[pre + "ln_1.weight"] = Tensor.ones([d]).requiringGrad()
            p[pre + "ln_1.bias"] = Tensor.zeros([d]).requiringGrad()
            p[pre + "attn.c_attn.weight"] = normal([3 * d, d], 0.02)
            p[pre + "attn.c_attn.bias"] = Tensor.zeros([3 * d]).requiringGrad()
            p[pre + "attn.c_proj.weight"] = normal([d, d], projStd)
            p[pre + "attn.c_proj.bias"] = Tensor.zeros([d]).requiringGrad()
            p[pre + "ln_2.weight"] = Tensor.ones([d]).requiringGrad()
            p[pre + "ln_2.bias"] = Tensor.zeros([d]).requiringGrad()
            p[pre + "mlp.c_fc.weight"] = normal([4 * d, d], 0.02)
            p[pre + "mlp.c_fc.bias"] = Tensor.zeros([4 * d]).requiringGrad()
            p[pre + "mlp.c_proj.weight"] = normal([d, 4 * d], projStd)
            p[pre + "mlp.c_proj.bias"] = Tensor.zeros([d]).requiringGrad()
        }
        p["ln_f.weight"] = Tensor.ones([d]).requiringGrad()
        p["ln_f.bias"] = Tensor.zeros([d]).requiringGrad()
        return p
    }

    /// The mean next-token cross-entropy of the stack on `ids`.
    static func loss(_ p: [String: Tensor], _ c: Config, ids: IndexTensor, targets: IndexTensor) throws -> Tensor {
        let (b, t, d, h) = (c.batch, c.context, c.width, c.heads)
        let positions = IndexTensor((0..<Int32(t)).map { $0 })
        // [B, T, C]
        var x = try embedding(ids, weight: p["wte.weight"]!) + embedding(positions, weight: p["wpe.weight"]!)
        for l in 0..<c.layers {
            let pre = "h.\(l)."
            let a = try x.layerNorm(weight: p[pre + "ln_1.weight"], bias: p[pre + "ln_1.bias"])
            // [B, T, 3C]
            let qkv = try linear(a, weight: p[pre + "attn.c_attn.weight"]!, bias: p[pre + "attn.c_attn.bias"])
            let qkvHeads = try qkv.split([d, d, d], axis: 2).map {
                try $0.reshaped([b, t, h, d / h]).permuted([0, 2, 1, 3])  // [B, H, T, hs]
            }
            let y = try scaledDotProductAttention(
                qkvHeads[0], qkvHeads[1], qkvHeads[2], options: AttentionOptions(causal: true))
            let merged = try y.permuted([0, 2, 1, 3]).reshaped([b, t, d])  // [B, T, C]
            x = try x + linear(merged, weight: p[pre + "attn.c_proj.weight"]!, bias: p[pre + "attn.c_proj.bias"])
            let m = try x.layerNorm(weight: p[pre + "ln_2.weight"], bias: p[pre + "ln_2.bias"])
            // [B, T, 4C]
            let hidden = try linear(m, weight: p[pre + "mlp.c_fc.weight"]!, bias: p[pre + "mlp.c_fc.bias"]).geluTanh()
            x = try x + linear(hidden, weight: p[pre + "mlp.c_proj.weight"]!, bias: p[pre + "mlp.c_proj.bias"])
        }
        x = try x.layerNorm(weight: p["ln_f.weight"], bias: p["ln_f.bias"])
        let logits = try linear(x, weight: p["wte.weight"]!)  // tied head: [B, T, V]
        return try crossEntropy(logits: logits, targets: targets)
    }
}
