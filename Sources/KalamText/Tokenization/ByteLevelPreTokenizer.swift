import KalamJSON

/// GPT-2's byte-level pre-tokenizer (HF `ByteLevel`): splits text with the semantics of GPT-2's
/// regular expression
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// implemented as a hand-written scanner (no regex engine), then hands each word to the model as
/// UTF-8 bytes mapped to GPT-2's printable byte alphabet (see `ByteAlphabet`).
public struct ByteLevelPreTokenizer: PreTokenizer {
    /// Prepend a space when the text does not start with one (so the first word looks like the others).
    public var addPrefixSpace: Bool
    /// Split with the GPT-2 expression; when false, the whole text is one word.
    public var useRegex: Bool
    /// Kept for the `tokenizer.json` round trip (offsets are trimmed by the post-processor).
    public var trimOffsets: Bool

    /// Creates the pre-tokenizer (GPT-2: no prefix space, regex on).
    public init(addPrefixSpace: Bool = false, useRegex: Bool = true, trimOffsets: Bool = true) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
        self.trimOffsets = trimOffsets
    }

    /// Byte-level.
    public var isByteLevel: Bool { true }

    /// Adds the prefix space (aligned to the first scalar) when asked.
    public func prepare(_ text: inout NormalizedText) {
        guard addPrefixSpace, let first = text.scalars.first, first != 0x20 else { return }
        let s0 = Int32(text.start(0)), e0 = Int32(text.end(0))
        var b = NormalizedText.Builder(capacity: text.count + 1)
        b.append(0x20, start: s0, end: e0)
        for i in 0..<text.count { b.append(text.scalars[i], start: Int32(text.start(i)), end: Int32(text.end(i))) }
        text = b.text
    }

    // Scalar classes for the scanner.
    private static let classLetter: UInt8 = 0, classNumber: UInt8 = 1, classSpace: UInt8 = 2, classOther: UInt8 = 3
    private static let asciiClass: [UInt8] = (0..<128).map { v -> UInt8 in
        if (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) { return classLetter }
        if v >= 0x30 && v <= 0x39 { return classNumber }
        if v == 0x20 || (v >= 0x09 && v <= 0x0D) { return classSpace }
        return classOther
    }

    @inline(__always)
    private static func cls(_ v: UInt32) -> UInt8 {
        if v < 0x80 { return asciiClass[Int(v)] }
        let f = UnicodeClass.flags(v)
        if f & UnicodeClass.whitespace != 0 { return classSpace }
        if f & UnicodeClass.letter != 0 { return classLetter }
        if f & UnicodeClass.number != 0 { return classNumber }
        return classOther
    }

    /// Splits with GPT-2's expression.
    public func split(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into words: inout [Range<Int>]) {
        guard useRegex else {
            if !range.isEmpty { words.append(range) }
            return
        }
        let end = range.upperBound
        var i = range.lowerBound
        while i < end {
            let v = s[i]
            // Contractions: 's 't 're 've 'm 'll 'd (lowercase only, as in GPT-2).
            if v == 0x27 && i + 1 < end {
                let a = s[i + 1]
                if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 {  // s t m d
                    words.append(i..<i + 2)
                    i += 2
                    continue
                }
                if i + 2 < end {
                    let b = s[i + 2]
                    if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) {  // re ve ll
                        words.append(i..<i + 3)
                        i += 3
                        continue
                    }
                }
            }
            var c = Self.cls(v)
            var start = i
            var j = i
            if v == 0x20 && i + 1 < end {
                // ` ?X+` for letters, numbers and other symbols.
                let next = Self.cls(s[i + 1])
                if next != Self.classSpace {
                    c = next
                    j = i + 1
                }
            }
            if c != Self.classSpace {
                j += 1
                while j < end && Self.cls(s[j]) == c { j += 1 }
                words.append(start..<j)
                i = j
                continue
            }
            // Whitespace: `\s+(?!\S)` then `\s+`.
            start = i
            j = i + 1
            while j < end && Self.cls(s[j]) == Self.classSpace { j += 1 }
            if j < end && j - start > 1 { j -= 1 }  // leave the last space to prefix the next word
            words.append(start..<j)
            i = j
        }
    }

    /// The `tokenizer.json` form.
    public var json: JSONValue {
        .object([
            ("type", .string("ByteLevel")), ("add_prefix_space", .bool(addPrefixSpace)),
            ("trim_offsets", .bool(trimOffsets)), ("use_regex", .bool(useRegex)),
        ])
    }
}

/// GPT-2's reversible map from the 256 byte values to printable Unicode characters: printable
/// Latin-1 bytes map to themselves, the others to U+0100 upwards in byte order.
public enum ByteAlphabet {
    /// Character (scalar value) for each byte.
    public static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Byte for each character of the alphabet (index: scalar value < 0x144), or -1.
    public static let scalarToByte: [Int16] = {
        var t = [Int16](repeating: -1, count: 0x144)
        for (b, v) in byteToScalar.enumerated() { t[Int(v)] = Int16(b) }
        return t
    }()

    /// The 256 alphabet characters as strings (the initial alphabet for byte-level training).
    public static var alphabet: [String] { byteToScalar.map { String(Character(Unicode.Scalar($0)!)) } }

    /// Maps raw bytes to an alphabet string.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var v = String.UnicodeScalarView()
        for b in bytes { v.append(Unicode.Scalar(byteToScalar[Int(b)])!) }
        return String(v)
    }

    /// Maps an alphabet string back to bytes; `nil` when a character is not in the alphabet.
    public static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        for u in token.unicodeScalars {
            guard u.value < 0x144, scalarToByte[Int(u.value)] >= 0 else { return nil }
            out.append(UInt8(scalarToByte[Int(u.value)]))
        }
        return out
    }
}
