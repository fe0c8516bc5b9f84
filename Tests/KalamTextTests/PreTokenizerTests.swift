import Foundation
import KalamJSON
import Testing

@testable import KalamText

@Suite("Pre-tokenizers: equal to HF's pre_tokenize_str")
struct PreTokenizerTests {
    static let fixture = TokenizerFixtures.load("components.json")

    static func expected(_ v: JSONValue) -> [(String, TokenOffset)] {
        TokenizerFixtures.array(v).map { item in
            let p = TokenizerFixtures.array(item)
            let o = TokenizerFixtures.ints(p[1])
            return (TokenizerFixtures.string(p[0]), TokenOffset(start: o[0], end: o[1]))
        }
    }

    @Test("Whitespace (\\w+|[^\\w\\s]+) on every fixture text")
    func whitespace() {
        let all = TokenizerFixtures.array(Self.fixture["whitespace"])
        #expect(all.count == 24)
        for (k, text) in TokenizerFixtures.texts.prefix(24).enumerated() {
            let got = WhitespacePreTokenizer().preTokenize(text)
            let want = Self.expected(all[k])
            #expect(got.map(\.0) == want.map(\.0), "words \(k)")
            #expect(got.map(\.1) == want.map(\.1), "offsets \(k)")
        }
    }

    @Test("Whitespace keeps Persian words joined by ZWNJ whole")
    func whitespacePersian() {
        let all = TokenizerFixtures.array(Self.fixture["whitespace_persian"])
        for (k, text) in TokenizerFixtures.texts[10..<14].enumerated() {
            let got = WhitespacePreTokenizer().preTokenize(PersianNormalizer().normalize(text))
            #expect(got.map(\.0) == Self.expected(all[k]).map(\.0), "words \(k)")
        }
        #expect(WhitespacePreTokenizer().preTokenize("می\u{200C}خواهم بروم").map(\.0) == ["می\u{200C}خواهم", "بروم"])
    }

    @Test("GPT-2 split: contractions, prefixed spaces, whitespace runs")
    func byteLevel() {
        let words = ByteLevelPreTokenizer().preTokenize("I'm   here's\t\tx  ").map(\.0)
        #expect(words == ["I", "'m", "  ", " here", "'s", "\t", "\t", "x", "  "])
        #expect(ByteLevelPreTokenizer(addPrefixSpace: true).preTokenize("hi").map(\.0) == [" hi"])
    }

    @Test("BERT pre-tokenizer isolates punctuation and drops whitespace")
    func bert() {
        #expect(
            BertPreTokenizer().preTokenize("Hello,world! a-b").map(\.0) == ["Hello", ",", "world", "!", "a", "-", "b"])
        let seq = PreTokenizerSequence([WhitespaceSplitPreTokenizer(), BertPreTokenizer()])
        #expect(
            seq.preTokenize("x.y z").map(\.1) == [
                TokenOffset(start: 0, end: 1), TokenOffset(start: 1, end: 2),
                TokenOffset(start: 2, end: 3), TokenOffset(start: 4, end: 5),
            ])
    }
}
