import KalamCore

/// Stochastic gradient descent with momentum, exactly as PyTorch's `torch.optim.SGD`
/// (`maximize=False`).
///
/// For each parameter `p` with gradient `g`:
/// ```
/// g ← g + wd · p                                   // L2 weight decay (coupled, as in PyTorch)
/// b ← g                          (first step)      // momentum_buffer
/// b ← μ b + (1 − dampening) g    (later steps)
/// g ← g + μ b  (nesterov)   or   g ← b
/// p ← p − lr · g
/// ```
/// With `momentum == 0` no state is kept. Weight decay applies to every parameter unless a group in
/// `groups` sets another (groups here do not use the no-decay default of `AdamW`).
public final class SGD: Optimizer {
    /// `"SGD"`.
    public static let kind = "SGD"
    /// `momentum_buffer`, PyTorch's name.
    public static let stateNames = ["momentum_buffer"]

    /// The base learning rate of the next step.
    public var learningRate: Float
    /// The momentum factor μ (0 for plain SGD).
    public let momentum: Float
    /// The dampening of the gradient's contribution to the momentum buffer.
    public let dampening: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// L2 weight decay added to the gradient.
    public let weightDecay: Float
    /// Groups that override weight decay or scale the learning rate, checked in order.
    public let groups: [ParameterGroup]
    /// Steps taken so far.
    public var stepCount = 0
    /// `momentum_buffer` per parameter key (only when `momentum != 0`).
    public var state: [String: [String: Tensor]] = [:]

    /// An SGD optimizer.
    /// - Throws: `OptimizerError.invalidHyperparameter` for a negative learning rate, momentum or weight
    ///   decay, or Nesterov momentum without momentum or with dampening (as PyTorch refuses).
    public init(
        learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
        weightDecay: Float = 0, groups: [ParameterGroup] = []
    ) throws {
        guard learningRate >= 0 else {
            throw OptimizerError.invalidHyperparameter(
                name: "learningRate", value: Double(learningRate), reason: "must be ≥ 0")
        }
        guard momentum >= 0 else {
            throw OptimizerError.invalidHyperparameter(name: "momentum", value: Double(momentum), reason: "must be ≥ 0")
        }
        guard weightDecay >= 0 else {
            throw OptimizerError.invalidHyperparameter(
                name: "weightDecay", value: Double(weightDecay), reason: "must be ≥ 0")
        }
        if nesterov && (momentum <= 0 || dampening != 0) {
            throw OptimizerError.invalidHyperparameter(
                name: "nesterov", value: 1, reason: "Nesterov momentum needs momentum > 0 and zero dampening")
        }
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.groups = groups
    }

    /// `lr`, `momentum`, `dampening`, `nesterov` (0 or 1), `weight_decay`.
    public var hyperparameters: [String: Double] {
        [
            "lr": Double(learningRate), "momentum": Double(momentum), "dampening": Double(dampening),
            "nesterov": nesterov ? 1 : 0, "weight_decay": Double(weightDecay),
        ]
    }

    /// One SGD step on one parameter.
    public func update(key: String, parameter: Tensor, gradient: Tensor) throws {
        var wd = weightDecay, scale: Float = 1
        for g in groups where g.matches(key, parameter.shape) {
            wd = g.weightDecay ?? weightDecay
            scale = g.learningRateScale
            break
        }
        let lr = learningRate * scale
        let p = parameter.data, g = gradient.data, n = parameter.count
        let mu = momentum, damp = 1 - dampening, nesterov = self.nesterov
        guard mu != 0 else {
            Parallel.forRanges(n, costPerItem: 4) { r in
                for i in r { p[i] -= lr * (g[i] + wd * p[i]) }
            }
            return
        }
        let first = state[key]?["momentum_buffer"] == nil
        let b = stateTensor(key, "momentum_buffer", shape: parameter.shape).data
        Parallel.forRanges(n, costPerItem: 8) { r in
            for i in r {
                let gi = g[i] + wd * p[i]
                let bi = first ? gi : mu * b[i] + damp * gi
                b[i] = bi
                p[i] -= lr * (nesterov ? gi + mu * bi : bi)
            }
        }
    }
}
