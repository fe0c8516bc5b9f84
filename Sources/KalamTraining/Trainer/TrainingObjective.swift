import KalamCore
import KalamModels

/// A training objective: how a batch becomes a loss. One trainer loop serves every objective —
/// causal language modelling now; masked language modelling, replaced-token detection and
/// sequence-to-sequence objectives plug in the same way.
///
/// `rng` is the trainer's own generator (saved in checkpoints), for objectives that draw at random
/// (masking, corruption); objectives that draw nothing ignore it.
public protocol TrainingObjective {
    /// The mean loss over the batch's targets, recorded for `backward()` when gradients are on.
    func loss(on batch: Batch, rng: inout KalamRandom) throws -> Tensor
    /// The number of targets the loss of `batch` averages over (weights the mean in evaluation and
    /// counts tokens for throughput).
    func targetCount(of batch: Batch) -> Int
}

extension TrainingObjective {
    /// The targets of `batch` that are not ignored.
    public func targetCount(of batch: Batch) -> Int { batch.targetCount }
}

/// An objective given as a closure (for tests and quick experiments).
public struct ClosureObjective: TrainingObjective {
    let body: (Batch, inout KalamRandom) throws -> Tensor

    /// An objective whose loss is `body(batch, &rng)`.
    public init(_ body: @escaping (Batch, inout KalamRandom) throws -> Tensor) { self.body = body }

    /// `body(batch, &rng)`.
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> Tensor { try body(batch, &rng) }
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
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> Tensor {
        let shape = [batch.batchSize, batch.contextLength]
        let ids = try IndexTensor(batch.inputs, shape: shape)
        let out = try logits(ids)  // [B, T, V]
        let targets = try IndexTensor(batch.targets, shape: shape)
        return try crossEntropy(logits: out, targets: targets, ignoreIndex: Batch.ignoreIndex)
    }
}
