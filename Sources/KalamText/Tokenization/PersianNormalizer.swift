import KalamJSON

/// Persian normalization, built from Hugging Face `Replace` steps so that a saved `tokenizer.json`
/// loads in Python `tokenizers` and behaves identically:
///
/// - Arabic yeh `ي` (U+064A) and alef maksura `ى` (U+0649) become Persian yeh `ی` (U+06CC);
///   Arabic kaf `ك` (U+0643) becomes Persian kaf `ک` (U+06A9);
/// - tatweel `ـ` (U+0640) is removed;
/// - optionally, Arabic diacritics (U+064B–U+0652, superscript alef U+0670) are removed;
/// - ZWNJ (U+200C) is kept as a word-internal joiner; a ZWNJ next to a space is dropped, and a
///   doubled ZWNJ becomes one.
///
/// Pre-tokenizers treat ZWNJ as they do in Hugging Face: `WhitespacePreTokenizer` keeps it inside
/// words (it is `\w`), GPT-2's byte-level split isolates it, and `BertNormalizer` deletes it.
public struct PersianNormalizer: Normalizer {
    /// Whether Arabic diacritics (harakat) are removed.
    public var removeDiacritics: Bool
    /// The equivalent sequence of `Replace` steps.
    public let steps: NormalizerSequence

    /// Creates the normalizer.
    public init(removeDiacritics: Bool = true) {
        self.removeDiacritics = removeDiacritics
        var rules: [(String, String)] = [
            ("\u{064A}", "\u{06CC}"), ("\u{0649}", "\u{06CC}"), ("\u{0643}", "\u{06A9}"), ("\u{0640}", ""),
        ]
        if removeDiacritics {
            for v in [UInt32](0x064B...0x0652) + [0x0670] { rules.append((String(Character(Unicode.Scalar(v)!)), "")) }
        }
        rules += [(" \u{200C}", " "), ("\u{200C} ", " "), ("\u{200C}\u{200C}", "\u{200C}")]
        steps = NormalizerSequence(rules.map { ReplaceNormalizer(pattern: $0.0, content: $0.1) })
    }

    /// Applies the steps.
    public func normalize(_ text: inout NormalizedText) { steps.normalize(&text) }
    /// The `Sequence` of `Replace` steps.
    public var json: JSONValue { steps.json }
}
