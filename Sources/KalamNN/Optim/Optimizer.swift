import KalamCore

/// Parameters as a module lists them: Hugging Face dotted keys (`h.0.attn.c_attn.weight`) and tensors.
public typealias NamedParameters = [(key: String, tensor: Tensor)]

/// A gradient-descent optimizer over named parameters.
///
/// `step(_:)` walks the parameters, skips those that are frozen (`requiresGrad == false`) or have no
/// gradient, and calls `update(key:parameter:gradient:)` once per parameter: a conforming type only writes
/// that per-parameter step (mlx-swift's `Optimizer` design). State (moments, momentum buffers) is kept per
/// parameter key in `state`, so it can be saved and loaded (`save(to:)`, `load(from:parameters:)`).
///
/// ```swift
/// let opt = try AdamW(learningRate: 3e-4, weightDecay: 0.1)
/// let schedule = WarmupCosineSchedule(peak: 3e-4, warmupSteps: 100, totalSteps: 5000, minRatio: 0.1)
/// for step in 1...5000 {
///     try loss(batch).backward()
///     _ = try clipGradNorm(params, maxNorm: 1)
///     opt.learningRate = schedule.learningRate(at: step)
///     try opt.step(params)
///     zeroGrad(params)
/// }
/// ```
public protocol Optimizer: AnyObject {
    /// The name written with saved state, e.g. `"AdamW"`.
    static var kind: String { get }
    /// The names of the state tensors kept per parameter, e.g. `["exp_avg", "exp_avg_sq"]`.
    static var stateNames: [String] { get }

    /// The base learning rate of the next step (set it from a schedule before each step).
    var learningRate: Float { get set }
    /// The number of steps taken so far (the step being taken inside `update` is `stepCount`).
    var stepCount: Int { get set }
    /// State tensors per parameter key, then per state name (each of the parameter's shape).
    var state: [String: [String: Tensor]] { get set }
    /// The hyperparameters, recorded with saved state.
    var hyperparameters: [String: Double] { get }
    /// Steps taken per parameter key, for optimizers whose update depends on it (AdamW's bias
    /// correction counts each parameter's own steps, as PyTorch does, so a parameter unfrozen late
    /// starts from step 1). Empty by default.
    var parameterSteps: [String: Int] { get set }

    /// Updates one parameter in place from its gradient (both dense, of one shape). Called by `step`
    /// after `stepCount` has been incremented.
    func update(key: String, parameter: Tensor, gradient: Tensor) throws
}

extension Optimizer {
    /// No per-parameter step counts (the default).
    public var parameterSteps: [String: Int] {
        get { [:] }
        set {}
    }

    /// Takes one optimization step: increments `stepCount`, then updates every parameter that requires
    /// gradients and has one. A tensor listed under two keys (tied weights) is updated once, under its
    /// first key.
    /// - Throws: `OptimizerError.duplicateKey`, `.gradientShapeMismatch`, `.nonContiguousParameter`.
    public func step(_ parameters: NamedParameters) throws {
        var seenKeys = Set<String>(), seenTensors = Set<ObjectIdentifier>()
        var work: [(key: String, tensor: Tensor, grad: Tensor)] = []
        work.reserveCapacity(parameters.count)
        for (key, tensor) in parameters {
            guard seenKeys.insert(key).inserted else { throw OptimizerError.duplicateKey(key: key) }
            guard tensor.requiresGrad, let grad = tensor.grad,
                seenTensors.insert(ObjectIdentifier(tensor)).inserted
            else { continue }
            guard grad.shape == tensor.shape else {
                throw OptimizerError.gradientShapeMismatch(key: key, parameter: tensor.shape, gradient: grad.shape)
            }
            guard tensor.isContiguous else { throw OptimizerError.nonContiguousParameter(key: key) }
            work.append((key, tensor, grad.contiguous()))
        }
        stepCount += 1
        for item in work {
            item.tensor.dropBFloat16()  // a bfloat16 copy for decoding would go stale
            try update(key: item.key, parameter: item.tensor, gradient: item.grad)
        }
    }

    /// The state tensor `name` of parameter `key`, created as zeros of `shape` the first time.
    func stateTensor(_ key: String, _ name: String, shape: [Int]) -> Tensor {
        if let t = state[key]?[name] { return t }
        let t = Tensor.zeros(shape)
        state[key, default: [:]][name] = t
        return t
    }
}

/// Sets the gradient of every parameter to `nil` (PyTorch's `zero_grad(set_to_none=True)`).
public func zeroGrad(_ parameters: NamedParameters) {
    for (_, t) in parameters { t.grad = nil }
}
