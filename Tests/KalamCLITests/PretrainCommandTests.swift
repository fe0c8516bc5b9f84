import Foundation
import KalamCore
import KalamModels
import KalamText
import Testing

@testable import KalamCLI
@testable import KalamTraining

/// `kalam pretrain` and `kalam evaluate` end to end on a small text of our own and a very small GPT-2.
enum PretrainFixture {
    /// Our own sentences, one paragraph each, repeated into a corpus of about 40 paragraphs.
    static let sentences = [
        "The river carried the small boat past the mill and under the old stone bridge.",
        "A baker wakes before dawn to light the oven and shape the morning bread.",
        "Children counted the stars from the roof until the clouds came in from the sea.",
        "The library keeps its oldest maps in a cool room without windows.",
        "After the rain the garden smelled of wet earth and crushed mint leaves.",
        "Two travellers shared an orange on the night train to the northern coast.",
        "The clock in the square has run five minutes slow for as long as anyone remembers.",
        "She wrote the recipe on the back of an envelope and pinned it above the stove.",
    ]

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kalam-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes the corpus (paragraphs separated by blank lines) and a small model configuration
    /// (context 16, 2 layers, 2 heads, width 32) into `dir`.
    static func write(into dir: URL) throws -> (corpus: String, preset: String) {
        var paragraphs: [String] = []
        for round in 0..<5 {
            for (i, s) in sentences.enumerated() { paragraphs.append("\(s) Line \(round * 8 + i).") }
        }
        let corpus = dir.appendingPathComponent("corpus.txt")
        try Data(paragraphs.joined(separator: "\n\n").utf8).write(to: corpus)
        let preset = dir.appendingPathComponent("preset.json")
        try GPT2Config(vocabSize: 300, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 2).jsonData().write(to: preset)
        return (corpus.path, preset.path)
    }

    static func arguments(corpus: String, preset: String, out: URL, steps: Int = 4) -> [String] {
        [
            "--arch", "gpt2", "--corpus", corpus, "--preset", preset, "--tokenizer", "train:300", "--steps", "\(steps)",
            "--out", out.path, "--batch-size", "4", "--eval-every", "2", "--checkpoint-every", "2", "--log-every", "1",
        ]
    }

    @discardableResult
    static func pretrain(_ arguments: [String]) throws -> [String] {
        var lines: [String] = []
        try PretrainCommand.parse(arguments).execute { lines.append($0) }
        return lines
    }

    static func evaluate(_ arguments: [String]) throws -> [String] {
        var lines: [String] = []
        try EvaluateCommand.parse(arguments).execute { lines.append($0) }
        return lines
    }

    /// The `kalam` binary next to the test bundle, when it was built.
    static let kalamBinary: URL? = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0])
        for dir in [bundle.deletingLastPathComponent(), bundle.deletingLastPathComponent().deletingLastPathComponent()]
        {
            let candidate = dir.appendingPathComponent("kalam")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()
}

@Suite(.serialized) struct PretrainCommandTests {
    @Test func pretrainWritesAModelDirectoryThatEvaluateScoresIdentically() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        let lines = try PretrainFixture.pretrain(PretrainFixture.arguments(corpus: corpus, preset: preset, out: out))
        for name in [
            "config.json", "model.safetensors", "tokenizer.json", "metrics.jsonl",
            "checkpoints/step-00000004/trainer_state.json",
            "checkpoints/step-00000004/config.json", "checkpoints/step-00000002/model.safetensors",
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
        }
        #expect(lines.contains { $0.hasPrefix("unigram baseline: validation loss ") })
        let records = try MetricsLog.read(out.appendingPathComponent("metrics.jsonl"))
        #expect(records.filter { $0.kind == "train" }.map(\.step) == [1, 2, 3, 4])
        let evals = records.filter { $0.kind == "eval" }
        #expect(evals.map(\.step) == [2, 4])
        let summary = try #require(records.last)
        #expect(summary.kind == "summary")
        #expect(summary.extra?["stop_reason"] == "completed")

        let model = try GPT2LMHeadModel.load(from: out)
        #expect(model.config.nLayer == 2 && model.config.vocabSize == 300)
        let text = try PretrainFixture.evaluate([
            "--model", out.path, "--corpus", corpus, "--batch-size", "4", "--json",
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text[0].utf8)) as? [String: Any])
        let loss = try #require(json["loss"] as? Double)
        #expect(Float(loss) == evals.last!.validationLoss!)
        #expect(json["split"] as? String == "validation")
        #expect(text[0].contains("\"model\": \"\(out.path)\""))
        #expect((json["unigram_loss"] as? Double).map { $0 > 0 } == true)
    }

    @Test func badInputGivesTheExactError() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        func run(_ arguments: [String]) throws { try PretrainFixture.pretrain(arguments) }
        let base = PretrainFixture.arguments(corpus: corpus, preset: preset, out: out)
        func replacing(_ option: String, _ value: String) -> [String] {
            var a = base
            a[a.firstIndex(of: option)! + 1] = value
            return a
        }

        let empty = dir.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        #expect(throws: CorpusError.empty(path: empty.path)) { try run(replacing("--corpus", empty.path)) }

        let short = dir.appendingPathComponent("short.txt")
        try Data("A short note.".utf8).write(to: short)  // 13 bytes: 12 train + <|endoftext|> < one block of 17
        #expect(throws: BatchingError.corpusShorterThanBlock(tokens: 13, blockLength: 17)) {
            try run(replacing("--corpus", short.path).map { $0 == "train:300" ? "train:257" : $0 })
        }

        let latin1 = dir.appendingPathComponent("latin1.txt")
        try Data([0x48, 0x69, 0xFF, 0x0A]).write(to: latin1)
        #expect(throws: CorpusError.invalidUTF8(path: latin1.path, byteOffset: 2)) {
            try run(replacing("--corpus", latin1.path))
        }

        #expect(throws: TrainingError.unknownPreset(name: "huge", known: ["tiny", "small"])) {
            try run(replacing("--preset", "huge"))
        }
        #expect(throws: CorpusError.unknownCorpus(name: "psalms", known: CorpusCatalog.names)) {
            try run(replacing("--corpus", "psalms"))
        }
        #expect(throws: TrainingError.invalidOption(name: "--steps", value: "0", reason: "must be at least 1")) {
            try run(replacing("--steps", "0"))
        }
        #expect(throws: TrainingError.unknownArchitecture(name: "llama", known: ["gpt2", "bert", "t5", "electra"])) {
            try run(replacing("--arch", "llama"))
        }
        #expect(
            throws: TrainingError.invalidTokenizer(
                spec: "train:abc", reason: "SIZE must be a whole number from 257 (256 bytes + <|endoftext|>) up")
        ) {
            try run(replacing("--tokenizer", "train:abc"))
        }
        #expect(throws: TrainingError.checkpointNotFound(path: out.appendingPathComponent("checkpoints").path)) {
            try run(base + ["--resume"])
        }
    }

    @Test func resumeWithMoreStepsTrainsAFinishedRunLonger() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        // 40 steps derive a warm-up of 2; 80 would derive 4, yet the run keeps its own.
        try PretrainFixture.pretrain(PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 40))
        try PretrainFixture.pretrain(
            PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 44) + ["--resume"])
        let state = try Trainer.readState(from: CheckpointStore.resolve(out))
        #expect(state.step == 44)
        #expect(state.configuration.warmupSteps == 2)
        #expect(state.schedule.extensions.map(\.start) == [40])
        let records = try MetricsLog.read(out.appendingPathComponent("metrics.jsonl")).filter { $0.kind == "train" }
        #expect(records.map(\.step) == Array(1...44))
        // A setting that really differs is named, with both values.
        #expect(throws: TrainingError.configurationMismatch(fields: ["warmupSteps: checkpoint 2, now 5"])) {
            try PretrainFixture.pretrain(
                PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 50)
                    + ["--resume", "--warmup", "5"])
        }
    }

    @Test func resumeRejectsCorruptAndForeignCheckpoints() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        let base = PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 2)
        try PretrainFixture.pretrain(base)

        // Another architecture: a one-layer preset resuming the two-layer run.
        let otherPreset = dir.appendingPathComponent("other.json")
        try GPT2Config(vocabSize: 300, nPositions: 16, nEmbd: 32, nLayer: 1, nHead: 2).jsonData().write(to: otherPreset)
        var other = base
        other[other.firstIndex(of: "--preset")! + 1] = otherPreset.path
        #expect(
            throws: TrainingError.architectureMismatch(
                expected: "GPT2LMHeadModel n_layer=1", found: "GPT2LMHeadModel n_layer=2")
        ) {
            try PretrainFixture.pretrain(other + ["--resume"])
        }

        // Corrupt state.
        let checkpoint = out.appendingPathComponent("checkpoints/step-00000002")
        try Data("not json".utf8).write(to: checkpoint.appendingPathComponent("trainer_state.json"))
        let corrupt = #expect(throws: TrainingError.self) { try PretrainFixture.pretrain(base + ["--resume"]) }
        guard case let .corruptCheckpoint(path, reason) = corrupt else {
            Issue.record("wrong error \(String(describing: corrupt))")
            return
        }
        #expect(path == checkpoint.path)
        #expect(reason.hasPrefix("trainer_state.json is not valid"))

        // Starting over into a folder that holds a run is refused.
        #expect(
            throws: TrainingError.invalidOption(
                name: "--out", value: out.path,
                reason: "already holds checkpoint step-00000002; add --resume to continue it or choose another folder")
        ) {
            try PretrainFixture.pretrain(base)
        }
    }

    @Test func evaluateRejectsMissingAndForeignModels() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, _) = try PretrainFixture.write(into: dir)
        let missing = dir.appendingPathComponent("no-model")
        #expect(throws: ModelError.fileNotFound(path: missing.path)) {
            try PretrainFixture.evaluate(["--model", missing.path, "--corpus", corpus])
        }
        let bert = dir.appendingPathComponent("bert")
        try FileManager.default.createDirectory(at: bert, withIntermediateDirectories: true)
        try Data(#"{"model_type": "bert", "vocab_size": 300, "hidden_size": 32}"#.utf8).write(
            to: bert.appendingPathComponent("config.json"))
        #expect(throws: ModelError.wrongFamily(expected: "gpt2", found: "model_type \"bert\"")) {
            try PretrainFixture.evaluate(["--model", bert.path, "--corpus", corpus])
        }
    }

    @Test(.enabled(if: PretrainFixture.kalamBinary != nil, "the kalam binary was not built next to the tests"))
    func killDuringACheckpointWriteLeavesThePreviousCheckpointLoadable() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        let base = PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 6)

        let process = Process()
        process.executableURL = PretrainFixture.kalamBinary
        process.arguments = ["pretrain"] + base + ["--pause-in-checkpoint-write", "2"]  // the step-4 checkpoint
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(120)
        while !seen.contains("paused in checkpoint write"), Date() < deadline, process.isRunning {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { usleep(50_000) } else { seen += String(decoding: chunk, as: UTF8.self) }
        }
        #expect(seen.contains("paused in checkpoint write"))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        // The half-written step-4 checkpoint is a temporary folder; step 2 is the newest checkpoint and loads.
        let checkpoints = out.appendingPathComponent("checkpoints")
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).sorted()
        #expect(names.contains("step-00000002"))
        #expect(names.contains { $0.hasPrefix(".tmp-step-00000004-") })
        #expect(!names.contains("step-00000004"))
        let latest = try CheckpointStore.resolve(out)
        #expect(latest.lastPathComponent == "step-00000002")
        #expect(try Trainer.readState(from: latest).step == 2)
        let model = try GPT2LMHeadModel(config: try GPT2Config.load(from: latest), seed: 3)
        try model.loadWeights(from: latest.appendingPathComponent("model.safetensors"))

        // And the run resumes from it to the end.
        let lines = try PretrainFixture.pretrain(base + ["--resume"])
        #expect(lines.contains { $0.hasPrefix("validation loss ") && $0.contains("after 6 steps") })
        let after = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).sorted()
        #expect(after == ["step-00000004", "step-00000006"])
    }

    @Test(.enabled(if: PretrainFixture.kalamBinary != nil, "the kalam binary was not built next to the tests"))
    func ctrlCSavesACheckpointAndExitsCleanly() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        let base = PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 100_000)

        let process = Process()
        process.executableURL = PretrainFixture.kalamBinary
        process.arguments = ["pretrain"] + base
        let errors = Pipe(), output = Pipe()
        process.standardError = errors
        process.standardOutput = output
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(120)
        while !seen.contains("step 3/"), Date() < deadline, process.isRunning {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { usleep(50_000) } else { seen += String(decoding: chunk, as: UTF8.self) }
        }
        #expect(seen.contains("step 3/"))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed.contains("interrupted at step "))

        let latest = try CheckpointStore.resolve(out)
        let state = try Trainer.readState(from: latest)
        #expect(state.step >= 3 && state.step < 100_000)
        #expect(state.losses.count == state.step)
        #expect(latest.lastPathComponent == CheckpointStore.name(step: state.step))
        let records = try MetricsLog.read(out.appendingPathComponent("metrics.jsonl"))
        #expect(records.last?.extra?["stop_reason"] == "interrupted")
    }
}
