import Foundation
import Testing

@testable import KalamCLI
@testable import KalamText

@Suite struct TokenizerCommandTests {
    @Test("train writes a tokenizer.json that loads back and encodes its corpus losslessly")
    func trainWritesTokenizer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-cli-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus.txt")
        try Data(Array("the cat sat on the mat\nthe dog sat on the log\nمن می\u{200C}خواهم\n".utf8) + [0xFF, 0x0A])
            .write(to: corpus)
        let out = dir.appendingPathComponent("tok.json")
        let train = try TokenizerCommand.Train.parse([
            "--vocab-size", "300", "--min-frequency", "1", "--output", out.path, corpus.path,
        ])
        #expect(train.model == .bpe && train.vocabSize == 300)
        try train.run()
        let tok = try TokenizerCommand.load(out.path)
        #expect(tok.vocabularySize == 257 + ((tok.model as? BPEModel)?.merges.count ?? -1))
        #expect(try tok.decode(tok.encode("the cat sat on the log").ids) == "the cat sat on the log")
        #expect(tok.encode("<|endoftext|>").ids == [0])
    }

    @Test("invalid UTF-8 input is rejected with --strict-utf8, with the byte offset")
    func strictUTF8() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-cli-utf8-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("bad.txt")
        try Data([0x61, 0x0A, 0x62, 0xFF, 0x0A]).write(to: corpus)
        let train = try TokenizerCommand.Train.parse([
            "--strict-utf8", "--output", dir.appendingPathComponent("t.json").path, corpus.path,
        ])
        #expect(throws: TokenizerError.invalidUTF8(path: corpus.path, byteOffset: 3)) { try train.run() }
    }

    @Test("encode and decode options parse; an unknown tokenizer file is a typed error")
    func optionsParse() throws {
        let encode = try TokenizerCommand.Encode.parse(["--tokenizer", "gpt2", "--json", "--no-special-tokens"])
        #expect(encode.json && encode.noSpecialTokens && encode.tokenizer == "gpt2")
        let decode = try TokenizerCommand.Decode.parse(["--tokenizer", "minilm", "--skip-special-tokens"])
        #expect(decode.skipSpecialTokens)
        #expect(throws: TokenizerError.fileUnreadable(path: "/nonexistent/t.json", reason: "")) {
            do { _ = try TokenizerCommand.load("/nonexistent/t.json") } catch let TokenizerError.fileUnreadable(path, _)
            {
                throw TokenizerError.fileUnreadable(path: path, reason: "")
            }
        }
    }
}
