import CKalamKernels
import Foundation

/// Elementwise functions, each with its derivative.
extension Tensor {
    /// Applies `forward` to every element; the backward pass multiplies the output gradient by
    /// `grad(g, x, y)` computed from the gradient `g`, the input `x` and the output `y`.
    func mapRecorded(
        _ op: String, _ forward: (Float) -> Float, cost: Int = 4,
        grad: @escaping (Float, Float, Float) -> Float
    ) -> Tensor {
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let xp = x.data, yp = out.data
        Parallel.forRanges(count, costPerItem: cost) { r in
            for i in r { yp[i] = forward(xp[i]) }
        }
        let xd = x.detached(), yd = out.detached()
        return out.recording(op, [self]) { g in
            let gx = Tensor(uninitializedShape: g.shape)
            let gp = g.data, xp = xd.data, yp = yd.data, dp = gx.data
            Parallel.forRanges(g.count, costPerItem: cost) { r in
                for i in r { dp[i] = grad(gp[i], xp[i], yp[i]) }
            }
            return [gx]
        }
    }

    /// `e^x`.
    public func exp() -> Tensor { mapRecorded("exp", Kernels.exp, cost: 10) { g, _, y in g * y } }

    /// The natural logarithm.
    public func log() -> Tensor {
        mapRecorded("log", { Float(Foundation.log(Double($0))) }, cost: 20) { g, x, _ in g / x }
    }

    /// The square root.
    public func sqrt() -> Tensor { mapRecorded("sqrt", { $0.squareRoot() }) { g, _, y in g * 0.5 / y } }

    /// `x²`.
    public func square() -> Tensor { mapRecorded("square", { $0 * $0 }) { g, x, _ in 2 * g * x } }

    /// `x^p` for a constant exponent.
    public func pow(_ p: Float) -> Tensor {
        mapRecorded("pow", { Float(Foundation.pow(Double($0), Double(p))) }, cost: 30) { g, x, _ in
            g * p * Float(Foundation.pow(Double(x), Double(p - 1)))
        }
    }

    /// The hyperbolic tangent.
    public func tanh() -> Tensor {
        mapRecorded("tanh", Kernels.tanh, cost: 12) { g, _, y in g * (1 - y * y) }
    }

    /// The logistic sigmoid.
    public func sigmoid() -> Tensor {
        mapRecorded("sigmoid", Kernels.sigmoid, cost: 12) { g, _, y in g * y * (1 - y) }
    }

    /// `max(x, 0)`.
    public func relu() -> Tensor {
        mapRecorded("relu", { $0 > 0 ? $0 : 0 }) { g, x, _ in x > 0 ? g : 0 }
    }

    /// GELU with the tanh approximation (GPT-2's `gelu_new`, PyTorch's `approximate="tanh"`):
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`. The forward pass keeps the tanh values, so the
    /// backward pass computes no transcendental function.
    public func geluTanh() -> Tensor {
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let tanhs = Tensor(uninitializedShape: shape)  // tanh(u), for backward
        let xp = x.data, yp = out.data, tp = tanhs.data
        let isa = Kernels.instructionSet.rawValue
        Parallel.forRanges(count, costPerItem: 16) { r in
            kalam_gelu_tanh(isa, xp + r.lowerBound, yp + r.lowerBound, tp + r.lowerBound, r.count)
        }
        let xd = x.detached()
        return out.recording("geluTanh", [self]) { g in
            let gx = Tensor(uninitializedShape: g.shape)
            let gp = g.data, xp = xd.data, tp = tanhs.data, dp = gx.data
            Parallel.forRanges(g.count, costPerItem: 8) { r in
                kalam_gelu_tanh_backward(
                    isa, gp + r.lowerBound, xp + r.lowerBound, tp + r.lowerBound, dp + r.lowerBound, r.count)
            }
            return [gx]
        }
    }

    /// GELU with the exact error function (BERT's `gelu`): `0.5 x (1 + erf(x / √2))`.
    public func geluErf() -> Tensor {
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let xp = x.data, yp = out.data
        let isa = Kernels.instructionSet.rawValue
        Parallel.forRanges(count, costPerItem: 16) { r in
            kalam_gelu_erf(isa, xp + r.lowerBound, yp + r.lowerBound, r.count)
        }
        let xd = x.detached()
        return out.recording("geluErf", [self]) { g in
            let gx = Tensor(uninitializedShape: g.shape)
            let gp = g.data, xp = xd.data, dp = gx.data
            Parallel.forRanges(g.count, costPerItem: 16) { r in
                kalam_gelu_erf_backward(isa, gp + r.lowerBound, xp + r.lowerBound, dp + r.lowerBound, r.count)
            }
            return [gx]
        }
    }

    /// SiLU (swish): `x · sigmoid(x)`.
    public func silu() -> Tensor {
        mapRecorded("silu", { $0 * Kernels.sigmoid($0) }, cost: 12) { g, x, _ in
            let s = Kernels.sigmoid(x)
            return g * (s + x * s * (1 - s))
        }
    }
}
