import Foundation
import KalamCore
import KalamFiles
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
    /// Seconds the whole run took (scoring included; a resumed run counts this process only).
    public var seconds: Double
    /// Parameter values trained (after the strategy changed the architecture).
    public var trainableParameters: Int
    /// Examples held in memory at the end.
    public var memoryExamples: Int
    /// The training losses of each task's steps.
    public var losses: [[Float]]
}

/// Where a continual run stands between tasks, saved as `continual_state.json` in its run folder (with
/// `model.safetensors` and `strategy.safetensors` in `after-task-<t>/`).
struct ContinualProgress: Codable {
    var scenario: String
    var strategy: String
    var seed: UInt64
    var baseline: [Double]
    var matrix: [[Double]]
    var losses: [[Float]]
    /// The model's dropout generator after the last completed task.
    var modelRNG: KalamRandom
}

/// Trains a scenario's model through its tasks with a strategy, on the one ``Trainer`` (a trainer per
/// task: AdamW restarts at each task, the strategy is its plug-in), and scores every task before any
/// training and after each task.
///
/// With a run folder, each task's trainer keeps checkpoints (parameters, optimizer, data position,
/// generators, the strategy's state) under `task-<t>/checkpoints/`, and the state after each task is kept
/// under `after-task-<t>/` with the scores so far in `continual_state.json`; a run with `resume` continues from where the run stopped, mid-task or between tasks, bit-identically.
public enum ContinualRunner {
    /// Runs `strategy` through `scenario` to the end (see the variant with `stopAt` for the parameters).
    public static func run(
        _ scenario: ContinualScenario, strategy: ContinualStrategy, seed: UInt64, runDirectory: URL? = nil,
        resume: Bool = false, checkpointEvery: Int = 0, display: ProgressDisplay? = nil,
        progress: (String) -> Void = { _ in }
    ) throws -> ContinualResult {
        guard
            let result = try run(
                scenario, strategy: strategy, seed: seed, runDirectory: runDirectory, resume: resume,
                checkpointEvery: checkpointEvery, stopAt: nil, display: display, progress: progress)
        else {
            throw TrainingError.invalidOption(name: "run", value: scenario.name, reason: "stopped before the last task")
        }
        return result
    }

    /// Runs `strategy` through `scenario`, or until `stopAt`.
    /// - Parameters:
    ///   - seed: seeds each task's data order (task `t`: `seed + t`) and the trainer's generators.
    ///   - runDirectory: where checkpoints and the state between tasks go (`nil`: nothing is kept).
    ///   - resume: continue the run saved in `runDirectory` (a fresh start when it holds none).
    ///   - checkpointEvery: a checkpoint every this many steps within a task (0: at each task's end).
    ///   - stopAt: stop once task `task` has taken `step` steps, as an interrupted run would (returns nil).
    ///   - progress: called with a line after the baseline and after each task.
    /// - Throws: ``ContinualError/invalidSetting(strategy:name:value:reason:)`` when the saved run belongs
    ///   to another scenario, strategy or seed; trainer and checkpoint errors.
    public static func run(
        _ scenario: ContinualScenario, strategy: ContinualStrategy, seed: UInt64, runDirectory: URL? = nil,
        resume: Bool = false, checkpointEvery: Int = 0, stopAt: (task: Int, step: Int)?,
        display: ProgressDisplay? = nil, progress: (String) -> Void = { _ in }
    ) throws -> ContinualResult? {
        let started = Date()
        try strategy.prepare(scenario)
        let saved = resume ? try runDirectory.flatMap { try readProgress($0) } : nil
        if let saved, saved.scenario != scenario.name || saved.strategy != strategy.name || saved.seed != seed {
            throw ContinualError.invalidSetting(
                strategy: strategy.name, name: "resume", value: runDirectory?.path ?? "",
                reason: "holds a run of \(saved.strategy) on \(saved.scenario) with seed \(saved.seed)")
        }
        let tasks = scenario.tasks.indices
        var state =
            try saved
            ?? ContinualProgress(
                scenario: scenario.name, strategy: strategy.name, seed: seed,
                baseline: tasks.map { try strategy.score(task: $0, scenario: scenario) }, matrix: [], losses: [],
                modelRNG: scenario.model.randomSource.generator)
        if saved == nil {
            progress("before training: " + format(state.baseline))
        } else if let dir = runDirectory, !state.matrix.isEmpty {
            try restoreBoundary(dir, task: state.matrix.count - 1, scenario: scenario, strategy: strategy)
            scenario.model.randomSource.generator = state.modelRNG
            progress("resumed after task \(state.matrix.count) of \(scenario.tasks.count)")
        }
        let s = scenario.settings
        for t in state.matrix.count..<scenario.tasks.count {
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
            c.checkpointEvery = checkpointEvery
            let taskDirectory = runDirectory?.appendingPathComponent("task-\(t)", isDirectory: true)
            let trainer = try Trainer(
                model: scenario.model, objective: ContinualObjective(scenario: scenario), data: source, validation: nil,
                configuration: c, runDirectory: taskDirectory, plugins: [strategy])
            trainer.display = display
            let checkpoint = resume ? trainer.checkpointStore?.latest : nil
            let result = try trainer.run(resumeFrom: checkpoint, stopAfter: stopAt?.task == t ? stopAt?.step : nil)
            if result.stopReason != .completed { return nil }
            try strategy.afterTask(t, scenario: scenario)
            let row = try tasks.map { try strategy.score(task: $0, scenario: scenario) }
            state.matrix.append(row)
            state.losses.append(result.losses)
            state.modelRNG = scenario.model.randomSource.generator
            if let dir = runDirectory {
                try saveBoundary(dir, task: t, state: state, scenario: scenario, strategy: strategy)
            }
            progress(
                "after task \(t + 1)/\(scenario.tasks.count) \(scenario.tasks[t].name) (\(s.stepsPerTask) steps, "
                    + String(format: "final loss %.4f", result.losses.last ?? .nan) + "): " + format(row))
        }
        return ContinualResult(
            scenario: scenario.name, strategy: strategy.name, taskNames: scenario.tasks.map(\.name),
            scores: try ScoreMatrix(matrix: state.matrix, baseline: state.baseline),
            seconds: Date().timeIntervalSince(started), trainableParameters: scenario.model.trainableParameterCount,
            memoryExamples: strategy.memoryExamples, losses: state.losses)
    }

    static func format(_ row: [Double]) -> String {
        row.map { String(format: "%.4f", $0) }.joined(separator: " ")
    }

    static let progressFile = "continual_state.json"

    static func readProgress(_ dir: URL) throws -> ContinualProgress? {
        let url = dir.appendingPathComponent(progressFile)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(ContinualProgress.self, from: data)
        } catch {
            throw TrainingError.corruptCheckpoint(path: url.path, reason: "\(error)")
        }
    }

    /// Writes the model, the strategy's state and the scores after task `task` (the state file last, by
    /// rename, so a run killed meanwhile resumes from the task before).
    static func saveBoundary(
        _ dir: URL, task: Int, state: ContinualProgress, scenario: ContinualScenario, strategy: ContinualStrategy
    ) throws {
        let folder = dir.appendingPathComponent("after-task-\(task)", isDirectory: true)
        try CheckpointStore.createFolder(folder)
        try scenario.model.writeCheckpointParameters(to: folder.appendingPathComponent("model.safetensors"))
        let tensors = strategy.stateTensors().sorted { $0.key < $1.key }.map {
            SafeTensors.TensorData.float32(name: $0.key, shape: $0.value.shape, values: $0.value.scalars)
        }
        let strategyURL = folder.appendingPathComponent("strategy.safetensors")
        do {
            try SafeTensors.write(tensors: tensors, to: strategyURL)
        } catch {
            throw TrainingError.writeFailure(error, path: strategyURL.path)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let url = dir.appendingPathComponent(progressFile)
        do {
            try AtomicFile.write(try encoder.encode(state), to: url)
        } catch {
            throw TrainingError.writeFailure(error, path: url.path)
        }
    }

    /// Loads the model and the strategy's state saved after task `task`.
    static func restoreBoundary(
        _ dir: URL, task: Int, scenario: ContinualScenario, strategy: ContinualStrategy
    ) throws {
        let folder = dir.appendingPathComponent("after-task-\(task)", isDirectory: true)
        let url = folder.appendingPathComponent("strategy.safetensors")
        var state: [String: Tensor] = [:]
        do {
            let file = try SafeTensorsFile(contentsOf: url)
            for entry in file.entries {
                state[entry.name] = try Tensor(try file.floats(entry.name), shape: entry.shape)
            }
        } catch {
            throw TrainingError.corruptCheckpoint(path: url.path, reason: "\(error)")
        }
        try scenario.model.readCheckpointParameters(from: folder.appendingPathComponent("model.safetensors"))
        try strategy.restore(stateTensors: state)
    }
}
