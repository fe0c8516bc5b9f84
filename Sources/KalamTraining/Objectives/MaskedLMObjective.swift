import KalamCore
import KalamModels

/// Masked language modelling: targets chosen by a ``TokenMasker`` (a ``MaskingStrategy`` at a rate,
/// BERT's 80/10/10 replacement by default); the loss is the cross-entropy at the targets only (labels
/// −100 elsewhere).
///
/// The masks are drawn from the trainer's generator, so a resumed run draws the masks the uninterrupted
/// run drew, and evaluation (with its own fixed generator) scores a fixed masking of the validation set.
/// Strategies other than `random` need batches with words (and `pos` with tags): ``AnnotatedBlocks``.
public struct MaskedLMObjective: TrainingObjective {
    /// The model.
    public let model: BertForMaskedLM
    /// How the targets are chosen and replaced.
    public let masker: TokenMasker
    /// The chance of a token being chosen, in (0, 1).
    public var rate: Double { masker.rate }
    /// The `[MASK]` id.
    public var maskTokenId: Int32 { masker.maskTokenId }
    /// Ids never chosen (`[CLS]`, `[SEP]`, `[PAD]`).
    public let specialTokenIds: Set<Int32>

    /// An objective with BERT's random masking (each token independently) at `rate`.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for a rate outside (0, 1) or a
    ///   `[MASK]` id outside the vocabulary.
    public init(
        model: BertForMaskedLM, rate: Double = 0.15, maskTokenId: Int32, specialTokenIds: Set<Int32> = []
    ) throws {
        let masker = try TokenMasker(
            strategy: .random(exactCount: false), rate: rate, maskTokenId: maskTokenId,
            vocabularySize: model.config.vocabSize, specialTokenIds: specialTokenIds)
        try self.init(model: model, masker: masker, specialTokenIds: specialTokenIds)
    }

    /// An objective masking with `masker`.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` when the masker's vocabulary is not
    ///   the model's.
    public init(model: BertForMaskedLM, masker: TokenMasker, specialTokenIds: Set<Int32> = []) throws {
        guard masker.vocabularySize == model.config.vocabSize else {
            throw TrainingError.invalidOption(
                name: "masker vocabulary", value: "\(masker.vocabularySize)",
                reason: "the model's vocabulary has \(model.config.vocabSize) tokens")
        }
        self.model = model
        self.masker = masker
        self.specialTokenIds = specialTokenIds
    }

    /// The masked inputs and labels of `batch` (row-major `[B, T]`), drawn from `rng`.
    /// - Throws: as ``TokenMasker/mask(_:rng:)``; a strategy that needs words on a batch without them.
    public func mask(_ batch: Batch, rng: inout KalamRandom) throws -> (inputs: [Int32], labels: [Int32]) {
        if masker.strategy.needsWords, batch.words == nil {
            throw TrainingError.invalidOption(
                name: "masking", value: "\(masker.strategy)", reason: "needs batches with word boundaries")
        }
        var inputs: [Int32] = [], labels: [Int32] = []
        inputs.reserveCapacity(batch.inputs.count)
        labels.reserveCapacity(batch.inputs.count)
        for row in 0..<batch.batchSize {
            let masked = try masker.mask(batch.maskableRow(row, specialTokenIds: specialTokenIds), rng: &rng)
            inputs += masked.inputs
            labels += masked.labels
        }
        return (inputs, labels)
    }

    /// The mean cross-entropy over the masked positions.
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let (inputs, labels) = try mask(batch, rng: &rng)
        return try loss(inputs: inputs, labels: labels, batch: batch)
    }

    /// The loss of already masked `inputs` against `labels` (both `[B, T]` row-major).
    public func loss(inputs: [Int32], labels: [Int32], batch: Batch) throws -> ObjectiveLoss {
        let shape = [batch.batchSize, batch.contextLength]
        let attention = batch.attentionMask
        let out = try model(
            inputIds: IndexTensor(inputs, shape: shape), attentionMask: IndexTensor(attention, shape: shape),
            labels: IndexTensor(labels, shape: shape))
        let count = labels.reduce(0) { $0 + ($1 == Batch.ignoreIndex ? 0 : 1) }
        // A batch with nothing masked has no loss to learn from: zero, with the graph intact.
        let value = count == 0 ? out.logits.sum() * 0 : out.loss!
        return ObjectiveLoss(value, targetCount: count)
    }

    /// Sets the decoder's bias (`cls.predictions.bias`, zero as transformers initialises it) to the log
    /// unigram frequencies of `blocks` (``AnnotatedBlocks/logUnigramFrequencies(vocabularySize:)``): the
    /// untrained model then predicts each target's frequency, as a unigram model does, and training
    /// spends its first steps on context instead. `kalam pretrain` does this before a fresh BERT run.
    /// - Throws: as ``AnnotatedBlocks/logUnigramFrequencies(vocabularySize:)``.
    public func startDecoderBiasAtUnigram(of blocks: AnnotatedBlocks) throws {
        let v = model.config.vocabSize
        model.cls.predictions.bias = try Tensor(blocks.logUnigramFrequencies(vocabularySize: v), shape: [v])
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
