import Foundation
import KalamTraining

/// E5: the four families pretrained from random weights at equal width, depth, data and steps — BERT
/// (MLM), GPT-2 (CLM), T5 (span corruption) and ELECTRA (replaced-token detection) — then each
/// fine-tuned on BBC News with its Hugging Face classification head (T5 text-to-text).
struct ArchitectureExperiment: LabExperiment {
    let id = "E5"
    let title = "Architectures and objectives: seq2seq, MLM, CLM and ELECTRA"
    let question =
        "At equal size and compute, what does each objective cost, how well does each pretrained model classify, and which objective does the brief's description of CLM really describe?"

    static let archs = ["bert", "gpt2", "t5", "electra"]

    func run(_ lab: LabContext) throws -> ExperimentOutcome {
        let shape = PretrainShape.lab(lab.budget)
        lab.begin(id, cells: Self.archs.count * 2 * lab.seeds.count)
        var cells: [CellRecord] = []
        var pre: [String: [CellRecord]] = [:]
        var down: [String: [CellRecord]] = [:]
        for arch in Self.archs {
            for seed in lab.seeds {
                let (record, folder) = try Pretraining.run(lab, PretrainSetup(arch: arch, shape: shape, seed: seed))
                let fine = try MaskingExperiment.downstream(lab, folder: folder, seed: seed)
                pre[arch, default: []].append(record)
                down[arch, default: []].append(fine)
                cells += [record, fine]
            }
        }
        func p(_ arch: String, _ name: String) -> [Double] {
            (pre[arch] ?? []).map { $0.values[name] ?? $0.timings[name] ?? .nan }
        }
        func d(_ arch: String) -> [Double] { (down[arch] ?? []).map { $0.value("test_accuracy") } }
        let classes = Double(try LabTask.named("bbc-news").split.labels.count)
        let chance = d("t5").map { _ in 1 / classes }
        var claims: [ClaimResult] = []
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C5.1"),
                comparisons: [
                    Comparison(
                        "T5 unigram loss − T5 span-corruption loss on held-out text (it fills in text)",
                        p("t5", "unigram_validation_loss"), p("t5", "validation_loss")),
                    Comparison("T5 classification accuracy (text-to-text) − chance", d("t5"), chance),
                ],
                lead: "One T5 both generates (fills corrupted spans) and classifies, by writing the label's name:"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C5.2"),
                comparisons: [
                    Comparison("T5 − BERT, parameters", p("t5", "parameters"), p("bert", "parameters")),
                    Comparison(
                        "T5 − BERT, seconds per target token", p("t5", "seconds_per_token"),
                        p("bert", "seconds_per_token")),
                ],
                lead: "At equal width and depth per stack (parameters are counts; seconds are timings):"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C5.3"),
                comparisons: [Comparison("BERT (MLM) − GPT-2 (CLM), BBC test accuracy", d("bert"), d("gpt2"))],
                lead: "Pretrained on the same articles for the same steps, then fine-tuned alike:"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C5.4"),
                comparisons: [
                    Comparison(
                        "unigram − GPT-2 validation loss (nats per token)", p("gpt2", "unigram_validation_loss"),
                        p("gpt2", "validation_loss"))
                ],
                lead:
                    "The CLM predicts held-out text far better than token frequencies do; E6 measures its samples' likelihood, diversity and repetition:"
            ))
        let electra = Comparison("ELECTRA − BERT, BBC test accuracy", d("electra"), d("bert"))
        claims.append(
            ClaimResult(
                id: "C5.5", claim: LabClaims.claim("C5.5").text, experiment: "E5", verdict: .failed,
                rule:
                    "failed by definition: a causal LM is trained to predict each next token of one text; showing two versions and asking which is right describes ELECTRA's replaced-token detection, measured here against MLM for the record",
                evidence: Evidence(
                    sentence:
                        "The brief describes replaced-token detection, not CLM. ELECTRA against BERT at equal compute: \(electra.summary).",
                    comparisons: [electra])))

        let names = ["BERT (MLM)", "GPT-2 (CLM)", "T5 (span corruption)", "ELECTRA (RTD)"]
        var table = ReportTable(
            header: [
                "family", "parameters", "pretraining loss", "unigram loss", "s per target token", "BBC test accuracy",
            ],
            rows: [])
        for (arch, name) in zip(Self.archs, names) {
            let unigram = p(arch, "unigram_validation_loss")
            table.rows.append([
                name, Summary.count(LabStatistics.mean(p(arch, "parameters"))),
                Summary.cell(p(arch, "validation_loss")),
                unigram.allSatisfy(\.isNaN) ? "–" : Summary.cell(unigram),
                String(format: "%.2e", LabStatistics.mean(p(arch, "seconds_per_token"))), Summary.cell(d(arch)),
            ])
        }
        let bars = ChartSeries(
            name: "BBC test accuracy",
            points: Self.archs.enumerated().map { Summary.point(Double($0.offset), d($0.element)) })
        let section = ReportSection(
            id: id, title: "\(id): \(title)", question: question,
            setup:
                "Each family at \(shape.layers) layers (T5: \(shape.layers) encoder + \(shape.layers) decoder), width \(shape.width), \(shape.heads) heads, pretrained from random weights for \(shape.steps) steps of \(shape.batchSize) sequences on the same BBC News training articles (BERT and ELECTRA 15% random masking, ELECTRA's generator a quarter of the width and λ = 50, T5 noise density 0.15 and mean span 3, GPT-2 next-token prediction), then fine-tuned in full on BBC News with lr 1e-3.",
            charts: [
                Summary.bars(
                    "BBC test accuracy after each objective", y: "test accuracy", categories: names, series: [bars],
                    note: "Error bars: ± std over seeds.")
            ],
            tables: [table],
            paragraphs: Summary.paragraphs(claims)
                + [
                    "What CLM is: a causal language model reads a text left to right and is trained to give the next token high probability (GPT-2). It never sees two versions of a sentence. The brief's description — show two versions, ask which is correct — is close to ELECTRA's replaced-token detection, where a small generator replaces some tokens and the discriminator says, for every token, whether it is the original."
                ],
            examples: [], seconds: 0)
        return ExperimentOutcome(cells: cells, claims: claims, section: section)
    }
}
