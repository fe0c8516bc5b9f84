/// One word-level token: its text and where it sits in the original string.
///
/// Offsets count Unicode scalars (`String.unicodeScalars`), the same unit the subword tokenizers'
/// offsets use, so ``SubwordAlignment`` can relate the two.
public struct WordToken: Equatable, Hashable, Sendable {
    /// What kind of characters the token is made of.
    public enum Kind: String, Sendable, Codable {
        /// Letters (with any marks, digits, internal apostrophes, hyphens or ZWNJ).
        case word
        /// Digits only (with internal `.`, `,` or `:` between digits).
        case number
        /// A run of one repeated punctuation character (Unicode category P*).
        case punctuation
        /// A run of one repeated symbol character (Unicode category S*), or anything else.
        case symbol
    }

    /// The token text. For a split clitic this is the clitic as written (`n't`, `'s`).
    public var text: String
    /// Offset of the first scalar, in Unicode scalars from the start of the text.
    public var start: Int
    /// Offset just past the last scalar.
    public var end: Int
    /// The token's character class.
    public var kind: Kind

    /// Makes a token.
    public init(text: String, start: Int, end: Int, kind: Kind) {
        self.text = text
        self.start = start
        self.end = end
        self.kind = kind
    }

    /// True for words and numbers (what a tagger's model sees), false for punctuation and symbols.
    public var isWordLike: Bool { kind == .word || kind == .number }
}

/// Splits text into word-level tokens for tagging.
///
/// The rule, shared with `scripts/fixtures/pos.py` so both sides see the same tokens:
/// 1. Whitespace separates tokens and is dropped.
/// 2. A word is a run of letters, marks and digits (categories L*, M*, N*). An apostrophe (`'` or
///    `’`), a hyphen `-` or a zero-width non-joiner (U+200C) between two such characters stays inside
///    the word; so does `.`, `,` or `:` between two decimal digits (`3.5`, `1,000`, `10:30`).
/// 3. Any other character is its own token; a run of the same character is one token (`...`, `--`).
/// 4. English only: clitics split off the end of a word, as in Universal Dependencies English:
///    `n't` (`don't` → `do n't`, `can't` → `ca n't`), `'s`, `'m`, `'d`, `'re`, `'ve`, `'ll`, repeatedly
///    (`shouldn't've` → `should n't 've`), and `cannot` → `can not`.
/// Persian words keep their ZWNJ (`می‌روم` is one token).
public struct WordTokenizer: Sendable {
    /// The language whose rules apply.
    public enum Language: String, Sendable, CaseIterable {
        /// English: clitics are split off.
        case english = "en"
        /// Persian: no clitic splitting; ZWNJ joins word parts.
        case persian = "fa"
    }

    /// The language whose rules apply.
    public var language: Language

    /// A tokenizer for `language`.
    public init(language: Language) {
        self.language = language
    }

    private enum CharClass { case space, word, digit, other }

    @inline(__always) private static func classify(_ s: Unicode.Scalar) -> CharClass {
        let v = s.value
        if v < 0x80 {
            if (v >= 0x61 && v <= 0x7a) || (v >= 0x41 && v <= 0x5a) { return .word }
            if v >= 0x30 && v <= 0x39 { return .digit }
            if v == 0x20 || (v >= 0x09 && v <= 0x0d) || (v >= 0x1c && v <= 0x1f) { return .space }
            return .other
        }
        if s.properties.isWhitespace { return .space }
        switch s.properties.generalCategory {
        case .decimalNumber: return .digit
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .letterNumber, .otherNumber:
            return .word
        default: return .other
        }
    }

    /// The tokens of `text`, in order, with Unicode-scalar offsets.
    public func tokenize(_ text: String) -> [WordToken] {
        let scalars = Array(text.unicodeScalars)
        let classes = scalars.map(Self.classify)
        var tokens: [WordToken] = []
        tokens.reserveCapacity(scalars.count / 4)
        var i = 0
        let n = scalars.count
        while i < n {
            switch classes[i] {
            case .space:
                i += 1
            case .word, .digit:
                let start = i
                var hasLetter = false
                while i < n {
                    let c = classes[i]
                    if c == .word || c == .digit {
                        if c == .word { hasLetter = true }
                        i += 1
                        continue
                    }
                    guard c == .other, i + 1 < n else { break }
                    let v = scalars[i].value
                    let next = classes[i + 1]
                    if (v == 0x27 || v == 0x2019 || v == 0x2d || v == 0x200c) && (next == .word || next == .digit) {
                        i += 1
                    } else if (v == 0x2e || v == 0x2c || v == 0x3a) && classes[i - 1] == .digit && next == .digit {
                        i += 1
                    } else {
                        break
                    }
                }
                let kind: WordToken.Kind = hasLetter ? .word : .number
                appendWord(scalars, start, i, kind, into: &tokens)
            case .other:
                let start = i
                let first = scalars[i]
                i += 1
                // ZWNJ is not a character of its own; outside a word it is dropped like a space.
                if first.value == 0x200c { continue }
                while i < n && scalars[i] == first { i += 1 }
                let kind: WordToken.Kind
                switch first.properties.generalCategory {
                case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                    .initialPunctuation, .finalPunctuation, .otherPunctuation:
                    kind = .punctuation
                default:
                    kind = .symbol
                }
                tokens.append(WordToken(text: Self.string(scalars, start, i), start: start, end: i, kind: kind))
            }
        }
        return tokens
    }

    private static func string(_ scalars: [Unicode.Scalar], _ start: Int, _ end: Int) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[start..<end])
        return String(s)
    }

    @inline(__always) private static func isApostrophe(_ s: Unicode.Scalar) -> Bool {
        s.value == 0x27 || s.value == 0x2019
    }

    @inline(__always) private static func lowerASCII(_ s: Unicode.Scalar) -> UInt32 {
        let v = s.value
        return v >= 0x41 && v <= 0x5a ? v + 32 : v
    }

    /// Length of an English clitic ending `scalars[start..<end]` (0 when none).
    private static func cliticLength(_ scalars: [Unicode.Scalar], _ start: Int, _ end: Int) -> Int {
        let count = end - start
        func at(_ k: Int) -> UInt32 { lowerASCII(scalars[end - k]) }  // k-th scalar from the end
        if count > 3 && at(1) == 0x74 && isApostrophe(scalars[end - 2]) && at(3) == 0x6e { return 3 }  // n't
        if count > 2 && isApostrophe(scalars[end - 2]) {
            let c = at(1)
            if c == 0x73 || c == 0x6d || c == 0x64 { return 2 }  // 's 'm 'd
        }
        if count > 3 && isApostrophe(scalars[end - 3]) {
            let pair = (at(2), at(1))
            if pair == (0x72, 0x65) || pair == (0x76, 0x65) || pair == (0x6c, 0x6c) { return 3 }  // 're 've 'll
        }
        return 0
    }

    private func appendWord(
        _ scalars: [Unicode.Scalar], _ start: Int, _ end: Int, _ kind: WordToken.Kind, into tokens: inout [WordToken]
    ) {
        guard language == .english, kind == .word else {
            tokens.append(WordToken(text: Self.string(scalars, start, end), start: start, end: end, kind: kind))
            return
        }
        if end - start == 6 {
            let lower = (start..<end).map { Self.lowerASCII(scalars[$0]) }
            if lower == [0x63, 0x61, 0x6e, 0x6e, 0x6f, 0x74] {  // cannot → can not
                tokens.append(
                    WordToken(text: Self.string(scalars, start, start + 3), start: start, end: start + 3, kind: .word))
                tokens.append(
                    WordToken(text: Self.string(scalars, start + 3, end), start: start + 3, end: end, kind: .word))
                return
            }
        }
        var clitics: [WordToken] = []
        var stem = end
        while true {
            let length = Self.cliticLength(scalars, start, stem)
            if length == 0 { break }
            clitics.append(
                WordToken(text: Self.string(scalars, stem - length, stem), start: stem - length, end: stem, kind: .word)
            )
            stem -= length
        }
        tokens.append(WordToken(text: Self.string(scalars, start, stem), start: start, end: stem, kind: .word))
        tokens.append(contentsOf: clitics.reversed())
    }
}
