/// An error loading, saving or rearranging a module's parameters, naming the key at fault. It is the
/// one error every checkpoint loader in Kalam throws for a key problem.
public enum ModuleError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The module has a parameter the checkpoint lacks.
    case missingKey(String)
    /// The checkpoint has a tensor the module has no parameter for.
    case unexpectedKey(String)
    /// The checkpoint's tensor has another shape than the parameter.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// The checkpoint stores the tensor in a type that is not a floating-point type.
    case unsupportedDType(key: String, dtype: String)
    /// No sub-module has this key path.
    case noSuchModule(String)
    /// A replacement whose type does not fit the slot it was to fill.
    case incompatibleReplacement(key: String, expected: String, found: String)
    /// No module matches the target names of a LoRA (or other) injection.
    case noMatchingModule(String)
    /// A setting of an adaptation (a LoRA rank, an adapter size) is out of range.
    case invalidSetting(name: String, reason: String)

    public var description: String {
        switch self {
        case let .missingKey(key): return "checkpoint is missing parameter '\(key)'"
        case let .unexpectedKey(key): return "checkpoint has unexpected tensor '\(key)'"
        case let .shapeMismatch(key, expected, found):
            return "parameter '\(key)' has shape \(expected) but the checkpoint holds \(found)"
        case let .unsupportedDType(key, dtype):
            return "tensor '\(key)' is stored as \(dtype), not a floating-point type"
        case let .noSuchModule(key): return "the model has no module '\(key)'"
        case let .incompatibleReplacement(key, expected, found):
            return "cannot put a \(found) at '\(key)': the slot holds a \(expected)"
        case let .noMatchingModule(targets): return "no linear layer of the model matches the targets \(targets)"
        case let .invalidSetting(name, reason): return "\(name): \(reason)"
        }
    }
}
