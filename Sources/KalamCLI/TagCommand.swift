import ArgumentParser
import Foundation
import KalamText

/// `kalam tag --lang en|fa [--json]`: part-of-speech tags for text read from standard input.
///
/// English uses the pretrained `denckring-en-pos` averaged perceptron (or `--model FILE`, a model
/// saved by Kalam); Persian uses hazm's lexicon. Each input line is tagged on its own and printed as
/// one output line of `word/UPOS` items, or with `--json` as one JSON object per line:
/// `{"line": 1, "words": [{"text": "dog", "start": 4, "end": 7, "upos": "NOUN", "label": "NOUN|-", "known": true}]}`
/// (offsets in Unicode scalars within the line). Empty lines give empty output lines.
public struct TagCommand: ParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Tag text from standard input with parts of speech (Universal POS).",
        discussion: """
            Needs the data cache: `kalam data install denckring-en-pos` for English, `hazm` for Persian.
            Example: echo "The dog didn't bark." | kalam tag --lang en
            """
    )

    /// The language of the input.
    public enum Language: String, ExpressibleByArgument, CaseIterable, Sendable {
        /// English (perceptron tagger).
        case en
        /// Persian (lexicon tagger).
        case fa
    }

    /// The language of the input.
    @Option(name: .long, help: "Language of the input: en or fa.")
    public var lang: Language = .en

    /// A perceptron model file to use instead of the pretrained English one.
    @Option(name: .long, help: "An averaged-perceptron model saved by Kalam (.json or .json.gz), English only.")
    public var model: String?

    /// Print JSON lines instead of `word/TAG` lines.
    @Flag(name: .long, help: "Print one JSON object per input line.")
    public var json = false

    /// Print the tagger's own labels (e.g. VERB|Fin, or hazm's N/AJ) instead of UPOS.
    @Flag(name: .long, help: "Print the tagger's own labels instead of UPOS in word/TAG output.")
    public var labels = false

    /// Makes the command with default options.
    public init() {}

    /// Builds the tagger the options ask for.
    public func makeTagger() throws -> any PartOfSpeechTagger {
        switch lang {
        case .en:
            if let model {
                return try EnglishTagger(perceptron: PerceptronTagger(contentsOf: URL(fileURLWithPath: model)))
            }
            return try EnglishTagger.pretrained()
        case .fa:
            return try PersianLexiconTagger.hazm()
        }
    }

    /// One output line for one input line.
    public static func render(_ tagged: [TaggedWord], lineNumber: Int, json: Bool, labels: Bool) -> String {
        guard json else {
            return tagged.map { "\($0.text)/\(labels ? $0.label : $0.upos.rawValue)" }.joined(separator: " ")
        }
        let words: [[String: Any]] = tagged.map {
            [
                "text": $0.text, "start": $0.token.start, "end": $0.token.end,
                "upos": $0.upos.rawValue, "label": $0.label, "known": $0.isKnown,
            ]
        }
        let object: [String: Any] = ["line": lineNumber, "words": words]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads standard input, tags it line by line and prints the result.
    public func run() throws {
        let tagger = try makeTagger()
        var lineNumber = 0
        var output = ""
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            output += Self.render(tagger.tag(text: line), lineNumber: lineNumber, json: json, labels: labels)
            output += "\n"
            if output.utf8.count > 1 << 16 {
                print(output, terminator: "")
                output = ""
            }
        }
        print(output, terminator: "")
    }
}
