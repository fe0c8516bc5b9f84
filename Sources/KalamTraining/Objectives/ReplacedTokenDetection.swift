import Foundation
import KalamCore
import KalamModels
import KalamNN

/// ELECTRA's generator and discriminator as one trainable module (keys `generator.…`,
/// `discriminator.…`), the generator reading the discriminator's embeddings (one set of tensors).
///
/// Dropout: checkpoints save the discriminator's generator of dropout masks; the generator's own is
/// not saved, so a resumed run with generator dropout above 0 draws other dropout masks (the presets
/// use none).
public final class ElectraPretrainingModel: Module, TrainableModel {
    /// The discriminator (replaced-token detection); its keys come first, so the shared embeddings are
    /// listed (once) under `discriminator.electra.embeddings.`.
    @Child(key: "discriminator") public var discriminator: ElectraForPreTraining
    /// The generator (a small masked LM).
    @Child(key: "generator") public var generator: ElectraForMaskedLM

    /// The discriminator's dropout generator.
    public var randomSource: RandomSource { discriminator.randomSource }

    /// Both models' descriptors.
    public var architectureDescriptor: String {
        "ElectraPretraining " + generator.architectureDescriptor + " " + discriminator.architectureDescriptor
    }

    /// The pair; the generator's embeddings are replaced by the discriminator's.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` when their vocabularies, embedding
    ///   sizes or position tables differ.
    public init(generator: ElectraForMaskedLM, discriminator: ElectraForPreTraining) throws {
        let g = generator.config, d = discriminator.config
        guard g.vocabSize == d.vocabSize, g.embeddingSize == d.embeddingSize,
            g.maxPositionEmbeddings == d.maxPositionEmbeddings, g.typeVocabSize == d.typeVocabSize
        else {
            throw TrainingError.invalidOption(
                name: "electra generator", value: "embeddings \(g.vocabSize)x\(g.embeddingSize)",
                reason: "must share the discriminator's embeddings \(d.vocabSize)x\(d.embeddingSize)")
        }
        super.init()
        generator.electra.embeddings = discriminator.electra.embeddings
        _discriminator.wrappedValue = discriminator
        _generator.wrappedValue = generator
    }

    /// The generator's configuration for a discriminator's: a quarter of its width (and heads, at
    /// least one; feed-forward 4× the width), the same depth, embeddings and vocabulary.
    public static func generatorConfig(for d: ElectraConfig) -> ElectraConfig {
        var g = d
        g.numAttentionHeads = max(1, d.numAttentionHeads / 4)
        g.hiddenSize = max(g.numAttentionHeads, d.hiddenSize / 4 / g.numAttentionHeads * g.numAttentionHeads)
        g.intermediateSize = 4 * g.hiddenSize
        g.architectures = nil
        return g
    }
}

extension ElectraForPreTraining: TrainableModel {}
extension ElectraForMaskedLM: TrainableModel {}

/// ELECTRA's objective: the generator's masked-LM loss on a masking by a ``TokenMasker``, plus λ times
/// the discriminator's replaced-token-detection loss on the inputs with the masked tokens replaced by
/// samples from the generator (no gradient through the sampling). A sample equal to the original
/// counts as not replaced, as in ELECTRA.
public struct ReplacedTokenDetectionObjective: TrainingObjective {
    /// The generator and discriminator.
    public let model: ElectraPretrainingModel
    /// The generator's masking.
    public let masker: TokenMasker
    /// Ids never chosen.
    public let specialTokenIds: Set<Int32>
    /// The weight of the discriminator's loss (50 in ELECTRA).
    public let lambda: Float
    /// False: generator cross-entropy + λ · binary cross-entropy has no perplexity.
    public var lossIsTokenCrossEntropy: Bool { false }

    /// An objective.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for a λ that is not positive and finite.
    public init(
        model: ElectraPretrainingModel, masker: TokenMasker, specialTokenIds: Set<Int32>, lambda: Float = 50
    ) throws {
        guard lambda > 0, lambda.isFinite else {
            throw TrainingError.invalidOption(name: "rtd weight", value: "\(lambda)", reason: "must be > 0")
        }
        self.model = model
        self.masker = masker
        self.specialTokenIds = specialTokenIds
        self.lambda = lambda
    }

    /// One batch as the discriminator sees it: the generator's masked-LM loss on a masking of `batch`,
    /// and the batch's inputs with each masked token replaced by a sample from the generator.
    public struct Corruption {
        /// The generator's mean cross-entropy over the masked targets (0, still recorded, when none).
        public var generatorLoss: Tensor
        /// The masked targets.
        public var targets: Int
        /// `[B, T]` row-major: the batch's inputs, sampled tokens at the masked positions.
        public var inputs: [Int32]
        /// `[B, T]`: 1 where the input differs from the original (a sample equal to it is 0).
        public var isReplaced: [Int32]
    }

    /// Masks `batch`, runs the generator and samples its replacements (no gradient through the
    /// sampling), drawing the masking and the samples from `rng` in that order.
    public func corrupt(_ batch: Batch, rng: inout KalamRandom) throws -> Corruption {
        var inputs: [Int32] = [], labels: [Int32] = []
        for row in 0..<batch.batchSize {
            let masked = try masker.mask(batch.maskableRow(row, specialTokenIds: specialTokenIds), rng: &rng)
            inputs += masked.inputs
            labels += masked.labels
        }
        let shape = [batch.batchSize, batch.contextLength]
        let attention = try IndexTensor(batch.attentionMask, shape: shape)
        let generated = try model.generator(
            inputIds: IndexTensor(inputs, shape: shape), attentionMask: attention,
            labels: IndexTensor(labels, shape: shape))
        let targets = labels.reduce(0) { $0 + ($1 == Batch.ignoreIndex ? 0 : 1) }
        let generatorLoss = targets == 0 ? generated.logits.sum() * 0 : generated.loss!
        // Sample the replacements from the generator's distribution at the targets.
        var replaced = batch.inputs
        var isReplaced = [Int32](repeating: 0, count: replaced.count)
        let v = model.generator.config.vocabSize
        let logits = generated.logits.detached().scalars  // [B, T, V]
        for i in labels.indices where labels[i] != Batch.ignoreIndex {
            let row = logits[(i * v)..<((i + 1) * v)]
            let top = row.max()!
            let weights = row.map { Foundation.exp(Double($0 - top)) }
            var u = rng.nextDouble() * weights.reduce(0, +)
            var sample = v - 1
            for (k, w) in weights.enumerated() {
                u -= w
                if u < 0 {
                    sample = k
                    break
                }
            }
            replaced[i] = Int32(sample)
            isReplaced[i] = replaced[i] == batch.inputs[i] ? 0 : 1
        }
        return Corruption(generatorLoss: generatorLoss, targets: targets, inputs: replaced, isReplaced: isReplaced)
    }

    /// The losses of one batch: the generator's, the discriminator's and their weighted sum.
    public func losses(
        on batch: Batch, rng: inout KalamRandom
    ) throws -> (
        generator: Tensor, discriminator: Tensor, total: Tensor, targets: Int
    ) {
        let c = try corrupt(batch, rng: &rng)
        let shape = [batch.batchSize, batch.contextLength]
        let discriminated = try model.discriminator(
            inputIds: IndexTensor(c.inputs, shape: shape),
            attentionMask: IndexTensor(batch.attentionMask, shape: shape),
            labels: IndexTensor(c.isReplaced, shape: shape))
        let discriminatorLoss = discriminated.loss!
        return (c.generatorLoss, discriminatorLoss, try c.generatorLoss + discriminatorLoss * lambda, c.targets)
    }

    /// Sets the generator's decoder bias (`generator_lm_head.bias`) to the log unigram frequencies of
    /// `blocks`, as ``MaskedLMObjective/startDecoderBiasAtUnigram(of:)`` does for BERT.
    /// - Throws: as ``AnnotatedBlocks/logUnigramFrequencies(vocabularySize:)``.
    public func startGeneratorBiasAtUnigram(of blocks: AnnotatedBlocks) throws {
        let v = model.generator.config.vocabSize
        model.generator.generatorLMHead.bias = try Tensor(
            blocks.logUnigramFrequencies(vocabularySize: v), shape: [v])
    }

    /// Generator MLM loss + λ · replaced-token-detection loss, over the batch's masked targets.
    public func loss(on batch: Batch, rng: inout KalamRandom) throws -> ObjectiveLoss {
        let l = try losses(on: batch, rng: &rng)
        return ObjectiveLoss(l.total, targetCount: max(l.targets, 1))
    }
}
