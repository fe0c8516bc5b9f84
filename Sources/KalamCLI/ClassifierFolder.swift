import Foundation
import KalamCore
import KalamJSON
import KalamModels
import KalamNN
import KalamText
import KalamTraining

/// A classifier opened from disk for `classify` and `evaluate`: a full Hugging Face folder
/// (`BertForSequenceClassification`), or an adapter folder (PEFT LoRA or Kalam bottleneck adapters)
/// whose base is found through `base_model_name_or_path` and whose label names are in the
/// `config.json` beside the adapter.
struct ClassifierFolder {
    let model: SequenceClassifier
    let tokenizer: PipelineTokenizer
    let maxLength: Int

    /// Opens `directory`. An adapter's base path is tried as given, then relative to the adapter folder.
    init(directory: URL, maxLength requested: Int = 128) throws {
        if let base = try Self.adapterBase(of: directory) {
            let labelled = directory.appendingPathComponent("config.json")
            let hasLabels = FileManager.default.fileExists(atPath: labelled.path)
            let weights = base.appendingPathComponent("model.safetensors")
            tokenizer = try Self.tokenizer(in: [directory, base])
            let baseType = try Self.modelType(of: base)
            if baseType == "t5" {
                var config = try T5Config.load(from: base)
                if hasLabels {
                    let saved = try T5Config.load(from: labelled)
                    try Self.checkSameBase(
                        [
                            ("vocab_size", saved.vocabSize, config.vocabSize), ("d_model", saved.dModel, config.dModel),
                            ("num_layers", saved.numLayers, config.numLayers),
                            ("num_decoder_layers", saved.decoderLayers, config.decoderLayers),
                        ], base: base.path)
                    config.setLabels(saved.labelNames)
                }
                let t5 = try T5ForConditionalGeneration(config: config, seed: 0)
                try t5.loadWeights(from: weights)
                try AdapterFolder.apply(directory, to: t5, source: t5.randomSource)
                try Self.setTargets(t5, tokenizer: tokenizer)
                (model, maxLength) = (t5, requested)
                padTokenId = Int32(config.padTokenId)
                endOfText = Int32(config.eosTokenId ?? 1)
            } else if baseType == "gpt2" {
                var config = try GPT2Config.load(from: base)
                if hasLabels {
                    let saved = try GPT2Config.load(from: labelled)
                    try Self.checkSameBase(
                        [
                            ("vocab_size", saved.vocabSize, config.vocabSize), ("n_embd", saved.nEmbd, config.nEmbd),
                            ("n_layer", saved.nLayer, config.nLayer),
                        ], base: base.path)
                    config.setLabels(saved.labelNames)
                    config.padTokenId = saved.padTokenId ?? config.padTokenId
                }
                if config.padTokenId == nil { config.padTokenId = config.eosTokenId ?? 0 }
                let gpt2 = try GPT2ForSequenceClassification(config: config, seed: 0)
                try gpt2.loadWeights(from: weights, newHead: true)
                try AdapterFolder.apply(directory, to: gpt2, source: gpt2.randomSource)
                (model, maxLength) = (gpt2, min(requested, config.nPositions))
                padTokenId = Int32(config.padTokenId ?? 0)
            } else if baseType == "electra" {
                var config = try ElectraConfig.load(from: base)
                if hasLabels {
                    let saved = try ElectraConfig.load(from: labelled)
                    try Self.checkSameBase(
                        [
                            ("vocab_size", saved.vocabSize, config.vocabSize),
                            ("hidden_size", saved.hiddenSize, config.hiddenSize),
                            ("num_hidden_layers", saved.numHiddenLayers, config.numHiddenLayers),
                        ], base: base.path)
                    config.setLabels(saved.labelNames)
                }
                let electra = try ElectraForSequenceClassification(config: config, seed: 0)
                try electra.loadWeights(from: weights, newHead: true)
                try AdapterFolder.apply(directory, to: electra, source: electra.randomSource)
                (model, maxLength) = (electra, min(requested, config.maxPositionEmbeddings))
                padTokenId = Int32(config.padTokenId ?? 0)
            } else {
                var config = try BertConfig.load(from: base)
                if hasLabels {
                    let saved = try BertConfig.load(from: labelled)
                    try Self.checkSameBase(saved, config, base: base.path)
                    config.setLabels(saved.labelNames)
                }
                let bert = try BertForSequenceClassification(config: config, seed: 0)
                try bert.loadWeights(from: weights, newHead: true)
                try AdapterFolder.apply(directory, to: bert, source: bert.randomSource)
                (model, maxLength) = (bert, min(requested, config.maxPositionEmbeddings))
                padTokenId = Int32(config.padTokenId ?? 0)
            }
        } else {
            tokenizer = try Self.tokenizer(in: [directory])
            switch try Self.modelType(of: directory) {
            case "t5":
                let t5 = try T5ForConditionalGeneration.load(from: directory)
                try Self.setTargets(t5, tokenizer: tokenizer)
                (model, maxLength) = (t5, requested)
                padTokenId = Int32(t5.config.padTokenId)
                endOfText = Int32(t5.config.eosTokenId ?? 1)
            case "electra":
                let electra = try ElectraForSequenceClassification.load(from: directory)
                (model, maxLength) = (electra, min(requested, electra.config.maxPositionEmbeddings))
                padTokenId = Int32(electra.config.padTokenId ?? 0)
            case "gpt2":
                let gpt2 = try GPT2ForSequenceClassification.load(from: directory)
                (model, maxLength) = (gpt2, min(requested, gpt2.config.nPositions))
                padTokenId = Int32(gpt2.config.padTokenId ?? gpt2.config.eosTokenId ?? 0)
            default:
                let bert = try BertForSequenceClassification.load(from: directory)
                (model, maxLength) = (bert, min(requested, bert.config.maxPositionEmbeddings))
                padTokenId = Int32(bert.config.padTokenId ?? 0)
            }
        }
    }

    /// A text-to-text classifier's targets: its `id2label` names through the folder's tokenizer.
    static func setTargets(_ t5: T5ForConditionalGeneration, tokenizer: PipelineTokenizer) throws {
        guard t5.labelNames.count >= 2 else { throw FineTuningError.tooFewClasses(found: t5.labelNames) }
        t5.labelTargets = try TextToText.labelTargets(
            names: t5.labelNames, eosTokenId: Int32(t5.config.eosTokenId ?? 1)
        ) { tokenizer.encodeIds($0).map { Int32(truncatingIfNeeded: $0) } }
    }

    static func modelType(of directory: URL) throws -> String? { try LoadedClassifier.modelType(of: directory) }

    var encode: (String) -> [Int32] { LoadedClassifier.encoder(tokenizer, maxLength: maxLength, endingWith: endOfText) }

    let padTokenId: Int32
    /// The id every input ends with (T5's `</s>`), or nil.
    private(set) var endOfText: Int32?

    /// The base folder of an adapter folder (its `base_model_name_or_path`, as given or relative to the
    /// adapter), or nil when `directory` holds no `adapter_config.json`.
    static func adapterBase(of directory: URL) throws -> URL? {
        let file = directory.appendingPathComponent("adapter_config.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        guard let basePath = try AdapterConfig.load(from: file).baseModelNameOrPath else {
            throw AdapterError.malformedConfig(path: file.path, reason: "no base_model_name_or_path")
        }
        return resolve(basePath, relativeTo: directory)
    }

    static func resolve(_ path: String, relativeTo directory: URL) -> URL {
        let direct = URL(fileURLWithPath: path)
        if FileManager.default.fileExists(atPath: direct.path) { return direct }
        return directory.appendingPathComponent(path)
    }

    static func tokenizer(in folders: [URL]) throws -> PipelineTokenizer {
        for folder in folders {
            let file = folder.appendingPathComponent("tokenizer.json")
            if FileManager.default.fileExists(atPath: file.path) { return try TokenizerJSON.load(file) }
        }
        throw ModelError.fileNotFound(path: folders[0].appendingPathComponent("tokenizer.json").path)
    }

    /// The adapter folder's configuration must describe the base's shapes.
    static func checkSameBase(_ a: BertConfig, _ b: BertConfig, base: String) throws {
        try checkSameBase(
            [
                ("vocab_size", a.vocabSize, b.vocabSize), ("hidden_size", a.hiddenSize, b.hiddenSize),
                ("num_hidden_layers", a.numHiddenLayers, b.numHiddenLayers),
                ("num_attention_heads", a.numAttentionHeads, b.numAttentionHeads),
                ("intermediate_size", a.intermediateSize, b.intermediateSize),
            ], base: base)
    }

    /// Each (field, the adapter's value, the base's value) must agree.
    static func checkSameBase(_ pairs: [(String, Int, Int)], base: String) throws {
        for (name, x, y) in pairs where x != y {
            throw AdapterError.baseMismatch(reason: "\(name) is \(x) for the adapter but \(y) in \(base)")
        }
    }
}

extension EvaluateCommand {
    /// `kalam evaluate --model DIR --task T`: accuracy, macro-F1 and loss of a classifier folder (full or
    /// adapter) on the test part of the task's split (`--split-seed`, as `kalam finetune` made it).
    func evaluateClassifier(_ directory: URL, task: String, print: (String) -> Void) throws {
        let folder = try ClassifierFolder(directory: directory)
        let split = try ClassificationSplit(ClassificationTask.load(task), seed: splitSeed)
        let names = folder.model.labelNames
        for label in split.labels where !names.contains(label) {
            throw FineTuningError.unknownLabel(label: label, source: task, known: names)
        }
        let test = try ClassificationExample.encode(split.test, labels: names, source: task, encode: folder.encode)
        let start = Date()
        let m = try ClassificationMetrics.evaluate(
            folder.model, on: test, batchSize: batchSize, padTokenId: folder.padTokenId)
        let seconds = Date().timeIntervalSince(start)
        if json {
            let object: [String: Any] = [
                "model": directory.path, "task": task, "split": "test", "split_seed": splitSeed, "examples": m.count,
                "accuracy": m.accuracy, "macro_f1": m.macroF1, "loss": m.loss, "f1": m.f1, "labels": names,
                "confusion": m.confusion, "seconds": seconds,
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            )
        } else {
            print(
                String(
                    format:
                        "%@ on %@ (test, split seed %llu): accuracy %.4f, macro-F1 %.4f, loss %.4f over %d examples (%.1f s)",
                    directory.path, task, splitSeed, m.accuracy, m.macroF1, m.loss, m.count, seconds))
        }
    }
}

/// A token classifier (`BertForTokenClassification`) opened from disk for `evaluate --task upos-en`: a
/// full folder, or an adapter folder over a BERT base as `kalam finetune --task upos-en` writes them.
struct TaggerFolder {
    let model: BertForTokenClassification
    let tokenizer: PipelineTokenizer
    let padTokenId: Int32
    let maxLength: Int

    init(directory: URL, maxLength requested: Int = 128) throws {
        if let base = try ClassifierFolder.adapterBase(of: directory) {
            var config = try BertConfig.load(from: base)
            let saved = try BertConfig.load(from: directory.appendingPathComponent("config.json"))
            try ClassifierFolder.checkSameBase(saved, config, base: base.path)
            config.setLabels(saved.labelNames)
            model = try BertForTokenClassification(config: config, seed: 0)
            try model.loadWeights(from: base.appendingPathComponent("model.safetensors"), newHead: true)
            try AdapterFolder.apply(directory, to: model, source: model.randomSource)
            tokenizer = try ClassifierFolder.tokenizer(in: [directory, base])
        } else {
            model = try BertForTokenClassification.load(from: directory)
            tokenizer = try ClassifierFolder.tokenizer(in: [directory])
        }
        padTokenId = Int32(model.config.padTokenId ?? 0)
        maxLength = min(requested, model.config.maxPositionEmbeddings)
    }
}

extension EvaluateCommand {
    /// `kalam evaluate --model DIR --task upos-en`: token accuracy of a tagger folder on the test
    /// paragraphs of the split `kalam finetune --task upos-en` made (`--split-seed`), silver tags from
    /// Kalam's English tagger.
    func evaluateTagger(_ directory: URL, print: (String) -> Void) throws {
        let folder = try TaggerFolder(directory: directory)
        let names = folder.model.labelNames
        guard names == UPOSTask.labels else {
            throw FineTuningError.unknownLabel(
                label: names.first { !UPOSTask.labels.contains($0) } ?? "\(names.count) labels", source: directory.path,
                known: UPOSTask.labels)
        }
        let split = UPOSTask.split(try UPOSTask.paragraphs(), seed: splitSeed)
        let test = UPOSTask.examples(
            split.test, tokenizer: folder.tokenizer, tagger: try EnglishTagger.pretrained(),
            maxLength: folder.maxLength)
        let start = Date()
        let m = try ClassificationMetrics.evaluate(
            folder.model, on: test, batchSize: batchSize, padTokenId: folder.padTokenId)
        let seconds = Date().timeIntervalSince(start)
        if json {
            let object: [String: Any] = [
                "model": directory.path, "task": UPOSTask.name, "split": "test", "split_seed": splitSeed,
                "paragraphs": test.count, "tokens": m.count, "token_accuracy": m.accuracy, "macro_f1": m.macroF1,
                "loss": m.loss, "labels": names, "seconds": seconds,
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            )
        } else {
            print(
                String(
                    format:
                        "%@ on %@ (test, split seed %llu): token accuracy %.4f, macro-F1 %.4f, loss %.4f over %d tokens (%.1f s)",
                    directory.path, UPOSTask.name, splitSeed, m.accuracy, m.macroF1, m.loss, m.count, seconds))
        }
    }
}
