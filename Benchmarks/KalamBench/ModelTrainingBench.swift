import Foundation
import KalamCore
import KalamModels

/// Training-step throughput of Kalam's GPT-2, BERT (MLM) and T5 against transformers, in the same run.
///
/// For each family the configuration, batch and optimizer of `pytorch_bench.py`'s `train_hf_gpt2_tiny`,
/// `train_hf_bert_mlm` and `train_hf_t5` cases (random weights, random tokens, dropout 0, AdamW): a
/// Kalam measurement and a PyTorch measurement (`pytorch_bench.py --cases ...` run as a child process)
/// alternate `rounds` times; the report gives the medians and their ratio.
///
/// `.build/release/KalamBench models [rounds] [cases]`; `KALAM_PYTHON` (default `/tmp/ptbench/venv/bin/python`)
/// and `KALAM_PTBENCH` (default `../shared/baselines/pytorch_bench.py`, then `../../shared/...`) locate the
/// baseline. `models-profile` prints forward / backward / optimizer wall and CPU time of the GPT-2 step.
enum ModelTrainingBench {
    /// One family's case.
    struct Case {
        let name: String  // pytorch_bench.py case name
        let tokensPerStep: Int
        let makeStep: () throws -> () throws -> Void
    }

    /// AdamW as `torch.optim.AdamW` steps it (decoupled weight decay on every parameter).
    final class AdamW {
        let parameters: [Tensor]
        let lr: Float, weightDecay: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8
        var m: [[Float]], v: [[Float]]
        var t = 0

        init(_ parameters: [Tensor], lr: Float, weightDecay: Float) {
            self.parameters = parameters
            self.lr = lr
            self.weightDecay = weightDecay
            m = parameters.map { [Float](repeating: 0, count: $0.count) }
            v = m
        }

        func step() {
            t += 1
            let c1 = 1 - Foundation.pow(beta1, Float(t)), c2 = 1 - Foundation.pow(beta2, Float(t))
            for (i, p) in parameters.enumerated() {
                guard let g = p.grad?.contiguous() else { continue }
                let pp = p.data, gp = g.data
                m[i].withUnsafeMutableBufferPointer { mb in
                    v[i].withUnsafeMutableBufferPointer { vb in
                        for j in 0..<p.count {
                            let gj = gp[j]
                            mb[j] = beta1 * mb[j] + (1 - beta1) * gj
                            vb[j] = beta2 * vb[j] + (1 - beta2) * gj * gj
                            pp[j] -= lr * weightDecay * pp[j]
                            pp[j] -= lr * (mb[j] / c1) / ((vb[j] / c2).squareRoot() + eps)
                        }
                    }
                }
            }
        }
    }

    static func randomIDs(_ rng: inout KalamRandom, _ shape: [Int], low: Int = 0, high: Int) throws -> IndexTensor {
        try IndexTensor(
            (0..<(shape[0] * shape[1])).map { _ in Int32(low + rng.nextInt(below: high - low)) }, shape: shape)
    }

    static func trainStep<M: PretrainedModel>(
        _ model: M, lr: Float, wd: Float, _ loss: @escaping () throws -> Tensor
    ) -> () throws -> Void {
        model.train()
        let optimizer = AdamW(model.namedParameters().map(\.tensor), lr: lr, weightDecay: wd)
        return {
            let l = try loss()
            try l.backward()
            optimizer.step()
            model.zeroGrad()
        }
    }

    static let cases: [Case] = [
        Case(name: "train_hf_gpt2_tiny", tokensPerStep: 16 * 128) {
            let config = GPT2Config(
                vocabSize: 256, nPositions: 128, nEmbd: 128, nLayer: 4, nHead: 4,
                residPdrop: 0, embdPdrop: 0, attnPdrop: 0, bosTokenId: 0, eosTokenId: 0)
            let model = try GPT2LMHeadModel(config: config, seed: 0)
            var rng = KalamRandom(seed: 0)
            let batches = try (0..<4).map { _ in try randomIDs(&rng, [16, 128], high: 256) }
            var i = 0
            return trainStep(model, lr: 3e-4, wd: 0.1) {
                defer { i += 1 }
                let x = batches[i % batches.count]
                return try model(inputIds: x, labels: x).loss!
            }
        },
        Case(name: "train_hf_bert_mlm", tokensPerStep: 16 * 128) {
            let config = BertConfig(
                vocabSize: 8192, hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4,
                intermediateSize: 1024, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
                maxPositionEmbeddings: 512, padTokenId: 0)
            let model = try BertForMaskedLM(config: config, seed: 0)
            var rng = KalamRandom(seed: 0)
            var batches: [(IndexTensor, IndexTensor)] = []
            for _ in 0..<4 {
                let ids = try randomIDs(&rng, [16, 128], low: 5, high: 8192)
                var input = ids.values, labels = [Int32](repeating: -100, count: ids.count)
                for j in 0..<ids.count where rng.nextFloat() < 0.15 {
                    labels[j] = input[j]
                    input[j] = 4
                }
                batches.append((try IndexTensor(input, shape: [16, 128]), try IndexTensor(labels, shape: [16, 128])))
            }
            var i = 0
            return trainStep(model, lr: 1e-4, wd: 0.01) {
                defer { i += 1 }
                let (x, y) = batches[i % batches.count]
                return try model(inputIds: x, labels: y).loss!
            }
        },
        Case(name: "train_hf_t5", tokensPerStep: 8 * (128 + 64)) {
            let config = T5Config(
                vocabSize: 8192, dModel: 256, dKv: 64, dFf: 1024, numLayers: 4, numDecoderLayers: 4,
                numHeads: 4, dropoutRate: 0, padTokenId: 0, eosTokenId: 1, decoderStartTokenId: 0)
            let model = try T5ForConditionalGeneration(config: config, seed: 0)
            var rng = KalamRandom(seed: 0)
            let batches = try (0..<4).map { _ in
                (try randomIDs(&rng, [8, 128], low: 2, high: 8192), try randomIDs(&rng, [8, 64], low: 2, high: 8192))
            }
            var i = 0
            return trainStep(model, lr: 3e-4, wd: 0.01) {
                defer { i += 1 }
                let (x, y) = batches[i % batches.count]
                return try model(inputIds: x, labels: y).loss!
            }
        },
    ]

    /// pytorch_bench.py's timing: 3 warm-up steps, then 5 repetitions of k steps (k so that one takes
    /// ~2 s); tokens/s of each repetition, median.
    static func measureKalam(_ c: Case) throws -> Double {
        let step = try c.makeStep()
        var last = 0.0
        for _ in 0..<3 {
            let t0 = Date()
            try step()
            last = Date().timeIntervalSince(t0)
        }
        let k = max(1, min(200, Int((2.0 / max(last, 1e-6)).rounded())))
        var rates: [Double] = []
        for _ in 0..<5 {
            let t0 = Date()
            for _ in 0..<k { try step() }
            rates.append(Double(k * c.tokensPerStep) / Date().timeIntervalSince(t0))
        }
        return median(rates)
    }

    /// Runs `pytorch_bench.py --cases NAME` (2 threads, no waiting for a quiet machine) and reads its median.
    static func measurePyTorch(_ c: Case) throws -> Double? {
        let env = ProcessInfo.processInfo.environment
        let python = env["KALAM_PYTHON"] ?? "/tmp/ptbench/venv/bin/python"
        let candidates = [
            env["KALAM_PTBENCH"], "../shared/baselines/pytorch_bench.py", "../../shared/baselines/pytorch_bench.py",
        ]
        guard FileManager.default.fileExists(atPath: python),
            let script = candidates.compactMap({ $0 }).first(where: { FileManager.default.fileExists(atPath: $0) })
        else { return nil }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kalam-ptbench-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--cases", c.name, "--threads", "2", "--wait-quiet", "0", "--json", out.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard let data = try? Data(contentsOf: out),
            let root = try? JSONSerialization.jsonObject(with: data)
        else { return nil }
        return findMedian(root)
    }

    /// The first `"median"` number in pytorch_bench.py's JSON.
    static func findMedian(_ value: Any) -> Double? {
        if let dict = value as? [String: Any] {
            if let m = dict["median"] as? Double { return m }
            for key in dict.keys.sorted() { if let m = findMedian(dict[key]!) { return m } }
        } else if let list = value as? [Any] {
            for item in list { if let m = findMedian(item) { return m } }
        }
        return nil
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }

    /// Wall and process CPU time of forward, backward and optimizer for each case (diagnostics).
    static func profile() throws {
        func cpu() -> Double {
            var u = rusage()
            getrusage(RUSAGE_SELF.rawValue, &u)
            return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(
                u.ru_stime.tv_usec) / 1e6
        }
        let config = GPT2Config(
            vocabSize: 256, nPositions: 128, nEmbd: 128, nLayer: 4, nHead: 4,
            residPdrop: 0, embdPdrop: 0, attnPdrop: 0, bosTokenId: 0, eosTokenId: 0)
        let model = try GPT2LMHeadModel(config: config, seed: 0)
        var rng = KalamRandom(seed: 0)
        let x = try randomIDs(&rng, [16, 128], high: 256)
        let opt = AdamW(model.namedParameters().map(\.tensor), lr: 3e-4, weightDecay: 0.1)
        for _ in 0..<5 {
            let c0 = cpu(), t0 = Date()
            let loss = try model(inputIds: x, labels: x).loss!
            let c1 = cpu(), t1 = Date()
            try loss.backward()
            let c2 = cpu(), t2 = Date()
            opt.step()
            model.zeroGrad()
            let c3 = cpu(), t3 = Date()
            print(
                String(
                    format: "gpt2 fwd %.3f/%.3f  bwd %.3f/%.3f  opt %.3f/%.3f (wall/cpu s)", t1.timeIntervalSince(t0),
                    c1 - c0,
                    t2.timeIntervalSince(t1), c2 - c1, t3.timeIntervalSince(t2), c3 - c2))
        }
    }

    /// Alternates Kalam and PyTorch `rounds` times per case and prints medians and ratios.
    static func run(rounds: Int, only: Set<String>) throws {
        print("case                  kalam tok/s   torch tok/s   ratio (kalam/torch)")
        for c in cases where only.isEmpty || only.contains(c.name) {
            var kalam: [Double] = [], torch: [Double] = []
            for _ in 0..<rounds {
                kalam.append(try measureKalam(c))
                if let t = try measurePyTorch(c) { torch.append(t) }
            }
            let k = median(kalam), t = median(torch)
            let ratio = torch.isEmpty ? "n/a (baseline not found)" : String(format: "%.2f", k / t)
            print(
                String(
                    format: "%-20@  %11.0f   %11.0f   %@", c.name as NSString, k, torch.isEmpty ? .nan : t,
                    ratio as NSString))
            print("  kalam runs: \(kalam.map { Int($0) }), torch runs: \(torch.map { Int($0) })")
        }
    }
}
