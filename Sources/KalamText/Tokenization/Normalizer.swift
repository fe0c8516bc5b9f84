import Foundation
import KalamJSON

/// A text normalizer: rewrites the text before pre-tokenization while keeping each scalar's span
/// in the original string. Each normalizer serializes to its Hugging Face `tokenizer.json` form.
public protocol Normalizer: Sendable {
    /// Rewrites `text` in place.
    func normalize(_ text: inout NormalizedText)
    /// The `tokenizer.json` form (`{"type": ..., ...}`).
    var json: JSONValue { get }
}

extension Normalizer {
    /// Normalizes a plain string (convenience for tests and tools).
    public func normalize(_ string: String) -> String {
        var t = NormalizedText(string)
        normalize(&t)
        return t.string
    }
}

/// Several normalizers applied in order (HF `Sequence`).
public struct NormalizerSequence: Normalizer {
    /// The normalizers, applied first to last.
    public var normalizers: [any Normalizer]
    /// Creates a sequence.
    public init(_ normalizers: [any Normalizer]) { self.normalizers = normalizers }
    /// Applies each normalizer in turn.
    public func normalize(_ text: inout NormalizedText) { for n in normalizers { n.normalize(&text) } }
    /// `{"type": "Sequence", "normalizers": [...]}`.
    public var json: JSONValue {
        .object([("type", .string("Sequence")), ("normalizers", .array(normalizers.map(\.json)))])
    }
}

/// Full Unicode lowercase mapping (HF `Lowercase`; one scalar may become several, e.g. `İ` → `i̇`).
public struct LowercaseNormalizer: Normalizer {
    /// Creates the normalizer.
    public init() {}
    /// Lowercases every scalar.
    public func normalize(_ text: inout NormalizedText) {
        text.rewrite { v, b in LowercaseNormalizer.lower(v, into: &b) }
    }
    @inline(__always)
    static func lower(_ v: UInt32, into b: inout NormalizedText.Builder) {
        if v < 0x80 {
            b.append(v >= 0x41 && v <= 0x5A ? v + 32 : v)
        } else if UnicodeClass.flags(v) & UnicodeClass.changesWhenLowercased != 0 {
            for m in ScalarMappingCache.lowercase.mapping(v) { b.append(m) }
        } else {
            b.append(v)
        }
    }
    /// `{"type": "Lowercase"}`.
    public var json: JSONValue { .object([("type", .string("Lowercase"))]) }
}

/// Removes non-spacing marks (general category Mn), HF `StripAccents`; pair it with NFD to strip accents.
public struct StripAccentsNormalizer: Normalizer {
    /// Creates the normalizer.
    public init() {}
    /// Drops every Mn scalar.
    public func normalize(_ text: inout NormalizedText) {
        text.rewrite { v, b in
            if v < 0x300 || UnicodeClass.flags(v) & UnicodeClass.nonspacingMark == 0 { b.append(v) }
        }
    }
    /// `{"type": "StripAccents"}`.
    public var json: JSONValue { .object([("type", .string("StripAccents"))]) }
}

/// Unicode normalization forms NFC, NFD, NFKC and NFKD (HF `NFC`, `NFD`, `NFKC`, `NFKD`).
///
/// ASCII runs pass through untouched. Other text is normalized one grapheme cluster at a time, and
/// every output scalar takes the span of its whole cluster. NFD/NFKD decompose scalar by scalar
/// without canonical reordering of combining marks (the order in well-formed text is already canonical).
public struct UnicodeNormalizer: Normalizer {
    /// A normalization form.
    public enum Form: String, Sendable {
        case nfc = "NFC"
        case nfd = "NFD"
        case nfkc = "NFKC"
        case nfkd = "NFKD"
    }
    /// The form applied.
    public var form: Form
    /// Creates the normalizer.
    public init(_ form: Form) { self.form = form }

    /// Applies the normalization form.
    public func normalize(_ text: inout NormalizedText) {
        switch form {
        case .nfd, .nfkd:
            let cache = form == .nfd ? ScalarMappingCache.nfd : ScalarMappingCache.nfkd
            text.rewrite { v, b in
                if v < 0xC0 && (form == .nfd || v < 0xA0) {
                    b.append(v)
                } else {
                    for m in cache.mapping(v) { b.append(m) }
                }
            }
        case .nfc, .nfkc:
            composeForm(&text)
        }
    }

    private func composeForm(_ text: inout NormalizedText) {
        let s = text.scalars
        var b = NormalizedText.Builder(capacity: s.count)
        var i = 0
        while i < s.count {
            if s[i] < 0x80 && (i + 1 == s.count || s[i + 1] < 0x80) {
                b.append(s[i], start: Int32(text.start(i)), end: Int32(text.end(i)))
                i += 1
                continue
            }
            var j = i + 1
            while j < s.count && !(s[j] < 0x80 && (j + 1 == s.count || s[j + 1] < 0x80)) { j += 1 }
            // Segment i..<j: normalize grapheme by grapheme.
            var view = String.UnicodeScalarView()
            for k in i..<j { view.append(Unicode.Scalar(s[k]) ?? "\u{FFFD}") }
            var k = i
            for ch in String(view) {
                let n = ch.unicodeScalars.count
                let str = String(ch)
                let out =
                    form == .nfc
                    ? str.precomposedStringWithCanonicalMapping
                    : str.precomposedStringWithCompatibilityMapping
                let lo = Int32(text.start(k)), hi = Int32(text.end(k + n - 1))
                for u in out.unicodeScalars { b.append(u.value, start: lo, end: hi) }
                k += n
            }
            i = j
        }
        text = b.text
    }

    /// `{"type": "NFC"}` (or the other form).
    public var json: JSONValue { .object([("type", .string(form.rawValue))]) }
}

/// Replaces every occurrence of a literal string (HF `Replace` with a `String` pattern), scanning
/// left to right without overlaps. Replacement scalars take the span of the whole match.
public struct ReplaceNormalizer: Normalizer {
    /// The literal text to find.
    public var pattern: String
    /// The replacement.
    public var content: String
    private let patternScalars: [UInt32]
    private let contentScalars: [UInt32]

    /// Creates the normalizer.
    public init(pattern: String, content: String) {
        self.pattern = pattern
        self.content = content
        patternScalars = pattern.unicodeScalars.map(\.value)
        contentScalars = content.unicodeScalars.map(\.value)
    }

    /// Replaces the occurrences.
    public func normalize(_ text: inout NormalizedText) {
        guard let first = patternScalars.first else { return }
        let s = text.scalars
        guard s.contains(first) else { return }
        var b = NormalizedText.Builder(capacity: s.count)
        let m = patternScalars.count
        var i = 0
        while i < s.count {
            if s[i] == first && i + m <= s.count && (m == 1 || Array(s[i..<i + m]) == patternScalars) {
                let lo = Int32(text.start(i)), hi = Int32(text.end(i + m - 1))
                for c in contentScalars { b.append(c, start: lo, end: hi) }
                i += m
            } else {
                b.append(s[i], start: Int32(text.start(i)), end: Int32(text.end(i)))
                i += 1
            }
        }
        text = b.text
    }

    /// `{"type": "Replace", "pattern": {"String": ...}, "content": ...}`.
    public var json: JSONValue {
        .object([
            ("type", .string("Replace")), ("pattern", .object([("String", .string(pattern))])),
            ("content", .string(content)),
        ])
    }
}
