import CKalamKernels
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
        let isa = Kernels.instructionSet.rawValue
        mean.withUnsafeMutableBufferPointer { mb in
            rstd.withUnsafeMutableBufferPointer { rb in
                let mp = mb.baseAddress!, rp = rb.baseAddress!
                Parallel.forRanges(rows, costPerItem: 8 * c) { range in
                    let lo = range.lowerBound
                    kalam_layer_norm(isa, xp + lo * c, wp, bp, yp + lo * c, mp + lo, rp + lo, range.count, c, eps)
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
            // Rows in four parts (whatever the thread count, so the sums' order is fixed), each summing
            // its own share of the weight and bias gradients; the parts run in parallel.
            let parts = rows * c >= 65_536 ? Swift.min(4, rows) : 1
            let partials = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c * parts)
            partials.initialize(repeating: 0, count: 2 * c * parts)
            defer { partials.deallocate() }
            mean.withUnsafeBufferPointer { mb in
                rstd.withUnsafeBufferPointer { rb in
                    let mp = mb.baseAddress!, rp = rb.baseAddress!
                    Parallel.perform(parts) { part in
                        let lo = rows * part / parts, hi = rows * (part + 1) / parts
                        let pw = partials + 2 * c * part
                        kalam_layer_norm_backward(
                            isa, gp + lo * c, xp + lo * c, mp + lo, rp + lo, wp, dp + lo * c, gw != nil ? pw : nil,
                            gb != nil ? pw + c : nil, hi - lo, c)
                    }
                }
            }
            for part in 0..<parts {
                let pw = partials + 2 * c * part
                if let gw { Kernels.addInPlace(gw.data, pw, count: c) }
                if let gb { Kernels.addInPlace(gb.data, pw + c, count: c) }
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
