import Foundation
import KalamCore
import KalamNN

/// Elastic weight consolidation (Kirkpatrick et al. 2017) and online EWC (Schwarz et al. 2018).
///
/// After task `t` the diagonal Fisher `F_t` is estimated on (a sample of) its training examples from
/// the model's own predictions (``ImportanceEstimate/fisher(_:examples:rng:)``), with the parameters
/// `θ*_t` reached. EWC penalises `λ/2 Σ_t F_t (θ − θ*_t)²`, kept exactly as one quadratic: `Ω = Σ_t F_t`
/// and anchor `Σ_t F_t θ*_t / Ω` (the same gradient, the loss up to a constant). Online EWC keeps
/// `Ω ← γ Ω + F_t` and the anchor `θ*_t` of the last task.
public final class EWCStrategy: ContinualStrategy {
    public let name: String
    /// The penalty (Ω, anchor, λ).
    public private(set) var penalty: QuadraticPenalty
    /// Online EWC's decay γ of earlier Fisher information; nil for EWC.
    public let decay: Float?
    /// Examples of each task the Fisher is estimated on.
    public let fisherExamples: Int
    let seed: UInt64

    /// EWC (`decay` nil) or online EWC with strength `lambda`.
    /// - Throws: ``ContinualError/invalidSetting(strategy:name:value:reason:)`` for λ < 0 or γ outside [0, 1].
    public init(lambda: Float, decay: Float? = nil, fisherExamples: Int = 64, seed: UInt64 = 0) throws {
        name = decay == nil ? "ewc" : "online-ewc"
        try checkStrength(lambda, strategy: name)
        if let decay, !(decay >= 0 && decay <= 1) {
            throw ContinualError.invalidSetting(
                strategy: name, name: "gamma", value: "\(decay)", reason: "must be in [0, 1]")
        }
        penalty = QuadraticPenalty(strength: lambda)
        self.decay = decay
        self.fisherExamples = fisherExamples
        self.seed = seed
    }

    public func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor? { try penalty.loss(model) }

    public func afterTask(_ task: Int, scenario: ContinualScenario) throws {
        var rng = KalamRandom(seed: seed).fork(stream: 300 + UInt64(task))
        let examples = Array(rng.shuffled(scenario.tasks[task].train).prefix(fisherExamples))
        let fisher = try ImportanceEstimate.fisher(scenario, examples: examples, rng: &rng)
        consolidate(fisher: fisher, parameters: scenario.model.trainableParameters())
    }

    /// Adds one task's Fisher information `fisher` at the parameters reached.
    public func consolidate(fisher: [String: Tensor], parameters: NamedParameters) {
        for (key, theta) in parameters {
            guard let f = fisher[key]?.scalars else { continue }
            let now = theta.scalars
            if let decay {
                let old = penalty.importance[key]?.scalars ?? [Float](repeating: 0, count: f.count)
                penalty.importance[key] = try! Tensor(zip(old, f).map { decay * $0 + $1 }, shape: theta.shape)
                penalty.anchor[key] = try! Tensor(now, shape: theta.shape)
                continue
            }
            let old = penalty.importance[key]?.scalars ?? [Float](repeating: 0, count: f.count)
            let oldAnchor = penalty.anchor[key]?.scalars ?? now
            var omega = [Float](repeating: 0, count: f.count), anchor = now
            for k in f.indices {
                omega[k] = old[k] + f[k]
                if omega[k] > 0 { anchor[k] = (old[k] * oldAnchor[k] + f[k] * now[k]) / omega[k] }
            }
            penalty.importance[key] = try! Tensor(omega, shape: theta.shape)  // counts match the parameter
            penalty.anchor[key] = try! Tensor(anchor, shape: theta.shape)
        }
    }

    public func stateTensors() -> [String: Tensor] { penalty.stateTensors() }
    public func restore(stateTensors: [String: Tensor]) throws { penalty.restore(stateTensors) }
}

/// Synaptic intelligence (Zenke et al. 2017). During a task each parameter's path integral
/// `ω += −g · Δθ` accumulates at every step (`g` the gradient before clipping, `Δθ` the step taken);
/// at the task's end `Ω += ω / ((θ_end − θ_start)² + ξ)`, `ω` is reset, and `θ_end` becomes the anchor of
/// the penalty `λ/2 Σ Ω (θ − θ*)²`.
public final class SIStrategy: ContinualStrategy {
    public let name = "si"
    /// The penalty (Ω, anchor, λ).
    public private(set) var penalty: QuadraticPenalty
    /// The damping ξ.
    public let damping: Float
    /// The running path integral ω of the current task, by key.
    public private(set) var pathIntegral: [String: Tensor] = [:]
    var taskStart: [String: Tensor] = [:]
    var lastGradient: [String: Tensor] = [:]
    var lastValues: [String: Tensor] = [:]

    /// SI with strength `lambda` and damping `damping`.
    public init(lambda: Float, damping: Float = 0.1) throws {
        try checkStrength(lambda, strategy: "si")
        penalty = QuadraticPenalty(strength: lambda)
        self.damping = damping
    }

    public func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor? { try penalty.loss(model) }

    public func beforeTask(_ task: Int, scenario: ContinualScenario) throws {
        start(parameters: scenario.model.trainableParameters())
    }

    /// Starts a task at the parameters' current values.
    public func start(parameters: NamedParameters) {
        taskStart = ParameterSnapshot(parameters).values
        pathIntegral = taskStart.mapValues { Tensor.zeros($0.shape) }
    }

    public func transformGradients(_ parameters: NamedParameters, step: Int) throws {
        lastGradient = Dictionary(uniqueKeysWithValues: parameters.map { ($0.key, $0.tensor.grad!.detached().copy()) })
        lastValues = ParameterSnapshot(parameters).values
    }

    public func afterStep(model: TrainableModel, step: Int) throws {
        accumulate(parameters: model.trainableParameters())
    }

    /// Adds `−g · Δθ` of the step just taken (from the gradients and values seen before it).
    public func accumulate(parameters: NamedParameters) {
        for (key, theta) in parameters {
            guard let g = lastGradient[key]?.data, let before = lastValues[key]?.data, let omega = pathIntegral[key]
            else { continue }
            let (after, out) = (theta.contiguous().data, omega.data)
            for k in 0..<omega.count { out[k] -= g[k] * (after[k] - before[k]) }
        }
        lastGradient = [:]
        lastValues = [:]
    }

    public func afterTask(_ task: Int, scenario: ContinualScenario) throws {
        consolidate(parameters: scenario.model.trainableParameters())
    }

    /// Ends a task: `Ω += ω / (Δ² + ξ)`, the anchor moves to the current values.
    public func consolidate(parameters: NamedParameters) {
        for (key, theta) in parameters {
            guard let omega = pathIntegral[key]?.data, let start = taskStart[key]?.data else { continue }
            let now = theta.detached().copy()
            let importance = penalty.importance[key] ?? Tensor.zeros(theta.shape)
            let (values, out) = (now.data, importance.data)
            for k in 0..<now.count {
                let delta = values[k] - start[k]
                out[k] += omega[k] / (delta * delta + damping)
            }
            penalty.importance[key] = importance
            penalty.anchor[key] = now
        }
        pathIntegral = [:]
    }

    public func stateTensors() -> [String: Tensor] {
        penalty.stateTensors()
            .merging(ParameterSnapshot(values: pathIntegral).stateTensors(prefix: "omega.")) { a, _ in a }
            .merging(ParameterSnapshot(values: taskStart).stateTensors(prefix: "start.")) { a, _ in a }
    }

    public func restore(stateTensors state: [String: Tensor]) throws {
        penalty.restore(state)
        pathIntegral = ParameterSnapshot.restore(state, prefix: "omega.")?.values ?? [:]
        taskStart = ParameterSnapshot.restore(state, prefix: "start.")?.values ?? [:]
    }
}

/// Memory-aware synapses (Aljundi et al. 2018): after each task `Ω += ` the mean absolute gradient of the
/// squared norm of the output (``ImportanceEstimate/mas(_:examples:)``), anchored at the parameters
/// reached.
public final class MASStrategy: ContinualStrategy {
    public let name = "mas"
    /// The penalty.
    public private(set) var penalty: QuadraticPenalty
    /// Examples of each task the importance is estimated on.
    public let importanceExamples: Int
    let seed: UInt64

    /// MAS with strength `lambda`.
    public init(lambda: Float, importanceExamples: Int = 64, seed: UInt64 = 0) throws {
        try checkStrength(lambda, strategy: "mas")
        penalty = QuadraticPenalty(strength: lambda)
        self.importanceExamples = importanceExamples
        self.seed = seed
    }

    public func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor? { try penalty.loss(model) }

    public func afterTask(_ task: Int, scenario: ContinualScenario) throws {
        var rng = KalamRandom(seed: seed).fork(stream: 400 + UInt64(task))
        let examples = Array(rng.shuffled(scenario.tasks[task].train).prefix(importanceExamples))
        let omega = try ImportanceEstimate.mas(scenario, examples: examples)
        for (key, theta) in scenario.model.trainableParameters() {
            guard let o = omega[key]?.scalars else { continue }
            let old = penalty.importance[key]?.scalars ?? [Float](repeating: 0, count: o.count)
            penalty.importance[key] = try Tensor(zip(old, o).map(+), shape: theta.shape)
            penalty.anchor[key] = theta.detached().copy()
        }
    }

    public func stateTensors() -> [String: Tensor] { penalty.stateTensors() }
    public func restore(stateTensors: [String: Tensor]) throws { penalty.restore(stateTensors) }
}

/// L2-SP (Li et al. 2018): `λ/2 ‖θ − θ_0‖²` toward the starting (pretrained) weights, over every
/// parameter but the task heads.
public final class L2SPStrategy: ContinualStrategy {
    public let name = "l2sp"
    /// The penalty (Ω = 1, the anchor the start).
    public private(set) var penalty: QuadraticPenalty

    /// L2-SP with strength `lambda`.
    public init(lambda: Float) throws {
        try checkStrength(lambda, strategy: "l2sp")
        penalty = QuadraticPenalty(strength: lambda)
    }

    public func prepare(_ scenario: ContinualScenario) throws {
        let heads = (scenario.model as? AdaptableModel)?.headPrefixes ?? []
        for (key, theta) in scenario.model.trainableParameters() where !heads.contains(where: key.hasPrefix) {
            penalty.anchor[key] = theta.detached().copy()
            penalty.importance[key] = Tensor.ones(theta.shape)
        }
    }

    public func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor? { try penalty.loss(model) }
    public func stateTensors() -> [String: Tensor] { penalty.stateTensors() }
    public func restore(stateTensors: [String: Tensor]) throws { penalty.restore(stateTensors) }
}

/// Throws for a strength below 0 (or not finite).
func checkStrength(_ lambda: Float, strategy: String) throws {
    guard lambda.isFinite, lambda >= 0 else {
        throw ContinualError.invalidSetting(
            strategy: strategy, name: "lambda", value: "\(lambda)", reason: "must be at least 0")
    }
}
