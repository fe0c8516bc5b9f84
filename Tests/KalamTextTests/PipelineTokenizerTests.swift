import Foundation
import Testing

@testable import KalamText

@Suite("PipelineTokenizer: batches, padding, truncation, pairs, decoding errors")
struct PipelineTokenizerTests {
    static func small() throws -> PipelineTokenizer {
        let vocab = ["[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "##s": 6, "a": 7, "b": 8]
        return PipelineTokenizer(
            normalizer: BertNormalizer(), preTokenizer: BertPreTokenizer(),
            model: try WordPieceModel(vocabulary: vocab),
            postProcessor: TemplatePostProcessor.bert(cls: ("[CLS]", 2), sep: ("[SEP]", 3)),
            decoder: WordPieceDecoder(),
            addedTokens: [
                AddedToken(id: 0, content: "[PAD]"), AddedToken(id: 1, content: "[UNK]"),
                AddedToken(id: 2, content: "[CLS]"), AddedToken(id: 3, content: "[SEP]"),
            ])
    }

    @Test("batch padding to the longest, left and right, with masks and word ids")
    func padding() throws {
        let tok = try Self.small()
        tok.padding = Padding(strategy: .batchLongest)
        let batch = tok.encodeBatch(["hello worlds", "a"])
        #expect(batch[0].ids == [2, 4, 5, 6, 3])
        #expect(batch[0].wordIds == [nil, 0, 1, 1, nil])
        #expect(batch[1].ids == [2, 7, 3, 0, 0])
        #expect(batch[1].attentionMask == [1, 1, 1, 0, 0])
        tok.padding = Padding(strategy: .batchLongest, direction: .left, padToMultipleOf: 4)
        let left = tok.encodeBatch(["hello worlds", "a"])
        #expect(left[1].ids == [0, 0, 0, 0, 0, 2, 7, 3])
        #expect(left[0].ids.count == 8)
    }

    @Test("truncation keeps room for special tokens; pairs cut the longest first (HF rule)")
    func truncation() throws {
        let tok = try Self.small()
        tok.truncation = Truncation(maxLength: 4)
        #expect(tok.encode("hello world a b").ids == [2, 4, 5, 3])
        tok.truncation = Truncation(maxLength: 4, direction: .left)
        #expect(tok.encode("hello world a b").ids == [2, 7, 8, 3])
        tok.truncation = Truncation(maxLength: 8)
        let pair = tok.encode("a b a b a", pair: "hello world", addSpecialTokens: true)
        #expect(pair.ids == [2, 7, 8, 7, 3, 4, 5, 3])
        #expect(pair.typeIds == [0, 0, 0, 0, 0, 1, 1, 1])
        #expect(pair.sequenceIds == [nil, 0, 0, 0, nil, 1, 1, nil])
    }

    @Test("decode: unknown ids are a typed error; special tokens kept or skipped")
    func decode() throws {
        let tok = try Self.small()
        #expect(throws: TokenizerError.unknownId(99, vocabularySize: 9)) { try tok.decode([4, 99]) }
        #expect(throws: TokenizerError.unknownId(-1, vocabularySize: 9)) { try tok.decode([-1]) }
        #expect(try tok.decode([2, 4, 5, 6, 3]) == "[CLS] hello worlds [SEP]")
        #expect(try tok.decode([2, 4, 5, 6, 3], skipSpecialTokens: true) == "hello worlds")
        #expect(tok.encode("").ids == [2, 3])
    }

    @Test("offsets are Unicode scalar offsets into the original string")
    func offsets() throws {
        let tok = try Self.small()
        let e = tok.encode("😀 Hello", pair: nil, addSpecialTokens: false)
        #expect(e.ids == [1, 4])
        #expect(e.offsets == [TokenOffset(start: 0, end: 1), TokenOffset(start: 2, end: 7)])
    }
}
