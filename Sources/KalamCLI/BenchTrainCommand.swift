import ArgumentParser
import Foundation
import KalamCore

/// `kalam bench train`: training-step throughput (tokens/s) at the shapes of pytorch_bench.py's
/// training cases.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training steps per second at pytorch_bench.py's training shapes, in tokens/s.",
        discussion: """
            Random weights (seed 0), random tokens, timed as pytorch_bench.py's time_train: --warmup steps \
            (the last one timed), then --repeats runs of k steps, k chosen so that a run takes about \
            --target-seconds (1 to 200), or --steps when given; a run's value is k x tokens per step / its \
            wall time, and the median is reported.

            tiny   = train_nanogpt_tiny:  GPT-2, vocab 256, 4 layers, 4 heads, width 128, context 128, \
            batch 16 (2,048 tokens a step), exact GELU as nanoGPT's F.gelu, tied head.
            small  = train_nanogpt_small: GPT-2, vocab 8192, 6 layers, 8 heads, width 256, context 256, \
            batch 8 (2,048 tokens a step), exact GELU, tied head.
            Both run KalamTraining's Trainer step on four batches' worth of tokens: forward, next-token \
            cross-entropy, backward, clipping of the gradient norm to 1, AdamW (lr 3e-4, betas 0.9/0.95, \
            weight decay 0.1 on the matrices). The baseline does not clip, and decays the embeddings too.

            hf_gpt2_tiny = train_hf_gpt2_tiny: the tiny shape with GPT-2's tanh GELU, loss from labels; \
            hf_bert_mlm = train_hf_bert_mlm: BertForMaskedLM, vocab 8192, 4 layers, 4 heads, hidden 256, \
            intermediate 1024, sequence 128, batch 16 (2,048 tokens), 15% of ids masked; hf_t5 = train_hf_t5: \
            T5, vocab 8192, width 256, 4 + 4 layers, 4 heads, d_ff 1024, source 128 and target 64 tokens, \
            batch 8 (1,536 tokens). These three time the step pytorch_bench.py times for transformers: loss, \
            backward, AdamW (betas 0.9/0.999, weight decay on every parameter; GPT-2 lr 3e-4 wd 0.1, BERT \
            1e-4 / 0.01, T5 3e-4 / 0.01), no clipping.
            """)

    /// The cases.
    enum Case: String, CaseIterable, ExpressibleByArgument {
        case tiny, small
        case hfGPT2Tiny = "hf_gpt2_tiny"
        case hfBertMLM = "hf_bert_mlm"
        case hfT5 = "hf_t5"

        /// The pytorch_bench.py case of the same shape.
        var baseline: String {
            switch self {
            case .tiny: "train_nanogpt_tiny"
            case .small: "train_nanogpt_small"
            case .hfGPT2Tiny: "train_hf_gpt2_tiny"
            case .hfBertMLM: "train_hf_bert_mlm"
            case .hfT5: "train_hf_t5"
            }
        }
    }

    @OptionGroup var options: BenchOptions

    @Option(name: .customLong("case"), help: "tiny, small, hf_gpt2_tiny, hf_bert_mlm or hf_t5.")
    var benchCase: Case = .tiny

    @Option(help: "Timed runs (pytorch_bench.py --reps).")
    var repeats = 5

    @Option(help: "Warm-up steps before the runs (pytorch_bench.py --warmup).")
    var warmup = 3

    @Option(help: "Steps per run (0: as many as fill --target-seconds).")
    var steps = 0

    @Option(name: .customLong("target-seconds"), help: "Seconds a run should take (pytorch_bench.py --target-rep-s).")
    var targetSeconds = 2.0

    init() {}

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard warmup >= 0, steps >= 0 else { throw ValidationError("--warmup and --steps must not be negative") }
        guard targetSeconds > 0 else { throw ValidationError("--target-seconds must be positive") }
    }

    func run() throws {
        try execute { FileHandle.standardOutput.write(Data($0.utf8)) }
    }

    /// Runs the benchmark, sending what it prints to `write`.
    func execute(write: (String) -> Void) throws {
        options.applyThreads()
        let load = BenchMachine.loadAverage()
        let setup = try Self.setUp(benchCase)
        var loss: Float = .nan
        let (runs, k) = try BenchTiming.steps(
            warmup: warmup, repeats: repeats, steps: steps, targetSeconds: targetSeconds,
            unitsPerStep: setup.tokensPerStep
        ) { loss = try setup.trainable.step() }
        var result = BenchResult(
            name: benchCase.rawValue, baseline: benchCase.baseline, unit: "tokens/s", runs: runs, warmup: warmup,
            loadAverage: load)
        result.shape = setup.shape
        result.counts = [
            ("params", setup.trainable.parameterCount), ("steps_per_run", k), ("tokens_per_step", setup.tokensPerStep),
        ]
        result.measures = [("loss", Double(loss))] + setup.measures
        result.notes = [("step", setup.step)]
        try options.emit(result, write: write)
    }

    /// A case ready to time.
    struct Setup {
        var trainable: BenchFactory.Trainable
        var tokensPerStep: Int
        var shape: [(key: String, value: Int)]
        var measures: [(key: String, value: Double)] = []
        var step: String
    }

    /// Random ids in `low..<high` as a `[rows, columns]` tensor.
    static func randomIds(
        _ rng: inout KalamRandom, rows: Int, columns: Int, low: Int = 0, high: Int
    ) throws
        -> IndexTensor
    {
        let ids = (0..<(rows * columns)).map { _ in Int32(low + rng.nextInt(below: high - low)) }
        return try IndexTensor(ids, shape: [rows, columns])
    }

    /// Builds the model, the data and the step of `benchCase`; the shape keys are pytorch_bench.py's
    /// configuration keys.
    static func setUp(_ benchCase: Case) throws -> Setup {
        var rng = KalamRandom(seed: 0)
        switch benchCase {
        case .tiny, .small:
            let (vocab, layers, heads, d, ctx, batch) =
                benchCase == .tiny ? (256, 4, 4, 128, 128, 16) : (8192, 6, 8, 256, 256, 8)
            let shape = BenchFactory.GPT2Shape(
                vocabulary: vocab, positions: ctx, width: d, layers: layers, heads: heads, exactGELU: true)
            // Four batches of random tokens, as the baseline draws (one stream, cut into blocks of ctx + 1).
            let tokens = (0..<(4 * batch * ctx + 1)).map { _ in Int32(rng.nextInt(below: vocab)) }
            return Setup(
                trainable: try BenchFactory.trainerSteps(shape, tokens: tokens, batchSize: batch, learningRate: 3e-4),
                tokensPerStep: batch * ctx,
                shape: [
                    ("vocab", vocab), ("n_layer", layers), ("n_head", heads), ("d", d), ("ctx", ctx), ("batch", batch),
                ],
                step: "trainer")
        case .hfGPT2Tiny:
            let (vocab, layers, heads, d, ctx, batch) = (256, 4, 4, 128, 128, 16)
            let shape = BenchFactory.GPT2Shape(
                vocabulary: vocab, positions: ctx, width: d, layers: layers, heads: heads)
            let batches = try (0..<4).map { _ in try randomIds(&rng, rows: batch, columns: ctx, high: vocab) }
            return Setup(
                trainable: try BenchFactory.gpt2LabelSteps(
                    shape, batches: batches, learningRate: 3e-4, weightDecay: 0.1),
                tokensPerStep: batch * ctx,
                shape: [
                    ("vocab", vocab), ("n_layer", layers), ("n_head", heads), ("d", d), ("ctx", ctx), ("batch", batch),
                ],
                step: "adamw")
        case .hfBertMLM:
            let (vocab, layers, heads, hidden, inter, seq, batch) = (8192, 4, 4, 256, 1024, 128, 16)
            let maskProbability: Float = 0.15
            let maskId: Int32 = 4
            var batches: [(IndexTensor, IndexTensor)] = []
            for _ in 0..<4 {
                let ids = try randomIds(&rng, rows: batch, columns: seq, low: 5, high: vocab)
                var input = ids.values
                var labels = [Int32](repeating: -100, count: ids.count)
                for j in 0..<ids.count where rng.nextFloat() < maskProbability {
                    labels[j] = input[j]
                    input[j] = maskId
                }
                batches.append(
                    (try IndexTensor(input, shape: [batch, seq]), try IndexTensor(labels, shape: [batch, seq])))
            }
            return Setup(
                trainable: try BenchFactory.bertMaskedLMSteps(
                    vocabulary: vocab, hidden: hidden, layers: layers, heads: heads, intermediate: inter,
                    batches: batches, learningRate: 1e-4, weightDecay: 0.01),
                tokensPerStep: batch * seq,
                shape: [
                    ("vocab", vocab), ("layers", layers), ("heads", heads), ("hidden", hidden), ("inter", inter),
                    ("seq", seq), ("batch", batch),
                ],
                measures: [("mask_p", Double(maskProbability))],
                step: "adamw")
        case .hfT5:
            let (vocab, dModel, layers, heads, dFF, src, tgt, batch) = (8192, 256, 4, 4, 1024, 128, 64, 8)
            let batches = try (0..<4).map { _ in
                (
                    try randomIds(&rng, rows: batch, columns: src, low: 2, high: vocab),
                    try randomIds(&rng, rows: batch, columns: tgt, low: 2, high: vocab)
                )
            }
            return Setup(
                trainable: try BenchFactory.t5Steps(
                    vocabulary: vocab, width: dModel, layers: layers, heads: heads, feedForward: dFF,
                    batches: batches, learningRate: 3e-4, weightDecay: 0.01),
                tokensPerStep: batch * (src + tgt),
                shape: [
                    ("vocab", vocab), ("d_model", dModel), ("layers", layers), ("heads", heads), ("d_ff", dFF),
                    ("src", src), ("tgt", tgt), ("batch", batch),
                ],
                step: "adamw")
        }
    }
}
