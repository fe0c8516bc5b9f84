/// A word-level token with its part-of-speech tag.
public struct TaggedWord: Equatable, Hashable, Sendable {
    /// The token (text and Unicode-scalar offsets into the tagged text).
    public var token: WordToken
    /// The tagger's own label (`"VERB|Fin"` for the English perceptron, `"N"` for hazm's lexicon, or
    /// `"PUNCT"` / `"SYM"` for punctuation and symbols, which no model sees).
    public var label: String
    /// The Universal POS tag.
    public var upos: UniversalTag
    /// Whether the tag came from the tagger's own knowledge (the word was in the model's training
    /// vocabulary, or in the lexicon) rather than from a guess.
    public var isKnown: Bool

    /// Makes a tagged word.
    public init(token: WordToken, label: String, upos: UniversalTag, isKnown: Bool) {
        self.token = token
        self.label = label
        self.upos = upos
        self.isKnown = isKnown
    }

    /// The token text.
    public var text: String { token.text }
}

/// Anything that tags raw text word by word.
///
/// Documented results for degenerate input, shared by every implementation: empty or
/// whitespace-only text gives `[]`; punctuation and symbols are tagged `PUNCT` / `SYM` by rule.
public protocol PartOfSpeechTagger: Sendable {
    /// Tokenizes `text` and tags every token.
    func tag(text: String) -> [TaggedWord]
}

extension WordToken {
    /// The UPOS a punctuation or symbol token gets by rule.
    var ruleTag: UniversalTag { kind == .punctuation ? .punct : .sym }
}
