/// Gathering rows, joining and splitting, and selecting with masks.

/// Looks up rows of `weight` `[V, C]` for each index → `[..., C]` (shape of `ids` + `[C]`).
/// The backward pass adds each output row's gradient into the row it came from (scatter-add).
/// - Throws: `TensorError.indexOutOfRange` for an id outside `0..<V`; `TensorError.invalidShape` when
///   `weight` is not a matrix.
public func embedding(_ ids: IndexTensor, weight: Tensor) throws -> Tensor {
    guard weight.rank == 2 else {
        throw TensorError.invalidShape(op: "embedding", shape: weight.shape, reason: "the table must be [V, C]")
    }
    let v = weight.shape[0], c = weight.shape[1]
    for id in ids.values where id < 0 || Int(id) >= v {
        throw TensorError.indexOutOfRange(op: "embedding", index: Int(id), bound: v)
    }
    let w = weight.contiguous()
    let out = Tensor(uninitializedShape: ids.shape + [c])
    let wp = w.data, yp = out.data
    for (i, id) in ids.values.enumerated() { (yp + i * c).update(from: wp + Int(id) * c, count: c) }
    return out.recording("embedding", [weight]) { g in
        let t = Tensor.zeros([v, c])
        let gp = g.data, tp = t.data
        for (i, id) in ids.values.enumerated() { Kernels.addInPlace(tp + Int(id) * c, gp + i * c, count: c) }
        return [t]
    }
}

/// Joins tensors along `axis`; all other dimensions must agree.
/// - Throws: `TensorError.shapeMismatch` naming the first two shapes that disagree;
///   `TensorError.invalidArgument` for an empty list.
public func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
    guard let first = tensors.first else {
        throw TensorError.invalidArgument(op: "concat", reason: "no tensors to join")
    }
    let a = try first.normalizedAxis(axis, op: "concat")
    for t in tensors.dropFirst() {
        var s1 = first.shape, s2 = t.shape
        guard s1.count == s2.count else {
            throw TensorError.shapeMismatch(op: "concat", lhs: first.shape, rhs: t.shape)
        }
        s1[a] = 0
        s2[a] = 0
        guard s1 == s2 else { throw TensorError.shapeMismatch(op: "concat", lhs: first.shape, rhs: t.shape) }
    }
    var outShape = first.shape
    outShape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
    let out = Tensor(uninitializedShape: outShape)
    let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
    let rowOut = outShape[a] * inner
    var start = 0
    var starts: [Int] = []
    for t in tensors {
        let x = t.contiguous()
        let row = t.shape[a] * inner
        for o in 0..<outer { (out.data + o * rowOut + start * inner).update(from: x.data + o * row, count: row) }
        starts.append(start)
        start += t.shape[a]
    }
    let sizes = tensors.map { $0.shape[a] }
    let shapes = tensors.map(\.shape)
    return out.recording("concat", tensors) { g in
        (0..<sizes.count).map { i in
            let t = Tensor(uninitializedShape: shapes[i])
            let row = sizes[i] * inner
            for o in 0..<outer { (t.data + o * row).update(from: g.data + o * rowOut + starts[i] * inner, count: row) }
            return t
        }
    }
}

extension Tensor {
    /// Splits along `axis` into pieces of the given sizes (views).
    /// - Throws: `TensorError.invalidArgument` when the sizes do not add up to the dimension.
    public func split(_ sizes: [Int], axis: Int) throws -> [Tensor] {
        let a = try normalizedAxis(axis, op: "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
            throw TensorError.invalidArgument(
                op: "split", reason: "sizes \(sizes) do not add up to \(shape[a]) (axis \(a) of \(shape))")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try slice(axis: a, start..<(start + size))
        }
    }

    /// `value` where `mask` is non-zero, `self` elsewhere; `mask` broadcasts to `self`'s shape.
    /// The gradient flows only to the elements that were kept.
    /// - Throws: `TensorError.shapeMismatch` when `mask` does not broadcast to `self`.
    public func maskedFill(_ mask: Tensor, value: Float) throws -> Tensor {
        let shape = try Broadcast.shape(self.shape, mask.shape, op: "maskedFill")
        guard shape == self.shape else {
            throw TensorError.shapeMismatch(op: "maskedFill", lhs: self.shape, rhs: mask.shape)
        }
        let m = Broadcast.materialize(mask, to: shape), x = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let mp = m.data, xp = x.data, yp = out.data
        for i in 0..<count { yp[i] = mp[i] != 0 ? value : xp[i] }
        let md = m.detached()
        return out.recording("maskedFill", [self]) { g in
            let t = Tensor(uninitializedShape: g.shape)
            let gp = g.data, mp = md.data, tp = t.data
            for i in 0..<g.count { tp[i] = mp[i] != 0 ? 0 : gp[i] }
            return [t]
        }
    }

    /// Elementwise selection: `a` where `condition` is non-zero, else `b` (all three broadcast together).
    /// - Throws: `TensorError.shapeMismatch` when the shapes do not broadcast.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try Broadcast.shape(
            try Broadcast.shape(condition.shape, a.shape, op: "where"), b.shape, op: "where")
        let c = Broadcast.materialize(condition, to: shape)
        let x = Broadcast.materialize(a, to: shape), y = Broadcast.materialize(b, to: shape)
        let out = Tensor(uninitializedShape: shape)
        let cp = c.data, xp = x.data, yp = y.data, op = out.data
        for i in 0..<out.count { op[i] = cp[i] != 0 ? xp[i] : yp[i] }
        let cd = c.detached(), aShape = a.shape, bShape = b.shape
        return out.recording("where", [a, b]) { g in
            let ga = Tensor(uninitializedShape: shape), gb = Tensor(uninitializedShape: shape)
            let gp = g.data, cp = cd.data
            for i in 0..<g.count {
                let keep = cp[i] != 0
                ga.data[i] = keep ? gp[i] : 0
                gb.data[i] = keep ? 0 : gp[i]
            }
            return [Broadcast.reduce(ga, to: aShape), Broadcast.reduce(gb, to: bShape)]
        }
    }

    /// Zeroes each element with probability `p` and scales the rest by `1 / (1 − p)` (inverted dropout).
    ///
    /// The mask is drawn from `rng`, so the same generator state gives the same mask on every platform.
    /// With `p == 0` it returns `self`.
    /// - Throws: `TensorError.invalidArgument` unless `0 ≤ p < 1`.
    public func dropout<R: RandomNumberGenerator>(_ p: Float, rng: inout R) throws -> Tensor {
        guard p >= 0, p < 1 else {
            throw TensorError.invalidArgument(op: "dropout", reason: "probability \(p) is outside [0, 1)")
        }
        if p == 0 { return self }
        let x = contiguous()
        let scale = 1 / (1 - p)
        let mask = Tensor(uninitializedShape: shape)
        let out = Tensor(uninitializedShape: shape)
        let mp = mask.data, xp = x.data, yp = out.data
        let threshold = UInt32(Double(p) * 16_777_216)  // compare 24-bit uniform integers
        var i = 0
        while i < count {
            let bits = rng.next()
            // Two 24-bit draws per 64-bit word.
            for half in 0..<2 where i < count {
                let u = UInt32(truncatingIfNeeded: bits >> (half == 0 ? 40 : 16)) & 0xFF_FFFF
                mp[i] = u < threshold ? 0 : scale
                yp[i] = xp[i] * mp[i]
                i += 1
            }
        }
        let md = mask.detached()
        return out.recording("dropout", [self]) { g in [Kernels.zip(g, md, *)] }
    }
}

extension Tensor {
    /// The rows (first-dimension entries) at `indices`, in that order, as a dense tensor; an index may
    /// repeat. Not recorded for `backward()` (beam search and cache reordering use it).
    /// - Throws: `TensorError.indexOutOfRange` for an index outside the first dimension.
    public func selectingRows(_ indices: [Int]) throws -> Tensor {
        let x = contiguous()
        let rows = x.shape.first ?? 0, inner = x.count / Swift.max(rows, 1)
        var outShape = x.shape
        outShape[0] = indices.count
        let out = Tensor(uninitializedShape: outShape)
        for (i, r) in indices.enumerated() {
            guard r >= 0, r < rows else {
                throw TensorError.indexOutOfRange(op: "selectingRows", index: r, bound: rows)
            }
            (out.data + i * inner).update(from: x.data + r * inner, count: inner)
        }
        return out
    }
}
