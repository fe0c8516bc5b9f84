import Foundation
import KalamTraining

/// E4: small BERTs pretrained from random weights on BBC News training articles with each masking
/// strategy and at several mask rates, scored by masked-token accuracy under standard 15% random
/// masking and by BBC News accuracy after fine-tuning.
struct MaskingExperiment: LabExperiment {
    let id = "E4"
    let title = "MLM masking: strategy and rate"
    let question =
        "Is masking by part of speech better than masking at random, and how many tokens should be masked?"

    static let strategies = ["random", "whole-word", "span", "pos"]

    static func rates(_ budget: LabBudget) -> [Double] {
        budget == .quick ? [0.05, 0.15, 0.4, 0.8] : [0.05, 0.15, 0.3, 0.4, 0.6, 0.8]
    }

    /// The downstream fine-tuning of a pretrained encoder, as E4 and E5 run it.
    static func downstream(_ lab: LabContext, folder: URL, seed: UInt64) throws -> CellRecord {
        let s = InitialisationExperiment.settings(lab.budget)
        var setup = InitialisationExperiment().setup(
            s, model: folder, pretrained: true, task: "bbc-news", size: s.sizes.last ?? 40, seed: seed)
        // A small encoder from scratch needs more steps and a larger rate than MiniLM's defaults.
        setup.learningRate = 1e-3
        setup.epochs = max(setup.epochs, 6)
        return try FineTuneCells.run(lab, setup)
    }

    func run(_ lab: LabContext) throws -> ExperimentOutcome {
        let shape = PretrainShape.lab(lab.budget)
        let rates = Self.rates(lab.budget)
        // C4.4: two corpus sizes × two step budgets, random vs pos.
        let corpora = [shape.documents == 0 ? 300 : shape.documents / 4, shape.documents]
        let budgets = [shape.steps / 2, shape.steps]
        let arms = Self.strategies.map { ($0, 0.15) } + rates.filter { $0 != 0.15 }.map { ("random", $0) }
        lab.begin(id, cells: (arms.count * 2 + 8) * lab.seeds.count)
        var cells: [CellRecord] = []
        var pre: [String: [CellRecord]] = [:]
        var down: [String: [CellRecord]] = [:]
        let key = { (masking: String, rate: Double) in "\(masking)@\(rate)" }
        for (masking, rate) in arms {
            for seed in lab.seeds {
                let (record, folder) = try Pretraining.run(
                    lab, PretrainSetup(arch: "bert", masking: masking, rate: rate, shape: shape, seed: seed))
                let fine = try Self.downstream(lab, folder: folder, seed: seed)
                pre[key(masking, rate), default: []].append(record)
                down[key(masking, rate), default: []].append(fine)
                cells += [record, fine]
            }
        }
        var grid: [String: [CellRecord]] = [:]
        for masking in ["random", "pos"] {
            for documents in corpora {
                for steps in budgets {
                    var s = shape
                    (s.documents, s.steps) = (documents, steps)
                    for seed in lab.seeds {
                        let (record, _) = try Pretraining.run(
                            lab, PretrainSetup(arch: "bert", masking: masking, rate: 0.15, shape: s, seed: seed))
                        grid["\(masking)/\(documents)/\(steps)", default: []].append(record)
                        cells.append(record)
                    }
                }
            }
        }
        func p(_ k: String, _ name: String) -> [Double] {
            (pre[k] ?? []).map { $0.values[name] ?? $0.timings[name] ?? .nan }
        }
        func d(_ k: String) -> [Double] { (down[k] ?? []).map { $0.value("test_accuracy") } }
        let random = key("random", 0.15), pos = key("pos", 0.15)
        var claims: [ClaimResult] = []
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C4.1"),
                comparisons: [
                    Comparison(
                        "pos − random, seconds to prepare the corpus (tokenise, tag, annotate)",
                        p(pos, "prepare_seconds"), p(random, "prepare_seconds")),
                    Comparison(
                        "pos − random, seconds to pretrain", p(pos, "train_seconds"), p(random, "train_seconds")),
                ],
                lead: "The cost of POS masking over random masking (timings, which vary between runs):"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C4.2"),
                comparisons: [
                    Comparison("pos − random, BBC test accuracy after fine-tuning", d(pos), d(random)),
                    Comparison(
                        "pos − random, masked-token accuracy (standard 15% random masking)",
                        p(pos, "masked_accuracy"), p(random, "masked_accuracy")),
                ],
                lead: "At the same compute:"))
        let interior = rates.dropFirst().dropLast()
        let bestInterior =
            interior.max { LabStatistics.mean(d(key("random", $0))) < LabStatistics.mean(d(key("random", $1))) } ?? 0.15
        let (lowest, highest) = (rates.first ?? 0.05, rates.last ?? 0.8)
        var rateClaim = VerdictRule.judge(
            LabClaims.claim("C4.3"),
            comparisons: [
                Comparison(
                    "rate \(bestInterior) − rate \(lowest), BBC test accuracy", d(key("random", bestInterior)),
                    d(key("random", lowest))),
                Comparison(
                    "rate \(bestInterior) − rate \(highest), BBC test accuracy", d(key("random", bestInterior)),
                    d(key("random", highest))),
            ],
            lead:
                "Random masking at \(rates.map { "\(Int($0 * 100))%" }.joined(separator: ", ")); the best interior rate by mean accuracy is \(Int(bestInterior * 100))%:",
            values: Dictionary(
                uniqueKeysWithValues: rates.map { ("accuracy_at_\($0)", LabStatistics.mean(d(key("random", $0)))) }))
        rateClaim.rule =
            "the interior rate with the highest mean accuracy is compared with the lowest and the highest rate (chosen from the same data, so slightly favourable to the claim); "
            + VerdictRule.allComparisons
        claims.append(rateClaim)
        let (few, many) = (corpora[0], corpora[1])
        let (short, long) = (budgets[0], budgets[1])
        func g(_ masking: String, _ docs: Int, _ steps: Int) -> [Double] {
            (grid["\(masking)/\(docs)/\(steps)"] ?? []).map { $0.value("masked_accuracy") }
        }
        let gapSmall = zip(g("pos", few, short), g("random", few, short)).map { $0 - $1 }
        let gapLarge = zip(g("pos", many, long), g("random", many, long)).map { $0 - $1 }
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C4.4"),
                comparisons: [
                    Comparison(
                        "random − pos at \(few) articles × \(short) steps, masked-token accuracy",
                        g("random", few, short),
                        g("pos", few, short)),
                    Comparison(
                        "(pos − random) at \(many == 0 ? "all" : "\(many)") × \(long) − (pos − random) at \(few) × \(short)",
                        gapLarge, gapSmall),
                ],
                lead: "Masked-token accuracy (standard 15% random masking) at two corpus sizes and two step budgets:"))

        let rateSeries = ChartSeries(
            name: "random masking", points: rates.map { Summary.point($0 * 100, d(key("random", $0))) })
        let rateMLM = ChartSeries(
            name: "masked-token accuracy",
            points: rates.map { Summary.point($0 * 100, p(key("random", $0), "masked_accuracy")) })
        var table = ReportTable(
            header: ["masking", "rate", "masked-token accuracy", "BBC test accuracy", "prepare s", "pretrain s"],
            rows: [])
        for (masking, rate) in arms {
            let k = key(masking, rate)
            table.rows.append([
                masking, "\(Int(rate * 100))%", Summary.cell(p(k, "masked_accuracy")), Summary.cell(d(k)),
                Summary.cell(p(k, "prepare_seconds"), digits: 2), Summary.cell(p(k, "train_seconds"), digits: 1),
            ])
        }
        var gridTable = ReportTable(header: ["articles", "steps", "random", "pos"], rows: [])
        for docs in corpora {
            for steps in budgets {
                gridTable.rows.append([
                    docs == 0 ? "all" : "\(docs)", "\(steps)", Summary.cell(g("random", docs, steps)),
                    Summary.cell(g("pos", docs, steps)),
                ])
            }
        }
        let strategyBars = ChartSeries(
            name: "BBC test accuracy",
            points: Self.strategies.enumerated().map { Summary.point(Double($0.offset), d(key($0.element, 0.15))) })
        let section = ReportSection(
            id: id, title: "\(id): \(title)", question: question,
            setup:
                "BERTs of \(shape.layers) layers, width \(shape.width), context \(shape.context), a WordPiece of \(shape.vocabulary) trained on the corpus, pretrained from random weights for \(shape.steps) steps of \(shape.batchSize) sequences on \(shape.documents == 0 ? "all" : "\(shape.documents)") BBC News training articles (lr 2e-3, 25% warm-up), 80/10/10 replacement. pos masking weights UPOS tags from Kalam's English tagger (NOUN 3, PROPN 3, VERB 2, ADJ 2, ADV 1.5, ADP/DET/CCONJ 0.25, PUNCT 0.1, others 1; tags computed once per corpus). Scored by masked-token accuracy on held-out articles under standard 15% random masking, and by BBC News test accuracy after full fine-tuning (lr 1e-3).",
            charts: [
                Summary.lines(
                    "Mask rate vs downstream accuracy (random masking)", x: "mask rate (%)", y: "accuracy",
                    series: [rateSeries, rateMLM], note: "Bands: mean ± std over seeds."),
                Summary.bars(
                    "BBC test accuracy per masking strategy (15%)", y: "test accuracy", categories: Self.strategies,
                    series: [strategyBars], note: "Error bars: ± std over seeds."),
            ],
            tables: [table, gridTable],
            paragraphs: Summary.paragraphs(claims), examples: [],
            seconds: 0)
        return ExperimentOutcome(cells: cells, claims: claims, section: section)
    }
}
