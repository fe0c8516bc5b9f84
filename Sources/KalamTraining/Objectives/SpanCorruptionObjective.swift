import KalamCore
import KalamModels

/// T5 pretraining: each row of a batch (its real tokens, no `</s>`) is span-corrupted by a
/// ``SpanCorruption`` drawn from the trainer's generator; the encoder reads the corrupted inputs (padding
/// masked) and the decoder predicts the targets. The loss is the mean cross-entropy over the targets.
public struct SpanCorruptionObjective: TrainingObjective {
    /// The model.
    public let model: T5ForConditionalGeneration
    /// The corruption.
    public let corruption: SpanCorruption

    /// An objective over `model` with `corruption`.
    public init(model: T5ForConditionalGeneration, corruption: SpanCorruption) {
        self.model = model
        self.corruption = corruption
    }

    /// The mean cross-entropy over the corrupted batch's targets.
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let (inputs, mask, labels) = try corruption.batch(
            batch, padId: Int32(model.config.padTokenId), rng: &rng)
        let out = try model(inputIds: inputs, attentionMask: mask, labels: labels)
        return ObjectiveLoss(out.loss!, targetCount: labels.values.reduce(0) { $0 + ($1 == Batch.ignoreIndex ? 0 : 1) })
    }
}
