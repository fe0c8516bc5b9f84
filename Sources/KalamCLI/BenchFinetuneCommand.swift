import ArgumentParser
import Foundation
import KalamCore
import KalamModels
import KalamTraining

/// `kalam bench finetune`: fine-tuning steps per second, in examples/s, per adaptation mode.
struct BenchFinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tuning throughput (examples/s) of a MiniLM-shaped BERT classifier per adaptation mode.",
        discussion: """
            BertForSequenceClassification with all-MiniLM-L6-v2's shapes (vocab 30522, hidden 384, 6 layers, \
            12 heads, intermediate 1536) and 5 labels, random weights (seed 0), random ids, batch 16 of 128 \
            tokens, dropout on; one step is KalamTraining's Trainer step (forward, cross-entropy, backward, \
            AdamW with betas 0.9/0.999, weight decay 0.01, lr 1e-4, clipping to norm 1). Modes: full, frozen \
            (pooler + classifier), lora (rank 8, alpha 16, dropout 0.1 on query and value), adapter (Houlsby, \
            width 64). Benchmarks/finetune/finetune_bench.py times the same steps in transformers (+ peft for \
            LoRA) and alternates the two.
            """)

    @OptionGroup var options: BenchOptions

    @Option(help: "full, frozen, lora or adapter.")
    var mode: String = "full"

    @Option(help: "Timed runs.")
    var repeats = 5

    @Option(help: "Warm-up steps before the runs.")
    var warmup = 2

    @Option(help: "Steps per run (0: as many as fill --target-seconds).")
    var steps = 0

    @Option(name: .customLong("target-seconds"), help: "Seconds a run should take.")
    var targetSeconds = 2.0

    @Option(name: .customLong("batch-size"), help: "Examples per step.")
    var batchSize = 16

    @Option(help: "Tokens per example.")
    var length = 128

    init() {}

    func validate() throws {
        guard repeats >= 1, batchSize >= 1, length >= 2, length <= 512 else {
            throw ValidationError("--repeats and --batch-size must be at least 1, --length in 2...512")
        }
        guard ["full", "frozen", "lora", "adapter"].contains(mode) else {
            throw ValidationError("--mode must be full, frozen, lora or adapter")
        }
    }

    func run() throws {
        try execute { FileHandle.standardOutput.write(Data($0.utf8)) }
    }

    func execute(write: (String) -> Void) throws {
        options.applyThreads()
        let load = BenchMachine.loadAverage()
        var config = BertConfig(
            vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536)
        config.setLabels(["a", "b", "c", "d", "e"])
        let model = try BertForSequenceClassification(config: config, seed: 0)
        let report = try Adaptation.apply(try AdaptationMode(parsing: mode), to: model, seed: 0)
        var rng = KalamRandom(seed: 1)
        let examples = (0..<(4 * batchSize)).map { _ in
            ClassificationExample(
                ids: (0..<length).map { _ in Int32(1 + rng.nextInt(below: 30521)) }, label: Int32(rng.nextInt(below: 5))
            )
        }
        var settings = TrainerConfiguration(steps: 1_000_000, batchSize: batchSize)
        (settings.learningRate, settings.weightDecay, settings.beta2, settings.warmupSteps) = (1e-4, 0.01, 0.999, 0)
        let trainer = try Trainer(
            model: model, objective: SequenceClassificationObjective(model: model),
            data: try ExampleBatches(examples: examples, batchSize: batchSize, seed: 0, padTokenId: 0), validation: nil,
            configuration: settings)
        var taken = 0
        let (runs, k) = try BenchTiming.steps(
            warmup: warmup, repeats: repeats, steps: steps, targetSeconds: targetSeconds, unitsPerStep: batchSize
        ) {
            taken += 1
            _ = try trainer.run(stopAfter: taken)
        }
        var result = BenchResult(
            name: "finetune_\(mode)", baseline: "finetune_\(mode)", unit: "examples/s", runs: runs, warmup: warmup,
            loadAverage: load)
        result.shape = [
            ("vocab", 30522), ("hidden", 384), ("layers", 6), ("heads", 12), ("inter", 1536), ("seq", length),
            ("batch", batchSize),
        ]
        result.counts = [
            ("params", report.totalParameters), ("trainable_params", report.trainableParameters), ("steps_per_run", k),
        ]
        result.notes = [("mode", mode)]
        try options.emit(result, write: write)
    }
}
