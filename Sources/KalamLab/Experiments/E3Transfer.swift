import Foundation
import KalamTraining

/// E3: all-MiniLM-L6-v2 on BBC News under every adaptation mode (frozen backbone + head, the top two
/// layers, everything, LoRA, bottleneck adapters) at the training sizes of E1, and frozen vs full on
/// Persian topics.
struct TransferExperiment: LabExperiment {
    let id = "E3"
    let title = "Transfer learning (frozen) vs fine-tuning"
    let question =
        "When does a frozen pretrained encoder with a trained head do as well as updating everything, and what does each mode cost in time and trainable parameters?"

    static let modes: [AdaptationMode] = [.frozen, .partial(layers: 2), .full, .lora(rank: 8), .adapter(size: 64)]

    func run(_ lab: LabContext) throws -> ExperimentOutcome {
        let s = InitialisationExperiment.settings(lab.budget)
        let e1 = InitialisationExperiment()
        let model = ContinualScenarios.defaultEncoder
        lab.begin(id, cells: (Self.modes.count * s.sizes.count + 2) * lab.seeds.count)
        var cells: [CellRecord] = []
        var byArm: [String: [Int: [CellRecord]]] = [:]
        var persian: [String: [CellRecord]] = [:]
        for mode in Self.modes {
            for size in s.sizes {
                for seed in lab.seeds {
                    var setup = e1.setup(s, model: model, pretrained: true, task: "bbc-news", size: size, seed: seed)
                    setup.mode = mode
                    let r = try FineTuneCells.run(lab, setup)
                    byArm[mode.description, default: [:]][size, default: []].append(r)
                    cells.append(r)
                }
            }
        }
        for mode in [AdaptationMode.frozen, .full] {
            for seed in lab.seeds {
                var setup = e1.setup(
                    s, model: model, pretrained: true, task: "chatterbot-fa", size: s.persianTrain, seed: seed)
                setup.mode = mode
                let r = try FineTuneCells.run(lab, setup)
                persian[mode.description, default: []].append(r)
                cells.append(r)
            }
        }
        func v(_ mode: String, _ size: Int, _ name: String) -> [Double] {
            (byArm[mode]?[size] ?? []).map { $0.values[name] ?? $0.timings[name] ?? .nan }
        }
        let smallest = s.sizes.first ?? 0, largest = s.sizes.last ?? 0
        let label = { (size: Int) in size == 0 ? "all" : "\(size)" }
        let frozenMinusFull = { (size: Int) in
            zip(v("frozen", size, "test_accuracy"), v("full", size, "test_accuracy")).map { $0 - $1 }
        }
        var claims: [ClaimResult] = []
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C3.1"),
                comparisons: [
                    Comparison(
                        "frozen − full, test accuracy at \(label(smallest)) articles",
                        v("frozen", smallest, "test_accuracy"), v("full", smallest, "test_accuracy")),
                    Comparison(
                        "(frozen − full) at \(label(smallest)) − (frozen − full) at \(label(largest)) articles",
                        frozenMinusFull(smallest), frozenMinusFull(largest)),
                ],
                lead:
                    "Frozen MiniLM with a trained head against full fine-tuning on BBC News (related to MiniLM's English pretraining):"
            ))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C3.2"),
                comparisons: [
                    Comparison(
                        "full − frozen, trainable parameters", v("full", largest, "trainable_parameters"),
                        v("frozen", largest, "trainable_parameters")),
                    Comparison(
                        "full − frozen, seconds per epoch at \(label(largest)) articles",
                        v("full", largest, "seconds_per_epoch"), v("frozen", largest, "seconds_per_epoch")),
                ],
                lead: "The cost of each (seconds are timings and vary between runs; parameters are counts):"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C3.3"),
                comparisons: [
                    Comparison(
                        "full − frozen, test accuracy at \(label(largest)) articles",
                        v("full", largest, "test_accuracy"),
                        v("frozen", largest, "test_accuracy")),
                    Comparison(
                        "full − frozen, test accuracy on Persian topics",
                        (persian["full"] ?? []).map { $0.value("test_accuracy") },
                        (persian["frozen"] ?? []).map { $0.value("test_accuracy") }),
                ],
                lead: "Full fine-tuning with the most data of this budget, and on a task unlike MiniLM's pretraining:"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C3.4"),
                comparisons: [
                    Comparison(
                        "frozen − full, test accuracy at \(label(smallest)) articles",
                        v("frozen", smallest, "test_accuracy"), v("full", smallest, "test_accuracy"))
                ],
                lead:
                    "If fine-tuning needed a large dataset, it would fall behind the frozen encoder at the smallest size:"
            ))

        let names = Self.modes.map(\.description)
        let series = s.sizes.map { size in
            ChartSeries(
                name: "\(label(size)) articles",
                points: names.enumerated().map {
                    Summary.point(Double($0.offset), v($0.element, size, "test_accuracy"))
                })
        }
        var table = ReportTable(
            header: ["mode"] + s.sizes.map { "accuracy at \(label($0))" } + [
                "trainable parameters", "s/epoch (largest)",
            ],
            rows: [])
        for name in names {
            table.rows.append(
                [name] + s.sizes.map { Summary.cell(v(name, $0, "test_accuracy")) } + [
                    Summary.count(LabStatistics.mean(v(name, largest, "trainable_parameters"))),
                    Summary.cell(v(name, largest, "seconds_per_epoch"), digits: 2),
                ])
        }
        table.rows.append(
            [
                "Persian: frozen / full",
                Summary.cell((persian["frozen"] ?? []).map { $0.value("test_accuracy") }) + " / "
                    + Summary.cell((persian["full"] ?? []).map { $0.value("test_accuracy") }),
            ] + Array(repeating: "", count: s.sizes.count + 1))
        let section = ReportSection(
            id: id, title: "\(id): \(title)", question: question,
            setup:
                "all-MiniLM-L6-v2 on BBC News with each adaptation mode at its default learning rate (full and partial 1e-4; frozen, LoRA r=8 on query/value and adapters of size 64: 1e-3), all for \(s.epochs) epochs at \(s.maxLength) tokens, at \(s.sizes.map(label).joined(separator: ", ")) training articles; the same split and seeds as E1 (its full-mode cells are these).",
            charts: [
                Summary.bars(
                    "BBC News test accuracy per adaptation mode", y: "test accuracy", categories: names, series: series,
                    note: "Error bars: ± std over seeds.")
            ],
            tables: [table],
            paragraphs: Summary.paragraphs(claims) + [
                Self.smallDataReading(claims.last?.verdict ?? .inconclusive)
            ],
            examples: [], seconds: 0)
        return ExperimentOutcome(cells: cells, claims: claims, section: section)
    }

    /// What C3.4's verdict says about the brief's link between fine-tuning and large data.
    static func smallDataReading(_ verdict: Verdict) -> String {
        let lead =
            "Where the brief is imprecise: C3.4 ties fine-tuning to large datasets and transfer learning to small ones, but a pretrained encoder is fine-tuned with very little data in practice. Here, at the smallest size, "
        switch verdict {
        case .held: return lead + "the frozen encoder beat full fine-tuning, as the claim says."
        case .failed: return lead + "full fine-tuning beat the frozen encoder, so the claim fails on this data."
        case .mixed, .inconclusive:
            return lead
                + "the two did not differ beyond the seed-to-seed spread: small data did not rule fine-tuning out."
        }
    }
}
