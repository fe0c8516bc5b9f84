import Foundation
import KalamCore
import KalamNN

/// A continual-learning strategy: a ``TrainerPlugin`` (a loss term, a gradient transform, an action
/// after each step, state saved in checkpoints) that also acts at task boundaries, may choose each
/// stage's data and batches, and may change how a task is scored (a task's own module, a slow model).
/// Every method has a default that does nothing, so a strategy implements only what it changes.
public protocol ContinualStrategy: TrainerPlugin {
    /// Examples kept from earlier tasks (a replay buffer's size), for the report.
    var memoryExamples: Int { get }
    /// Called once before the baseline is measured (change the architecture here).
    func prepare(_ scenario: ContinualScenario) throws
    /// The examples stage `task` trains on (the task's own by default).
    func trainingExamples(task: Int, scenario: ContinualScenario) -> [ContinualExample]
    /// The batch source of stage `task` over `examples`.
    func batchSource(
        task: Int, examples: [ContinualExample], scenario: ContinualScenario, seed: UInt64
    ) throws -> any BatchSource
    /// Called before training on task `task`.
    func beforeTask(_ task: Int, scenario: ContinualScenario) throws
    /// Called after training on task `task`, before the model is scored.
    func afterTask(_ task: Int, scenario: ContinualScenario) throws
    /// The score on task `task` (the scenario's by default).
    func score(task: Int, scenario: ContinualScenario) throws -> Double
}

extension ContinualStrategy {
    public var memoryExamples: Int { 0 }
    public func prepare(_ scenario: ContinualScenario) throws {}
    public func trainingExamples(task: Int, scenario: ContinualScenario) -> [ContinualExample] {
        scenario.tasks[task].train
    }
    public func batchSource(
        task: Int, examples: [ContinualExample], scenario: ContinualScenario, seed: UInt64
    ) throws -> any BatchSource {
        try ContinualBatches(
            examples: examples, batchSize: scenario.settings.batchSize, seed: seed, scenario: scenario)
    }
    public func beforeTask(_ task: Int, scenario: ContinualScenario) throws {}
    public func afterTask(_ task: Int, scenario: ContinualScenario) throws {}
    public func score(task: Int, scenario: ContinualScenario) throws -> Double { try scenario.score(task: task) }
}

/// Naive fine-tuning: each task in turn, nothing against forgetting (the lower bound).
public final class NaiveStrategy: ContinualStrategy {
    public let name = "naive"
    /// The strategy.
    public init() {}
}

/// Joint training (every stage trains on every task's data: the multi-task upper bound) or cumulative
/// training (stage `t` trains on the data of tasks `0…t`).
public final class JointStrategy: ContinualStrategy {
    public let name: String
    /// Whether stage `t` sees only tasks `0…t`.
    public let cumulative: Bool

    /// Joint, or cumulative when `cumulative` is set.
    public init(cumulative: Bool) {
        self.cumulative = cumulative
        name = cumulative ? "cumulative" : "joint"
    }

    public func trainingExamples(task: Int, scenario: ContinualScenario) -> [ContinualExample] {
        scenario.tasks.prefix(cumulative ? task + 1 : scenario.tasks.count).flatMap(\.train)
    }
}

/// Copies of a model's parameter values, keyed like the parameters: anchors, a teacher, a slow model,
/// a task's own module.
public struct ParameterSnapshot {
    /// Values by parameter key.
    public var values: [String: Tensor]

    /// Copies of the values of `parameters`.
    public init(_ parameters: NamedParameters) {
        values = Dictionary(uniqueKeysWithValues: parameters.map { ($0.key, $0.tensor.detached().copy()) })
    }

    /// Copies of the given tensors (read from a checkpoint).
    public init(values: [String: Tensor]) { self.values = values }

    /// Writes the values into the model's parameters of the same keys (shapes checked first, nothing
    /// changed on a mismatch); parameters without a value keep theirs.
    /// - Throws: `ModuleError.shapeMismatch` naming the key of a value whose shape differs.
    public func assign(to model: Module) throws {
        let parameters = model.namedParameters().filter { values[$0.key] != nil }
        for (key, tensor) in parameters where values[key]!.shape != tensor.shape {
            throw ModuleError.shapeMismatch(key: key, expected: tensor.shape, found: values[key]!.shape)
        }
        for (key, tensor) in parameters {
            let source = values[key]!.contiguous()
            tensor.data.update(from: source.data, count: tensor.count)
        }
    }

    /// Runs `body` with these values in the model, then puts the model's own values back.
    public func withAssigned<T>(to model: Module, _ body: () throws -> T) throws -> T {
        let own = ParameterSnapshot(model.namedParameters().filter { values[$0.key] != nil })
        try assign(to: model)
        defer { try? own.assign(to: model) }
        return try body()
    }

    /// The values as checkpoint state under `prefix` (`anchor.<key>`).
    public func stateTensors(prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: values.map { (prefix + $0.key, $0.value) })
    }

    /// The values saved under `prefix` in checkpoint state, or nil when there are none.
    public static func restore(_ state: [String: Tensor], prefix: String) -> ParameterSnapshot? {
        let found = state.filter { $0.key.hasPrefix(prefix) }
        guard !found.isEmpty else { return nil }
        return ParameterSnapshot(
            values: Dictionary(uniqueKeysWithValues: found.map { (String($0.key.dropFirst(prefix.count)), $0.value) }))
    }
}
