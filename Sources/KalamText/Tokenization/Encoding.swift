/// A token's span in the original text, in Unicode scalars (code points), like the offsets
/// Hugging Face `tokenizers` returns in Python. Special tokens added by a post-processor have `(0, 0)`.
public struct TokenOffset: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// First scalar of the token in the original string.
    public var start: Int
    /// One past the last scalar of the token in the original string.
    public var end: Int

    /// Creates an offset pair.
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// `(start, end)`.
    public var description: String { "(\(start), \(end))" }
}

/// The result of encoding one text (or a pair of texts): ids and everything aligned with them.
///
/// All arrays have the same length. `wordIds` says which pre-tokenized word of its sequence each
/// token came from (`nil` for special and padding tokens), like Hugging Face's `word_ids()`;
/// `sequenceIds` says which input of a pair (0 or 1) a token belongs to.
public struct Encoding: Equatable, Sendable {
    /// Token ids.
    public var ids: [Int]
    /// Token strings (as in the vocabulary).
    public var tokens: [String]
    /// Offsets into the original string, in Unicode scalars.
    public var offsets: [TokenOffset]
    /// Token type (segment) ids: 0 for the first sequence, 1 for the second in BERT pairs.
    public var typeIds: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// 1 for tokens added by the post-processor or padding, 0 for tokens from the text.
    public var specialTokensMask: [Int]
    /// Index of the pre-tokenized word each token came from; `nil` for added special tokens and padding.
    public var wordIds: [Int?]
    /// Which sequence of the input each token came from (0 or 1); `nil` for special tokens and padding.
    public var sequenceIds: [Int?]

    /// An empty encoding.
    public init() {
        ids = []
        tokens = []
        offsets = []
        typeIds = []
        attentionMask = []
        specialTokensMask = []
        wordIds = []
        sequenceIds = []
    }

    /// Reserves room for `n` tokens in every array.
    public mutating func reserveCapacity(_ n: Int) {
        ids.reserveCapacity(n)
        tokens.reserveCapacity(n)
        offsets.reserveCapacity(n)
        typeIds.reserveCapacity(n)
        attentionMask.reserveCapacity(n)
        specialTokensMask.reserveCapacity(n)
        wordIds.reserveCapacity(n)
        sequenceIds.reserveCapacity(n)
    }

    /// Number of tokens.
    public var count: Int { ids.count }

    /// Offsets as tuples, for callers that prefer them.
    public var offsetTuples: [(start: Int, end: Int)] { offsets.map { ($0.start, $0.end) } }

    /// Appends one token with all its attributes.
    public mutating func append(
        id: Int, token: String, offset: TokenOffset, typeId: Int,
        special: Bool, wordId: Int?, sequenceId: Int?, attention: Int = 1
    ) {
        ids.append(id)
        tokens.append(token)
        offsets.append(offset)
        typeIds.append(typeId)
        attentionMask.append(attention)
        specialTokensMask.append(special ? 1 : 0)
        wordIds.append(wordId)
        sequenceIds.append(sequenceId)
    }

    /// Appends every token of `other`.
    public mutating func append(contentsOf other: Encoding) {
        ids += other.ids
        tokens += other.tokens
        offsets += other.offsets
        typeIds += other.typeIds
        attentionMask += other.attentionMask
        specialTokensMask += other.specialTokensMask
        wordIds += other.wordIds
        sequenceIds += other.sequenceIds
    }

    /// Keeps the tokens in `range` only.
    public mutating func keep(_ range: Range<Int>) {
        ids = Array(ids[range])
        tokens = Array(tokens[range])
        offsets = Array(offsets[range])
        typeIds = Array(typeIds[range])
        attentionMask = Array(attentionMask[range])
        specialTokensMask = Array(specialTokensMask[range])
        wordIds = Array(wordIds[range])
        sequenceIds = Array(sequenceIds[range])
    }

    /// Sets every token's type id.
    public mutating func setTypeId(_ typeId: Int) {
        typeIds = Array(repeating: typeId, count: ids.count)
    }

    /// Sets every non-special token's sequence id.
    mutating func setSequenceId(_ sequence: Int) {
        for i in 0..<sequenceIds.count where specialTokensMask[i] == 0 { sequenceIds[i] = sequence }
    }

    /// Pads to `length` tokens with `id`/`token`, on the right or the left; no-op when already long enough.
    public mutating func pad(to length: Int, id: Int, token: String, typeId: Int, left: Bool) {
        let n = length - ids.count
        guard n > 0 else { return }
        func grow<T>(_ a: inout [T], _ v: T) {
            a = left ? Array(repeating: v, count: n) + a : a + Array(repeating: v, count: n)
        }
        grow(&ids, id)
        grow(&tokens, token)
        grow(&offsets, TokenOffset(start: 0, end: 0))
        grow(&typeIds, typeId)
        grow(&attentionMask, 0)
        grow(&specialTokensMask, 1)
        grow(&wordIds, nil)
        grow(&sequenceIds, nil)
    }
}

extension Encoding {
    /// The ids of the real (unpadded) tokens, cut to `maxLength` with the last token kept (so a final
    /// separator such as `[SEP]` survives truncation), as a model reads one sequence.
    public func realIds(truncatedTo maxLength: Int) -> [Int] {
        var ids = zip(self.ids, attentionMask).filter { $0.1 == 1 }.map(\.0)
        if ids.count > maxLength, let last = ids.last { ids = Array(ids.prefix(max(0, maxLength - 1))) + [last] }
        return ids
    }
}
