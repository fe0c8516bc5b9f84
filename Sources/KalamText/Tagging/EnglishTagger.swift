/// English text → tagged words: ``WordTokenizer`` (with clitic splitting) + a ``PerceptronTagger``.
///
/// The perceptron sees only words and numbers: `denckring-en-pos` was trained with punctuation
/// removed, so punctuation and symbols are tagged `PUNCT` / `SYM` by rule and left out of the
/// sequence the model reads. Sentences end at `.`, `!`, `?` tokens and at line breaks; each is
/// tagged as its own sequence. A right single quote (`’`) is read as an apostrophe (`'`) by the
/// model, so `don’t` is tagged like `don't`.
public struct EnglishTagger: PartOfSpeechTagger {
    /// The sequence model.
    public let perceptron: PerceptronTagger
    /// The tokenizer (English rules).
    public let tokenizer = WordTokenizer(language: .english)

    /// Wraps a perceptron tagger whose labels are UPOS tags or `"UPOS|Feature"` labels.
    ///
    /// Throws ``TaggerError/tagSetMismatch(label:tagSet:known:)`` if a class is not a UPOS label.
    public init(perceptron: PerceptronTagger) throws {
        for (label, upos) in zip(perceptron.classes, perceptron.universalTags) where upos == nil {
            throw TaggerError.tagSetMismatch(
                label: label, tagSet: "Universal POS", known: UniversalTag.allCases.map(\.rawValue))
        }
        self.perceptron = perceptron
    }

    /// The pretrained `denckring-en-pos` tagger from the data cache.
    public static func pretrained() throws -> EnglishTagger {
        try EnglishTagger(perceptron: PerceptronTagger.denckringEnglish())
    }

    /// The form the model reads for a token (`’` → `'`).
    public static func modelForm(_ text: String) -> String {
        text.contains("\u{2019}") ? text.replacingOccurrences(of: "\u{2019}", with: "'") : text
    }

    /// Splits tokens into sentences: after `.`, `!` or `?` tokens, and where a line break separates tokens.
    static func sentenceRanges(_ tokens: [WordToken], in text: String) -> [Range<Int>] {
        var breaks: [Int] = []  // scalar offsets of line breaks, ascending
        for (i, s) in text.unicodeScalars.enumerated() where s == "\n" || s == "\r" { breaks.append(i) }
        var ranges: [Range<Int>] = []
        var start = 0
        var nextBreak = 0
        for i in tokens.indices {
            let t = tokens[i]
            var end = t.kind == .punctuation && t.text.unicodeScalars.contains { $0 == "." || $0 == "!" || $0 == "?" }
            while nextBreak < breaks.count && breaks[nextBreak] < t.end { nextBreak += 1 }
            if !end, i + 1 < tokens.count, nextBreak < breaks.count {
                end = breaks[nextBreak] < tokens[i + 1].start
            }
            if end {
                ranges.append(start..<(i + 1))
                start = i + 1
            }
        }
        if start < tokens.count { ranges.append(start..<tokens.count) }
        return ranges
    }

    /// Tags already-tokenized words of one sentence, returning the model's labels.
    public func tagWords(_ words: [String]) -> [String] {
        perceptron.tag(words.map(Self.modelForm))
    }

    /// Tokenizes and tags `text`. Empty text gives `[]`; punctuation-only text gives all `PUNCT`.
    public func tag(text: String) -> [TaggedWord] {
        let tokens = tokenizer.tokenize(text)
        var out: [TaggedWord] = []
        out.reserveCapacity(tokens.count)
        var sentences: [[String]] = []
        let ranges = Self.sentenceRanges(tokens, in: text)
        for range in ranges {
            sentences.append(tokens[range].filter(\.isWordLike).map { Self.modelForm($0.text) })
        }
        let labels = perceptron.tagIndices(sentences: sentences)
        for (range, sentenceLabels) in zip(ranges, labels) {
            var next = 0
            for token in tokens[range] {
                if token.isWordLike {
                    let k = sentenceLabels[next]
                    next += 1
                    out.append(
                        TaggedWord(
                            token: token, label: perceptron.classes[k], upos: perceptron.universalTags[k] ?? .x,
                            isKnown: perceptron.isKnown(Self.modelForm(token.text))))
                } else {
                    out.append(
                        TaggedWord(token: token, label: token.ruleTag.rawValue, upos: token.ruleTag, isKnown: true))
                }
            }
        }
        return out
    }
}
