import KalamJSON

/// BERT's normalizer (HF `BertNormalizer`): drop control characters and turn whitespace into
/// spaces, put spaces around CJK ideographs, strip accents (NFD, then drop Mn marks), lowercase.
///
/// Note that `cleanText` removes every format character (general category Cf), ZWNJ included,
/// exactly as Hugging Face does.
public struct BertNormalizer: Normalizer {
    /// Remove control characters and map whitespace to a plain space.
    public var cleanText: Bool
    /// Surround CJK ideographs with spaces.
    public var handleChineseChars: Bool
    /// Strip accents; `nil` follows `lowercase`.
    public var stripAccents: Bool?
    /// Lowercase.
    public var lowercase: Bool

    /// Creates the normalizer (defaults are BERT uncased).
    public init(
        cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true
    ) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// Normalizes in one pass over the scalars.
    public func normalize(_ text: inout NormalizedText) {
        let strip = stripAccents ?? lowercase
        let lower = lowercase, clean = cleanText, cjk = handleChineseChars
        text.rewrite { v, b in
            if v < 0x80 {
                if clean {
                    if v == 0x09 || v == 0x0A || v == 0x0D {
                        b.append(0x20)
                        return
                    }
                    if v < 0x20 || v == 0x7F || v == 0 { return }
                }
                b.append(lower && v >= 0x41 && v <= 0x5A ? v + 32 : v)
                return
            }
            let f = UnicodeClass.flags(v)
            if clean {
                if v == 0xFFFD { return }
                if f & UnicodeClass.whitespace != 0 {
                    b.append(0x20)
                    return
                }
                if f & UnicodeClass.other != 0 { return }
            }
            if cjk && UnicodeClass.isCJK(v) {
                b.append(0x20)
                b.append(v)
                b.append(0x20)
                return
            }
            if strip {
                for d in ScalarMappingCache.nfd.mapping(v) {
                    if d >= 0x300 && UnicodeClass.flags(d) & UnicodeClass.nonspacingMark != 0 { continue }
                    if lower { LowercaseNormalizer.lower(d, into: &b) } else { b.append(d) }
                }
            } else if lower {
                LowercaseNormalizer.lower(v, into: &b)
            } else {
                b.append(v)
            }
        }
    }

    /// The `tokenizer.json` form.
    public var json: JSONValue {
        .object([
            ("type", .string("BertNormalizer")), ("clean_text", .bool(cleanText)),
            ("handle_chinese_chars", .bool(handleChineseChars)),
            ("strip_accents", stripAccents.map { .bool($0) } ?? .null), ("lowercase", .bool(lowercase)),
        ])
    }
}
