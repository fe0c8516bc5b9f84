/// An n-dimensional float32 array that records the operations applied to it, so that gradients can be
/// computed with `backward()`.
///
/// A tensor is a view (`shape`, `strides`, `offset`) into a `TensorStorage`. Views made by `reshape`,
/// `transposed`, `permuted` and `slice` share storage; kernels that need dense memory call
/// `contiguous()`, which copies only when the view is not already dense and in row-major order.
///
/// ```swift
/// let w = Tensor.full([4, 3], 0.02).requiringGrad()
/// let y = try matmul(x, w)          // [B, 4] x [4, 3] -> [B, 3]
/// try y.sum().backward()
/// print(w.grad!.shape)               // [4, 3]
/// ```
public final class Tensor: @unchecked Sendable {
    /// The size of each dimension.
    public let shape: [Int]
    /// Elements to step in storage for a step of one along each dimension.
    public let strides: [Int]
    /// The element of `storage` at index `[0, 0, …]`.
    public let offset: Int
    /// The shared buffer.
    public let storage: TensorStorage

    /// Whether gradients flow to this tensor. Set it on leaves (parameters) with `requiringGrad()`;
    /// results of operations on such tensors have it set automatically while gradient mode is on.
    public internal(set) var requiresGrad: Bool
    /// The gradient accumulated by `backward()` (leaves only), with this tensor's shape.
    public var grad: Tensor?
    /// How this tensor was computed, when it takes part in a graph.
    var node: GradNode?

    // MARK: - Creation

    /// A tensor over existing storage. `strides` default to row-major.
    public init(storage: TensorStorage, shape: [Int], strides: [Int]? = nil, offset: Int = 0) {
        self.storage = storage
        self.shape = shape
        self.strides = strides ?? Tensor.rowMajorStrides(shape)
        self.offset = offset
        self.requiresGrad = false
    }

    /// A dense tensor of uninitialised values (write every element before reading).
    public convenience init(uninitializedShape shape: [Int]) {
        self.init(storage: TensorStorage(count: Tensor.count(of: shape)), shape: shape)
    }

    /// A tensor holding `values` in row-major order.
    /// - Throws: `TensorError.invalidShape` when `values.count` is not the product of `shape`.
    public convenience init(_ values: [Float], shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), values.count == Tensor.count(of: shape) else {
            throw TensorError.invalidShape(
                op: "Tensor.init", shape: shape, reason: "\(values.count) values given")
        }
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { src in
            storage.pointer.update(from: src.baseAddress!, count: values.count)
        }
    }

    /// A scalar (rank-0) tensor.
    public convenience init(scalar: Float) {
        self.init(uninitializedShape: [])
        storage.pointer[0] = scalar
    }

    /// A tensor filled with `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.storage.pointer.initialize(repeating: value, count: t.count)
        return t
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    // MARK: - Properties

    /// The number of dimensions.
    public var rank: Int { shape.count }
    /// The number of elements.
    public var count: Int { Tensor.count(of: shape) }
    /// Whether the view is dense and row-major, so `storage.pointer + offset` addresses element i at i.
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }
    /// Whether the tensor was produced by an operation recorded for `backward()`.
    public var isLeaf: Bool { node == nil }

    /// The first element of a contiguous tensor. Kernels use it after `contiguous()`.
    public var data: UnsafeMutablePointer<Float> { storage.pointer + offset }

    /// The values in row-major order.
    public var scalars: [Float] {
        let dense = contiguous()
        return Array(UnsafeBufferPointer(start: dense.data, count: dense.count))
    }

    /// The only value of a one-element tensor.
    /// - Throws: `TensorError.invalidShape` when the tensor holds more than one element.
    public func item() throws -> Float {
        guard count == 1 else {
            throw TensorError.invalidShape(op: "item", shape: shape, reason: "expected one element")
        }
        return storage.pointer[offset]
    }

    /// The size of dimension `axis` (negative axes count from the end).
    public func size(_ axis: Int) throws -> Int { shape[try normalizedAxis(axis, op: "size")] }

    /// Marks this tensor as a leaf whose gradient `backward()` accumulates into `grad`.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// The same values, cut from the graph: gradients do not flow through the result.
    public func detached() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    // MARK: - Helpers

    /// Row-major strides for `shape`.
    public static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The number of elements of a shape.
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Maps a possibly negative axis into `0..<rank`.
    func normalizedAxis(_ axis: Int, op: String, rank: Int? = nil) throws -> Int {
        let r = rank ?? self.rank
        let a = axis < 0 ? axis + r : axis
        guard a >= 0, a < r else { throw TensorError.invalidAxis(op: op, axis: axis, rank: r) }
        return a
    }
}

extension Tensor: CustomStringConvertible {
    /// A short summary: shape and the first values.
    public var description: String {
        let values = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(values)\(count > 8 ? ", …" : "")])"
    }
}
