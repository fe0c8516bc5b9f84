import Foundation

/// Reductions over axes: sum, mean, max.
extension Tensor {
    /// The sum over `axes` (all axes when `nil`), keeping reduced dimensions as size 1 when `keepDims`.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let reduced = try reducedAxes(axes, op: "sum")
        var kept = shape
        for a in reduced { kept[a] = 1 }
        let x = contiguous()
        let out: Tensor
        // Fast path: the reduced axes are the trailing ones.
        let trailing = reduced.count > 0 && reduced == Array((rank - reduced.count)..<rank)
        if trailing {
            let inner = reduced.map { shape[$0] }.reduce(1, *)
            let rows = count / Swift.max(inner, 1)
            out = Tensor(uninitializedShape: kept)
            let xp = x.data, yp = out.data
            for r in 0..<rows { yp[r] = Kernels.sum(xp + r * inner, count: inner) }
        } else {
            out = Broadcast.reduce(x, to: kept)
        }
        let fullShape = shape
        out.recording("sum", [self]) { g in [Broadcast.materialize(g, to: fullShape)] }
        return keepDims
            ? out : try out.reshaped(shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element))
    }

    /// The sum of all elements as a scalar tensor.
    public func sum() -> Tensor { try! sum(axes: nil) }  // all axes always exist

    /// The mean over `axes` (all axes when `nil`).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let reduced = try reducedAxes(axes, op: "mean")
        let n = reduced.map { shape[$0] }.reduce(1, *)
        return try sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// The mean of all elements as a scalar tensor.
    public func mean() -> Tensor { try! mean(axes: nil) }  // all axes always exist

    /// The maximum along `axis`; the gradient flows to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "max")
        let (outer, n, inner) = splitShape(at: a)
        var kept = shape
        kept[a] = 1
        let x = contiguous()
        let out = Tensor(uninitializedShape: kept)
        var argmax = [Int32](repeating: 0, count: outer * inner)
        let xp = x.data, yp = out.data
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var best = xp[base], bestIndex = 0
                for j in 1..<Swift.max(n, 1) where xp[base + j * inner] > best {
                    best = xp[base + j * inner]
                    bestIndex = j
                }
                yp[o * inner + i] = best
                argmax[o * inner + i] = Int32(bestIndex)
            }
        }
        let fullShape = shape
        out.recording("max", [self]) { g in
            let t = Tensor.zeros(fullShape)
            let tp = t.data, gp = g.data
            for o in 0..<outer {
                for i in 0..<inner {
                    tp[o * n * inner + Int(argmax[o * inner + i]) * inner + i] = gp[o * inner + i]
                }
            }
            return [t]
        }
        if keepDims { return out }
        var s = shape
        s.remove(at: a)
        return try out.reshaped(s)
    }

    /// The shape seen as `[outer, shape[axis], inner]`.
    func splitShape(at axis: Int) -> (Int, Int, Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    private func reducedAxes(_ axes: [Int]?, op: String) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        return Array(Set(try axes.map { try normalizedAxis($0, op: op) })).sorted()
    }
}

/// Softmax and log-softmax along an axis.
extension Tensor {
    /// `exp(x) / Σ exp(x)` along `axis` (default: the last).
    public func softmax(axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "softmax")
        let (outer, n, inner) = splitShape(at: a)
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let xp = x.data, yp = out.data
        Parallel.forRanges(outer * inner, costPerItem: 12 * n) { r in
            for row in r {
                let o = row / inner, i = row % inner
                let base = o * n * inner + i
                var m = -Float.infinity
                for j in 0..<n { m = Swift.max(m, xp[base + j * inner]) }
                var s: Float = 0
                for j in 0..<n {
                    let e = Kernels.exp(xp[base + j * inner] - m)
                    yp[base + j * inner] = e
                    s += e
                }
                let inv = 1 / s
                for j in 0..<n { yp[base + j * inner] *= inv }
            }
        }
        let yd = out.detached()
        return out.recording("softmax", [self]) { g in
            // dx = y ⊙ (g − Σ g⊙y)
            let t = Tensor(uninitializedShape: yd.shape)
            let gp = g.data, yp = yd.data, tp = t.data
            for row in 0..<(outer * inner) {
                let o = row / inner, i = row % inner
                let base = o * n * inner + i
                var dot: Float = 0
                for j in 0..<n { dot += gp[base + j * inner] * yp[base + j * inner] }
                for j in 0..<n { tp[base + j * inner] = yp[base + j * inner] * (gp[base + j * inner] - dot) }
            }
            return [t]
        }
    }

    /// `x − log Σ exp(x)` along `axis` (default: the last).
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "logSoftmax")
        let (outer, n, inner) = splitShape(at: a)
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let xp = x.data, yp = out.data
        Parallel.forRanges(outer * inner, costPerItem: 12 * n) { r in
            for row in r {
                let o = row / inner, i = row % inner
                let base = o * n * inner + i
                var m = -Float.infinity
                for j in 0..<n { m = Swift.max(m, xp[base + j * inner]) }
                var s: Float = 0
                for j in 0..<n { s += Kernels.exp(xp[base + j * inner] - m) }
                let lse = m + Float(Foundation.log(Double(s)))
                for j in 0..<n { yp[base + j * inner] = xp[base + j * inner] - lse }
            }
        }
        let yd = out.detached()
        return out.recording("logSoftmax", [self]) { g in
            // dx = g − softmax(x) · Σ g
            let t = Tensor(uninitializedShape: yd.shape)
            let gp = g.data, yp = yd.data, tp = t.data
            for row in 0..<(outer * inner) {
                let o = row / inner, i = row % inner
                let base = o * n * inner + i
                var total: Float = 0
                for j in 0..<n { total += gp[base + j * inner] }
                for j in 0..<n {
                    tp[base + j * inner] = gp[base + j * inner] - Kernels.exp(yp[base + j * inner]) * total
                }
            }
            return [t]
        }
    }
}
