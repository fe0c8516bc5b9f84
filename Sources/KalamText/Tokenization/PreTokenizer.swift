import KalamJSON

/// A pre-tokenizer: splits normalized text into words that the model tokenizes independently.
///
/// Words are ranges of scalar indices into the normalized text; they never overlap and come in order.
public protocol PreTokenizer: Sendable {
    /// Appends the words found inside `range` of `scalars` to `words`.
    func split(_ scalars: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into words: inout [Range<Int>])
    /// Whether words go to the model as GPT-2 byte-level symbols rather than as scalars.
    var isByteLevel: Bool { get }
    /// A change to the whole text before splitting (e.g. adding a prefix space); default none.
    func prepare(_ text: inout NormalizedText)
    /// The `tokenizer.json` form.
    var json: JSONValue { get }
}

extension PreTokenizer {
    /// Not byte-level.
    public var isByteLevel: Bool { false }
    /// No change.
    public func prepare(_ text: inout NormalizedText) {}

    /// Splits a plain string and returns the words with their scalar offsets (for tests and tools).
    public func preTokenize(_ string: String) -> [(String, TokenOffset)] {
        var text = NormalizedText(string)
        prepare(&text)
        var words: [Range<Int>] = []
        text.scalars.withUnsafeBufferPointer { split($0, 0..<$0.count, into: &words) }
        return words.map { r in
            var v = String.UnicodeScalarView()
            for k in r { v.append(Unicode.Scalar(text.scalars[k])!) }
            return (String(v), text.originalSpan(r.lowerBound, r.upperBound))
        }
    }
}

/// Several pre-tokenizers, each splitting the words of the previous one (HF `Sequence`).
public struct PreTokenizerSequence: PreTokenizer {
    /// The pre-tokenizers in order.
    public var preTokenizers: [any PreTokenizer]
    /// Creates a sequence.
    public init(_ preTokenizers: [any PreTokenizer]) { self.preTokenizers = preTokenizers }
    /// Applies each in turn.
    public func split(_ scalars: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into words: inout [Range<Int>]) {
        var current = [range]
        for p in preTokenizers {
            var next: [Range<Int>] = []
            for r in current { p.split(scalars, r, into: &next) }
            current = next
        }
        words += current
    }
    /// Byte-level if any member is.
    public var isByteLevel: Bool { preTokenizers.contains { $0.isByteLevel } }
    /// Prepares with every member.
    public func prepare(_ text: inout NormalizedText) { for p in preTokenizers { p.prepare(&text) } }
    /// `{"type": "Sequence", "pretokenizers": [...]}`.
    public var json: JSONValue {
        .object([("type", .string("Sequence")), ("pretokenizers", .array(preTokenizers.map(\.json)))])
    }
}

/// HF `Whitespace`: the regex `\w+|[^\w\s]+` — runs of word characters and runs of other
/// non-space characters. ZWNJ and ZWJ count as word characters (Join_Control), so Persian
/// words joined with ZWNJ stay whole.
public struct WhitespacePreTokenizer: PreTokenizer {
    /// Creates the pre-tokenizer.
    public init() {}
    /// Splits into word runs and symbol runs.
    public func split(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into words: inout [Range<Int>]) {
        var i = range.lowerBound
        let end = range.upperBound
        @inline(__always) func kind(_ v: UInt32) -> Int {  // 0 space, 1 word, 2 other
            if v < 0x80 {
                if v == 0x20 || (v >= 0x09 && v <= 0x0D) { return 0 }
                if (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F {
                    return 1
                }
                return 2
            }
            let f = UnicodeClass.flags(v)
            if f & UnicodeClass.whitespace != 0 { return 0 }
            return f & UnicodeClass.word != 0 ? 1 : 2
        }
        while i < end {
            let k = kind(s[i])
            if k == 0 {
                i += 1
                continue
            }
            var j = i + 1
            while j < end && kind(s[j]) == k { j += 1 }
            words.append(i..<j)
            i = j
        }
    }
    /// `{"type": "Whitespace"}`.
    public var json: JSONValue { .object([("type", .string("Whitespace"))]) }
}

/// HF `WhitespaceSplit`: splits on whitespace only.
public struct WhitespaceSplitPreTokenizer: PreTokenizer {
    /// Creates the pre-tokenizer.
    public init() {}
    /// Splits on White_Space scalars.
    public func split(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into words: inout [Range<Int>]) {
        var i = range.lowerBound
        while i < range.upperBound {
            if UnicodeClass.flags(s[i]) & UnicodeClass.whitespace != 0 {
                i += 1
                continue
            }
            var j = i + 1
            while j < range.upperBound && UnicodeClass.flags(s[j]) & UnicodeClass.whitespace == 0 { j += 1 }
            words.append(i..<j)
            i = j
        }
    }
    /// `{"type": "WhitespaceSplit"}`.
    public var json: JSONValue { .object([("type", .string("WhitespaceSplit"))]) }
}

/// BERT's pre-tokenizer (HF `BertPreTokenizer`): split on whitespace (dropped) and make every
/// punctuation character (ASCII symbols and Unicode P*) a word of its own.
public struct BertPreTokenizer: PreTokenizer {
    /// Creates the pre-tokenizer.
    public init() {}
    /// Splits on whitespace and isolates punctuation.
    public func split(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into words: inout [Range<Int>]) {
        var i = range.lowerBound
        var wordStart = -1
        let end = range.upperBound
        while i < end {
            let v = s[i]
            let isSpace: Bool, isPunct: Bool
            if v < 0x80 {
                isSpace = v == 0x20 || (v >= 0x09 && v <= 0x0D)
                isPunct = !isSpace && UnicodeClass.isBertPunctuation(v)
            } else {
                isSpace = UnicodeClass.flags(v) & UnicodeClass.whitespace != 0
                isPunct = !isSpace && UnicodeClass.isBertPunctuation(v)
            }
            if isSpace || isPunct {
                if wordStart >= 0 {
                    words.append(wordStart..<i)
                    wordStart = -1
                }
                if isPunct { words.append(i..<i + 1) }
            } else if wordStart < 0 {
                wordStart = i
            }
            i += 1
        }
        if wordStart >= 0 { words.append(wordStart..<end) }
    }
    /// `{"type": "BertPreTokenizer"}`.
    public var json: JSONValue { .object([("type", .string("BertPreTokenizer"))]) }
}
