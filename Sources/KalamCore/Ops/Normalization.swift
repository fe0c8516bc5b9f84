import Foundation

/// Fused normalisation layers with hand-written backward passes (llm.c style: the forward pass keeps
/// only the per-row mean and reciprocal standard deviation for backward).
extension Tensor {
    /// Layer normalisation over the last dimension: `(x − mean) / √(var + eps) · weight + bias`.
    /// - Parameters:
    ///   - weight: `[C]` or `nil`; bias: `[C]` or `nil`, where `C` is the last dimension of `self`.
    /// - Throws: `TensorError.shapeMismatch` when `weight` or `bias` is not `[C]`.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) throws -> Tensor {
        let c = shape.last ?? 1
        for p in [weight, bias] {
            if let p, p.shape != [c] { throw TensorError.shapeMismatch(op: "layerNorm", lhs: shape, rhs: p.shape) }
        }
        let x = contiguous(), w = weight?.contiguous(), b = bias?.contiguous()
        let rows = count / Swift.max(c, 1)
        let out = Tensor(uninitializedShape: shape)
        var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
        let xp = x.data, yp = out.data, wp = w?.data, bp = b?.data
        mean.withUnsafeMutableBufferPointer { mb in
            rstd.withUnsafeMutableBufferPointer { rb in
                let mp = mb.baseAddress!, rp = rb.baseAddress!
                Parallel.forRanges(rows, costPerItem: 8 * c) { range in
                    for r in range {
                        let xr = xp + r * c, yr = yp + r * c
                        let m = Kernels.sum(xr, count: c) / Float(c)
                        var v: Float = 0
                        for j in 0..<c {
                            let d = xr[j] - m
                            v += d * d
                        }
                        let s = 1 / (v / Float(c) + eps).squareRoot()
                        mp[r] = m
                        rp[r] = s
                        for j in 0..<c {
                            var y = (xr[j] - m) * s
                            if let wp { y *= wp[j] }
                            if let bp { y += bp[j] }
                            yr[j] = y
                        }
                    }
                }
            }
        }
        let inputs = [self] + [weight, bias].compactMap { $0 }
        let hasW = weight != nil, hasB = bias != nil
        let needW = weight?.requiresGrad ?? false, needB = bias?.requiresGrad ?? false
        let xd = x.detached(), wd = w?.detached()
        return out.recording("layerNorm", inputs) { g in
            let gx = Tensor(uninitializedShape: xd.shape)
            let gw = needW ? Tensor.zeros([c]) : nil, gb = needB ? Tensor.zeros([c]) : nil
            let gp = g.data, xp = xd.data, dp = gx.data, wp = wd?.data
            for r in 0..<rows {
                let m = mean[r], s = rstd[r]
                let gr = gp + r * c, xr = xp + r * c, dr = dp + r * c
                var sumD: Float = 0, sumDX: Float = 0
                for j in 0..<c {
                    let xhat = (xr[j] - m) * s
                    let d = wp.map { gr[j] * $0[j] } ?? gr[j]
                    sumD += d
                    sumDX += d * xhat
                    if let gw { gw.data[j] += gr[j] * xhat }
                    if let gb { gb.data[j] += gr[j] }
                }
                let meanD = sumD / Float(c), meanDX = sumDX / Float(c)
                for j in 0..<c {
                    let xhat = (xr[j] - m) * s
                    let d = wp.map { gr[j] * $0[j] } ?? gr[j]
                    dr[j] = s * (d - meanD - xhat * meanDX)
                }
            }
            var grads: [Tensor?] = [gx]
            if hasW { grads.append(gw) }
            if hasB { grads.append(gb) }
            return grads
        }
    }

    /// Root-mean-square normalisation over the last dimension (T5's layer norm):
    /// `x / √(mean(x²) + eps) · weight`, with no mean subtraction and no bias.
    /// - Throws: `TensorError.shapeMismatch` when `weight` is not `[C]`.
    public func rmsNorm(weight: Tensor, eps: Float = 1e-6) throws -> Tensor {
        let c = shape.last ?? 1
        guard weight.shape == [c] else {
            throw TensorError.shapeMismatch(op: "rmsNorm", lhs: shape, rhs: weight.shape)
        }
        let x = contiguous(), w = weight.contiguous()
        let rows = count / Swift.max(c, 1)
        let out = Tensor(uninitializedShape: shape)
        var rstd = [Float](repeating: 0, count: rows)
        let xp = x.data, yp = out.data, wp = w.data
        rstd.withUnsafeMutableBufferPointer { rb in
            let rp = rb.baseAddress!
            Parallel.forRanges(rows, costPerItem: 6 * c) { range in
                for r in range {
                    let xr = xp + r * c, yr = yp + r * c
                    let ms = Kernels.dot(xr, xr, count: c) / Float(c)
                    let s = 1 / (ms + eps).squareRoot()
                    rp[r] = s
                    for j in 0..<c { yr[j] = xr[j] * s * wp[j] }
                }
            }
        }
        let needW = weight.requiresGrad
        let xd = x.detached(), wd = w.detached()
        return out.recording("rmsNorm", [self, weight]) { g in
            let gx = Tensor(uninitializedShape: xd.shape)
            let gw = needW ? Tensor.zeros([c]) : nil
            let gp = g.data, xp = xd.data, dp = gx.data, wp = wd.data
            for r in 0..<rows {
                let s = rstd[r]
                let gr = gp + r * c, xr = xp + r * c, dr = dp + r * c
                var sumDX: Float = 0
                for j in 0..<c {
                    let xhat = xr[j] * s
                    sumDX += gr[j] * wp[j] * xhat
                    if let gw { gw.data[j] += gr[j] * xhat }
                }
                let meanDX = sumDX / Float(c)
                for j in 0..<c { dr[j] = s * (gr[j] * wp[j] - xr[j] * s * meanDX) }
            }
            return [gx, gw]
        }
    }
}
