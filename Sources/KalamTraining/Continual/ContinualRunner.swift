import Foundation
import KalamCore
import KalamNN

/// What a continual run measured.
public struct ContinualResult: Sendable {
    /// The scenario's name.
    public var scenario: String
    /// The strategy's name.
    public var strategy: String
    /// The task names, in order.
    public var taskNames: [String]
    /// The score matrix and baseline.
    public var scores: ScoreMatrix
    /// Seconds the whole run took (scoring included).
    public var seconds: Double
    /// Parameter values trained (after the strategy changed the architecture).
    public var trainableParameters: Int
    /// Examples held in memory at the end.
    public var memoryExamples: Int
    /// The training losses of each task's steps.
    public var losses: [[Float]]
}

/// Trains a scenario's model through its tasks with a strategy, on the one ``Trainer`` (a trainer per
/// task: AdamW restarts at each task, the strategy is its plug-in), and scores every task before any
/// training and after each task.
public enum ContinualRunner {
    /// Runs `strategy` through `scenario`.
    /// - Parameters:
    ///   - seed: seeds each task's data order (task `t`: `seed + t`) and the trainer's generators.
    ///   - runDirectory: when given, each task's trainer keeps its checkpoints (strategy state included)
    ///     under `task-<t>/`.
    ///   - progress: called with a line after the baseline and after each task.
    public static func run(
        _ scenario: ContinualScenario, strategy: ContinualStrategy, seed: UInt64, runDirectory: URL? = nil,
        display: ProgressDisplay? = nil, progress: (String) -> Void = { _ in }
    ) throws -> ContinualResult {
        let started = Date()
        try strategy.prepare(scenario)
        let tasks = scenario.tasks.indices
        let baseline = try tasks.map { try strategy.score(task: $0, scenario: scenario) }
        progress("before training: " + format(baseline, scenario))
        var matrix: [[Double]] = []
        var losses: [[Float]] = []
        let s = scenario.settings
        for t in tasks {
            try strategy.beforeTask(t, scenario: scenario)
            let examples = strategy.trainingExamples(task: t, scenario: scenario)
            let source = try strategy.batchSource(
                task: t, examples: examples, scenario: scenario, seed: seed &+ UInt64(t))
            var c = TrainerConfiguration(steps: s.stepsPerTask, batchSize: s.batchSize)
            c.learningRate = s.learningRate
            c.warmupSteps = s.warmupSteps
            c.weightDecay = 0
            c.beta2 = 0.999
            c.seed = seed &+ UInt64(t)
            c.logEvery = max(1, s.stepsPerTask / 10)
            let trainer = try Trainer(
                model: scenario.model, objective: ContinualObjective(scenario: scenario), data: source, validation: nil,
                configuration: c, runDirectory: runDirectory?.appendingPathComponent("task-\(t)", isDirectory: true),
                plugins: [strategy])
            trainer.display = display
            let result = try trainer.run()
            losses.append(result.losses)
            try strategy.afterTask(t, scenario: scenario)
            let row = try tasks.map { try strategy.score(task: $0, scenario: scenario) }
            matrix.append(row)
            progress(
                "after task \(t + 1)/\(scenario.tasks.count) \(scenario.tasks[t].name) (\(s.stepsPerTask) steps, "
                    + String(format: "final loss %.4f", result.losses.last ?? .nan) + "): " + format(row, scenario))
        }
        return ContinualResult(
            scenario: scenario.name, strategy: strategy.name, taskNames: scenario.tasks.map(\.name),
            scores: try ScoreMatrix(matrix: matrix, baseline: baseline), seconds: Date().timeIntervalSince(started),
            trainableParameters: scenario.model.trainableParameterCount, memoryExamples: strategy.memoryExamples,
            losses: losses)
    }

    static func format(_ row: [Double], _ scenario: ContinualScenario) -> String {
        row.map { String(format: "%.4f", $0) }.joined(separator: " ")
    }
}
