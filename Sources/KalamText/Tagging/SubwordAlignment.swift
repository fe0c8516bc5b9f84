/// Relates word-level tokens (from a tagger) to the subword tokens of any tokenizer.
///
/// Both sides give spans as Unicode-scalar offsets `[start, end)` into the same original text, so
/// this needs no tokenizer type: pass the words' spans and an encoding's per-token offsets. POS
/// masking uses it to give each subword its word's tag; whole-word masking to group subwords.
public enum SubwordAlignment {
    /// For each subword token, the index of the word it belongs to, or `nil`.
    ///
    /// A token belongs to the word its span overlaps most (the earlier word on a tie). A token
    /// with an empty span (special tokens such as `[CLS]`, offsets `(0, 0)`) or one that overlaps no
    /// word (whitespace, text the word tokenizer dropped) gets `nil`. Spans with `end < start` are
    /// treated as empty. `words` must be sorted by start and not overlap, as ``WordTokenizer``
    /// returns them; tokens may come in any order.
    public static func wordIndices(words: [(start: Int, end: Int)], tokens: [(start: Int, end: Int)]) -> [Int?] {
        tokens.map { token -> Int? in
            guard token.end > token.start, !words.isEmpty else { return nil }
            // First word whose end is past the token's start.
            var low = 0, high = words.count
            while low < high {
                let mid = (low + high) / 2
                if words[mid].end <= token.start { low = mid + 1 } else { high = mid }
            }
            var best: Int? = nil
            var bestOverlap = 0
            var k = low
            while k < words.count && words[k].start < token.end {
                let overlap = min(words[k].end, token.end) - max(words[k].start, token.start)
                if overlap > bestOverlap {
                    best = k
                    bestOverlap = overlap
                }
                k += 1
            }
            return best
        }
    }

    /// For each subword token, the index of the tagged word it belongs to, or `nil`.
    public static func wordIndices(words: [TaggedWord], tokens: [(start: Int, end: Int)]) -> [Int?] {
        wordIndices(words: words.map { (start: $0.token.start, end: $0.token.end) }, tokens: tokens)
    }

    /// The UPOS of each subword token (its word's tag), `nil` where it belongs to no word.
    public static func universalTags(words: [TaggedWord], tokens: [(start: Int, end: Int)]) -> [UniversalTag?] {
        wordIndices(words: words, tokens: tokens).map { $0.map { words[$0].upos } }
    }
}
