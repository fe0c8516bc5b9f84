/// An error loading or saving a module's parameters, naming the key at fault.
public enum ModuleError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The module has a parameter the checkpoint lacks.
    case missingKey(String)
    /// The checkpoint has a tensor the module has no parameter for.
    case unexpectedKey(String)
    /// The checkpoint's tensor has another shape than the parameter.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// The checkpoint stores the tensor in a type that is not a floating-point type.
    case unsupportedDType(key: String, dtype: String)

    public var description: String {
        switch self {
        case let .missingKey(key): return "checkpoint is missing parameter '\(key)'"
        case let .unexpectedKey(key): return "checkpoint has unexpected tensor '\(key)'"
        case let .shapeMismatch(key, expected, found):
            return "parameter '\(key)' has shape \(expected) but the checkpoint holds \(found)"
        case let .unsupportedDType(key, dtype):
            return "tensor '\(key)' is stored as \(dtype), not a floating-point type"
        }
    }
}
