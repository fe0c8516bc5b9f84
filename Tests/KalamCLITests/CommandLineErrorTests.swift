import Foundation
import Testing

/// The command line reports bad input as exactly one line, `Error: <message>`, on standard error, and
/// exits with status 1: never a trap, a stack trace or a message in another form.
@Suite struct CommandLineErrorTests {
    /// One bad input: the files it needs, the command, and the one line it must print (`DIR` stands
    /// for the scratch folder).
    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let files: [String: [UInt8]]
        let arguments: [String]
        let message: String
    }

    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let cases: [Case] = [
        Case(
            description: "a token id out of 32-bit range in config.json",
            files: [
                "m/config.json": text(
                    #"{"model_type":"gpt2","vocab_size":50,"n_positions":16,"n_embd":8,"n_layer":1,"n_head":2,"eos_token_id":1099511627776}"#
                )
            ],
            arguments: ["generate", "--model", "DIR/m", "--prompt-ids", "1 2"],
            message: "Error: invalid eos_token_id 1099511627776: a token id must be in 0...2147483647"),
        Case(
            description: "a truncated model.safetensors",
            files: [
                "m/config.json": text(
                    #"{"model_type":"gpt2","vocab_size":50,"n_positions":16,"n_embd":8,"n_layer":1,"n_head":2}"#),
                "m/model.safetensors": [16, 0, 0, 0, 0, 0, 0, 0, 123],
            ],
            arguments: ["generate", "--model", "DIR/m", "--prompt-ids", "1 2"],
            message:
                "Error: safetensors DIR/m/model.safetensors: header length 16 (bytes 0-7) reaches past the end of the 9-byte file or the 100 MB header limit"
        ),
        Case(
            description: "an empty corpus", files: ["empty.txt": []],
            arguments: ["pretrain", "--corpus", "DIR/empty.txt", "--out", "DIR/run", "--steps", "2"],
            message: "Error: corpus is empty: DIR/empty.txt"),
        Case(
            description: "a corpus that is not UTF-8", files: ["bad.txt": [0xFF, 0xFE, 0x20, 0x61]],
            arguments: ["pretrain", "--corpus", "DIR/bad.txt", "--out", "DIR/run", "--steps", "2"],
            message: "Error: DIR/bad.txt is not valid UTF-8: invalid byte at offset 0"),
        Case(
            description: "an out-of-range number of steps", files: ["c.txt": text("one line of text\n")],
            arguments: ["pretrain", "--corpus", "DIR/c.txt", "--out", "DIR/run", "--steps", "0"],
            message: "Error: invalid --steps 0: must be at least 1"),
        Case(
            description: "a tokenizer.json of the wrong shape",
            files: ["t.json": text(#"{"version":"1.0","model":{"type":"BPE","vocab":{"a":0}}}"#)],
            arguments: ["tokenizer", "encode", "--tokenizer", "DIR/t.json"],
            message: "Error: tokenizer.json: model.merges must be an array"),
        Case(
            description: "a missing tagger model", files: [:], arguments: ["tag", "--model", "DIR/absent.json"],
            message: "Error: file not found: DIR/absent.json"),
        Case(
            description: "a missing embedding model", files: [:], arguments: ["embed", "--model", "DIR/absent"],
            message: "Error: file not found: DIR/absent"),
        Case(
            description: "a file where the output folder should be",
            files: [
                "c.txt": text((1...200).map { "line \($0) of a small corpus about rivers and bridges\n" }.joined()),
                "p.json": text(
                    #"{"model_type":"gpt2","vocab_size":300,"n_positions":16,"n_embd":32,"n_layer":1,"n_head":2}"#),
                "run": [],
            ],
            arguments: [
                "pretrain", "--corpus", "DIR/c.txt", "--preset", "DIR/p.json", "--tokenizer", "train:300", "--out",
                "DIR/run", "--steps", "2",
            ],
            message: "Error: cannot write DIR/run: cannot create the folder: a file of that name is in the way"),
    ]

    @Test(
        .enabled(if: PretrainFixture.kalamBinary != nil, "the kalam binary was not built next to the tests"),
        arguments: cases)
    func badInputIsOneErrorLine(_ c: Case) throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, bytes) in c.files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let process = Process()
        process.executableURL = PretrainFixture.kalamBinary
        process.arguments = c.arguments.map { $0.replacingOccurrences(of: "DIR", with: dir.path) }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 1)
        let printed = String(decoding: data, as: UTF8.self).replacingOccurrences(of: dir.path, with: "DIR")
        #expect(printed == c.message + "\n")
    }
}
