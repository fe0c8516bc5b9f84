/// An error raised by a tensor operation on bad input: shapes that do not fit, an index out of range,
/// a gradient requested where none can exist.
///
/// Every case carries what is needed to find the problem (the operation, the shapes involved).
public enum TensorError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Two operands whose shapes cannot be combined by `op` (broadcasting, matmul, concat, …).
    case shapeMismatch(op: String, lhs: [Int], rhs: [Int])
    /// A shape that is invalid for `op` on its own (wrong rank, negative size, wrong element count).
    case invalidShape(op: String, shape: [Int], reason: String)
    /// An axis outside `-rank..<rank`.
    case invalidAxis(op: String, axis: Int, rank: Int)
    /// An index (e.g. a token id) outside `0..<bound`.
    case indexOutOfRange(op: String, index: Int, bound: Int)
    /// A value outside the range an argument accepts (a dropout probability of 1.5, …).
    case invalidArgument(op: String, reason: String)
    /// `backward()` called on a tensor that is not a scalar and was given no seed gradient.
    case backwardOnNonScalar(shape: [Int])
    /// `backward()` called on a tensor that is not connected to any tensor requiring gradients.
    case noGradient

    public var description: String {
        switch self {
        case let .shapeMismatch(op, lhs, rhs):
            return "\(op): shapes \(lhs) and \(rhs) do not match"
        case let .invalidShape(op, shape, reason):
            return "\(op): invalid shape \(shape): \(reason)"
        case let .invalidAxis(op, axis, rank):
            return "\(op): axis \(axis) is out of range for a tensor of rank \(rank)"
        case let .indexOutOfRange(op, index, bound):
            return "\(op): index \(index) is out of range 0..<\(bound)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        case let .backwardOnNonScalar(shape):
            return "backward: the tensor has shape \(shape); pass a seed gradient or reduce it to a scalar"
        case .noGradient:
            return "backward: the tensor does not depend on any tensor that requires gradients"
        }
    }
}
