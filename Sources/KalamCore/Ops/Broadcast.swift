/// Broadcasting rules (NumPy's): shapes are aligned at their last dimension; a dimension of size 1
/// stretches to match the other.
enum Broadcast {
    /// The broadcast shape of `a` and `b`.
    static func shape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                throw TensorError.shapeMismatch(op: op, lhs: a, rhs: b)
            }
        }
        return out
    }

    /// A view of `t` stretched to `shape` (stride 0 on stretched dimensions); `shape` must be a valid
    /// broadcast target of `t.shape`.
    static func expand(_ t: Tensor, to shape: [Int]) -> Tensor {
        let lead = shape.count - t.rank
        var strides = [Int](repeating: 0, count: shape.count)
        for i in 0..<t.rank where t.shape[i] == shape[lead + i] {
            strides[lead + i] = t.strides[i]
        }
        return Tensor(storage: t.storage, shape: shape, strides: strides, offset: t.offset)
    }

    /// `t` broadcast to `shape` as dense memory: `t` itself when no stretching is needed.
    static func materialize(_ t: Tensor, to shape: [Int]) -> Tensor {
        if t.shape == shape { return t.contiguous() }
        let out = Tensor(uninitializedShape: shape)
        Kernels.gather(from: expand(t, to: shape), into: out.data)
        return out
    }

    /// Sums a gradient of the broadcast shape back to `shape` (the reverse of broadcasting).
    static func reduce(_ g: Tensor, to shape: [Int]) -> Tensor {
        if g.shape == shape { return g }
        let out = Tensor.zeros(shape)
        let n = Tensor.count(of: shape)
        // Fast path: `shape` (without leading ones) is a suffix of g's shape, e.g. a bias [C] of [B, T, C].
        let trimmed = Array(shape.drop(while: { $0 == 1 }))
        if !trimmed.isEmpty, Array(g.shape.suffix(trimmed.count)) == trimmed {
            let rows = g.count / n
            let src = g.data, dst = out.data
            for r in 0..<rows { Kernels.addInPlace(dst, src + r * n, count: n) }
            return out
        }
        if n == 1 {
            out.data[0] = Kernels.sum(g.data, count: g.count)
            return out
        }
        // General case: walk g and add each element into its broadcast source.
        let view = expand(out, to: g.shape)
        let rank = g.rank, dims = g.shape, strides = view.strides
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        let src = g.data, dst = out.data
        for i in 0..<g.count {
            dst[offset] += src[i]
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < dims[axis] { break }
                offset -= strides[axis] * dims[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }
}
