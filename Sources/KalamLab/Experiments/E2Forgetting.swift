import Foundation
import KalamModels
import KalamTraining

/// E2: a GPT from random weights trained through four text domains in turn (`lm-domains`: KJV →
/// WordNet glosses → BBC News → fortunes), scored by negative log-perplexity on every domain after each,
/// under every strategy against forgetting.
struct ForgettingExperiment: LabExperiment {
    let id = "E2"
    let title = "Catastrophic forgetting and the strategies against it"
    let question =
        "Does training one domain after another overwrite what earlier ones taught, and which strategies (regularisation, per-task modules, rehearsal, dual memory, multi-task training, gradient projection) prevent it?"

    struct Settings {
        var stepsPerTask: Int
        var trainBlocks: Int
        var testBlocks: Int
        var replayMemories: [Int]
    }

    static func settings(_ budget: LabBudget) -> Settings {
        switch budget {
        case .quick: return Settings(stepsPerTask: 8, trainBlocks: 48, testBlocks: 8, replayMemories: [16, 48])
        case .standard:
            return Settings(stepsPerTask: 30, trainBlocks: 0, testBlocks: 0, replayMemories: [25, 100, 400])
        case .full: return Settings(stepsPerTask: 200, trainBlocks: 0, testBlocks: 0, replayMemories: [25, 100, 400])
        }
    }

    /// Every strategy, with replay at each memory size: (label, strategy name, memory).
    static func arms(_ s: Settings) -> [(label: String, strategy: String, memory: Int?)] {
        ContinualStrategies.names.flatMap { name -> [(String, String, Int?)] in
            name == "replay" ? s.replayMemories.map { ("replay:\($0)", name, $0) } : [(name, name, nil)]
        }
    }

    private static let data = ScenarioCache()

    /// The scenario's tasks and model shape, built once per process (its sampling and tokenizer do not
    /// depend on the seed), and a fresh scenario over a new GPT drawn from `seed`.
    static func scenario(_ budget: LabBudget, _ s: Settings, seed: UInt64) throws -> ContinualScenario {
        let template: ContinualScenario
        if let cached = data.template {
            template = cached
        } else {
            template = try ContinualScenarios.make("lm-domains", quick: budget != .full, seed: 0)
            data.template = template
        }
        guard let gpt = template.model as? GPT2LMHeadModel else {
            throw ContinualError.incompatibleModel(scenario: "lm-domains", reason: "expected a GPT-2 model")
        }
        var config = gpt.config
        if budget == .quick { (config.nLayer, config.nHead, config.nEmbd) = (2, 2, 64) }
        let model = try GPT2LMHeadModel(config: config, seed: seed)
        func trim(_ xs: [ContinualExample], _ n: Int) -> [ContinualExample] { n > 0 ? Array(xs.prefix(n)) : xs }
        let tasks = template.tasks.map {
            ContinualTask(name: $0.name, train: trim($0.train, s.trainBlocks), test: trim($0.test, s.testBlocks))
        }
        var settings = template.settings
        settings.stepsPerTask = s.stepsPerTask
        settings.warmupSteps = min(settings.warmupSteps, s.stepsPerTask / 4)
        settings.importanceExamples = min(settings.importanceExamples, max(4, s.trainBlocks / 4))
        let scenario = try ContinualScenario(
            name: template.name, tasks: tasks, model: model, output: template.output, padTokenId: template.padTokenId,
            settings: settings, forward: { ids, _ in try model(inputIds: ids).logits })
        scenario.evaluationBatchSize = template.evaluationBatchSize
        return scenario
    }

    func run(_ lab: LabContext) throws -> ExperimentOutcome {
        let s = Self.settings(lab.budget)
        let arms = Self.arms(s)
        lab.begin(id, cells: arms.count * lab.seeds.count)
        var cells: [CellRecord] = []
        var byArm: [String: [CellRecord]] = [:]
        var tasks: [String] = []
        for arm in arms {
            for seed in lab.seeds {
                let config = [
                    "scenario": "lm-domains", "strategy": arm.label, "seed": "\(seed)", "steps": "\(s.stepsPerTask)",
                    "train": "\(s.trainBlocks)", "test": "\(s.testBlocks)",
                ]
                let record = try lab.cell(id, config) { record in
                    let scenario = try Self.scenario(lab.budget, s, seed: seed)
                    let strategy = try ContinualStrategies.make(
                        arm.strategy, scenario: scenario, memory: arm.memory, seed: seed)
                    let result = try ContinualRunner.run(scenario, strategy: strategy, seed: seed)
                    let m = result.scores
                    record.values["acc"] = m.averageAccuracy
                    record.values["bwt"] = m.backwardTransfer
                    record.values["fwt"] = m.forwardTransfer
                    record.values["forgetting"] = m.forgetting
                    record.values["trainable_parameters"] = Double(result.trainableParameters)
                    record.values["memory_examples"] = Double(result.memoryExamples)
                    record.series["matrix"] = m.matrix.flatMap { $0 }
                    record.series["baseline"] = m.baseline
                    record.texts["tasks"] = result.taskNames
                }
                tasks = record.texts["tasks"] ?? tasks
                byArm[arm.label, default: []].append(record)
                cells.append(record)
            }
        }
        func v(_ arm: String, _ name: String) -> [Double] { (byArm[arm] ?? []).map { $0.value(name) } }
        let naive = v("naive", "bwt")
        func better(_ arm: String) -> Comparison {
            Comparison("\(arm) BWT − naive BWT", v(arm, "bwt"), naive)
        }
        var claims: [ClaimResult] = []
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C2.1"),
                comparisons: [Comparison("naive BWT", naive, naive.map { _ in 0 }, claimedPositive: false)],
                lead:
                    "Backward transfer (BWT, in nats of negative log-perplexity; below 0 means earlier domains got worse) of plain sequential training:"
            ))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C2.2"), comparisons: ["ewc", "online-ewc", "si", "mas", "l2sp", "lwf"].map(better),
                lead: "Each regulariser's BWT against naive sequential training:"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C2.3"), comparisons: [better("adapters")],
                lead: "A LoRA adapter per domain, chosen by task id at test time:",
                values: [
                    "adapters_trainable_parameters": LabStatistics.mean(v("adapters", "trainable_parameters")),
                    "naive_trainable_parameters": LabStatistics.mean(v("naive", "trainable_parameters")),
                ]))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C2.4"), comparisons: s.replayMemories.map { better("replay:\($0)") },
                lead: "Experience replay at each memory size:"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C2.5"), comparisons: [better("dual-memory")],
                lead: "Dual memory (a fast model, a slow EMA model and an episodic buffer):"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C2.6"),
                comparisons: [
                    better("joint"), Comparison("joint ACC − naive ACC", v("joint", "acc"), v("naive", "acc")),
                ],
                lead: "Joint training on every domain seen so far at once:"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C2.7"), comparisons: [better("agem")],
                lead: "A-GEM (gradients projected against a reference gradient from memory):"))

        let labels = arms.map(\.label)
        var table = ReportTable(
            header: ["strategy", "ACC", "BWT", "FWT", "forgetting", "trainable parameters"], rows: [])
        for label in labels {
            table.rows.append([
                label, Summary.cell(v(label, "acc")), Summary.cell(v(label, "bwt")), Summary.cell(v(label, "fwt")),
                Summary.cell(v(label, "forgetting")),
                Summary.count(LabStatistics.mean(v(label, "trainable_parameters"))),
            ])
        }
        func meanMatrix(_ arm: String) -> [[Double?]] {
            let n = tasks.count
            guard n > 0 else { return [] }
            let flat = (byArm[arm] ?? []).compactMap { $0.series["matrix"] }
            return (0..<n).map { i in
                (0..<n).map { j in flat.isEmpty ? nil : LabStatistics.mean(flat.map { $0[i * n + j] }) }
            }
        }
        let bwtBars = ChartSeries(
            name: "BWT", points: labels.enumerated().map { Summary.point(Double($0.offset), v($0.element, "bwt")) })
        let section = ReportSection(
            id: id, title: "\(id): \(title)", question: question,
            setup:
                "lm-domains: a GPT-2 (\(lab.budget == .quick ? "2 layers, width 64" : "the tiny preset's 4 layers, width 128")) from random weights, trained for \(s.stepsPerTask) steps on each of \(tasks.joined(separator: " → ")), AdamW restarted per domain; scores are negative log-perplexities on each domain's held-out text (higher is better). ACC, BWT and FWT as Lopez-Paz & Ranzato (2017), forgetting as Chaudhry et al. (2018). Strategies at their default λ and memory; replay at \(s.replayMemories.map(String.init).joined(separator: ", ")) examples.",
            charts: [
                Summary.heatmap(
                    "Score matrix, naive sequential training (row: after training on; column: scored on)", rows: tasks,
                    columns: tasks, cells: meanMatrix("naive"), note: "Negative log-perplexity, mean over seeds."),
                Summary.heatmap(
                    "Score matrix, replay (\(s.replayMemories.last ?? 0) examples)", rows: tasks, columns: tasks,
                    cells: meanMatrix("replay:\(s.replayMemories.last ?? 0)"),
                    note: "Negative log-perplexity, mean over seeds."),
                Summary.bars(
                    "Backward transfer per strategy", y: "BWT (nats)", categories: labels, series: [bwtBars],
                    note: "Error bars: ± std over seeds. Below 0: earlier domains got worse."),
            ],
            tables: [table], paragraphs: Summary.paragraphs(claims),
            examples: [], seconds: 0)
        return ExperimentOutcome(cells: cells, claims: claims, section: section)
    }
}

private final class ScenarioCache: @unchecked Sendable {
    var template: ContinualScenario?
}
