import Foundation
import KalamCore
import KalamFiles
import KalamModels
import KalamText
import KalamTraining

/// The shape and budget of a model the lab pretrains.
struct PretrainShape {
    var context: Int
    var layers: Int
    var heads: Int
    var width: Int
    var vocabulary: Int
    var steps: Int
    var batchSize: Int
    var documents: Int

    /// Context, layers, heads, width, as ``FamilyPreset``'s configuration builders take them.
    var dims: (context: Int, layers: Int, heads: Int, width: Int) { (context, layers, heads, width) }

    /// The shape for `budget`. The standard lab pretrains about 60 models, so each gets about 45 s on
    /// 2 cores: 2 layers at context 64 learn past the unigram plateau in 600 steps (masked-token
    /// accuracy 0.11 against the most-frequent token's 0.03), where 4 layers at context 128 reached only
    /// 0.05 in the same time.
    static func lab(_ budget: LabBudget) -> PretrainShape {
        switch budget {
        case .quick:
            return PretrainShape(
                context: 64, layers: 2, heads: 2, width: 64, vocabulary: 1_000, steps: 30, batchSize: 8, documents: 120)
        case .standard:
            return PretrainShape(
                context: 64, layers: 2, heads: 4, width: 128, vocabulary: 2_000, steps: 600, batchSize: 16,
                documents: 0)
        case .full:
            return PretrainShape(
                context: 128, layers: 4, heads: 4, width: 128, vocabulary: 8_000, steps: 2_000, batchSize: 32,
                documents: 0)
        }
    }
}

/// One pretraining run: the family, its objective's settings, the shape and the seed.
struct PretrainSetup {
    var arch: String  // bert, gpt2, t5, electra
    var masking = "random"
    var rate = 0.15
    var shape: PretrainShape
    var seed: UInt64
    /// Validation-loss checks (and the best model kept as `early/`) this many times over the run; 0: none.
    var checks = 0

    var config: [String: String] {
        var config = [
            "arch": arch, "masking": arch == "gpt2" ? "-" : masking, "rate": arch == "gpt2" ? "-" : "\(rate)",
            "shape":
                "\(shape.context)/\(shape.layers)/\(shape.heads)/\(shape.width)/\(shape.vocabulary)/\(shape.batchSize)",
            "steps": "\(shape.steps)", "documents": "\(shape.documents)", "seed": "\(seed)", "checks": "\(checks)",
        ]
        // Encoder data changed when articles longer than the context became several sequences (before,
        // only each article's first sequence was kept): the key keeps cells trained the old way out.
        if arch != "gpt2" { config["packing"] = "split" }
        // BERT's decoder starts at the training tokens' log frequencies, as `kalam pretrain` starts it
        // (before, at zero).
        if arch == "bert" { config["output_bias"] = "unigram" }
        return config
    }
}

/// Pretraining cells: a model of each family trained from random weights on the training side of BBC
/// News (the articles the classifiers later train on; their validation and test articles are never
/// seen), saved as an HF folder that fine-tuning cells load.
enum Pretraining {
    /// The pretraining texts: BBC News training articles in the split's order (the first `count`; all for 0).
    static func corpus(_ count: Int) throws -> [TextDocument] {
        let items = try LabTask.named("bbc-news").split.train
        return (count > 0 ? Array(items.prefix(count)) : items).map { TextDocument(id: $0.id, text: $0.text) }
    }

    private static let tokenizers = TokenizerCache()

    /// Held-out batches an encoder's measures read (640 sequences at batch 16: about 6,000 masked targets
    /// at context 64, six times what the first contexts of the articles gave).
    static let encoderValidationBatches = 40

    /// A tokenizer for `arch` trained on `documents` (byte-level BPE for GPT-2, WordPiece with the
    /// family's special tokens otherwise), once per process for each setting.
    static func tokenizer(arch: String, documents: [TextDocument], vocabulary: Int) throws -> PipelineTokenizer {
        let family = arch == "gpt2" ? "bpe" : arch == "t5" ? "t5" : "wordpiece"
        let key = "\(family)/\(documents.count)/\(vocabulary)"
        if let cached = tokenizers.byKey[key] { return cached }
        let texts = try TrainValidationSplit.split(documents.map(\.text), validationFraction: 0.1).train
        let made: PipelineTokenizer
        if arch == "gpt2" {
            made = try BPETrainer(
                vocabSize: vocabulary, minFrequency: 2, specialTokens: ["<|endoftext|>"],
                initialAlphabet: ByteAlphabet.alphabet
            ).trainTokenizer(texts, preTokenizer: ByteLevelPreTokenizer())
        } else {
            let specials = arch == "t5" ? FamilyPreset.t5SpecialTokens : FamilyPreset.bertSpecialTokens
            made = try WordPieceTrainer(vocabSize: vocabulary, minFrequency: 2, specialTokens: specials)
                .trainTokenizer(texts, unkToken: arch == "t5" ? "<unk>" : "[UNK]")
        }
        tokenizers.byKey[key] = made
        return made
    }

    /// Pretrains `setup` (or reuses the finished cell and its folder). Values: `validation_loss` (the
    /// objective's), `masked_accuracy` (BERT: masked-token accuracy under standard 15% random masking on
    /// the validation text, whatever the training masking), `parameters`, `target_tokens`; with
    /// `checks`, series `validation_losses` and value `best_check`. Timings: `train_seconds`,
    /// `prepare_seconds` (tokenising and annotating, tagging included), `seconds_per_token`.
    /// The folder holds the final model; with `checks`, `early/` holds the one with the lowest
    /// validation loss.
    static func run(_ lab: LabContext, _ setup: PretrainSetup) throws -> (record: CellRecord, folder: URL) {
        let folder = lab.folder(
            "pretrain-" + CellCache.hash(CellCache.canonical("pretrain", setup.config, version: Lab.cacheVersion)))
        var record = try lab.cell("pretrain", setup.config) { record in
            try train(setup, folder: folder, into: &record)
        }
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) {
            // The cell was cached but its folder is gone: train again (same seed, same weights).
            try train(setup, folder: folder, into: &record)
        }
        return (record, folder)
    }

    private static func train(_ setup: PretrainSetup, folder: URL, into record: inout CellRecord) throws {
        let s = setup.shape
        let documents = try corpus(s.documents)
        let tok = try tokenizer(arch: setup.arch, documents: documents, vocabulary: s.vocabulary)
        let prepared = Date()
        let model: TrainableModel
        let objective: TrainingObjective
        let save: (URL) throws -> Void
        var validation: [Batch]
        var train: any BatchSource
        var masked: MaskedLMObjective?
        var spanMeasure: ((inout CellRecord) throws -> Void)?
        var mostFrequent: Int32 = 0
        let rng0 = setup.seed
        if setup.arch == "gpt2" {
            let eot = tok.id(of: "<|endoftext|>").map { Int32($0) }
            let config = FamilyPreset.gpt2(s.dims, vocabularySize: tok.vocabularySize, endOfText: eot.map(Int.init))
            let data = try LanguageModelData(
                documents: documents, tokenizer: tok, contextLength: s.context, validationFraction: 0.1, endOfText: eot)
            let gpt = try GPT2LMHeadModel(config: config, seed: rng0)
            (model, objective, save) = (gpt, CausalLMObjective(model: gpt), { try gpt.save(directory: $0) })
            validation = try data.validation.sequentialBatches(batchSize: s.batchSize)
            train = try BatchIterator(blocks: data.train, batchSize: s.batchSize, seed: setup.seed)
            let baseline = try UnigramBaseline(blocks: data.train, vocabularySize: tok.vocabularySize)
            record.values["unigram_validation_loss"] = baseline.crossEntropy(on: data.validation)
        } else {
            let isT5 = setup.arch == "t5"
            let strategy = try MaskingStrategy.named(
                setup.masking, exactCount: false, posWeights: MaskingStrategy.defaultPOSWeights)
            let tagger: (any PartOfSpeechTagger)? = !isT5 && strategy.needsTags ? try EnglishTagger.pretrained() : nil
            let annotator = MaskingAnnotator(tokenizer: tok, tagger: tagger, maxLength: s.context)
            let padId = try annotator.requireId(of: isT5 ? "<pad>" : "[PAD]", for: "padding")
            let data = try AnnotatedData(
                documents: documents, annotator: annotator, contextLength: s.context, padId: padId,
                validationFraction: 0.1, addSpecialTokens: !isT5)
            // Whole articles give ten times the held-out sequences of their first contexts; the first
            // `encoderValidationBatches` of them measure the objective as finely and ten times faster.
            validation = Array(
                try data.validation.sequentialBatches(batchSize: s.batchSize).prefix(Self.encoderValidationBatches))
            train = try data.train.iterator(batchSize: s.batchSize, seed: setup.seed)
            mostFrequent = ObjectiveMeasures.mostFrequentToken(data.train)
            let maskId = isT5 ? 0 : try annotator.requireId(of: "[MASK]", for: "masked language modelling")
            let masker = {
                try TokenMasker(
                    strategy: strategy, rate: setup.rate, maskTokenId: maskId, vocabularySize: tok.vocabularySize,
                    specialTokenIds: annotator.specialTokenIds)
            }
            switch setup.arch {
            case "t5":
                let corruption = try SpanCorruption(
                    noiseDensity: setup.rate, meanSpanLength: 3, sentinelIds: annotator.sentinelIds(),
                    endOfSequenceId: annotator.requireId(of: "</s>", for: "the end of T5 inputs and targets"))
                let config = FamilyPreset.t5(
                    s.dims, vocabularySize: tok.vocabularySize, padId: Int(padId),
                    eosId: Int(corruption.endOfSequenceId))
                let t5 = try T5ForConditionalGeneration(config: config, seed: rng0)
                let span = SpanCorruptionObjective(model: t5, corruption: corruption)
                (model, objective, save) = (t5, span, { try t5.save(directory: $0) })
                let (held, trainBlocks) = (validation, data.train)
                spanMeasure = { record in
                    let m = try ObjectiveMeasures.spanCorruption(
                        objective: span, batches: held,
                        training: Array(try trainBlocks.sequentialBatches(batchSize: 16).prefix(200)), seed: 0)
                    record.values["unigram_validation_loss"] = m.unigramLoss
                }
            case "electra":
                let config = FamilyPreset.electra(s.dims, vocabularySize: tok.vocabularySize, padId: Int(padId))
                let discriminator = try ElectraForPreTraining(config: config, seed: rng0)
                let generator = try ElectraForMaskedLM(
                    config: ElectraPretrainingModel.generatorConfig(for: config), seed: rng0 &+ 1)
                let pair = try ElectraPretrainingModel(generator: generator, discriminator: discriminator)
                (model, save) = (pair, { try discriminator.save(directory: $0) })
                objective = try ReplacedTokenDetectionObjective(
                    model: pair, masker: try masker(), specialTokenIds: annotator.specialTokenIds)
            default:
                let config = FamilyPreset.bert(s.dims, vocabularySize: tok.vocabularySize, padId: Int(padId))
                let bert = try BertForMaskedLM(config: config, seed: rng0)
                (model, save) = (bert, { try bert.save(directory: $0) })
                objective = try MaskedLMObjective(
                    model: bert, masker: try masker(), specialTokenIds: annotator.specialTokenIds)
                masked = try MaskedLMObjective(
                    model: bert,
                    masker: TokenMasker(
                        strategy: .random(exactCount: false), rate: 0.15, maskTokenId: maskId,
                        vocabularySize: tok.vocabularySize, specialTokenIds: annotator.specialTokenIds),
                    specialTokenIds: annotator.specialTokenIds)
            }
            if let mlm = objective as? MaskedLMObjective { try mlm.startDecoderBiasAtUnigram(of: data.train) }
        }
        record.timings["prepare_seconds"] = Date().timeIntervalSince(prepared)
        // Post-LN encoders learn past the unigram plateau at 2e-3 with a 25% warm-up, T5 and GPT-2 at
        // 1e-3 and 2e-3 with 10% (the command line's per-family defaults).
        var options = TrainerConfiguration(steps: s.steps, batchSize: s.batchSize)
        options.learningRate = setup.arch == "t5" ? 1e-3 : 2e-3
        let warmup = setup.arch == "bert" || setup.arch == "electra" ? 0.25 : 0.1
        options.warmupSteps = Int((Double(s.steps) * warmup).rounded())
        options.seed = setup.seed
        options.logEvery = max(1, s.steps / 10)
        let trainer = try Trainer(
            model: model, objective: objective, data: train, validation: validation, configuration: options)
        try AtomicFile.createFolder(folder)
        let saveAll = { (url: URL) in
            try save(url)
            try TokenizerJSON.save(tok, to: url.appendingPathComponent("tokenizer.json"))
        }
        var losses: [Double] = []
        var best = Double.infinity
        var tokens = 0
        var seconds = 0.0
        let chunks = max(1, setup.checks)
        for c in 1...chunks {
            let result = try trainer.run(stopAfter: s.steps * c / chunks)
            tokens = result.tokensSeen
            seconds += result.seconds
            if setup.checks > 0 {
                let loss = Double(try trainer.evaluate())
                losses.append(loss)
                if loss < best {
                    best = loss
                    record.values["best_check"] = Double(c)
                    try saveAll(folder.appendingPathComponent("early", isDirectory: true))
                }
            }
        }
        try saveAll(folder)
        record.values["validation_loss"] = Double(try trainer.evaluate())
        if let masked {
            let m = try ObjectiveMeasures.maskedLM(
                objective: masked, batches: validation, mostFrequent: mostFrequent, seed: 0)
            record.values["masked_accuracy"] = m.accuracy
            record.values["most_frequent_accuracy"] = m.baselineAccuracy
        }
        try spanMeasure?(&record)
        if setup.checks > 0 { record.series["validation_losses"] = losses }
        record.values["parameters"] = Double(model.parameterCount)
        record.values["target_tokens"] = Double(tokens)
        record.timings["train_seconds"] = seconds
        record.timings["seconds_per_token"] = seconds / Double(max(1, tokens))
    }
}

private final class TokenizerCache: @unchecked Sendable {
    var byKey: [String: PipelineTokenizer] = [:]
}
