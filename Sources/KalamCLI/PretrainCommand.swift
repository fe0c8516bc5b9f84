import ArgumentParser
import Foundation
import KalamCore
import KalamFiles
import KalamModels
import KalamText
import KalamTraining

/// `kalam pretrain`: train a GPT-2 from scratch on a corpus, with checkpoints, resume, evaluation and
/// a metrics log, and write a Hugging Face layout model directory.
public struct PretrainCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain a GPT-2, BERT, T5 or ELECTRA model from scratch on a corpus.",
        discussion: """
            Writes an HF-layout model directory to --out (config.json, model.safetensors, tokenizer.json) plus \
            the trainer's state: checkpoints/step-NNNNNNNN/ (the newest --keep-checkpoints), metrics.jsonl \
            (one JSON record per logged step, evaluation and the final summary) and the unigram baseline. \
            The last 5% of the corpus's documents (--validation-fraction) are the validation set.

            Ctrl-C saves a checkpoint and exits; run the same command with --resume to continue exactly \
            where it stopped (same losses and parameters as a run that was never interrupted). \
            --resume with a larger --steps trains a finished run longer: the learning rate decays from the \
            step reached by a cosine to the same floor at the new last step; the warm-up stays the \
            checkpoint's.

            Examples:
              kalam pretrain --arch gpt2 --corpus kjv --preset tiny --tokenizer train:4096 --steps 2000 --out runs/kjv-tiny
              kalam pretrain --arch gpt2 --corpus notes.txt --preset small --tokenizer runs/kjv-tiny --steps 500 --out runs/notes
            """
    )

    @Option(help: "Model architecture: gpt2, bert, t5 or electra.")
    var arch: String = "gpt2"

    @Option(help: "Corpus: a name (\(CorpusCatalog.names.joined(separator: ", "))) or a text/JSONL file or folder.")
    var corpus: String

    @Option(help: "Model size: tiny (ctx 128, 4x128), small (ctx 256, 6x256), or a config.json file.")
    var preset: String = "tiny"

    @Option(
        help:
            "train:SIZE to train a tokenizer of SIZE tokens on the training documents (byte-level BPE for gpt2, WordPiece for bert, t5 and electra), or a tokenizer.json file (or a folder holding one)."
    )
    var tokenizer: String = "train:4096"

    @Option(help: "Optimizer steps.")
    var steps: Int

    @Option(help: "Output directory (model, tokenizer, checkpoints, metrics.jsonl).")
    var out: String

    @Option(name: .customLong("batch-size"), help: "Sequences per micro-batch.")
    var batchSize: Int = 16

    @Option(name: .customLong("grad-accum"), help: "Micro-batches per optimizer step.")
    var gradientAccumulation: Int = 1

    @Option(
        name: .customLong("lr"),
        help: "Peak learning rate (AdamW; default 2e-3 for gpt2, bert and electra, 1e-3 for t5).")
    var learningRate: Float?

    @Option(name: .customLong("min-lr-ratio"), help: "Final learning rate as a fraction of the peak (cosine decay).")
    var minLearningRateRatio: Float = 0.1

    @Option(help: "Warm-up steps (default: 5% of --steps for gpt2, 10% for t5, 25% for bert and electra; at most 200).")
    var warmup: Int?

    @Option(name: .customLong("weight-decay"), help: "AdamW weight decay (matrices only).")
    var weightDecay: Float = 0.1

    @Option(
        name: .customLong("output-bias"),
        help:
            "bert, electra: the masked-LM decoder's starting bias (ELECTRA's generator's), unigram (the training tokens' log frequencies, so training starts past the unigram stage) or zero (as transformers initialises it). Default: unigram for bert, zero for electra."
    )
    var outputBias: OutputBiasStart?

    @Option(name: .customLong("beta1"), help: "AdamW's first-moment decay.")
    var beta1: Float = 0.9

    @Option(name: .customLong("beta2"), help: "AdamW's second-moment decay.")
    var beta2: Float = 0.95

    @Option(name: .customLong("clip"), help: "Clip the global gradient norm to this (0: off).")
    var maxGradNorm: Float = 1

    @Option(name: .customLong("eval-every"), help: "Evaluate every N steps (0: only at the end).")
    var evalEvery: Int = 100

    @Option(name: .customLong("eval-batches"), help: "Validation batches per evaluation (0: all).")
    var evalBatches: Int = 20

    @Option(name: .customLong("checkpoint-every"), help: "Save a checkpoint every N steps (0: only at the end).")
    var checkpointEvery: Int = 200

    @Option(name: .customLong("keep-checkpoints"), help: "Checkpoints to keep.")
    var keepCheckpoints: Int = 2

    @Option(help: "Stop after this many evaluations without improvement (0: never).")
    var patience: Int = 0

    @Option(name: .customLong("log-every"), help: "Progress and metrics every N steps.")
    var logEvery: Int = 10

    @Option(name: .customLong("validation-fraction"), help: "Fraction of documents held out for validation.")
    var validationFraction: Double = 0.05

    @Option(help: "Seed of the initialisation, data order and dropout.")
    var seed: UInt64 = 0

    @Flag(help: "Continue from the newest checkpoint in --out.")
    var resume = false

    @Option(name: .customLong("pause-in-checkpoint-write"), help: .hidden)
    var pauseInCheckpointWrite: Int?

    /// ELECTRA: the weight of the replaced-token-detection loss.
    @Option(name: .customLong("rtd-weight"), help: "electra: weight λ of the replaced-token-detection loss.")
    var rtdWeight: Float = 50

    /// The masking (bert, electra) and span corruption (t5) flags, as `kalam mask` takes them.
    @OptionGroup var masking: MaskingOptions

    public init() {}

    public func run() throws {
        try execute { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    }

    /// Runs the command, sending its report lines to `print`.
    func execute(print: (String) -> Void) throws {
        guard Self.architectures.contains(arch) else {
            throw TrainingError.unknownArchitecture(name: arch, known: Self.architectures)
        }
        guard steps >= 1 else {
            throw TrainingError.invalidOption(name: "--steps", value: "\(steps)", reason: "must be at least 1")
        }
        if arch != "gpt2" { return try executeEncoder(print: print) }
        if GPT2Preset(rawValue: preset) == nil, !FileManager.default.fileExists(atPath: preset) {
            throw TrainingError.unknownPreset(name: preset, known: GPT2Preset.allCases.map(\.rawValue))
        }
        let outURL = URL(fileURLWithPath: out, isDirectory: true)
        // Settle resuming before the (slow) data preparation.
        let resumeFrom = try settleResume(outURL)
        let documents = try CorpusCatalog.documents(corpus)
        let savedTokenizer = outURL.appendingPathComponent("tokenizer.json")
        let tok: PipelineTokenizer
        let started = Date()
        let reuseTokenizer = resume && FileManager.default.fileExists(atPath: savedTokenizer.path)
        if reuseTokenizer {
            tok = try TokenizerJSON.load(savedTokenizer)
        } else {
            tok = try Self.makeTokenizer(tokenizer, documents: documents, validationFraction: validationFraction)
        }
        let eot = tok.id(of: "<|endoftext|>").map { Int32($0) }
        let config = try GPT2Preset.resolve(preset, vocabularySize: tok.vocabularySize, endOfText: eot.map(Int.init))
        let data = try LanguageModelData(
            documents: documents, tokenizer: tok, contextLength: config.nPositions,
            validationFraction: validationFraction, endOfText: eot)
        print(
            String(
                format:
                    "corpus %@: %d documents, %d training tokens (%d blocks), %d validation tokens (%d blocks); vocabulary %d; prepared in %.1f s",
                corpus, documents.count, data.trainTokenCount, data.train.count, data.validationTokenCount,
                data.validation.count, tok.vocabularySize, Date().timeIntervalSince(started)))

        let model = try GPT2LMHeadModel(config: config, seed: seed)
        print(
            "model: GPT-2 \(config.nLayer) layers, \(config.nHead) heads, width \(config.nEmbd), context \(config.nPositions), \(model.parameterCount) parameters"
        )
        let options = try trainerConfiguration(resumeFrom: resumeFrom, defaultLearningRate: 2e-3)
        let trainer = try Trainer(
            model: model, objective: CausalLMObjective(model: model), train: data.train,
            validation: data.validation, configuration: options, runDirectory: outURL)
        try AtomicFile.createFolder(outURL)
        if !reuseTokenizer { try TokenizerJSON.save(tok, to: savedTokenizer) }
        let configData = try config.jsonData()
        trainer.writeExtraCheckpointFiles = { folder in
            try configData.write(to: folder.appendingPathComponent("config.json"))
            try TokenizerJSON.save(tok, to: folder.appendingPathComponent("tokenizer.json"))
        }
        if let pause = pauseInCheckpointWrite {
            var writes = 0
            trainer.beforeCheckpointRename = { folder in
                writes += 1
                guard writes == pause else { return }
                FileHandle.standardError.write(Data("paused in checkpoint write \(folder.path)\n".utf8))
                while true { sleep(60) }
            }
        }
        trainer.display = ProgressDisplay()
        trainer.interrupt.installSignalHandler()
        defer { trainer.interrupt.removeSignalHandler() }

        let result = try trainer.run(resumeFrom: resumeFrom)
        try model.save(directory: outURL)
        let baseline = try UnigramBaseline(blocks: data.train, vocabularySize: tok.vocabularySize)
        let unigram = baseline.crossEntropy(on: data.validation)
        var summary: [String: String] = [
            "stop_reason": result.stopReason.rawValue, "steps": "\(result.step)",
            "unigram_val_loss": String(format: "%.4f", unigram),
            "unigram_val_perplexity": String(format: "%.2f", Foundation.exp(unigram)),
            "seconds": String(format: "%.1f", result.seconds), "tokens_seen": "\(result.tokensSeen)",
        ]
        if let last = trainer.lastEvaluation {
            summary["val_loss"] = String(format: "%.4f", last.loss)
            summary["val_perplexity"] = String(format: "%.2f", Foundation.exp(Double(last.loss)))
        }
        try trainer.logSummary(summary)
        switch result.stopReason {
        case .interrupted:
            print("interrupted at step \(result.step); checkpoint saved. Continue with the same command and --resume.")
        case .earlyStopped: print("stopped early at step \(result.step): the validation loss stopped improving")
        default: break
        }
        if let last = trainer.lastEvaluation {
            print(
                String(
                    format: "validation loss %.4f (perplexity %.2f) after %d steps, %.0f s", last.loss,
                    Foundation.exp(Double(last.loss)), result.step, result.seconds))
        }
        print(
            String(format: "unigram baseline: validation loss %.4f (perplexity %.2f)", unigram, Foundation.exp(unigram))
        )
        print("model written to \(outURL.path)")
    }

    /// The architectures `--arch` takes.
    static let architectures = ["gpt2", "bert", "t5", "electra"]

    /// The newest checkpoint with `--resume`; without it, an error when `out` already holds one.
    func settleResume(_ outURL: URL) throws -> URL? {
        let checkpoints = outURL.appendingPathComponent("checkpoints", isDirectory: true)
        if resume { return try CheckpointStore.resolve(checkpoints) }
        if let existing = CheckpointStore(directory: checkpoints, keep: 1).latest {
            throw TrainingError.invalidOption(
                name: "--out", value: out,
                reason:
                    "already holds checkpoint \(existing.lastPathComponent); add --resume to continue it or choose another folder"
            )
        }
        return nil
    }

    /// The trainer's settings from the flags.
    /// - Parameter warmupShare: the default warm-up as a share of `--steps` (at most 200 steps).
    func trainerConfiguration(
        resumeFrom: URL?, defaultLearningRate: Float, warmupShare: Double = 0.05
    ) throws
        -> TrainerConfiguration
    {
        var options = TrainerConfiguration(steps: steps, batchSize: batchSize)
        options.gradientAccumulation = gradientAccumulation
        options.learningRate = learningRate ?? defaultLearningRate
        options.minLearningRateRatio = minLearningRateRatio
        // The warm-up belongs to the run: a resumed run keeps the checkpoint's unless --warmup is given
        // (then a different value is a mismatch the trainer reports), so --steps can extend a run.
        let savedWarmup = try resumeFrom.map { try Trainer.readState(from: $0).configuration.warmupSteps }
        options.warmupSteps = warmup ?? savedWarmup ?? min(200, Int(Double(steps) * warmupShare))
        options.weightDecay = weightDecay
        options.beta1 = beta1
        options.beta2 = beta2
        options.maxGradNorm = maxGradNorm > 0 ? maxGradNorm : nil
        options.evalEvery = evalEvery
        options.evalBatches = evalBatches > 0 ? evalBatches : nil
        options.checkpointEvery = checkpointEvery
        options.keepCheckpoints = keepCheckpoints
        options.earlyStoppingPatience = patience > 0 ? patience : nil
        options.logEvery = logEvery
        options.seed = seed
        return options
    }

    /// `train:SIZE` trains a byte-level BPE on the training documents; anything else is a tokenizer.json
    /// file or a folder holding one.
    static func makeTokenizer(
        _ spec: String, documents: [TextDocument], validationFraction: Double
    ) throws -> PipelineTokenizer {
        if spec.hasPrefix("train:") {
            guard let size = Int(spec.dropFirst(6)), size >= 257, size <= 1 << 20 else {
                throw TrainingError.invalidTokenizer(
                    spec: spec, reason: "SIZE must be a whole number from 257 (256 bytes + <|endoftext|>) up")
            }
            let cut =
                documents.count > 1
                ? documents.count - max(1, Int((Double(documents.count) * validationFraction).rounded()))
                : documents.count
            let texts = documents.prefix(max(cut, 1)).map(\.text)
            return try BPETrainer(
                vocabSize: size, minFrequency: 2, specialTokens: ["<|endoftext|>"],
                initialAlphabet: ByteAlphabet.alphabet
            )
            .trainTokenizer(texts, preTokenizer: ByteLevelPreTokenizer())
        }
        var url = URL(fileURLWithPath: spec)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TrainingError.invalidTokenizer(spec: spec, reason: "not train:SIZE and no such file or folder")
        }
        if isDirectory.boolValue { url.appendPathComponent("tokenizer.json") }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.invalidTokenizer(spec: spec, reason: "the folder holds no tokenizer.json")
        }
        return try TokenizerJSON.load(url)
    }
}

/// Where a masked-LM decoder's bias starts (`kalam pretrain --output-bias`).
enum OutputBiasStart: String, CaseIterable, ExpressibleByArgument {
    /// The log unigram frequencies of the training tokens.
    case unigram
    /// Zero, as transformers initialises it.
    case zero
}
