import Foundation
import KalamText

/// How masked-language-model targets are chosen. Every strategy aims at a rate (the share of a
/// sequence's eligible tokens that become targets); ``TokenMasker`` applies it.
public enum MaskingStrategy: Sendable, Equatable {
    /// Tokens chosen at random: independently with probability `rate` each (transformers' collator),
    /// or, with `exactCount`, exactly `rate × eligible` tokens of each sequence (BERT's data script;
    /// the product rounded up or down at random by its fraction, so the expected rate is `rate`).
    case random(exactCount: Bool)
    /// Whole words chosen in a random order until `rate × eligible` tokens are covered; all of a word's
    /// subword pieces are targets together (words from the tokenizer's pre-tokenisation).
    case wholeWord
    /// SpanBERT: spans of whole words, each of a length in words drawn from a geometric distribution
    /// with parameter `p` clipped at `maxLength`, at random anchors, until `rate × eligible` tokens are
    /// covered.
    case span(p: Double, maxLength: Int)
    /// Words chosen independently with a probability proportional to the weight of their UPOS tag
    /// (unlisted tags weigh 1), normalised per sequence so that the expected number of target tokens
    /// is `rate × eligible`; a word's probability is capped at 1.
    case partOfSpeech(weights: [UniversalTag: Double])

    /// SpanBERT's span lengths: geometric with p = 0.2, clipped at 10 words.
    public static let spanBERT = MaskingStrategy.span(p: 0.2, maxLength: 10)

    /// The command-line names: `random`, `whole-word`, `span`, `pos`.
    public static let names = ["random", "whole-word", "span", "pos"]

    /// The strategy called `name` on the command line (`random`, `whole-word`, `span`, `pos`).
    /// - Parameters:
    ///   - exactCount: for `random`, an exact count per sequence instead of independent draws.
    ///   - posWeights: for `pos`, the weights (see ``parseWeights(_:)``).
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for an unknown name.
    public static func named(
        _ name: String, exactCount: Bool = false, posWeights: [UniversalTag: Double] = defaultPOSWeights
    ) throws -> MaskingStrategy {
        switch name {
        case "random": return .random(exactCount: exactCount)
        case "whole-word": return .wholeWord
        case "span": return .spanBERT
        case "pos": return .partOfSpeech(weights: posWeights)
        default:
            throw TrainingError.invalidOption(
                name: "masking", value: name, reason: "unknown strategy; known: \(names.joined(separator: ", "))")
        }
    }

    /// Content words more, function words less: `NOUN=3, PROPN=3, VERB=2, ADJ=2, ADV=1.5, ADP=0.25,
    /// DET=0.25, CCONJ=0.25, PUNCT=0.1`; other tags 1.
    public static let defaultPOSWeights: [UniversalTag: Double] = [
        .noun: 3, .propn: 3, .verb: 2, .adj: 2, .adv: 1.5, .adp: 0.25, .det: 0.25, .cconj: 0.25, .punct: 0.1,
    ]

    /// Reads weights written `NOUN=3,VERB=2,ADP=0.25` (UPOS names, any case; spaces ignored).
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` naming an unknown tag, a tag given
    ///   twice, or a weight that is not a finite number ≥ 0.
    public static func parseWeights(_ text: String) throws -> [UniversalTag: Double] {
        var weights: [UniversalTag: Double] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces).uppercased()
            guard parts.count == 2 else {
                throw TrainingError.invalidOption(
                    name: "pos weights", value: String(item), reason: "expected TAG=WEIGHT")
            }
            guard let tag = UniversalTag(rawValue: name) else {
                throw TrainingError.invalidOption(
                    name: "pos weights", value: name,
                    reason: "unknown UPOS tag; known: \(UniversalTag.allCases.map(\.rawValue).joined(separator: " "))")
            }
            guard weights[tag] == nil else {
                throw TrainingError.invalidOption(name: "pos weights", value: name, reason: "tag given twice")
            }
            let valueText = parts[1].trimmingCharacters(in: .whitespaces)
            guard let value = Double(valueText), value.isFinite, value >= 0 else {
                throw TrainingError.invalidOption(
                    name: "pos weights", value: "\(name)=\(valueText)", reason: "weight must be a number >= 0")
            }
            weights[tag] = value
        }
        guard !weights.isEmpty else {
            throw TrainingError.invalidOption(name: "pos weights", value: text, reason: "no TAG=WEIGHT given")
        }
        return weights
    }

    /// Whether the strategy needs word boundaries (every strategy but `random`).
    public var needsWords: Bool {
        if case .random = self { return false }
        return true
    }

    /// Whether the strategy needs part-of-speech tags.
    public var needsTags: Bool {
        if case .partOfSpeech = self { return true }
        return false
    }
}

/// What a chosen token becomes: `[MASK]` with probability `mask`, a random token with `random`, itself
/// otherwise (BERT's 80/10/10 by default).
public struct ReplacementSplit: Sendable, Equatable {
    /// The share of targets replaced by `[MASK]`.
    public var mask: Double
    /// The share of targets replaced by a random non-special token.
    public var random: Double
    /// The share left unchanged (`1 − mask − random`).
    public var keep: Double { 1 - mask - random }

    /// BERT's 80% `[MASK]`, 10% random, 10% unchanged.
    public static let bert = ReplacementSplit(uncheckedMask: 0.8, random: 0.1)

    init(uncheckedMask mask: Double, random: Double) {
        self.mask = mask
        self.random = random
    }

    /// A split; the unchanged share is the rest.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` unless both shares are in [0, 1]
    ///   and sum to at most 1.
    public init(mask: Double, random: Double) throws {
        guard mask >= 0, random >= 0, mask + random <= 1 + 1e-12 else {
            throw TrainingError.invalidOption(
                name: "replacement split", value: "\(mask)/\(random)",
                reason: "the [MASK] and random shares must be >= 0 and sum to at most 1")
        }
        self.init(uncheckedMask: mask, random: random)
    }

    /// Reads `80/10/10` (percentages or fractions: mask / random / keep, summing to 100 or 1).
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for anything else.
    public static func parse(_ text: String) throws -> ReplacementSplit {
        let parts = text.split(separator: "/").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let m = parts[0], let r = parts[1], let k = parts[2], m >= 0, r >= 0, k >= 0 else {
            throw TrainingError.invalidOption(
                name: "replacement split", value: text, reason: "expected MASK/RANDOM/KEEP, e.g. 80/10/10")
        }
        let total = m + r + k
        guard abs(total - 100) < 1e-9 || abs(total - 1) < 1e-9 else {
            throw TrainingError.invalidOption(
                name: "replacement split", value: text, reason: "the three shares must sum to 100 (or 1)")
        }
        return try ReplacementSplit(mask: m / total, random: r / total)
    }
}

/// One sequence ready for masking: its token ids and, for each token, the word it belongs to and that
/// word's tag.
///
/// `words[i]` is the index of token `i`'s word, or −1 for a token that is never chosen (special
/// tokens, padding). Pieces of one word carry the same index and are adjacent. `tags[i]` is the UPOS
/// of token `i`'s word (empty when the sequence was not tagged).
public struct MaskableSequence: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int32]
    /// Word index per token; −1 where the token is never a target.
    public var words: [Int32]
    /// The UPOS of each token's word; empty, or one per token (`nil` where the tagger gave none).
    public var tags: [UniversalTag?]

    /// A sequence; `words` (and `tags`, unless empty) must have one entry per id.
    public init(ids: [Int32], words: [Int32], tags: [UniversalTag?] = []) {
        self.ids = ids
        self.words = words
        self.tags = tags
    }

    /// A sequence in which every token but those in `specialTokenIds` and those from `length` on
    /// (padding) is its own word.
    public init(ids: [Int32], length: Int? = nil, specialTokenIds: Set<Int32>) {
        let real = length ?? ids.count
        var words = [Int32](repeating: -1, count: ids.count)
        for i in 0..<min(real, ids.count) where !specialTokenIds.contains(ids[i]) { words[i] = Int32(i) }
        self.init(ids: ids, words: words)
    }

    /// The number of tokens that may be chosen.
    public var eligibleCount: Int { words.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }

    /// The words: the range of token positions of each, in order.
    public var wordRanges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        var i = 0
        while i < words.count {
            guard words[i] >= 0 else {
                i += 1
                continue
            }
            var j = i + 1
            while j < words.count && words[j] == words[i] { j += 1 }
            ranges.append(i..<j)
            i = j
        }
        return ranges
    }
}

/// A masked sequence: the model's inputs and the labels (the original id at each target, −100
/// elsewhere).
public struct MaskedSequence: Sendable, Equatable {
    /// Input ids with the targets replaced.
    public var inputs: [Int32]
    /// Original ids at the targets, ``Batch/ignoreIndex`` elsewhere.
    public var labels: [Int32]
}
