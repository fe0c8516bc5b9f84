import Foundation

/// C1.5's set-up: a small BERT pretrained on few articles for many steps, so that its validation loss
/// passes its minimum and rises; the checkpoint at the minimum ("early-stopped") and the last one
/// ("over-trained") are then fine-tuned alike.
struct Overtraining {
    var pretraining: [CellRecord]
    var early: [URL]
    var late: [URL]
    var setup: String

    static func setup(_ lab: LabContext, seed: UInt64) -> PretrainSetup {
        var shape = PretrainShape.lab(lab.budget)
        shape.documents = lab.budget == .quick ? 40 : 20
        shape.steps *= lab.budget == .quick ? 4 : 3
        return PretrainSetup(arch: "bert", shape: shape, seed: seed, checks: 8)
    }

    static func cellCount(_ lab: LabContext) -> Int { lab.seeds.count }

    static func run(_ lab: LabContext) throws -> Overtraining {
        var result = Overtraining(pretraining: [], early: [], late: [], setup: "")
        for seed in lab.seeds {
            let s = setup(lab, seed: seed)
            let (record, folder) = try Pretraining.run(lab, s)
            result.pretraining.append(record)
            result.early.append(folder.appendingPathComponent("early", isDirectory: true))
            result.late.append(folder)
            result.setup =
                "a BERT (\(s.shape.layers) layers, width \(s.shape.width)) pretrained with 15% random masking on \(s.shape.documents) BBC training articles for \(s.shape.steps) steps, validation loss checked 8 times; the checkpoint with the lowest validation loss and the last one, each fine-tuned in full at learning rate 1e-3 for at least 6 epochs."
        }
        return result
    }

    /// Whether the validation loss of a run rose past its minimum (the set-up's premise).
    static func rose(_ record: CellRecord) -> Bool {
        guard let losses = record.series["validation_losses"], let best = losses.min(), let last = losses.last else {
            return false
        }
        return last > best
    }

    /// C1.5: held if the early-stopped checkpoint fine-tunes better than the over-trained one (paired
    /// interval > 0); inconclusive, whatever the numbers, when the validation loss rose in no run.
    func claim(early: [CellRecord], late: [CellRecord]) -> ClaimResult {
        let claim = LabClaims.claim("C1.5")
        let rising = pretraining.filter(Self.rose).count
        let comparison = Comparison(
            "early-stopped − over-trained, test accuracy", early.map { $0.value("test_accuracy") },
            late.map { $0.value("test_accuracy") })
        let lead = "Validation loss rose past its minimum in \(rising) of \(pretraining.count) pretraining runs."
        var result = VerdictRule.judge(
            claim, comparisons: [comparison], lead: lead, values: ["runs_with_rising_loss": Double(rising)])
        result.rule =
            "inconclusive if the validation loss rose in no pretraining run (no over-training to carry over); otherwise "
            + VerdictRule.allComparisons
        if rising == 0 { result.verdict = .inconclusive }
        return result
    }

    func table(early: [CellRecord], late: [CellRecord]) -> ReportTable {
        let best = pretraining.map { $0.value("best_check") }
        return ReportTable(
            header: ["checkpoint", "BBC test accuracy", "pretraining validation loss checks (seed 1st)"],
            rows: [
                [
                    "early-stopped (check \(best.map(Summary.count).joined(separator: "/")))",
                    Summary.cell(early.map { $0.value("test_accuracy") }),
                    (pretraining.first?.series["validation_losses"] ?? []).map { String(format: "%.3f", $0) }
                        .joined(separator: " "),
                ],
                ["over-trained (last)", Summary.cell(late.map { $0.value("test_accuracy") }), ""],
            ])
    }
}
