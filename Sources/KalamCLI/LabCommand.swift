import ArgumentParser
import Foundation
import KalamLab

/// `kalam lab`: runs the experiments E1-E6 and writes a report with a verdict on each claim of the brief.
public struct LabCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Measure every claim of Kalam's brief: experiments E1-E6, verdicts, a report.",
        discussion: """
            Experiments (each over every seed, data splits fixed apart from the seeds):
              E1  pretrained (all-MiniLM-L6-v2) vs random init: BBC News at several sizes, Persian topics, \
            over-trained checkpoints
              E2  forgetting: lm-domains under every continual-learning strategy
              E3  transfer vs fine-tuning: frozen, partial, full, LoRA, adapters
              E4  MLM masking: random, whole-word, span, POS; mask rates 5-80%
              E5  BERT, GPT-2, T5 and ELECTRA pretrained alike, then classifying
              E6  decoding: greedy, beam 4/8, sampling, temperature, top-k, top-p, typical, min-p

            Writes results.json, report.md and report.html into --out; finished cells are kept under \
            --out/cells, so an interrupted lab resumes where it stopped. Needs `kalam data install`.

            Examples:
              kalam lab --quick            a smoke test of every experiment (minutes)
              kalam lab --only E2,E6 --seeds 5
            """
    )

    @Flag(help: "A smoke test of every experiment in minutes (small data, few steps; verdicts may be inconclusive).")
    var quick = false

    @Flag(help: "Larger data and longer training than the default (hours).")
    var full = false

    @Option(help: "Only these experiments, comma-separated (e.g. E2,E4).")
    var only: String?

    @Option(help: "How many seeds (0, 1, …), at least 3.")
    var seeds: Int = 3

    @Option(help: "The output folder.")
    var out: String = "lab"

    public init() {}

    public func validate() throws {
        if quick && full { throw ValidationError("--quick and --full exclude each other") }
        if seeds < 3 { throw ValidationError("--seeds must be at least 3 (a verdict needs an interval over seeds)") }
        if seeds > 100 { throw ValidationError("--seeds must be at most 100") }
    }

    public func run() throws {
        var options = LabOptions(out: URL(fileURLWithPath: out, isDirectory: true))
        options.budget = quick ? .quick : full ? .full : .standard
        options.seeds = (0..<UInt64(seeds)).map { $0 }
        options.only = only.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let started = Date()
        let results = try Lab.run(options) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        for claim in results.claims {
            print(
                "\(claim.id)  \(claim.verdict.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0))\(claim.claim)"
            )
        }
        print(String(format: "lab finished in %.0f s", Date().timeIntervalSince(started)))
        print("report: \(options.out.appendingPathComponent("report.html").path)")
    }
}
