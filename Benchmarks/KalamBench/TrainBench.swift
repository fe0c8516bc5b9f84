import Foundation
import KalamCore
import KalamModels
import KalamTraining

#if canImport(Glibc)
    import Glibc
#endif

/// `KalamBench train --case tiny|small [--reps N] [--target-rep-s S] [--warmup N]`: whole training
/// steps of the `Trainer` (forward, backward, clipping, AdamW, schedule) on a GPT-2 of the shapes of
/// pytorch_bench.py's `train_nanogpt_tiny` / `train_nanogpt_small`, on random tokens, timed as that
/// script times them (warm-up, then reps of k steps with k chosen for ~target seconds per rep).
/// Prints one JSON object: tokens/s per rep, the median, and peak RSS (ru_maxrss) in MB.
enum TrainBench {
    static let cases = ["tiny", "small"]

    static func run(_ arguments: [String]) throws {
        var options: [String: String] = [:]
        var i = 0
        while i + 1 < arguments.count {
            options[arguments[i]] = arguments[i + 1]
            i += 2
        }
        let name = options["--case"] ?? "tiny"
        let reps = Int(options["--reps"] ?? "") ?? 5
        let warmup = Int(options["--warmup"] ?? "") ?? 3
        let target = Double(options["--target-rep-s"] ?? "") ?? 2
        let (vocab, batch): (Int, Int)
        let preset: GPT2Preset
        switch name {
        case "tiny": (vocab, batch, preset) = (256, 16, .tiny)
        case "small": (vocab, batch, preset) = (8192, 8, .small)
        default:
            print("unknown case \(name); cases: \(cases.joined(separator: ", "))")
            return
        }
        var config = preset.config(vocabularySize: vocab, endOfText: nil)
        config.tieWordEmbeddings = true
        let ctx = config.nPositions
        let model = try GPT2LMHeadModel(config: config, seed: 0)
        // Four batches of random tokens, as the PyTorch case uses.
        var rng = KalamRandom(seed: 0)
        let stream = (0..<(4 * batch * ctx + 1)).map { _ in Int32(rng.nextInt(below: vocab)) }
        let blocks = try PackedBlocks(documents: [stream], packing: BlockPacking(contextLength: ctx))
        var options0 = TrainerConfiguration(steps: 1_000_000, batchSize: batch)
        options0.learningRate = 3e-4
        options0.warmupSteps = 0
        options0.logEvery = 1_000_000
        let trainer = try Trainer(
            model: model, objective: CausalLMObjective(model: model), train: blocks,
            validation: nil, configuration: options0)
        var done = 0
        var start = Date()
        for _ in 0..<warmup {
            start = Date()
            done += 1
            _ = try trainer.run(stopAfter: done)
        }
        let last = Date().timeIntervalSince(start)
        let k = max(1, min(200, Int((target / max(last, 1e-6)).rounded())))
        var values: [Double] = []
        for _ in 0..<reps {
            let t0 = Date()
            done += k
            _ = try trainer.run(stopAfter: done)
            values.append(Double(k * batch * ctx) / Date().timeIntervalSince(t0))
        }
        let median = values.sorted()[values.count / 2]
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let maxrss = Double(usage.ru_maxrss) / 1024
        print(
            "{\"case\": \"\(name)\", \"unit\": \"tok/s\", \"median\": \(median), \"reps\": \(values), \"steps_per_rep\": \(k), "
                + "\"params\": \(model.parameterCount), \"maxrss_mb\": \(maxrss)}")
    }
}
