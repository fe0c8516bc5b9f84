import Foundation
import KalamJSON

/// Turns token strings back into text.
public protocol TokenDecoder: Sendable {
    /// Joins the tokens into text.
    func decode(_ tokens: [String]) -> String
    /// The `tokenizer.json` form.
    var json: JSONValue { get }
}

/// HF `ByteLevel` decoder: maps GPT-2 alphabet characters back to bytes and decodes UTF-8,
/// replacing invalid sequences with U+FFFD. A token with characters outside the alphabet
/// (an added token) contributes its own UTF-8 bytes.
public struct ByteLevelDecoder: TokenDecoder {
    /// Creates the decoder.
    public init() {}
    /// Decodes the bytes.
    public func decode(_ tokens: [String]) -> String {
        var bytes: [UInt8] = []
        for t in tokens {
            if let b = ByteAlphabet.decode(t) { bytes += b } else { bytes += Array(t.utf8) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    /// The `tokenizer.json` form.
    public var json: JSONValue {
        .object([
            ("type", .string("ByteLevel")), ("add_prefix_space", .bool(true)), ("trim_offsets", .bool(true)),
            ("use_regex", .bool(true)),
        ])
    }
}

/// HF `WordPiece` decoder: joins with spaces, glues `##` pieces to the previous token, and with
/// `cleanup` removes the space before punctuation and English contractions.
public struct WordPieceDecoder: TokenDecoder {
    /// Continuation prefix.
    public var prefix: String
    /// Apply the tokenization-space cleanup.
    public var cleanup: Bool

    /// Creates the decoder.
    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    /// Replacements of HF's `cleanup`, applied in order to each token.
    static let cleanupRules: [(String, String)] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ]

    /// Joins the tokens.
    public func decode(_ tokens: [String]) -> String {
        var out = ""
        for (i, t) in tokens.enumerated() {
            var piece: String
            if i > 0 {
                piece = t.hasPrefix(prefix) ? String(t.dropFirst(prefix.count)) : " " + t
            } else {
                piece = t
            }
            if cleanup {
                for (a, b) in Self.cleanupRules where piece.contains(a) {
                    piece = piece.replacingOccurrences(of: a, with: b)
                }
            }
            out += piece
        }
        return out
    }
    /// The `tokenizer.json` form.
    public var json: JSONValue {
        .object([("type", .string("WordPiece")), ("prefix", .string(prefix)), ("cleanup", .bool(cleanup))])
    }
}

/// HF `BPEDecoder`: removes an end-of-word suffix and puts a space there instead.
public struct BPESuffixDecoder: TokenDecoder {
    /// The suffix (e.g. `</w>`).
    public var suffix: String
    /// Creates the decoder.
    public init(suffix: String = "</w>") { self.suffix = suffix }
    /// Joins the tokens.
    public func decode(_ tokens: [String]) -> String {
        var out = ""
        for (i, t) in tokens.enumerated() {
            out += t.replacingOccurrences(of: suffix, with: i + 1 == tokens.count ? "" : " ")
        }
        return out
    }
    /// The `tokenizer.json` form.
    public var json: JSONValue { .object([("type", .string("BPEDecoder")), ("suffix", .string(suffix))]) }
}
