import Foundation

/// One comparison a verdict rests on: the paired difference `a − b` over seeds, and the direction the
/// claim predicts.
public struct Comparison: Codable, Sendable, Equatable {
    /// What is compared, e.g. "pretrained − random, validation accuracy at 20 articles".
    public var name: String
    /// The paired difference over seeds with its 95% interval.
    public var difference: Interval
    /// Whether the claim predicts a positive difference (else a negative one).
    public var claimedPositive: Bool
    /// The comparison's own verdict: held when the interval excludes 0 in the claimed direction, failed
    /// when it excludes 0 in the other, inconclusive when it contains 0.
    public var verdict: Verdict

    public init(name: String, difference: Interval, claimedPositive: Bool = true) {
        self.name = name
        self.difference = difference
        self.claimedPositive = claimedPositive
        let agrees = claimedPositive ? difference.isPositive : difference.isNegative
        let opposes = claimedPositive ? difference.isNegative : difference.isPositive
        verdict = agrees ? .held : opposes ? .failed : .inconclusive
    }

    /// `a − b` over the same seeds.
    public init(_ name: String, _ a: [Double], _ b: [Double], claimedPositive: Bool = true) {
        self.init(name: name, difference: LabStatistics.pairedDifference(a, b), claimedPositive: claimedPositive)
    }

    /// One line: the name, the difference and its interval, the verdict.
    public var summary: String {
        "\(name): \(difference.signedText) (n=\(difference.n), claimed \(claimedPositive ? "> 0" : "< 0")) → \(verdict.rawValue)"
    }
}

/// The evidence behind a verdict: the comparisons the rule used, other numbers it read, and a sentence.
public struct Evidence: Codable, Sendable, Equatable {
    /// The sentence the report prints.
    public var sentence: String
    /// The comparisons, in the order the rule read them.
    public var comparisons: [Comparison]
    /// Other numbers the rule used, by name.
    public var values: [String: Double]

    public init(sentence: String, comparisons: [Comparison] = [], values: [String: Double] = [:]) {
        self.sentence = sentence
        self.comparisons = comparisons
        self.values = values
    }
}

/// A claim with its verdict.
public struct ClaimResult: Codable, Sendable, Equatable {
    public var id: String
    public var claim: String
    public var experiment: String
    public var verdict: Verdict
    /// The rule, as the report prints it.
    public var rule: String
    public var evidence: Evidence
}

/// The verdict rules, written once and named in the report.
public enum VerdictRule {
    /// The rule most claims use, as printed.
    public static let allComparisons =
        "held if every comparison's paired 95% interval excludes 0 in the claimed direction; failed if every one excludes 0 in the other; inconclusive if none excludes 0; mixed otherwise"

    /// ``allComparisons`` applied: held if all comparisons hold, failed if all fail, inconclusive if none
    /// is decided (or there are none), mixed otherwise.
    public static func combine(_ comparisons: [Comparison]) -> Verdict {
        combine(comparisons.map(\.verdict))
    }

    /// ``combine(_:)-([Comparison])`` over verdicts.
    public static func combine(_ verdicts: [Verdict]) -> Verdict {
        if verdicts.isEmpty || verdicts.allSatisfy({ $0 == .inconclusive }) { return .inconclusive }
        if verdicts.allSatisfy({ $0 == .held }) { return .held }
        if verdicts.allSatisfy({ $0 == .failed }) { return .failed }
        return .mixed
    }

    /// A claim judged by ``allComparisons`` over `comparisons`, the sentence naming each result.
    static func judge(
        _ claim: LabClaim, comparisons: [Comparison], lead: String, values: [String: Double] = [:]
    ) -> ClaimResult {
        let verdict = combine(comparisons)
        let parts = comparisons.map { c in
            c.name + " " + c.difference.signedText
        }
        return ClaimResult(
            id: claim.id, claim: claim.text, experiment: claim.experiment, verdict: verdict, rule: allComparisons,
            evidence: Evidence(
                sentence: lead + (parts.isEmpty ? "" : " " + parts.joined(separator: "; ") + "."),
                comparisons: comparisons, values: values))
    }
}
