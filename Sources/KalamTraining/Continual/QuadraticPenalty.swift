import Foundation
import KalamCore
import KalamNN

/// The quadratic penalty behind EWC, online EWC, SI, MAS and L2-SP:
/// `λ/2 · Σ_k Ω_k (θ_k − θ*_k)²` over the parameters that have an importance `Ω` and an anchor `θ*`,
/// both keyed like the parameters. Its gradient is `λ Ω (θ − θ*)`.
public struct QuadraticPenalty {
    /// The strength λ.
    public var strength: Float
    /// Ω by parameter key.
    public var importance: [String: Tensor] = [:]
    /// θ* by parameter key.
    public var anchor: [String: Tensor] = [:]

    /// An empty penalty (zero until importances and anchors are set).
    public init(strength: Float) { self.strength = strength }

    /// The penalty for the model's trainable parameters, recorded for backward; nil while empty.
    public func loss(_ model: Module) throws -> Tensor? {
        var total: Tensor?
        for (key, theta) in model.trainableParameters() {
            guard let omega = importance[key], let star = anchor[key] else { continue }
            let term = try (omega * (theta - star).square()).sum()
            total = try total.map { try $0 + term } ?? term
        }
        return total.map { $0 * (strength / 2) }
    }

    /// Ω and θ* as checkpoint state (`importance.<key>`, `anchor.<key>`).
    public func stateTensors() -> [String: Tensor] {
        ParameterSnapshot(values: importance).stateTensors(prefix: "importance.")
            .merging(ParameterSnapshot(values: anchor).stateTensors(prefix: "anchor.")) { a, _ in a }
    }

    /// Restores Ω and θ* from ``stateTensors()``.
    public mutating func restore(_ state: [String: Tensor]) {
        importance = ParameterSnapshot.restore(state, prefix: "importance.")?.values ?? [:]
        anchor = ParameterSnapshot.restore(state, prefix: "anchor.")?.values ?? [:]
    }
}

/// Per-parameter importance estimates from per-example gradients.
public enum ImportanceEstimate {
    /// The diagonal Fisher information of the trainable parameters on `examples`: the mean over
    /// examples of the squared gradient of the log-likelihood of a target drawn from the model's own
    /// predictive distribution (one draw per example, or per token for language models), in evaluation
    /// mode. Gradients already on the parameters are put back afterwards.
    public static func fisher(
        _ scenario: ContinualScenario, examples: [ContinualExample], rng: inout KalamRandom
    ) throws -> [String: Tensor] {
        try squaredGradients(scenario, examples: examples, square: true) { batch in
            try scenario.ownPredictionLoss(batch, rng: &rng)
        }
    }

    /// Memory-aware synapses (Aljundi et al. 2018): the mean over examples of the absolute gradient of
    /// the squared L2 norm of the model's output (the task head's logits; for language models the mean
    /// over positions of the logits' squared norm).
    public static func mas(_ scenario: ContinualScenario, examples: [ContinualExample]) throws -> [String: Tensor] {
        try squaredGradients(scenario, examples: examples, square: false) { batch in
            var out = try scenario.logits(batch)
            if case .taskHeads = scenario.output, let range = scenario.columns(ofLabel: batch.labels[0]) {
                let k = out.shape[1]
                let mask = (0..<k).map { range.contains($0) ? Float(1) : 0 }
                out = try out * Tensor(mask, shape: [1, k])
            }
            let positions = scenario.isLanguageModelling ? Float(batch.contextLength) : 1
            return out.square().sum() / positions
        }
    }

    /// The mean over examples of `g²` (or `|g|`) of each trainable parameter, where `g` is the gradient
    /// of `loss` on the example alone.
    static func squaredGradients(
        _ scenario: ContinualScenario, examples: [ContinualExample], square: Bool,
        loss: (Batch) throws -> Tensor
    ) throws -> [String: Tensor] {
        let model = scenario.model
        let parameters = model.trainableParameters()
        let saved = parameters.map(\.tensor.grad)
        let wasTraining = model.isTraining
        model.eval()
        defer {
            model.train(wasTraining)
            for (p, g) in zip(parameters, saved) { p.tensor.grad = g }
        }
        let sums = parameters.map { Tensor.zeros($0.tensor.shape) }
        for example in examples {
            zeroGrad(parameters)
            try loss(scenario.batch([example])).backward()
            for (p, sum) in zip(parameters, sums) {
                guard let g = p.tensor.grad?.contiguous() else { continue }
                let (gs, out) = (g.data, sum.data)
                if square {
                    for k in 0..<sum.count { out[k] += gs[k] * gs[k] }
                } else {
                    for k in 0..<sum.count { out[k] += abs(gs[k]) }
                }
            }
        }
        let n = Float(max(1, examples.count))
        return Dictionary(uniqueKeysWithValues: zip(parameters, sums).map { ($0.key, $1 * (1 / n)) })
    }
}
