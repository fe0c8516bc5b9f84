import Foundation
import Testing

@testable import KalamText

@Suite("Normalizers: equal to HF's normalize_str, offsets kept")
struct NormalizerTests {
    static let fixture = TokenizerFixtures.load("components.json")
    static let texts = Array(TokenizerFixtures.texts.prefix(24))

    func check(_ n: any Normalizer, _ key: String) {
        let expected = TokenizerFixtures.strings(Self.fixture[key]!)
        #expect(expected.count == Self.texts.count)
        for (k, text) in Self.texts.enumerated() { #expect(n.normalize(text) == expected[k], "\(key) \(k)") }
    }

    @Test func nfc() { check(UnicodeNormalizer(.nfc), "nfc") }
    @Test func nfkc() { check(UnicodeNormalizer(.nfkc), "nfkc") }
    @Test func nfd() { check(UnicodeNormalizer(.nfd), "nfd") }
    @Test func lowercase() { check(LowercaseNormalizer(), "lowercase") }

    @Test("Persian: yeh and kaf to Persian forms, tatweel and diacritics removed, ZWNJ kept inside words")
    func persian() {
        check(PersianNormalizer(), "persian")
        check(PersianNormalizer(removeDiacritics: false), "persian_keep_diacritics")
        let n = PersianNormalizer()
        #expect(n.normalize("علي كتاب") == "علی کتاب")
        #expect(n.normalize("ســلام") == "سلام")
        #expect(n.normalize("سَلامٌ") == "سلام")
        #expect(n.normalize("می\u{200C}خواهم") == "می\u{200C}خواهم")
        #expect(n.normalize("کتاب \u{200C}ها\u{200C}\u{200C}را") == "کتاب ها\u{200C}را")
        #expect(PersianNormalizer(removeDiacritics: false).normalize("سَلام") == "سَلام")
    }

    @Test("Persian normalizer saves as HF Replace steps and loads back identically")
    func persianJSON() throws {
        let json = PersianNormalizer().json
        #expect(json == (Self.fixture["persian_json"] ?? .null))
        let loaded = try TokenizerJSON.parseNormalizer(TokenizerJSON.Reader(json, "normalizer"))
        for t in Self.texts { #expect(loaded.normalize(t) == PersianNormalizer().normalize(t)) }
    }

    @Test("offsets point into the original text after characters are removed or expanded")
    func alignment() {
        var t = NormalizedText("Ａb\u{0640}İc")
        NormalizerSequence([UnicodeNormalizer(.nfkc), PersianNormalizer(), LowercaseNormalizer()]).normalize(&t)
        #expect(t.string == "abi\u{0307}c")
        #expect(
            (0..<t.count).map { t.originalSpan($0, $0 + 1) } == [
                TokenOffset(start: 0, end: 1), TokenOffset(start: 1, end: 2), TokenOffset(start: 3, end: 4),
                TokenOffset(start: 3, end: 4), TokenOffset(start: 4, end: 5),
            ])
    }

    @Test("BERT cleaning drops control and format characters (ZWNJ too, as HF does) and splits CJK")
    func bert() {
        let n = BertNormalizer()
        #expect(n.normalize("A\u{0007}b\tC\u{200C}d 漢字 Café") == "ab cd  漢  字  cafe")
        #expect(BertNormalizer(lowercase: false).normalize("Café") == "Café")
        #expect(BertNormalizer(stripAccents: true, lowercase: false).normalize("Café") == "Cafe")
    }
}
