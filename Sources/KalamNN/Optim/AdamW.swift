import Foundation
import KalamCore

/// Adam with decoupled weight decay, exactly as PyTorch's `torch.optim.AdamW` (single-tensor path,
/// `amsgrad=False`, `maximize=False`).
///
/// At a parameter's `t`-th update (counted per parameter, as PyTorch does), with gradient `g`, for each parameter `p` of a group with learning rate `lr` and weight
/// decay `wd`:
/// ```
/// p ← p · (1 − lr · wd)                          // decoupled decay, before the Adam update
/// m ← m + (1 − β₁)(g − m)                         // exp_avg
/// v ← β₂ v + (1 − β₂) g²                          // exp_avg_sq
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)   // ε outside the square root
/// ```
/// Weight decay follows `ParameterGroup.defaultDecays` (no decay for biases, norms and embeddings)
/// unless a group in `groups` says otherwise. The update is one fused, allocation-free loop over the
/// parameter's memory, split over cores for large tensors.
public final class AdamW: Optimizer {
    /// `"AdamW"`.
    public static let kind = "AdamW"
    /// `exp_avg` (first moment) and `exp_avg_sq` (second moment), PyTorch's names.
    public static let stateNames = ["exp_avg", "exp_avg_sq"]

    /// The base learning rate of the next step.
    public var learningRate: Float
    /// β₁, β₂: decay rates of the first and second moments.
    public let betas: (Float, Float)
    /// The term added to the denominator for numerical stability.
    public let eps: Float
    /// The weight decay of parameters that decay under the default rule.
    public let weightDecay: Float
    /// Groups that override weight decay or scale the learning rate, checked in order.
    public let groups: [ParameterGroup]
    /// Steps taken so far.
    public var stepCount = 0
    /// `exp_avg` and `exp_avg_sq` per parameter key.
    public var state: [String: [String: Tensor]] = [:]
    /// The number of updates each parameter has had (the `t` of its bias correction).
    public var parameterSteps: [String: Int] = [:]
    /// Cached (weight decay, learning-rate scale) per key.
    private var settings: [String: (wd: Float, scale: Float)] = [:]

    /// An AdamW optimizer (PyTorch's defaults except `weightDecay`, whose PyTorch default is 0.01).
    /// - Throws: `OptimizerError.invalidHyperparameter` for a negative learning rate, eps or weight
    ///   decay, or a beta outside `[0, 1)`.
    public init(
        learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 0.01, groups: [ParameterGroup] = []
    ) throws {
        guard learningRate >= 0 else {
            throw OptimizerError.invalidHyperparameter(
                name: "learningRate", value: Double(learningRate), reason: "must be ≥ 0")
        }
        guard eps >= 0 else {
            throw OptimizerError.invalidHyperparameter(name: "eps", value: Double(eps), reason: "must be ≥ 0")
        }
        guard weightDecay >= 0 else {
            throw OptimizerError.invalidHyperparameter(
                name: "weightDecay", value: Double(weightDecay), reason: "must be ≥ 0")
        }
        for (name, b) in [("beta1", betas.0), ("beta2", betas.1)] where !(b >= 0 && b < 1) {
            throw OptimizerError.invalidHyperparameter(name: name, value: Double(b), reason: "must be in [0, 1)")
        }
        for g in groups {
            if let wd = g.weightDecay, wd < 0 {
                throw OptimizerError.invalidHyperparameter(
                    name: "\(g.name).weightDecay", value: Double(wd), reason: "must be ≥ 0")
            }
            guard g.learningRateScale >= 0 else {
                throw OptimizerError.invalidHyperparameter(
                    name: "\(g.name).learningRateScale", value: Double(g.learningRateScale), reason: "must be ≥ 0")
            }
        }
        self.learningRate = learningRate
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.groups = groups
    }

    /// `lr`, `beta1`, `beta2`, `eps`, `weight_decay`.
    public var hyperparameters: [String: Double] {
        [
            "lr": Double(learningRate), "beta1": Double(betas.0), "beta2": Double(betas.1), "eps": Double(eps),
            "weight_decay": Double(weightDecay),
        ]
    }

    /// The weight decay and learning-rate scale that apply to a parameter.
    public func setting(key: String, shape: [Int]) -> (weightDecay: Float, learningRateScale: Float) {
        for g in groups where g.matches(key, shape) {
            let wd = g.weightDecay ?? (ParameterGroup.defaultDecays(key: key, shape: shape) ? weightDecay : 0)
            return (wd, g.learningRateScale)
        }
        return (ParameterGroup.defaultDecays(key: key, shape: shape) ? weightDecay : 0, 1)
    }

    /// One AdamW step on one parameter.
    public func update(key: String, parameter: Tensor, gradient: Tensor) throws {
        let s: (wd: Float, scale: Float)
        if let cached = settings[key] {
            s = cached
        } else {
            let found = setting(key: key, shape: parameter.shape)
            s = (found.weightDecay, found.learningRateScale)
            settings[key] = s
        }
        let m = stateTensor(key, "exp_avg", shape: parameter.shape)
        let v = stateTensor(key, "exp_avg_sq", shape: parameter.shape)
        let lr = Double(learningRate) * Double(s.scale)
        let step = (parameterSteps[key] ?? 0) + 1
        parameterSteps[key] = step
        let t = Double(step)
        let bc1 = 1 - Foundation.pow(Double(betas.0), t)
        let bc2 = 1 - Foundation.pow(Double(betas.1), t)
        AdamW.fusedUpdate(
            p: parameter.data, g: gradient.data, m: m.data, v: v.data, count: parameter.count,
            decay: Float(1 - lr * Double(s.wd)), beta1: betas.0, beta2: betas.1,
            stepSize: Float(lr / bc1), bc2Sqrt: Float(bc2.squareRoot()), eps: eps)
    }

    /// The fused update over `count` elements, 8 lanes at a time, split over cores when large.
    static func fusedUpdate(
        p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
        v: UnsafeMutablePointer<Float>, count: Int, decay: Float, beta1: Float, beta2: Float,
        stepSize: Float, bc2Sqrt: Float, eps: Float
    ) {
        let oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2
        Parallel.forRanges(count, costPerItem: 16) { range in
            var i = range.lowerBound
            let end = range.upperBound
            let d8 = SIMD8<Float>(repeating: decay), b1 = SIMD8<Float>(repeating: oneMinusB1)
            let b2 = SIMD8<Float>(repeating: beta2), c2 = SIMD8<Float>(repeating: oneMinusB2)
            let bc = SIMD8<Float>(repeating: bc2Sqrt), e8 = SIMD8<Float>(repeating: eps)
            let step8 = SIMD8<Float>(repeating: stepSize)
            while i + 8 <= end {
                let pr = UnsafeMutableRawPointer(p + i), gr = UnsafeRawPointer(g + i)
                let mr = UnsafeMutableRawPointer(m + i), vr = UnsafeMutableRawPointer(v + i)
                let gv = gr.loadUnaligned(as: SIMD8<Float>.self)
                var pv = pr.loadUnaligned(as: SIMD8<Float>.self) * d8
                var mv = mr.loadUnaligned(as: SIMD8<Float>.self)
                mv = mv + b1 * (gv - mv)
                let vv = b2 * vr.loadUnaligned(as: SIMD8<Float>.self) + c2 * (gv * gv)
                let denom = vv.squareRoot() / bc + e8
                pv = pv - step8 * (mv / denom)
                pr.storeBytes(of: pv, as: SIMD8<Float>.self)
                mr.storeBytes(of: mv, as: SIMD8<Float>.self)
                vr.storeBytes(of: vv, as: SIMD8<Float>.self)
                i += 8
            }
            while i < end {
                let gi = g[i]
                let mi = m[i] + oneMinusB1 * (gi - m[i])
                let vi = beta2 * v[i] + oneMinusB2 * (gi * gi)
                m[i] = mi
                v[i] = vi
                p[i] = p[i] * decay - stepSize * (mi / (vi.squareRoot() / bc2Sqrt + eps))
                i += 1
            }
        }
    }
}
