import ArgumentParser
import Foundation
import KalamTraining

/// `kalam continual`: trains a model through a sequence of tasks with a strategy against forgetting and
/// prints the score matrix with ACC, BWT, FWT and forgetting.
public struct ContinualCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "continual",
        abstract: "Continual learning: train through a sequence of tasks and measure forgetting.",
        discussion: """
            Scenarios (data splits fixed; --seed varies new weights, dropout and data order):
              bbc-tasks    5 binary BBC News tasks (topic t vs topic t+1 mod 5), a head per task     MiniLM
              bbc-classes  BBC topics arriving 2 + 2 + 1 into one 5-way head                      MiniLM
              lm-domains   a tiny GPT-2 from random init: KJV, WordNet glosses, BBC News, fortunes  tiny GPT-2
              chatterbot   2 groups of 3 English topics, then 2 groups of 3 Persian topics        MiniLM
            --model: a BERT folder for the classification scenarios (default all-MiniLM-L6-v2 from \
            `kalam data install minilm`), a GPT-2 config.json or folder for lm-domains.

            Strategies (default memory in examples, default λ):
              naive, joint (all tasks at every stage), cumulative (tasks 0..t at stage t)
              ewc (λ 1e4), online-ewc (λ 1e4, γ 0.9), si (λ 100, ξ 0.1), mas (λ 1), l2sp (λ 0.01), lwf (λ 1, T 2)
              replay (memory 100), agem (memory 100), adapters (LoRA r8 + head per task, by task id)
              dual-memory (memory 100, consistency λ 0.1, slow EMA model scores the tasks)

            R[i][j] is the score on task j after training through task i; the baseline is the score before \
            any training. Scores are accuracies in [0, 1], or negative log-perplexity for lm-domains. ACC, BWT \
            and FWT follow Lopez-Paz & Ranzato (2017), forgetting Chaudhry et al. (2018).

            With --out DIR each task's trainer keeps checkpoints (strategy state included) and the state after \
            each task is saved; --resume continues an interrupted run from there.

            Example:
              kalam continual --scenario bbc-tasks --strategy ewc --quick --json
            """
    )

    @Option(help: "bbc-tasks, bbc-classes, lm-domains or chatterbot.")
    var scenario: String

    @Option(
        help: "naive, joint, cumulative, ewc, online-ewc, si, mas, l2sp, lwf, replay, agem, adapters or dual-memory.")
    var strategy: String

    @Option(help: "A model folder (see above).")
    var model: String?

    @Option(help: "Examples kept in memory (replay, agem, dual-memory).")
    var memory: Int?

    @Option(help: "The strategy's strength λ (ewc, online-ewc, si, mas, l2sp, lwf, dual-memory).")
    var lambda: Float?

    @Option(help: "Seed of new weights, dropout and data order.")
    var seed: UInt64 = 0

    @Flag(help: "A reduced run (under a minute): small subsets, short sequences, few steps.")
    var quick = false

    @Option(help: "A run folder for checkpoints (each task's under task-<t>/) and the state after each task.")
    var out: String?

    @Option(name: .customLong("checkpoint-every"), help: "With --out, a checkpoint every N steps within a task.")
    var checkpointEvery: Int = 0

    @Flag(help: "Continue the run saved in --out, mid-task or between tasks, bit-identically.")
    var resume = false

    @Flag(help: "Print the matrix and metrics as one JSON object.")
    var json = false

    public init() {}

    public func run() throws {
        try execute { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    }

    func execute(print output: @escaping (String) -> Void) throws {
        let print: (String) -> Void = json ? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } : output
        guard ContinualScenarios.names.contains(scenario) else {
            throw ContinualError.unknownScenario(name: scenario, known: ContinualScenarios.names)
        }
        try ContinualStrategies.validate(strategy, memory: memory, lambda: lambda)
        if resume, out == nil {
            throw TrainingError.invalidOption(
                name: "--resume", value: "true", reason: "needs --out, the run to continue")
        }
        guard checkpointEvery >= 0 else {
            throw TrainingError.invalidOption(
                name: "--checkpoint-every", value: "\(checkpointEvery)", reason: "must not be negative")
        }
        let built = try ContinualScenarios.make(
            scenario, model: model.map { URL(fileURLWithPath: $0) }, quick: quick, seed: seed)
        let chosen = try ContinualStrategies.make(strategy, scenario: built, memory: memory, lambda: lambda, seed: seed)
        print(
            "scenario \(scenario)\(quick ? " (quick)" : ""): \(built.tasks.count) tasks "
                + built.tasks.map { "\($0.name) (\($0.train.count) train, \($0.test.count) test)" }.joined(
                    separator: ", "))
        let result = try ContinualRunner.run(
            built, strategy: chosen, seed: seed, runDirectory: out.map { URL(fileURLWithPath: $0, isDirectory: true) },
            resume: resume, checkpointEvery: checkpointEvery, display: json ? nil : ProgressDisplay(), progress: print)
        let m = result.scores
        if json {
            let object: [String: Any] = [
                "matrix": m.matrix, "baseline": m.baseline, "acc": m.averageAccuracy, "bwt": m.backwardTransfer,
                "fwt": m.forwardTransfer, "forgetting": m.forgetting, "strategy": strategy, "scenario": scenario,
                "seconds": result.seconds, "trainable_params": result.trainableParameters,
                "memory_examples": result.memoryExamples, "tasks": result.taskNames, "seed": seed, "quick": quick,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            output(String(decoding: data, as: UTF8.self))
            return
        }
        for line in Self.table(result, languageModelling: built.isLanguageModelling) { output(line) }
    }

    /// The matrix (a row per stage, the baseline first) and the metrics as text.
    static func table(_ result: ContinualResult, languageModelling: Bool) -> [String] {
        let m = result.scores
        let width = 10
        func pad(_ s: String) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
        let header = pad("after") + result.taskNames.indices.map { pad("task \($0 + 1)") }.joined()
        var lines = [
            "score: " + (languageModelling ? "negative log-perplexity" : "accuracy")
                + "; tasks: "
                + result.taskNames.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: ", "),
            header,
        ]
        lines.append(pad("start") + m.baseline.map { pad(String(format: "%.4f", $0)) }.joined())
        for (i, row) in m.matrix.enumerated() {
            lines.append(pad("task \(i + 1)") + row.map { pad(String(format: "%.4f", $0)) }.joined())
        }
        lines.append(
            "\(result.strategy) on \(result.scenario): "
                + String(
                    format:
                        "ACC %.4f  BWT %+.4f  FWT %+.4f  forgetting %.4f  (%d parameters trained, %d examples in memory, %.1f s)",
                    m.averageAccuracy, m.backwardTransfer, m.forwardTransfer, m.forgetting, result.trainableParameters,
                    result.memoryExamples, result.seconds))
        return lines
    }
}
