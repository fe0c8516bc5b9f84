import Foundation
import Testing

@testable import KalamText

@Suite("BPEModel: GPT-2 byte-level BPE parity with HF tokenizers")
struct BPEModelTests {
    static let fixture = TokenizerFixtures.load("gpt2.json")

    @Test(
        "ids, offsets, word ids and decode equal HF; decode(encode(x)) == x",
        .enabled(if: TokenizerFixtures.hasTiktoken, "PyPI openai-whisper (gpt2.tiktoken) is not installed"))
    func parity() throws {
        let tok = try #require(TokenizerFixtures.gpt2)
        #expect(tok.vocabularySize == 50257)
        let records = TokenizerFixtures.array(Self.fixture["encodings"])
        let texts = TokenizerFixtures.texts
        #expect(records.count == texts.count && !texts.isEmpty)
        for (k, (text, r)) in zip(texts, records).enumerated() {
            let e = tok.encode(text)
            try TokenizerFixtures.expectMatches(e, r, tok, label: "text \(k)")
            #expect(try tok.decode(e.ids) == text, "round trip \(k)")
        }
    }

    @Test(
        "GPT-2 split equals HF's ByteLevel pre-tokenizer",
        .enabled(if: TokenizerFixtures.hasTiktoken, "PyPI openai-whisper (gpt2.tiktoken) is not installed"))
    func preTokenizer() throws {
        let pre = TokenizerFixtures.array(Self.fixture["pretokenized"])
        for (k, text) in TokenizerFixtures.texts.enumerated() {
            let words = ByteLevelPreTokenizer().preTokenize(text)
            let expected = TokenizerFixtures.array(pre[k]).map { TokenizerFixtures.array($0) }
            #expect(
                words.map { ByteAlphabet.encode(Array($0.0.utf8)) } == expected.map { TokenizerFixtures.string($0[0]) },
                "words \(k)")
            #expect(
                words.map(\.1)
                    == expected.map {
                        let p = TokenizerFixtures.ints($0[1])
                        return TokenOffset(start: p[0], end: p[1])
                    }, "offsets \(k)")
        }
    }

    @Test(
        "prefix space and trimmed offsets equal HF",
        .enabled(if: TokenizerFixtures.hasTiktoken, "PyPI openai-whisper (gpt2.tiktoken) is not installed"))
    func trimmedOffsets() throws {
        let base = try #require(TokenizerFixtures.gpt2)
        let tok = PipelineTokenizer(
            preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: true), model: base.model,
            postProcessor: ByteLevelPostProcessor(trimOffsets: true, addPrefixSpace: true),
            decoder: ByteLevelDecoder(), addedTokens: base.addedTokens)
        let records = TokenizerFixtures.array(Self.fixture["prefix_space_trimmed"])
        #expect(!records.isEmpty)
        for (k, r) in records.enumerated() {
            let e = tok.encode(TokenizerFixtures.texts[k])
            #expect(e.ids == TokenizerFixtures.ints(r["ids"]), "ids \(k)")
            #expect(e.offsets == TokenizerFixtures.offsets(r["offsets"]), "offsets \(k)")
        }
    }

    @Test(
        "installed corpora (KJV, Hafez) give the same id and offset digests as HF",
        .enabled(if: TokenizerFixtures.hasTiktoken, "PyPI openai-whisper (gpt2.tiktoken) is not installed"))
    func corpora() throws {
        let tok = try #require(TokenizerFixtures.gpt2)
        try TokenizerFixtures.checkCorpus(tok, Self.fixture, roundTrip: true)
    }

    @Test("merge order: lowest rank first, leftmost on ties; long words use the heap path")
    func mergeOrder() throws {
        let vocab = ["a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "aa": 6]
        let m = try BPEModel(vocabulary: vocab, merges: [("b", "c"), ("a", "b"), ("a", "bc"), ("a", "a")])
        func run(_ w: String) -> [Int32] {
            var out = ModelOutput()
            w.unicodeScalars.map(\.value).withUnsafeBufferPointer { m.tokenize($0, into: &out) }
            return out.ids
        }
        #expect(run("abc") == [5])  // b c first (rank 0), then a bc
        #expect(run("abab") == [3, 3])
        #expect(run("aaa") == [6, 0])  // leftmost pair first
        let long = String(repeating: "abc", count: 40) + "aaa"  // 123 symbols: heap path
        #expect(run(long) == Array(repeating: 5, count: 40) + [6, 0])
        #expect(throws: TokenizerError.mergeUnknownToken(merge: "a x", token: "x")) {
            try BPEModel(vocabulary: vocab, merges: [("a", "x")])
        }
    }
}
