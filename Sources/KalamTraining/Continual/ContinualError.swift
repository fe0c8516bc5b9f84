/// An error in a continual-learning set-up, naming what is wrong.
public enum ContinualError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A scenario name that does not exist.
    case unknownScenario(name: String, known: [String])
    /// A strategy name that does not exist.
    case unknownStrategy(name: String, known: [String])
    /// A strategy setting out of range (a memory of 0 examples for replay, λ < 0).
    case invalidSetting(strategy: String, name: String, value: String, reason: String)
    /// A strategy that cannot run in a scenario.
    case unsupported(strategy: String, scenario: String, reason: String)
    /// A model that cannot serve a scenario (its head, its family).
    case incompatibleModel(scenario: String, reason: String)
    /// A score matrix of the wrong shape.
    case malformedMatrix(reason: String)
    /// A task with too little data for the scenario's split.
    case notEnoughData(task: String, reason: String)

    /// One readable line.
    public var description: String {
        switch self {
        case let .unknownScenario(name, known):
            return "unknown scenario '\(name)'; the scenarios are \(known.joined(separator: ", "))"
        case let .unknownStrategy(name, known):
            return "unknown strategy '\(name)'; the strategies are \(known.joined(separator: ", "))"
        case let .invalidSetting(strategy, name, value, reason):
            return "\(strategy): \(name) \(value) \(reason)"
        case let .unsupported(strategy, scenario, reason):
            return "strategy \(strategy) cannot run on \(scenario): \(reason)"
        case let .incompatibleModel(scenario, reason):
            return "the model cannot serve scenario \(scenario): \(reason)"
        case let .malformedMatrix(reason): return "score matrix: \(reason)"
        case let .notEnoughData(task, reason): return "task \(task): \(reason)"
        }
    }
}
