import ArgumentParser
import Foundation
import KalamCore
import KalamText
import KalamTraining

/// `kalam mask`: the masking `kalam pretrain` would apply, shown line by line.
///
/// Each line of standard input is tokenized as the model sees it (the tokenizer's special tokens
/// added) and masked with the strategy, rate and seed given; one JSON object is printed per line:
/// `{"input_ids", "labels", "masked_ids", "upos"}` (`labels`: the original id at each target, −100
/// elsewhere; `upos`: the tag of each token's word, `null` for special tokens), or for `t5-span`
/// `{"input_ids", "inputs", "targets"}` (the text's ids and `</s>`, the corrupted inputs, the targets).
/// One generator, seeded by `--seed`, serves the lines in order, so a run is repeatable.
public struct MaskCommand: ParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "mask",
        abstract: "Show the MLM masking or T5 span corruption of text from standard input.",
        discussion: """
            Example: echo "The morning train left the small station ten minutes late." | \
            kalam mask --tokenizer runs/bert/tokenizer.json --masking whole-word --mask-rate 0.4 --seed 1 --json
            """
    )

    /// The tokenizer file (`tokenizer.json`, `vocab.txt`) or an installed name.
    @Option(help: "Tokenizer: a tokenizer.json or vocab.txt file, or an installed name (minilm).")
    public var tokenizer: String

    /// The masking flags (shared with `kalam pretrain`).
    @OptionGroup public var options: MaskingOptions

    /// The seed of the masks.
    @Option(help: "Seed of the masks.")
    public var seed: UInt64 = 0

    /// Print JSON lines (the only output format; accepted for clarity).
    @Flag(help: "Print one JSON object per input line.")
    public var json = false

    /// Makes the command with default options.
    public init() {}

    /// The masker of the options over `tokenizer`, ready to mask lines.
    public struct Engine {
        let annotator: MaskingAnnotator
        let masker: TokenMasker?
        let corruption: SpanCorruption?
        var rng: KalamRandom

        /// One output line for one input line.
        public mutating func render(_ line: String) throws -> String {
            let object: [String: Any]
            if let corruption {
                var ids = annotator.annotate(line, addSpecialTokens: false).ids
                if ids.last == corruption.endOfSequenceId { ids.removeLast() }
                let (inputs, targets) = try corruption.corrupt(ids, rng: &rng)
                object = ["input_ids": ids + [corruption.endOfSequenceId], "inputs": inputs, "targets": targets]
            } else {
                let sequence = annotator.annotate(line)
                let masked = try masker!.mask(sequence, rng: &rng)
                let tags: [Any] =
                    sequence.tags.isEmpty
                    ? sequence.ids.map { _ in NSNull() }
                    : sequence.tags.map { tag -> Any in
                        guard let tag else { return NSNull() }
                        return tag.rawValue
                    }
                object = [
                    "input_ids": sequence.ids, "masked_ids": masked.inputs, "labels": masked.labels, "upos": tags,
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// The engine the options describe.
    /// - Throws: typed errors for a bad strategy, rate, weights or language, and a tokenizer without
    ///   `[MASK]` (or sentinels and `</s>` for `t5-span`).
    public func engine() throws -> Engine {
        let tok = try TokenizerCommand.load(tokenizer)
        if options.isSpanCorruption {
            let annotator = MaskingAnnotator(tokenizer: tok)
            return Engine(
                annotator: annotator, masker: nil, corruption: try options.spanCorruption(annotator: annotator),
                rng: KalamRandom(seed: seed))
        }
        let strategy = try options.strategy()
        let annotator = MaskingAnnotator(tokenizer: tok, tagger: try options.tagger(required: strategy.needsTags))
        return Engine(
            annotator: annotator, masker: try options.masker(annotator: annotator), corruption: nil,
            rng: KalamRandom(seed: seed))
    }

    /// Reads standard input and prints one JSON object per line.
    public func run() throws {
        var engine = try engine()
        var output = ""
        while let line = readLine(strippingNewline: true) {
            output += try engine.render(line) + "\n"
            if output.utf8.count > 1 << 16 {
                print(output, terminator: "")
                output = ""
            }
        }
        print(output, terminator: "")
    }
}
