import Foundation
import KalamTraining

/// E1: all-MiniLM-L6-v2 against the same architecture with random weights, fine-tuned in full on BBC
/// News at several training sizes and on Persian chatterbot topics; and (C1.5) a Kalam-pretrained
/// encoder fine-tuned from an early-stopped and from an over-trained checkpoint.
struct InitialisationExperiment: LabExperiment {
    let id = "E1"
    let title = "Pretrained or random initial weights"
    let question =
        "What do pretrained weights buy over random ones of the same shape: faster convergence, less data, better results near the pretraining domain? Are they less flexible? Does over-training in pretraining carry over?"

    struct Settings {
        var sizes: [Int]
        var persianTrain: Int
        var epochs: Int
        var maxLength: Int
        var validation: Int
        var test: Int
    }

    static func settings(_ budget: LabBudget) -> Settings {
        switch budget {
        case .quick:
            return Settings(sizes: [8, 24], persianTrain: 24, epochs: 2, maxLength: 16, validation: 10, test: 25)
        case .standard:
            return Settings(
                sizes: [16, 78, 311], persianTrain: 0, epochs: 4, maxLength: 64, validation: 100, test: 300)
        case .full:
            return Settings(
                sizes: [16, 78, 311, 0], persianTrain: 0, epochs: 4, maxLength: 128, validation: 0, test: 0)
        }
    }

    func setup(_ s: Settings, model: URL, pretrained: Bool, task: String, size: Int, seed: UInt64) -> FineTuneSetup {
        FineTuneSetup(
            model: model, pretrained: pretrained, task: task, mode: .full, trainExamples: size,
            validationExamples: s.validation, testExamples: s.test, epochs: s.epochs, maxLength: s.maxLength,
            seed: seed)
    }

    func run(_ lab: LabContext) throws -> ExperimentOutcome {
        let s = Self.settings(lab.budget)
        let model = ContinualScenarios.defaultEncoder
        let seeds = lab.seeds
        let pretrainCells = Overtraining.cellCount(lab)
        lab.begin(id, cells: (s.sizes.count + 1) * 2 * seeds.count + pretrainCells + 2 * seeds.count)
        var cells: [CellRecord] = []
        // [init][size] → per-seed records
        var bbc: [Bool: [Int: [CellRecord]]] = [:]
        var persian: [Bool: [CellRecord]] = [:]
        for pretrained in [true, false] {
            for size in s.sizes {
                for seed in seeds {
                    let r = try FineTuneCells.run(
                        lab, setup(s, model: model, pretrained: pretrained, task: "bbc-news", size: size, seed: seed))
                    bbc[pretrained, default: [:]][size, default: []].append(r)
                    cells.append(r)
                }
            }
            for seed in seeds {
                let r = try FineTuneCells.run(
                    lab,
                    setup(
                        s, model: model, pretrained: pretrained, task: "chatterbot-fa", size: s.persianTrain, seed: seed
                    ))
                persian[pretrained, default: []].append(r)
                cells.append(r)
            }
        }
        // C1.5: a Kalam encoder pretrained past its best validation loss, fine-tuned from both checkpoints.
        let overtraining = try Overtraining.run(lab)
        cells += overtraining.pretraining
        var fromCheckpoint: [String: [CellRecord]] = [:]
        for (name, folders) in [("early", overtraining.early), ("late", overtraining.late)] {
            for (seed, folder) in zip(seeds, folders) {
                let r = try MaskingExperiment.downstream(lab, folder: folder, seed: seed)
                fromCheckpoint[name, default: []].append(r)
                cells.append(r)
            }
        }

        func values(_ records: [CellRecord]?, _ name: String) -> [Double] { (records ?? []).map { $0.value(name) } }
        func firstEpoch(_ records: [CellRecord]?) -> [Double] {
            (records ?? []).map { $0.series["validation_accuracy"]?.first ?? .nan }
        }
        let label = { (size: Int) in size == 0 ? "all" : "\(size)" }
        var claims: [ClaimResult] = []
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C1.1"),
                comparisons: s.sizes.map { size in
                    Comparison(
                        "pretrained − random, validation accuracy after epoch 1 at \(label(size)) articles",
                        firstEpoch(bbc[true]?[size]), firstEpoch(bbc[false]?[size]))
                },
                lead: "After one epoch of fine-tuning on BBC News:"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C1.2"),
                comparisons: s.sizes.map { size in
                    Comparison(
                        "pretrained − random, test accuracy at \(label(size)) articles",
                        values(bbc[true]?[size], "test_accuracy"), values(bbc[false]?[size], "test_accuracy"))
                },
                lead: "Test accuracy on BBC News after fine-tuning:"))
        let largest = s.sizes.last ?? 0
        let gainNews = zip(values(bbc[true]?[largest], "test_accuracy"), values(bbc[false]?[largest], "test_accuracy"))
            .map { $0 - $1 }
        let gainPersian = zip(values(persian[true], "test_accuracy"), values(persian[false], "test_accuracy"))
            .map { $0 - $1 }
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C1.3"),
                comparisons: [Comparison("gain on English news − gain on Persian topics", gainNews, gainPersian)],
                lead:
                    "The gain of MiniLM (English) over random weights, on BBC News (near its pretraining text) and on Persian chatterbot topics:"
            ))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C1.4"),
                comparisons: [
                    Comparison(
                        "random − pretrained, test accuracy on Persian topics", values(persian[false], "test_accuracy"),
                        values(persian[true], "test_accuracy"))
                ],
                lead: "On Persian chatterbot topics, a task and language far from MiniLM's pretraining:",
                values: [
                    "pretrained_weight_change": LabStatistics.mean(values(persian[true], "weight_change")),
                    "random_weight_change": LabStatistics.mean(values(persian[false], "weight_change")),
                ]))
        claims.append(overtraining.claim(early: fromCheckpoint["early"] ?? [], late: fromCheckpoint["late"] ?? []))
        let smallest = s.sizes.first ?? 0
        let randomGain = zip(
            values(bbc[false]?[largest], "test_accuracy"), values(bbc[false]?[smallest], "test_accuracy")
        )
        .map { $0 - $1 }
        let pretrainedGain = zip(
            values(bbc[true]?[largest], "test_accuracy"), values(bbc[true]?[smallest], "test_accuracy")
        ).map { $0 - $1 }
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C1.6"),
                comparisons: [
                    Comparison(
                        "random's gain from \(label(smallest)) to \(label(largest)) articles − pretrained's",
                        randomGain,
                        pretrainedGain),
                    Comparison(
                        "pretrained − random, validation accuracy after epoch 1 at \(label(largest)) articles",
                        firstEpoch(bbc[true]?[largest]), firstEpoch(bbc[false]?[largest])),
                ],
                lead: "Whether random weights need more data (gain more from it) and more time (lag after one epoch):"))

        let xs = s.sizes.map { size in size == 0 ? (bbc[true]?[0]?.first?.value("train_examples") ?? 0) : Double(size) }
        let curve = { (pretrained: Bool) in
            ChartSeries(
                name: pretrained ? "pretrained (MiniLM)" : "random init",
                points: zip(s.sizes, xs).map { size, x in
                    Summary.point(x, values(bbc[pretrained]?[size], "test_accuracy"))
                })
        }
        let epochs = { (pretrained: Bool) in
            ChartSeries(
                name: pretrained ? "pretrained (MiniLM)" : "random init",
                points: (0..<s.epochs).map { e in
                    Summary.point(
                        Double(e + 1),
                        (bbc[pretrained]?[largest] ?? []).map { $0.series["validation_accuracy"]?[safe: e] ?? .nan })
                })
        }
        var table = ReportTable(header: ["task", "training examples", "pretrained", "random"], rows: [])
        for (size, x) in zip(s.sizes, xs) {
            table.rows.append([
                "BBC News", Summary.count(x), Summary.cell(values(bbc[true]?[size], "test_accuracy")),
                Summary.cell(values(bbc[false]?[size], "test_accuracy")),
            ])
        }
        table.rows.append([
            "Persian topics", Summary.count(persian[true]?.first?.value("train_examples") ?? .nan),
            Summary.cell(values(persian[true], "test_accuracy")), Summary.cell(values(persian[false], "test_accuracy")),
        ])
        let section = ReportSection(
            id: id, title: "\(id): \(title)", question: question,
            setup:
                "all-MiniLM-L6-v2 (6 layers, width 384) fine-tuned in full (AdamW, the full mode's defaults, \(s.epochs) epochs, inputs cut to \(s.maxLength) tokens) against the same configuration with every weight drawn at random from the seed. BBC News (5 topics) at \(s.sizes.map(label).joined(separator: ", ")) training articles from a split fixed by split seed 0; Persian chatterbot topics for the shift of language. Seeds vary the head, the random weights and the data order. C1.5: \(overtraining.setup)",
            charts: [
                Summary.lines(
                    "BBC News test accuracy vs training articles", x: "training articles", y: "test accuracy",
                    series: [curve(true), curve(false)], logX: true, note: "Bands: mean ± std over seeds."),
                Summary.lines(
                    "Validation accuracy per epoch at \(label(largest)) articles", x: "epoch", y: "validation accuracy",
                    series: [epochs(true), epochs(false)], note: "Bands: mean ± std over seeds."),
            ],
            tables: [
                table, overtraining.table(early: fromCheckpoint["early"] ?? [], late: fromCheckpoint["late"] ?? []),
            ],
            paragraphs: Summary.paragraphs(claims), examples: [],
            seconds: 0)
        return ExperimentOutcome(cells: cells, claims: claims, section: section)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
