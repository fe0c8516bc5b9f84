import Foundation
import KalamCore
import KalamFiles
import KalamModels
import KalamNN
import KalamText
import Testing

@testable import KalamTraining

/// Every writer replaces an existing file (a second write wins, nothing else is left beside it), and a
/// write that fails (here: a folder where the file should be) is an error naming the file that leaves
/// what was there as it was.
@Suite struct WritersTests {
    /// A writer: writes version `v` of its file into `folder`; returns the file it wrote.
    struct Writer: Sendable, CustomStringConvertible {
        let description: String
        let write: @Sendable (_ folder: URL, _ version: Int) throws -> URL
    }

    static let writers: [Writer] = [
        Writer(description: "tokenizer.json") { folder, v in
            let tokenizer = try WordPieceTrainer(vocabSize: 40 + 10 * v).trainTokenizer(PretrainFixture.sentences)
            let url = folder.appendingPathComponent("tokenizer.json")
            try TokenizerJSON.save(tokenizer, to: url)
            return url
        },
        Writer(description: "tokenizer text files") { folder, v in
            let url = folder.appendingPathComponent("vocab.txt")
            try TokenizerFiles.writeAtomically((0..<(3 + v)).map { "token\($0)" }.joined(separator: "\n"), to: url)
            return url
        },
        Writer(description: "tagger weights") { folder, v in
            let url = folder.appendingPathComponent("tagger.json")
            try PerceptronModel(
                classes: ["NOUN", "VERB"], tagdict: [:], vocabulary: ["lamp"],
                weights: ["w=lamp": ["NOUN": Double(v)]]
            ).save(to: url)
            return url
        },
        Writer(description: "safetensors") { folder, v in
            let url = folder.appendingPathComponent("weights.safetensors")
            try SafeTensors.write([(name: "w", shape: [v], data: (0..<v).map(Float.init))], to: url)
            return url
        },
        Writer(description: "model folder") { folder, v in
            let model = try GPT2LMHeadModel(
                config: GPT2Config(vocabSize: 20, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2), seed: UInt64(v))
            try model.save(directory: folder)
            return folder.appendingPathComponent("model.safetensors")
        },
        Writer(description: "adapter folder") { folder, v in
            let model = try GPT2LMHeadModel(
                config: GPT2Config(vocabSize: 20, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2), seed: 1)
            var rng = KalamRandom(seed: UInt64(v))
            let settings = LoRASettings(rank: 2, alpha: 4, dropout: 0, targets: ["c_attn"])
            _ = try model.injectLoRA(settings, source: model.randomSource, rng: &rng)
            try AdapterFolder.save(
                model, config: AdapterConfig(lora: settings, modulesToSave: [], baseModelNameOrPath: "v\(v)"),
                to: folder)
            return folder.appendingPathComponent("adapter_config.json")
        },
        Writer(description: "KJV text") { folder, v in
            try KJVCorpus.write([KJVVerse(book: "Ge", chapter: 1, verse: v, text: "verse \(v)")], to: folder)
            return folder.appendingPathComponent(KJVCorpus.textFileName)
        },
        Writer(description: "metrics log (resumed)") { folder, v in
            let url = folder.appendingPathComponent("metrics.jsonl")
            let log = try MetricsLog(url: url, truncatingAfter: v == 1 ? nil : 0)
            try log.append(MetricsRecord(kind: "train", step: v == 1 ? 1 : 0))
            return url
        },
    ]

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kalam-writers-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(arguments: writers) func writingOverAnExistingFileReplacesIt(_ writer: Writer) throws {
        let over = try Self.folder(), fresh = try Self.folder()
        defer {
            try? FileManager.default.removeItem(at: over)
            try? FileManager.default.removeItem(at: fresh)
        }
        let first = try writer.write(over, 1)
        let before = try FileManager.default.contentsOfDirectory(atPath: over.path).sorted()
        let version1 = try Data(contentsOf: first)
        let second = try writer.write(over, 2)
        #expect(second == first)
        let expected = try Data(contentsOf: try writer.write(fresh, 2))
        #expect(try Data(contentsOf: second) == expected)
        #expect(expected != version1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: over.path).sorted() == before)
    }

    @Test(arguments: writers) func aFailedWriteLeavesWhatWasThere(_ writer: Writer) throws {
        let folder = try Self.folder(), probe = try Self.folder()
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: probe)
        }
        let name = try writer.write(probe, 1).lastPathComponent
        let blocker = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        try Data("kept".utf8).write(to: blocker.appendingPathComponent("inside"))
        let error = #expect(throws: (any Error).self) { _ = try writer.write(folder, 2) }
        #expect("\(error.map { String(describing: $0) } ?? "")".contains(blocker.path))
        #expect(
            FileManager.default.contents(atPath: blocker.appendingPathComponent("inside").path) == Data("kept".utf8))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: folder.path)).contains { $0.hasSuffix(".tmp") })
    }
}
