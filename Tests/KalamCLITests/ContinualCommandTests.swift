import Foundation
import KalamText
import KalamTraining
import Testing

@testable import KalamCLI

/// Whether the four corpora of `lm-domains` are installed (`kalam data install`).
private let lmDomainsInstalled = [
    KJVCorpus.defaultDirectory, WordNetCorpus.defaultDirectory, BBCNewsCorpus.defaultDirectory,
    FortuneCorpus.defaultDirectory,
].allSatisfy { FileManager.default.fileExists(atPath: $0.path) }

@Suite struct ContinualCommandTests {
    @Test func isASubcommandWithTheIssuesOptions() throws {
        #expect(KalamCommand.configuration.subcommands.contains { $0 == ContinualCommand.self })
        let c = try ContinualCommand.parse([
            "--scenario", "bbc-tasks", "--strategy", "replay", "--model", "m", "--memory", "50", "--seed", "4",
            "--quick", "--json",
        ])
        #expect(c.scenario == "bbc-tasks" && c.strategy == "replay" && c.memory == 50 && c.seed == 4)
        #expect(c.quick && c.json && c.lambda == nil)
        #expect(try ContinualCommand.parse(["--scenario", "x", "--strategy", "ewc", "--lambda", "0.5"]).lambda == 0.5)
    }

    @Test func badNamesAndSettingsAreTypedErrors() throws {
        func run(_ arguments: [String]) throws {
            try ContinualCommand.parse(arguments).execute { _ in }
        }
        #expect(throws: ContinualError.unknownScenario(name: "bbc", known: ContinualScenarios.names)) {
            try run(["--scenario", "bbc", "--strategy", "naive"])
        }
        #expect(throws: ContinualError.unknownStrategy(name: "gem", known: ContinualStrategies.names)) {
            try run(["--scenario", "lm-domains", "--strategy", "gem"])
        }
        #expect(throws: TrainingError.self) {
            try run(["--scenario", "lm-domains", "--strategy", "naive", "--resume"])
        }
        // Settings are checked before any data is read.
        #expect(throws: ContinualError.self) {
            try run(["--scenario", "lm-domains", "--strategy", "replay", "--memory", "0"])
        }
        #expect(throws: ContinualError.self) {
            try run(["--scenario", "lm-domains", "--strategy", "ewc", "--lambda=-1"])
        }
    }

    @Test func aModelWhoseHeadCannotServeTheScenarioIsATypedError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-cl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"model_type": "gpt2", "n_embd": 16}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect {
            try ContinualCommand.parse(["--scenario", "chatterbot", "--strategy", "naive", "--model", dir.path])
                .execute { _ in }
        } throws: { error in
            guard case ContinualError.incompatibleModel(let scenario, let reason) = error else { return false }
            return scenario == "chatterbot" && reason.contains("model_type gpt2")
        }
    }

    @Test(.enabled(if: lmDomainsInstalled, "lm-domains corpora not installed: run `kalam data install`"))
    func quickLanguageModelDomainsWithNaiveFineTuningPrintsOneJSONLine() throws {
        var lines: [String] = []
        try ContinualCommand.parse([
            "--scenario", "lm-domains", "--strategy", "naive", "--quick", "--json", "--seed", "1",
        ])
        .execute { lines.append($0) }
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for key in [
            "matrix", "baseline", "acc", "bwt", "fwt", "forgetting", "strategy", "scenario", "seconds",
            "trainable_params",
            "memory_examples",
        ] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let matrix = try #require(object["matrix"] as? [[Double]])
        let baseline = try #require(object["baseline"] as? [Double])
        #expect(matrix.count == 4 && matrix.allSatisfy { $0.count == 4 })
        // From random init (vocabulary 512) the baseline is about −ln 512; each domain is learnt, and the
        // scores the command prints are the matrix's metrics.
        for j in 0..<4 {
            #expect(abs(baseline[j] + Foundation.log(512)) < 0.2)
            #expect(matrix[j][j] > baseline[j] + 0.5)
        }
        let metrics = try ScoreMatrix(matrix: matrix, baseline: baseline)
        #expect(abs(try #require(object["acc"] as? Double) - metrics.averageAccuracy) < 1e-12)
        #expect(abs(try #require(object["bwt"] as? Double) - metrics.backwardTransfer) < 1e-12)
        #expect(abs(try #require(object["forgetting"] as? Double) - metrics.forgetting) < 1e-12)
        #expect(metrics.backwardTransfer < 0)
        #expect(object["memory_examples"] as? Int == 0)
        #expect(object["strategy"] as? String == "naive" && object["scenario"] as? String == "lm-domains")
    }
}
