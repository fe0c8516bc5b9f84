import Foundation
import Testing

@testable import KalamLab

@Suite struct StatisticsTests {
    @Test func meanStdAndInterval() {
        let values = [1.0, 2.0, 3.0, 4.0]
        #expect(LabStatistics.mean(values) == 2.5)
        // Sample std: sqrt(((1.5² + 0.5²) * 2) / 3) = sqrt(5/3).
        #expect(abs(LabStatistics.std(values) - (5.0 / 3).squareRoot()) < 1e-12)
        let i = LabStatistics.interval(values)
        // Half-width t(0.975, 3) · s / √n = 3.182 · 1.290994 / 2.
        let half = 3.182 * (5.0 / 3).squareRoot() / 2
        #expect(abs(i.low - (2.5 - half)) < 1e-12)
        #expect(abs(i.high - (2.5 + half)) < 1e-12)
        #expect(i.n == 4)
    }

    @Test func intervalsPrintInAPrecisionThatSuitsTheirSize() {
        func text(_ mean: Double, _ low: Double, _ high: Double) -> String {
            Interval(mean: mean, low: low, high: high, std: 0, n: 3).signedText
        }
        #expect(text(0.1234, -0.05, 0.3) == "+0.123 [-0.050, +0.300]")
        // Parameter counts: whole numbers, no decimals.
        #expect(text(22_565_376, 22_565_376, 22_565_376) == "+22565376 [+22565376, +22565376]")
        // Seconds per token: scientific notation instead of -0.000.
        #expect(text(-4.1e-5, -5e-5, -3.2e-5) == "-4.10e-05 [-5.00e-05, -3.20e-05]")
        #expect(text(0, 0, 0) == "+0.000 [+0.000, +0.000]")
    }

    @Test func tQuantilesMatchTheTable() {
        #expect(LabStatistics.tQuantile975(df: 1) == 12.706)
        #expect(LabStatistics.tQuantile975(df: 2) == 4.303)
        #expect(LabStatistics.tQuantile975(df: 30) == 2.042)
        #expect(LabStatistics.tQuantile975(df: 45) == 2.021)
        #expect(LabStatistics.tQuantile975(df: 5_000) == 1.960)
    }

    @Test func pairedDifferenceUsesTheSameSeeds() {
        // Arm a beats b by 0.10, 0.12, 0.08 on the three seeds: positive interval.
        let d = LabStatistics.pairedDifference([0.80, 0.72, 0.90], [0.70, 0.60, 0.82])
        #expect(abs(d.mean - 0.10) < 1e-12)
        #expect(d.isPositive)
        #expect(!d.isNegative)
        // One value gives no interval and no decision.
        let single = LabStatistics.interval([0.3])
        #expect(single.low == 0.3 && single.high == 0.3 && !single.isPositive)
    }
}

@Suite struct VerdictRuleTests {
    @Test func comparisonVerdictFollowsTheIntervalAndTheClaimedDirection() {
        let up = Comparison("a − b", [0.80, 0.72, 0.90], [0.70, 0.60, 0.82])
        #expect(up.verdict == .held)
        let claimedDown = Comparison("a − b", [0.80, 0.72, 0.90], [0.70, 0.60, 0.82], claimedPositive: false)
        #expect(claimedDown.verdict == .failed)
        let noisy = Comparison("a − b", [0.80, 0.60, 0.90], [0.70, 0.70, 0.82])
        #expect(noisy.verdict == .inconclusive)
    }

    @Test func combiningVerdicts() {
        #expect(VerdictRule.combine([Verdict]()) == .inconclusive)
        #expect(VerdictRule.combine([.held, .held]) == .held)
        #expect(VerdictRule.combine([.failed, .failed]) == .failed)
        #expect(VerdictRule.combine([.inconclusive, .inconclusive]) == .inconclusive)
        #expect(VerdictRule.combine([.held, .inconclusive]) == .mixed)
        #expect(VerdictRule.combine([.held, .failed]) == .mixed)
        #expect(VerdictRule.combine([.failed, .inconclusive]) == .mixed)
    }

    @Test func everyClaimOfTheBriefIsListedOnce() {
        let ids = LabClaims.all.map(\.id)
        #expect(ids.count == 29)
        #expect(Set(ids).count == 29)
        #expect(ids.first == "C1.1" && ids.last == "C6.3")
        let experiments = Set(LabClaims.all.map(\.experiment))
        #expect(experiments == ["E1", "E2", "E3", "E4", "E5", "E6"])
    }

    @Test func badOptionsAreTypedErrors() throws {
        var options = LabOptions(out: URL(fileURLWithPath: "/nonexistent/lab"))
        options.seeds = [0, 1]
        #expect(throws: LabError.tooFewSeeds(count: 2)) { try Lab.run(options) }
        options.seeds = [0, 1, 1]
        #expect(throws: LabError.duplicateSeeds([0, 1, 1])) { try Lab.run(options) }
        options.seeds = [0, 1, 2]
        options.only = ["E7"]
        #expect(throws: LabError.unknownExperiment(name: "E7", known: ["E1", "E2", "E3", "E4", "E5", "E6"])) {
            try Lab.run(options)
        }
    }
}

@Suite struct DecodingMeasureTests {
    @Test func distinctAndRepetition() {
        // [1 2 1 2 1]: bigrams 12 21 12 21 → 2 unique of 4.
        #expect(DecodingMeasures.distinct([[1, 2, 1, 2, 1]], n: 2) == 0.5)
        #expect(DecodingMeasures.distinct([[1, 2, 3], [4, 5, 6]], n: 1) == 1)
        // 4-grams of [1 2 3 1 2 3 1]: 1231 2312 3123 1231 → one repeated of four.
        #expect(DecodingMeasures.repeatedRate([1, 2, 3, 1, 2, 3, 1], n: 4) == 0.25)
        #expect(DecodingMeasures.repeatedRate([1, 2], n: 4) == 0)
    }

    @Test func bleuOfIdenticalAndDisjointSequences() {
        let a: [Int32] = [1, 2, 3, 4, 5, 6]
        #expect(abs(DecodingMeasures.bleu(a, references: [a]) - 1) < 1e-12)
        // Nothing shared: every precision smoothed to 0.1 of a match.
        let disjoint = DecodingMeasures.bleu(a, references: [[7, 8, 9, 10, 11, 12]])
        let expected = Foundation.exp((log(0.1 / 6) + log(0.1 / 5) + log(0.1 / 4) + log(0.1 / 3)) / 4)
        #expect(abs(disjoint - expected) < 1e-12)
        // Two identical samples: self-BLEU 1.
        #expect(abs(DecodingMeasures.selfBLEU([a, a]) - 1) < 1e-12)
    }
}

@Suite struct CellCacheTests {
    @Test func cellsAreKeyedByTheirWholeConfiguration() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-cells-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = CellCache(folder: folder, version: "test")
        var record = CellRecord(experiment: "E9", config: ["seed": "0", "arm": "a"])
        record.values["accuracy"] = 0.75
        record.values["missing"] = .nan
        try cache.store(record)
        let loaded = try #require(cache.load("E9", ["arm": "a", "seed": "0"]))
        #expect(loaded.values["accuracy"] == 0.75)
        #expect(loaded.values["missing"]?.isNaN == true)
        #expect(cache.load("E9", ["arm": "a", "seed": "1"]) == nil)
        #expect(CellCache(folder: folder, version: "other").load("E9", ["arm": "a", "seed": "0"]) == nil)
        // FNV-1a 64 of the empty string is its offset basis.
        #expect(CellCache.hash("") == "cbf29ce484222325")
        #expect(CellCache.hash("a") == "af63dc4c8601ec8c")
    }
}

@Suite struct SummaryTests {
    @Test func countsNeverTrapOnMissingMeasures() {
        #expect(Summary.count(141_056) == "141056")
        #expect(Summary.count(2.6) == "3")
        #expect(Summary.count(.nan) == "–")
        #expect(Summary.count(.infinity) == "–")
        #expect(Summary.count(1e30) == "–")
        let claim = ClaimResult(
            id: "C9.9", claim: "x", experiment: "E9", verdict: .held, rule: "r", evidence: Evidence(sentence: "s."))
        #expect(Summary.paragraphs([claim]) == ["C9.9 (held): s."])
    }
}
