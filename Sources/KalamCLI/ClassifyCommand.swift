import ArgumentParser
import Foundation
import KalamCore
import KalamModels
import KalamTraining

/// `kalam classify --model DIR [--json]`: one prediction per line of standard input.
public struct ClassifyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify each line of standard input with a fine-tuned model.",
        discussion: """
            DIR is a BertForSequenceClassification folder, or an adapter folder written by `kalam finetune --mode \
            lora|adapter` (or by peft), whose base is found through base_model_name_or_path in adapter_config.json \
            and whose label names are in the config.json beside it. With --json each line is \
            {"label": NAME, "logits": [...]} with the logits in the label order of the saved config; without, \
            the label name alone.

            Example:
              printf 'Shares fell sharply in London.\\n' | kalam classify --model runs/bbc-lora --json
            """
    )

    @Option(help: "A classifier folder or an adapter folder.")
    var model: String

    @Option(name: .customLong("max-length"), help: "Tokens per input, [CLS] and [SEP] included.")
    var maxLength: Int = 128

    @Option(name: .customLong("batch-size"), help: "Lines classified together.")
    var batchSize: Int = 16

    @Flag(help: "Print one JSON object per line.")
    var json = false

    public init() {}

    public func run() throws {
        var lines: [String] = []
        while let line = readLine(strippingNewline: true) { lines.append(line) }
        for line in try classify(lines) { print(line) }
    }

    /// The output line of every input line.
    func classify(_ lines: [String]) throws -> [String] {
        guard maxLength >= 2 else {
            throw TrainingError.invalidOption(name: "--max-length", value: "\(maxLength)", reason: "must be at least 2")
        }
        guard batchSize >= 1 else {
            throw TrainingError.invalidOption(name: "--batch-size", value: "\(batchSize)", reason: "must be at least 1")
        }
        let folder = try ClassifierFolder(
            directory: URL(fileURLWithPath: model, isDirectory: true), maxLength: maxLength)
        let names = folder.model.labelNames
        let examples = lines.map { ClassificationExample(ids: folder.encode($0), label: 0) }
        let (predictions, _) = try ClassificationMetrics.predict(
            folder.model, examples, batchSize: batchSize, padTokenId: folder.padTokenId)
        return try predictions.map { p in
            guard json else { return names[p.predicted] }
            let object: [String: Any] = ["label": names[p.predicted], "logits": p.logits.map(Double.init)]
            return String(
                decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
    }
}
