import Foundation

/// The built-in strategies by name, with their documented defaults. The λ of EWC and SI were chosen on a
/// coarse grid (EWC 10², 10⁴, 10⁶; SI 1, 100) on `lm-domains --quick` with seed 0; the others are the
/// usual values of their papers' scale, not tuned.
///
/// | strategy | what it adds | memory (examples) | λ |
/// | --- | --- | --- | --- |
/// | `naive` | nothing | – | – |
/// | `joint` | every stage trains on all tasks' data | – | – |
/// | `cumulative` | stage t trains on tasks 0…t | – | – |
/// | `ewc` | Σ_t Fisher penalties (64 examples per task, 16 with `--quick`) | – | 10⁴ |
/// | `online-ewc` | one decayed Fisher penalty, γ = 0.9 | – | 10⁴ |
/// | `si` | path-integral importance, ξ = 0.1 | – | 100 |
/// | `mas` | output-sensitivity importance (64 examples per task, 16 with `--quick`) | – | 1 |
/// | `l2sp` | penalty toward the starting weights (heads excluded) | – | 0.01 |
/// | `lwf` | distillation on earlier heads, T = 2 | – | 1 |
/// | `replay` | reservoir buffer, half a batch replayed per batch | 100 | – |
/// | `agem` | gradient projected on a buffer batch's gradient | 100 | – |
/// | `adapters` | LoRA rank 8 + head per task, chosen by task id | – | – |
/// | `dual-memory` | replay + slow EMA model (scores) + consistency | 100 | 0.1 |
public enum ContinualStrategies {
    /// The strategy names.
    public static let names = [
        "naive", "joint", "cumulative", "ewc", "online-ewc", "si", "mas", "l2sp", "lwf", "replay", "agem", "adapters",
        "dual-memory",
    ]

    /// The default λ of each strategy that has one.
    public static let defaultLambda: [String: Float] = [
        "ewc": 10_000, "online-ewc": 10_000, "si": 100, "mas": 1, "l2sp": 0.01, "lwf": 1, "dual-memory": 0.1,
    ]

    /// The default memory of each strategy that keeps examples.
    public static let defaultMemory: [String: Int] = ["replay": 100, "agem": 100, "dual-memory": 100]

    /// Checks a strategy name and its settings without building anything.
    /// - Throws: ``ContinualError/unknownStrategy(name:known:)``,
    ///   ``ContinualError/invalidSetting(strategy:name:value:reason:)``.
    public static func validate(_ name: String, memory: Int?, lambda: Float?) throws {
        guard names.contains(name) else { throw ContinualError.unknownStrategy(name: name, known: names) }
        if let memory, defaultMemory[name] == nil {
            throw ContinualError.invalidSetting(
                strategy: name, name: "memory", value: "\(memory)", reason: "does not apply: \(name) keeps no examples")
        }
        if let lambda, defaultLambda[name] == nil {
            throw ContinualError.invalidSetting(
                strategy: name, name: "lambda", value: "\(lambda)", reason: "does not apply: \(name) has no strength")
        }
        if let memory, memory < 1 {
            throw ContinualError.invalidSetting(
                strategy: name, name: "memory", value: "\(memory)", reason: "must be at least 1 example")
        }
        if let lambda { try checkStrength(lambda, strategy: name) }
    }

    /// Strategy `name` for `scenario`, with `memory` and `lambda` in place of the defaults when given.
    /// - Throws: ``ContinualError/unknownStrategy(name:known:)``;
    ///   ``ContinualError/invalidSetting(strategy:name:value:reason:)`` for a memory below 1, a λ below 0, or
    ///   a setting the strategy does not take; ``ContinualError/unsupported(strategy:scenario:reason:)``
    ///   for `adapters` on a model that takes no LoRA.
    public static func make(
        _ name: String, scenario: ContinualScenario, memory: Int? = nil, lambda: Float? = nil, seed: UInt64
    ) throws -> ContinualStrategy {
        try validate(name, memory: memory, lambda: lambda)
        let strength = lambda ?? defaultLambda[name] ?? 0
        let size = memory ?? defaultMemory[name] ?? 0
        let rows = max(1, scenario.settings.batchSize / 2)
        switch name {
        case "naive": return NaiveStrategy()
        case "joint": return JointStrategy(cumulative: false)
        case "cumulative": return JointStrategy(cumulative: true)
        case "ewc":
            return try EWCStrategy(lambda: strength, fisherExamples: scenario.settings.importanceExamples, seed: seed)
        case "online-ewc":
            return try EWCStrategy(
                lambda: strength, decay: 0.9, fisherExamples: scenario.settings.importanceExamples, seed: seed)
        case "si": return try SIStrategy(lambda: strength)
        case "mas":
            return try MASStrategy(
                lambda: strength, importanceExamples: scenario.settings.importanceExamples, seed: seed)
        case "l2sp": return try L2SPStrategy(lambda: strength)
        case "lwf": return try LwFStrategy(lambda: strength)
        case "replay": return try ReplayStrategy(memory: size, replayRows: rows, seed: seed)
        case "agem": return try AGEMStrategy(memory: size, referenceRows: scenario.settings.batchSize, seed: seed)
        case "adapters":
            guard scenario.model is AdaptableModel else {
                throw ContinualError.unsupported(
                    strategy: name, scenario: scenario.name,
                    reason: "its model takes no per-task LoRA (a BERT classifier does)")
            }
            return TaskAdaptersStrategy(seed: seed)
        default:
            // dual-memory: the slow model's time constant is a quarter of a task.
            let decay = min(0.999, max(0.5, 1 - 4 / Float(scenario.settings.stepsPerTask)))
            return try DualMemoryStrategy(memory: size, replayRows: rows, lambda: strength, decay: decay, seed: seed)
        }
    }
}
