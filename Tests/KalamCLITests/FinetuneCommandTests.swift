import Foundation
import KalamModels
import KalamNN
import KalamTraining
import Testing

@testable import KalamCLI

/// `Tests/Fixtures/finetune/` (scripts/fixtures/finetune.py).
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/finetune", isDirectory: true)

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-ft-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A copy of a committed Kalam adapter folder whose base path is made absolute (the committed one is
/// relative to the repository root, where the fixture script ran).
private func adapterCopy(_ name: String, into dir: URL, base: String = "base") throws -> URL {
    let copy = dir.appendingPathComponent(name)
    try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: copy)
    let file = copy.appendingPathComponent("adapter_config.json")
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
    object["base_model_name_or_path"] = fixtures.appendingPathComponent(base).path
    try JSONSerialization.data(withJSONObject: object).write(to: file)
    return copy
}

private func check(_ name: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(
        with: Data(contentsOf: fixtures.appendingPathComponent("kalam_check.json")))
    return (object as! [String: Any])[name] as! [String: Any]
}

private let texts = ["the soup was cold", "the team lost in the rain", "snow and wind on sunday"]

@Suite struct FinetuneCommandTests {
    @Test func isASubcommandWithTheIssuesOptions() throws {
        #expect(KalamCommand.configuration.subcommands.contains { $0 == FinetuneCommand.self })
        #expect(KalamCommand.configuration.subcommands.contains { $0 == ClassifyCommand.self })
        let c = try FinetuneCommand.parse([
            "--model", "m", "--init", "random", "--task", "bbc-news", "--mode", "lora:4", "--split-seed", "3",
            "--epochs", "2", "--lr", "0.01", "--batch-size", "8", "--train-examples", "100", "--seed", "5", "--out",
            "o",
            "--json",
        ])
        #expect(c.`init` == .random && c.mode == "lora:4" && c.splitSeed == 3 && c.trainExamples == 100)
    }

    /// peft's logits on the adapter `kalam finetune --mode lora:4` wrote (fixture script), against
    /// `kalam classify` on the same folder now.
    @Test(arguments: [
        ("lora:4", "kalam_lora", "base"), ("electra lora:4", "kalam_electra_lora", "electra_seqcls"),
        ("t5 lora:4", "kalam_t5_lora", "t5_text"), ("gpt2 lora:4", "kalam_gpt2_lora", "gpt2_seqcls"),
    ])
    func classifyOnAKalamLoRAFolderGivesPEFTsLogits(check name: String, folder adapter: String, base: String) throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try adapterCopy(adapter, into: dir, base: base)
        var command = try ClassifyCommand.parse(["--model", folder.path, "--json"])
        command.json = true
        let lines = try command.classify(texts)
        let reference = (try check(name)["reference_logits"] as! [[Double]])
        #expect(lines.count == 3)
        for (line, expected) in zip(lines, reference) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let logits = object["logits"] as! [Double]
            #expect(logits.count == 3)
            // T5's scores are sums of log-probabilities over the label text, so larger in magnitude.
            for (u, v) in zip(logits, expected) { #expect(abs(u - v) < (name.hasPrefix("t5") ? 1e-4 : 1e-5)) }
            let best = expected.indices.max { expected[$0] < expected[$1] }!
            #expect(object["label"] as? String == ["food", "sport", "weather"][best])
        }
    }

    @Test(arguments: [("full", "kalam_full"), ("gpt2 full", "kalam_gpt2_full"), ("t5 full", "kalam_t5_full")])
    func classifyOnAFullFolderGivesTransformersLogits(check name: String, folder: String) throws {
        let command = try ClassifyCommand.parse(["--model", fixtures.appendingPathComponent(folder).path, "--json"])
        let lines = try command.classify(texts)
        let reference = (try check(name)["reference_logits"] as! [[Double]])
        #expect(lines.count == reference.count)
        for (line, expected) in zip(lines, reference) {
            let logits =
                (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["logits"] as! [Double]
            for (u, v) in zip(logits, expected) { #expect(abs(u - v) < (name.hasPrefix("t5") ? 1e-4 : 1e-5)) }
        }
    }

    @Test func finetuneWritesAPEFTFolderThatClassifyReadsAndLeavesTheBaseAlone() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = fixtures.appendingPathComponent("base")
        let before = try Data(contentsOf: base.appendingPathComponent("model.safetensors"))
        let out = dir.appendingPathComponent("lora")
        let command = try FinetuneCommand.parse([
            "--model", base.path, "--task", fixtures.appendingPathComponent("tiny.tsv").path, "--mode", "lora:2",
            "--epochs", "1", "--batch-size", "6", "--out", out.path, "--json",
        ])
        var printed: [String] = []
        try command.execute { printed.append($0) }
        #expect(printed.count == 1)
        let report = try JSONSerialization.jsonObject(with: Data(printed[0].utf8)) as! [String: Any]
        #expect(report["trainable_parameters"] as? Int == 2 * 2 * 2 * (2 * 16) + 51)
        #expect(report["train_examples"] as? Int == 18 && report["test_examples"] as? Int == 3)
        for name in ["adapter_config.json", "adapter_model.safetensors", "config.json", "tokenizer.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
        }
        let config = try AdapterConfig.load(from: out)
        #expect(
            config.lora.rank == 2 && config.modulesToSave == ["classifier"] && config.baseModelNameOrPath == base.path)
        #expect(try BertConfig.load(from: out).labelNames == ["food", "sport", "weather"])
        #expect(try ClassifyCommand.parse(["--model", out.path]).classify(texts).count == 3)
        #expect(try Data(contentsOf: base.appendingPathComponent("model.safetensors")) == before)
    }

    @Test func badInputIsAClearError() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = fixtures.appendingPathComponent("base").path, tsv = fixtures.appendingPathComponent("tiny.tsv").path
        func run(_ extra: [String]) throws {
            try FinetuneCommand.parse(
                ["--model", base, "--task", tsv, "--out", dir.appendingPathComponent("o").path] + extra
            )
            .execute { _ in }
        }
        #expect(throws: TrainingError.invalidOption(name: "mode", value: "partial:5", reason: "the model has 2 layers"))
        {
            try run(["--mode", "partial:5"])
        }
        #expect(throws: ModuleError.noMatchingModule("attn")) { try run(["--mode", "lora", "--lora-targets", "attn"]) }
        #expect(
            throws: TrainingError.invalidOption(name: "--train-fraction", value: "1.5", reason: "must be in (0, 1]")
        ) {
            try run(["--train-fraction", "1.5"])
        }
        #expect(
            throws: TrainingError.invalidOption(name: "--merge", value: "full", reason: "applies to --mode lora only")
        ) {
            try run(["--merge"])
        }
        // An adapter folder whose config.json describes another base.
        let folder = try adapterCopy("kalam_lora", into: dir)
        let configFile = folder.appendingPathComponent("config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: configFile)) as! [String: Any]
        object["hidden_size"] = 32
        try JSONSerialization.data(withJSONObject: object).write(to: configFile)
        #expect(
            throws: AdapterError.baseMismatch(
                reason: "hidden_size is 32 for the adapter but 16 in \(fixtures.appendingPathComponent("base").path)")
        ) { try ClassifyCommand.parse(["--model", folder.path]).classify(texts) }
    }

    @Test func evaluateScoresAClassifierFolderOnTheTestSplitAsClassifyPredicts() throws {
        let folder = fixtures.appendingPathComponent("kalam_full").path
        let tsv = fixtures.appendingPathComponent("tiny.tsv").path
        var printed: [String] = []
        try EvaluateCommand.parse(["--model", folder, "--task", tsv, "--json"]).execute { printed.append($0) }
        let report = try JSONSerialization.jsonObject(with: Data(printed[0].utf8)) as! [String: Any]
        #expect(report["examples"] as? Int == 3)
        let split = try ClassificationSplit(ClassificationTask.load(tsv), seed: 0)
        let predicted = try ClassifyCommand.parse(["--model", folder]).classify(split.test.map(\.text))
        let correct = zip(predicted, split.test).filter { $0.0 == $0.1.label }.count
        #expect(report["accuracy"] as? Double == Double(correct) / 3)

        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let extra = dir.appendingPathComponent("music.tsv")
        let lines =
            try String(contentsOfFile: tsv, encoding: .utf8) + (0..<5).map { "a song number \($0)\tmusic\n" }.joined()
        try Data(lines.utf8).write(to: extra)
        #expect(
            throws: FineTuningError.unknownLabel(
                label: "music", source: extra.path, known: ["food", "sport", "weather"])
        ) { try EvaluateCommand.parse(["--model", folder, "--task", extra.path]).execute { _ in } }
    }

    /// `finetune --task upos-en` (silver tags on BBC News paragraphs) writes a tagger folder that
    /// `evaluate --task upos-en` scores on the same test paragraphs with the same token accuracy.
    @Test(arguments: ["full", "lora:2"])
    func evaluateScoresATaggerFolderAsFinetuneDid(mode: String) throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("tagger")
        var printed: [String] = []
        try FinetuneCommand.parse([
            "--model", fixtures.appendingPathComponent("base").path, "--task", "upos-en", "--mode", mode,
            "--train-examples", "8", "--epochs", "1", "--batch-size", "8", "--out", out.path, "--json",
        ]).execute { printed.append($0) }
        let tuned = try JSONSerialization.jsonObject(with: Data(printed[0].utf8)) as! [String: Any]
        printed = []
        try EvaluateCommand.parse(["--model", out.path, "--task", "upos-en", "--json"]).execute { printed.append($0) }
        let scored = try JSONSerialization.jsonObject(with: Data(printed[0].utf8)) as! [String: Any]
        #expect(scored["tokens"] as? Int == tuned["test_tokens"] as? Int && (scored["tokens"] as? Int ?? 0) > 1000)
        #expect(scored["token_accuracy"] as? Double == tuned["token_accuracy"] as? Double)
        // A sequence classifier is not a tagger: its pooler has no place in one.
        let classifier = fixtures.appendingPathComponent("kalam_full").path
        #expect(throws: ModuleError.unexpectedKey("bert.pooler.dense.bias")) {
            try EvaluateCommand.parse(["--model", classifier, "--task", "upos-en"]).execute { _ in }
        }
    }
}
