import ArgumentParser
import Foundation
import KalamCore
import KalamModels
import KalamText
import KalamTraining

/// `kalam evaluate`: each objective's measure of a model directory on a corpus — a GPT-2's loss and
/// perplexity, a BERT's masked-token accuracy and loss, a T5's span-corruption loss.
public struct EvaluateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a model's loss on a corpus (GPT-2 perplexity, BERT masked accuracy, T5 span loss).",
        discussion: """
            --model is a Hugging Face layout directory (config.json, model.safetensors, tokenizer.json), such as \
            `kalam pretrain --out` writes. The corpus is tokenized with the model's tokenizer and packed into \
            blocks of the model's context length. --split validation (the default) scores the same held-out \
            documents as `kalam pretrain` (the last --validation-fraction of the documents); --split all scores \
            every document. Also reports a unigram model's loss on the same tokens (counts from the rest).

            Example:
              kalam evaluate --model runs/kjv-tiny --corpus kjv --json
            """
    )

    /// Which documents are scored.
    enum Split: String, ExpressibleByArgument, CaseIterable {
        case validation, all
    }

    @Option(help: "Model directory (config.json + model.safetensors + tokenizer.json).")
    var model: String

    @Option(help: "Corpus: a name (\(CorpusCatalog.names.joined(separator: ", "))) or a text/JSONL file or folder.")
    var corpus: String?

    @Option(
        help:
            "A classification task (bbc-news, chatterbot-en, chatterbot-fa, upos-en, FILE): score a classifier folder.")
    var task: String?

    @Option(name: .customLong("split-seed"), help: "With --task: the seed of the split the model was tuned on.")
    var splitSeed: UInt64 = 0

    @Option(help: "Documents to score: validation or all.")
    var split: Split = .validation

    @Option(name: .customLong("validation-fraction"), help: "Fraction of documents held out for validation.")
    var validationFraction: Double = 0.05

    @Option(name: .customLong("batch-size"), help: "Sequences per batch.")
    var batchSize: Int = 16

    @Option(name: .customLong("max-batches"), help: "Score at most this many batches (0: all).")
    var maxBatches: Int = 0

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "BERT and T5: seed of the fixed masking of the scored documents.")
    var seed: UInt64 = 0

    /// BERT and T5: the masking scored (the flags `kalam pretrain` takes).
    @OptionGroup var masking: MaskingOptions

    public init() {}

    public func run() throws {
        try execute { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    }

    /// Runs the command, sending its output lines to `print`.
    func execute(print: (String) -> Void) throws {
        guard batchSize >= 1 else {
            throw TrainingError.invalidOption(name: "--batch-size", value: "\(batchSize)", reason: "must be at least 1")
        }
        let directory = URL(fileURLWithPath: model, isDirectory: true)
        if let task {
            if task == UPOSTask.name {
                try evaluateTagger(directory, print: print)
            } else {
                try evaluateClassifier(directory, task: task, print: print)
            }
            return
        }
        guard let corpus else {
            throw TrainingError.invalidOption(name: "--corpus", value: "none", reason: "give --corpus (or --task)")
        }
        if let architecture = Self.architecture(of: directory), architecture != "GPT2LMHeadModel" {
            return try executeEncoder(architecture: architecture, directory: directory, corpus: corpus, print: print)
        }
        let lm = try GPT2LMHeadModel.load(from: directory)
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
            throw ModelError.fileNotFound(path: tokenizerURL.path)
        }
        let tok = try TokenizerJSON.load(tokenizerURL)
        guard tok.vocabularySize <= lm.config.vocabSize else {
            throw TrainingError.invalidTokenizer(
                spec: tokenizerURL.path,
                reason: "\(tok.vocabularySize) tokens, more than the model's vocabulary of \(lm.config.vocabSize)")
        }
        let documents = try CorpusCatalog.documents(corpus)
        let eot = tok.id(of: "<|endoftext|>").map { Int32($0) }
        let scored: PackedBlocks, rest: PackedBlocks?
        if split == .validation {
            let data = try LanguageModelData(
                documents: documents, tokenizer: tok, contextLength: lm.config.nPositions,
                validationFraction: validationFraction, endOfText: eot)
            (scored, rest) = (data.validation, data.train)
        } else {
            let ids = LanguageModelData.tokenize(documents.map(\.text), tokenizer: tok)
            scored = try PackedBlocks(
                documents: ids, packing: BlockPacking(contextLength: lm.config.nPositions, separator: eot))
            rest = nil
        }
        let start = Date()
        let loss = try Trainer.evaluate(
            model: lm, objective: CausalLMObjective(model: lm), blocks: scored,
            batchSize: batchSize, maxBatches: maxBatches > 0 ? maxBatches : nil)
        let seconds = Date().timeIntervalSince(start)
        let batches =
            maxBatches > 0
            ? min(maxBatches, (scored.count + batchSize - 1) / batchSize) : (scored.count + batchSize - 1) / batchSize
        let tokens = (0..<min(scored.count, batches * batchSize)).reduce(0) { $0 + max(0, Int(scored.lengths[$1]) - 1) }
        let unigram = try rest.map {
            try UnigramBaseline(blocks: $0, vocabularySize: lm.config.vocabSize).crossEntropy(on: scored)
        }
        if json {
            var fields = [
                "\"model\": \(Self.quoted(directory.path))", "\"corpus\": \(Self.quoted(corpus))",
                "\"split\": \"\(split.rawValue)\"", "\"loss\": \(loss)",
                "\"perplexity\": \(Foundation.exp(Double(loss)))",
                "\"tokens\": \(tokens)", "\"blocks\": \(min(scored.count, batches * batchSize))",
                "\"seconds\": \(seconds)",
            ]
            if let unigram { fields.append("\"unigram_loss\": \(unigram)") }
            print("{" + fields.joined(separator: ", ") + "}")
        } else {
            print(
                String(
                    format: "%@ on %@ (%@): loss %.4f, perplexity %.2f over %d tokens (%.1f s)", directory.path, corpus,
                    split.rawValue, loss, Foundation.exp(Double(loss)), tokens, seconds))
            if let unigram {
                print(String(format: "unigram baseline: loss %.4f, perplexity %.2f", unigram, Foundation.exp(unigram)))
            }
        }
    }

    /// A JSON string literal.
    static func quoted(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s])) ?? Data("[\"\"]".utf8)
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\/", with: "/")
    }
}
