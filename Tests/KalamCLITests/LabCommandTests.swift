import ArgumentParser
import Foundation
import KalamLab
import Testing

@testable import KalamCLI

@Suite(.serialized) struct LabCommandTests {
    static func readResults(_ out: URL) throws -> LabResults {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(LabResults.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
    }

    @Test func optionsAreChecked() throws {
        #expect(KalamCommand.configuration.subcommands.contains { $0 == LabCommand.self })
        #expect(throws: (any Error).self) { try LabCommand.parse(["--seeds", "2"]) }
        #expect(throws: (any Error).self) { try LabCommand.parse(["--quick", "--full"]) }
        do {
            _ = try LabCommand.parse(["--seeds", "2"])
        } catch {
            #expect(
                LabCommand.message(for: error)
                    == "--seeds must be at least 3 (a verdict needs an interval over seeds)")
        }
        let only = try LabCommand.parse(["--quick", "--only", "E9", "--out", "/tmp/kalam-lab-unused"])
        #expect(throws: LabError.unknownExperiment(name: "E9", known: ["E1", "E2", "E3", "E4", "E5", "E6"])) {
            try only.run()
        }
    }

    /// `kalam lab --quick` end to end: every claim of CLAIMS.md judged by its rule, the files written, and
    /// a second run of E6 with the same seeds reproducing its numbers.
    @Test func quickLabJudgesEveryClaimByItsRule() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-lab-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("quick")
        let command = try LabCommand.parse(["--quick", "--out", out.path])
        try command.run()
        let results = try Self.readResults(out)

        #expect(results.budget == .quick)
        #expect(results.kalamVersion == Lab.version)
        #expect(results.claims.map(\.id) == LabClaims.all.map(\.id))
        #expect(results.experiments.map(\.id) == ["E1", "E2", "E3", "E4", "E5", "E6"])
        for experiment in results.experiments {
            #expect(experiment.seeds == [0, 1, 2])
            #expect(!experiment.cells.isEmpty)
            // Every seed has cells of its own.
            let seeds = Set(experiment.cells.compactMap { $0.config["seed"] })
            #expect(seeds == ["0", "1", "2"], "\(experiment.id)")
        }
        for claim in results.claims {
            let listed = try #require(LabClaims.all.first { $0.id == claim.id })
            #expect(claim.claim == listed.text)
            #expect(claim.experiment == listed.experiment)
            #expect(!claim.evidence.sentence.isEmpty)
            #expect(!claim.rule.isEmpty)
            for c in claim.evidence.comparisons {
                // Each comparison's verdict follows from its interval and direction, over 3 seeds.
                #expect(c.difference.n == 3, "\(claim.id) \(c.name)")
                #expect(
                    Comparison(name: c.name, difference: c.difference, claimedPositive: c.claimedPositive).verdict
                        == c.verdict, "\(claim.id) \(c.name)")
                let half = LabStatistics.tQuantile975(df: 2) * c.difference.std / 3.0.squareRoot()
                #expect(abs(c.difference.high - c.difference.mean - half) < 1e-9, "\(claim.id) \(c.name)")
            }
            switch claim.id {
            case "C5.5":
                #expect(claim.verdict == .failed)
            case "C1.5" where claim.evidence.values["runs_with_rising_loss"] == 0:
                #expect(claim.verdict == .inconclusive)
            default:
                #expect(claim.verdict == VerdictRule.combine(claim.evidence.comparisons), "\(claim.id)")
                #expect(!claim.evidence.comparisons.isEmpty, "\(claim.id)")
            }
        }
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"))
        #expect(html.components(separatedBy: "<svg").count - 1 >= 6)
        for claim in results.claims { #expect(html.contains(">\(claim.id)<"), "\(claim.id)") }
        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("| C6.3 |"))

        // Same seeds, same numbers: E6 again from nothing (its GPT-2s pretrained anew).
        let again = root.appendingPathComponent("again")
        let rerun = try LabCommand.parse(["--quick", "--only", "E6", "--out", again.path])
        try rerun.run()
        let second = try Self.readResults(again)
        let first = try #require(results.experiments.first { $0.id == "E6" })
        let repeated = try #require(second.experiments.first)
        #expect(repeated.cells.map(\.config) == first.cells.map(\.config))
        #expect(repeated.cells.map(\.values) == first.cells.map(\.values))
        #expect(repeated.cells.map(\.texts) == first.cells.map(\.texts))
        #expect(second.claims == results.claims.filter { $0.experiment == "E6" })
    }
}
