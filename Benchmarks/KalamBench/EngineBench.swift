import Foundation
import KalamCore

/// Forward + backward throughput of a GPT block stack built directly from KalamCore ops, and sgemm
/// GFLOP/s of the BLAS path; each result is printed as one JSON line for Benchmarks/engine/engine_bench.py.
///
/// The model is nanoGPT's (and the engine parity test's): token + position embeddings, `layers` pre-norm
/// blocks (layer norm, causal multi-head attention, residual; layer norm, GELU-tanh MLP of width 4d,
/// residual), final layer norm, output head tied to the token embedding, mean cross-entropy.
enum EngineBench {
    /// A model and batch configuration.
    struct Config {
        let name: String, batch: Int, context: Int, width: Int, heads: Int, layers: Int, vocab: Int
        static let tiny = Config(name: "tiny", batch: 16, context: 128, width: 128, heads: 4, layers: 4, vocab: 256)
        static let small = Config(name: "small", batch: 8, context: 256, width: 256, heads: 8, layers: 4, vocab: 8192)
    }

    static func main(_ args: [String]) throws {
        var options: [String: String] = [:]
        var i = 0
        while i + 1 < args.count, args[i].hasPrefix("--") {
            options[String(args[i].dropFirst(2))] = args[i + 1]
            i += 2
        }
        let reps = Int(options["reps"] ?? "") ?? 3
        let warmup = Int(options["warmup"] ?? "") ?? 2
        let steps = Int(options["steps"] ?? "") ?? 0  // 0: choose so that a rep takes about 2 s
        switch options["case"] ?? "tiny" {
        case "tiny": try train(.tiny, reps: reps, warmup: warmup, steps: steps)
        case "small": try train(.small, reps: reps, warmup: warmup, steps: steps)
        case "sgemm":
            sgemm(m: 2048, k: 2048, n: 2048, reps: reps)
            sgemm(m: 2048, k: 128, n: 512, reps: reps)
        case let other: throw BenchError.unknownCase(other)
        }
    }

    enum BenchError: Error { case unknownCase(String) }

    static func emit(_ label: String, unit: String, values: [Double], extra: String = "") {
        let list = values.map { String(format: "%.3f", $0) }.joined(separator: ", ")
        print("{\"label\": \"\(label)\", \"unit\": \"\(unit)\", \"values\": [\(list)]\(extra)}")
    }

    // MARK: - Training step (forward + backward)

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

    static func train(_ c: Config, reps: Int, warmup: Int, steps: Int) throws {
        var rng = KalamRandom(seed: 0)
        let p = makeParameters(c, rng: &rng)
        let batches: [(IndexTensor, IndexTensor)] = try (0..<4).map { _ in
            let ids = (0..<(c.batch * c.context)).map { _ in Int32(rng.nextInt(below: c.vocab)) }
            let targets = (0..<(c.batch * c.context)).map { _ in Int32(rng.nextInt(below: c.vocab)) }
            return (
                try IndexTensor(ids, shape: [c.batch, c.context]),
                try IndexTensor(targets, shape: [c.batch, c.context])
            )
        }
        var index = 0
        func step() throws {
            let (ids, targets) = batches[index % batches.count]
            index += 1
            for t in p.values { t.grad = nil }
            try loss(p, c, ids: ids, targets: targets).backward()
        }
        var last = 0.0
        for _ in 0..<max(1, warmup) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try step()
            last = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        let k = steps > 0 ? steps : max(1, min(50, Int((2.0 / max(last, 1e-6)).rounded())))
        let tokens = Double(c.batch * c.context)
        var values: [Double] = []
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<k { try step() }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            values.append(Double(k) * tokens / dt)
        }
        emit("fwd+bwd \(c.name)", unit: "tok/s", values: values, extra: ", \"steps_per_rep\": \(k)")
    }

    // MARK: - sgemm

    static func sgemm(m: Int, k: Int, n: Int, reps: Int) {
        var rng = KalamRandom(seed: 1)
        let a = Tensor(uninitializedShape: [m, k]), b = Tensor(uninitializedShape: [k, n])
        for j in 0..<a.count { a.data[j] = rng.nextNormal() }
        for j in 0..<b.count { b.data[j] = rng.nextNormal() }
        let c = Tensor(uninitializedShape: [m, n])
        BLAS.setThreads(Parallel.threads)
        func call() {
            BLAS.sgemm(
                transA: false, transB: false, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, c: c.data, ldc: n)
        }
        for _ in 0..<3 { call() }
        // Calibrate iterations so that one rep takes about 0.3 s (as pytorch_bench.py does).
        var iterations = 1
        var dt = 0.0
        while true {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations { call() }
            dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if dt >= 0.15 || iterations >= 1 << 16 { break }
            iterations *= 2
        }
        iterations = max(1, Int((Double(iterations) * 0.3 / dt).rounded()))
        let flop = 2.0 * Double(m) * Double(k) * Double(n)
        var values: [Double] = []
        for _ in 0..<max(reps, 5) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations { call() }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            values.append(flop * Double(iterations) / elapsed / 1e9)
        }
        emit("sgemm \(m)x\(k)x\(n)", unit: "GFLOP/s", values: values)
    }
}
