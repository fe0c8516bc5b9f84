/// An n-dimensional array of int32 indices: token ids, class labels, positions.
///
/// Index tensors never take part in `backward()`; they select and label.
public struct IndexTensor: Equatable, Sendable {
    /// The size of each dimension.
    public let shape: [Int]
    /// The values in row-major order.
    public let values: [Int32]

    /// An index tensor holding `values` in row-major order.
    /// - Throws: `TensorError.invalidShape` when `values.count` is not the product of `shape`.
    public init(_ values: [Int32], shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), values.count == shape.reduce(1, *) else {
            throw TensorError.invalidShape(op: "IndexTensor.init", shape: shape, reason: "\(values.count) values given")
        }
        self.values = values
        self.shape = shape
    }

    /// A rank-1 index tensor.
    public init(_ values: [Int32]) {
        self.values = values
        self.shape = [values.count]
    }

    /// The number of elements.
    public var count: Int { values.count }
}
