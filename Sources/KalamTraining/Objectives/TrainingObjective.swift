import KalamCore
import KalamModels

/// The loss of one batch and how many targets it averages over.
public struct ObjectiveLoss {
    /// The mean loss over the batch's targets, recorded for `backward()` when gradients are on.
    public var value: Tensor
    /// The number of targets the mean is over (weights the mean in evaluation, counts tokens for
    /// throughput). An objective that chooses its targets at random (masking) counts the ones it chose.
    public var targetCount: Int

    /// A loss over `targetCount` targets.
    public init(_ value: Tensor, targetCount: Int) {
        self.value = value
        self.targetCount = targetCount
    }
}

/// A training objective: how a batch becomes a loss. One trainer loop serves every objective —
/// causal language modelling, masked language modelling, sequence-to-sequence, classification — and
/// every model; an objective holds the model it computes with.
///
/// `rng` is the trainer's own generator (saved in checkpoints), for objectives that draw at random
/// (masking, corruption), so a resumed run draws what the uninterrupted run drew; objectives that
/// draw nothing ignore it.
public protocol TrainingObjective {
    /// The loss of `batch`.
    func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss
    /// Whether the loss is a mean cross-entropy over token predictions, so its exponential is a
    /// perplexity (true unless an objective says otherwise; ELECTRA's weighted sum is not one).
    var lossIsTokenCrossEntropy: Bool { get }
}

extension TrainingObjective {
    /// True: most objectives' losses are a token cross-entropy.
    public var lossIsTokenCrossEntropy: Bool { true }
}

/// An objective given as a closure (for tests and quick experiments); the batch's `targetCount` counts.
public struct ClosureObjective: TrainingObjective {
    let body: (Batch, inout KalamRandom) throws -> Tensor

    /// An objective whose loss is `body(batch, &rng)`.
    public init(_ body: @escaping (Batch, inout KalamRandom) throws -> Tensor) { self.body = body }

    /// `body(batch, &rng)` over the batch's targets.
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        ObjectiveLoss(try body(batch, &rng), targetCount: batch.targetCount)
    }
}

/// Causal language modelling (next-token prediction): the model reads `batch.inputs` and each position
/// is scored against `batch.targets` (already shifted by one; padding positions are ignored).
public struct CausalLMObjective: TrainingObjective {
    /// Token ids `[B, T]` → logits `[B, T, V]`.
    public let logits: (IndexTensor) throws -> Tensor

    /// An objective over a function from ids to logits.
    public init(logits: @escaping (IndexTensor) throws -> Tensor) { self.logits = logits }

    /// Next-token prediction with a GPT-2 model.
    public init(model: GPT2LMHeadModel) {
        self.logits = { ids in try model(inputIds: ids).logits }
    }

    /// The mean next-token cross-entropy.
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let shape = [batch.batchSize, batch.contextLength]
        let ids = try IndexTensor(batch.inputs, shape: shape)
        let out = try logits(ids)  // [B, T, V]
        let targets = try IndexTensor(batch.targets, shape: shape)
        let loss = try crossEntropy(logits: out, targets: targets, ignoreIndex: Batch.ignoreIndex)
        return ObjectiveLoss(loss, targetCount: batch.targetCount)
    }
}
