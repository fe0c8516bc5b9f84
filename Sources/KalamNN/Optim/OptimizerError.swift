/// An error raised by an optimizer, a learning-rate schedule, gradient clipping, or optimizer-state
/// saving and loading.
///
/// Every case names the parameter key (or hyperparameter) at fault.
public enum OptimizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A hyperparameter outside the range it accepts (a negative learning rate, a beta of 1, …).
    case invalidHyperparameter(name: String, value: Double, reason: String)
    /// A parameter's gradient has another shape than the parameter.
    case gradientShapeMismatch(key: String, parameter: [Int], gradient: [Int])
    /// A parameter that is not dense in memory (an optimizer updates parameters in place).
    case nonContiguousParameter(key: String)
    /// The same key appears twice in the parameter list.
    case duplicateKey(key: String)
    /// A saved state tensor (`<key>.<name>`) whose parameter key is not among the parameters, or whose
    /// state name this optimizer does not keep.
    case unexpectedState(key: String)
    /// A parameter has some of its saved state tensors but not `name`.
    case missingState(key: String, name: String)
    /// A saved state tensor whose shape differs from its parameter's.
    case stateShapeMismatch(key: String, expected: [Int], found: [Int])
    /// The saved state was written by another kind of optimizer.
    case optimizerMismatch(expected: String, found: String)
    /// The saved metadata is missing or unreadable.
    case invalidMetadata(file: String, reason: String)

    /// A one-line, readable account of the error.
    public var description: String {
        switch self {
        case let .invalidHyperparameter(name, value, reason):
            return "optimizer: \(name) = \(value) is invalid: \(reason)"
        case let .gradientShapeMismatch(key, parameter, gradient):
            return "optimizer: the gradient of \(key) has shape \(gradient) but the parameter has shape \(parameter)"
        case let .nonContiguousParameter(key):
            return "optimizer: parameter \(key) is a strided view; optimizers update dense parameters in place"
        case let .duplicateKey(key):
            return "optimizer: parameter key \(key) appears more than once"
        case let .unexpectedState(key):
            return "optimizer state: \(key) matches no parameter or state this optimizer keeps"
        case let .missingState(key, name):
            return "optimizer state: parameter \(key) lacks its \(name) tensor"
        case let .stateShapeMismatch(key, expected, found):
            return "optimizer state: \(key) has shape \(found) but the parameter has shape \(expected)"
        case let .optimizerMismatch(expected, found):
            return "optimizer state: written by \(found), cannot load into \(expected)"
        case let .invalidMetadata(file, reason):
            return "optimizer state \(file): \(reason)"
        }
    }
}
