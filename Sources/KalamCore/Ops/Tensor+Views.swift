extension Tensor {
    /// A dense row-major tensor with the same values: `self` when it already is one, else a copy
    /// (recorded for `backward()`).
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(uninitializedShape: shape)
        Kernels.gather(from: self, into: out.data)
        return out.recording("contiguous", [self]) { g in [g] }
    }

    /// A dense copy that shares no storage with `self` (recorded for `backward()`).
    public func copy() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        if isContiguous {
            out.data.update(from: data, count: count)
        } else {
            Kernels.gather(from: self, into: out.data)
        }
        return out.recording("copy", [self]) { g in [g] }
    }

    /// The same values in a new shape with the same number of elements. One dimension may be -1 and is
    /// then inferred. Shares storage when `self` is contiguous.
    /// - Throws: `TensorError.invalidShape` when the counts differ or more than one dimension is -1.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidShape(op: "reshape", shape: newShape, reason: "at most one -1 allowed")
        }
        if let axis = inferred.first {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw TensorError.invalidShape(
                    op: "reshape", shape: newShape, reason: "cannot reshape \(shape) (\(count) elements)")
            }
            resolved[axis] = count / known
        }
        guard Tensor.count(of: resolved) == count else {
            throw TensorError.invalidShape(
                op: "reshape", shape: newShape, reason: "cannot reshape \(shape) (\(count) elements)")
        }
        let source = contiguous()
        let oldShape = shape
        let out = Tensor(storage: source.storage, shape: resolved, offset: source.offset)
        return out.recording("reshape", [source]) { g in
            [Tensor(storage: g.storage, shape: oldShape, offset: g.offset)]
        }
    }

    /// A view with dimensions reordered: result dimension i is `self`'s dimension `axes[i]`.
    /// - Throws: `TensorError.invalidArgument` when `axes` is not a permutation of `0..<rank`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        let normalized = try axes.map { try normalizedAxis($0, op: "permute") }
        guard normalized.count == rank, Set(normalized).count == rank else {
            throw TensorError.invalidArgument(
                op: "permute", reason: "\(axes) is not a permutation of the \(rank) axes of \(shape)")
        }
        let out = Tensor(
            storage: storage, shape: normalized.map { shape[$0] },
            strides: normalized.map { strides[$0] }, offset: offset)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in normalized.enumerated() { inverse[a] = i }
        return out.recording("permute", [self]) { g in
            [
                Tensor(
                    storage: g.storage, shape: inverse.map { g.shape[$0] },
                    strides: inverse.map { g.strides[$0] }, offset: g.offset
                ).contiguous()
            ]
        }
    }

    /// A view with two dimensions swapped (default: the last two).
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) throws -> Tensor {
        let a = try normalizedAxis(axis0, op: "transpose"), b = try normalizedAxis(axis1, op: "transpose")
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return try permuted(axes)
    }

    /// A view of `range` along `axis`.
    /// - Throws: `TensorError.invalidAxis`, or `TensorError.invalidArgument` when the range does not fit.
    public func slice(axis: Int, _ range: Range<Int>) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw TensorError.invalidArgument(
                op: "slice", reason: "range \(range) does not fit dimension \(a) of size \(shape[a])")
        }
        var newShape = shape
        newShape[a] = range.count
        let out = Tensor(
            storage: storage, shape: newShape, strides: strides,
            offset: offset + range.lowerBound * strides[a])
        let fullShape = shape
        return out.recording("slice", [self]) { g in
            let full = Tensor.zeros(fullShape)
            let window = Tensor(
                storage: full.storage, shape: newShape,
                strides: Tensor.rowMajorStrides(fullShape),
                offset: range.lowerBound * Tensor.rowMajorStrides(fullShape)[a])
            Kernels.scatter(g.data, into: window)
            return [full]
        }
    }

    /// Inserts a dimension of size 1 at `axis`.
    public func unsqueezed(_ axis: Int) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "unsqueeze", rank: rank + 1)
        var s = shape
        s.insert(1, at: a)
        return try reshaped(s)
    }
}
