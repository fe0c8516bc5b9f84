import KalamCore
import KalamModels

/// Masked language modelling with BERT's random masking: each real, non-special token is chosen with
/// probability `rate` independently (transformers' collator rule); a chosen token becomes `[MASK]` with
/// probability 0.8, a random token with 0.1, and stays with 0.1; the loss is the cross-entropy at the
/// chosen positions only (labels −100 elsewhere).
///
/// The masks are drawn from the trainer's generator, so a resumed run draws the masks the uninterrupted
/// run drew, and evaluation (with its own fixed generator) scores a fixed masking of the validation set.
public struct MaskedLMObjective: TrainingObjective {
    /// The model.
    public let model: BertForMaskedLM
    /// The chance of a token being chosen, in (0, 1).
    public let rate: Double
    /// The `[MASK]` id.
    public let maskTokenId: Int32
    /// Ids never chosen (`[CLS]`, `[SEP]`, `[PAD]`).
    public let specialTokenIds: Set<Int32>

    /// An objective masking at `rate`.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for a rate outside (0, 1) or a
    ///   `[MASK]` id outside the vocabulary.
    public init(
        model: BertForMaskedLM, rate: Double = 0.15, maskTokenId: Int32, specialTokenIds: Set<Int32> = []
    )
        throws
    {
        guard rate > 0, rate < 1 else {
            throw TrainingError.invalidOption(name: "mask rate", value: "\(rate)", reason: "must be in (0, 1)")
        }
        guard maskTokenId >= 0, Int(maskTokenId) < model.config.vocabSize else {
            throw TrainingError.invalidOption(
                name: "mask token id", value: "\(maskTokenId)", reason: "is outside the vocabulary")
        }
        self.model = model
        self.rate = rate
        self.maskTokenId = maskTokenId
        self.specialTokenIds = specialTokenIds
    }

    /// The masked inputs and labels of `batch` (row-major `[B, T]`), drawn from `rng`.
    public func mask(_ batch: Batch, rng: inout KalamRandom) -> (inputs: [Int32], labels: [Int32]) {
        var inputs = batch.inputs
        var labels = [Int32](repeating: Batch.ignoreIndex, count: inputs.count)
        let t = batch.contextLength, vocabulary = UInt64(model.config.vocabSize)
        for row in 0..<batch.batchSize {
            for col in 0..<Int(batch.lengths[row]) {
                let i = row * t + col
                guard !specialTokenIds.contains(inputs[i]), rng.nextDouble() < rate else { continue }
                labels[i] = inputs[i]
                let split = rng.nextDouble()
                if split < 0.8 {
                    inputs[i] = maskTokenId
                } else if split < 0.9 {
                    inputs[i] = Int32(rng.next() % vocabulary)
                }
            }
        }
        return (inputs, labels)
    }

    /// The mean cross-entropy over the masked positions.
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let (inputs, labels) = mask(batch, rng: &rng)
        let shape = [batch.batchSize, batch.contextLength]
        let attention = (0..<batch.batchSize).flatMap { row in
            (0..<batch.contextLength).map { Int32($0 < Int(batch.lengths[row]) ? 1 : 0) }
        }
        let out = try model(
            inputIds: IndexTensor(inputs, shape: shape), attentionMask: IndexTensor(attention, shape: shape),
            labels: IndexTensor(labels, shape: shape))
        let count = labels.reduce(0) { $0 + ($1 == Batch.ignoreIndex ? 0 : 1) }
        // A batch with nothing masked has no loss to learn from: zero, with the graph intact.
        let value = count == 0 ? try out.logits.sum() * 0 : out.loss!
        return ObjectiveLoss(value, targetCount: count)
    }
}

/// Sequence-to-sequence training of a T5 model: `pairs` turns a batch into encoder inputs and decoder
/// labels (`[B, S]` and `[B, L]`, −100 where nothing is predicted); the decoder reads the labels shifted
/// right. Span corruption, translation and text-to-text classification are such functions.
public struct Seq2SeqObjective: TrainingObjective {
    /// The model.
    public let model: T5ForConditionalGeneration
    /// The batch's encoder inputs and decoder labels, drawn with `rng` where the pairing is random.
    public let pairs: (Batch, inout KalamRandom) throws -> (inputs: IndexTensor, labels: IndexTensor)

    /// An objective over `pairs`.
    public init(
        model: T5ForConditionalGeneration,
        pairs: @escaping (Batch, inout KalamRandom) throws -> (inputs: IndexTensor, labels: IndexTensor)
    ) {
        self.model = model
        self.pairs = pairs
    }

    /// The mean cross-entropy over the labels.
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let (inputs, labels) = try pairs(batch, &rng)
        let out = try model(inputIds: inputs, labels: labels)
        return ObjectiveLoss(out.loss!, targetCount: labels.values.reduce(0) { $0 + ($1 == Batch.ignoreIndex ? 0 : 1) })
    }
}
