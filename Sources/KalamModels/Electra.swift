import Foundation
import KalamCore
import KalamNN

// ELECTRA as transformers' `modeling_electra.py` builds it: ElectraModel (BERT's embeddings at
// `embedding_size`, `embeddings_project` to `hidden_size` when they differ, BERT's encoder layers),
// ElectraDiscriminatorPredictions, ElectraForPreTraining (the discriminator), ElectraGeneratorPredictions
// and ElectraForMaskedLM (the generator, its `generator_lm_head` tied to the word embeddings).

/// `ElectraModel`: embeddings, the optional projection, the encoder; keys without a prefix
/// (`embeddings.word_embeddings.weight`); the heads keep it under `electra.`.
public final class ElectraModel: Module {
    /// The configuration.
    public let config: ElectraConfig
    /// Word, position and type embeddings at `embedding_size`, shared by ELECTRA's generator and
    /// discriminator during pretraining.
    @Child(key: "embeddings") public var embeddings: BertEmbeddings
    /// `embedding_size` → `hidden_size`, present when they differ.
    @Child(key: "embeddings_project") public var embeddingsProject: Linear?
    /// The layers.
    @Child(key: "encoder") public var encoder: BertEncoder

    init(config: ElectraConfig, source: RandomSource, rng: inout KalamRandom) {
        self.config = config
        super.init()
        _embeddings.wrappedValue = BertEmbeddings(config: config.embeddings, source: source, rng: &rng)
        _embeddingsProject.wrappedValue =
            config.embeddingSize == config.hiddenSize
            ? nil
            : Linear(
                config.embeddingSize, config.hiddenSize, initializer: .normal(std: Float(config.initializerRange)),
                rng: &rng)
        _encoder.wrappedValue = BertEncoder(config: config.encoder, source: source, rng: &rng)
    }

    /// The last hidden states `[B, T, H]` of `inputIds` `[B, T]`.
    public func callAsFunction(inputIds: IndexTensor, attentionMask: IndexTensor? = nil) throws -> Tensor {
        let (b, t) = try ModelInput.checkIDs(
            inputIds, vocabSize: config.vocabSize, maxLength: config.maxPositionEmbeddings)
        let mask = try ModelInput.mask(attentionMask, batch: b, length: t)
        let types = try IndexTensor([Int32](repeating: 0, count: b * t), shape: [b, t])
        var x = try embeddings(inputIds, tokenTypes: types)  // [B, T, E]
        if let embeddingsProject { x = try embeddingsProject(x) }  // [B, T, H]
        return try encoder(x, keyMask: mask)
    }
}

/// `ElectraDiscriminatorPredictions`: `dense_prediction(act(dense(h)))`, one logit per token.
public final class ElectraDiscriminatorPredictions: Module {
    /// `[H, H]`.
    @Child(key: "dense") public var dense: Linear
    /// `[1, H]`.
    @Child(key: "dense_prediction") public var densePrediction: Linear
    let activation: Activation

    init(config c: ElectraConfig, rng: inout KalamRandom) {
        activation = c.hiddenAct
        super.init()
        let std = Float(c.initializerRange)
        _dense.wrappedValue = Linear(c.hiddenSize, c.hiddenSize, initializer: .normal(std: std), rng: &rng)
        _densePrediction.wrappedValue = Linear(c.hiddenSize, 1, initializer: .normal(std: std), rng: &rng)
    }

    /// `[B, T, H]` → `[B, T]`.
    func callAsFunction(_ hidden: Tensor) throws -> Tensor {
        let logits = try densePrediction(activation.apply(dense(hidden)))  // [B, T, 1]
        return try logits.reshaped([hidden.shape[0], hidden.shape[1]])  // [B, T]
    }
}

/// `ElectraForPreTraining`: the discriminator. Its loss is the binary cross-entropy of the
/// replaced-token logits against `labels` (1 = replaced) over the positions the attention mask keeps.
public final class ElectraForPreTraining: Module, PretrainedModel {
    /// `"ElectraForPreTraining"`.
    public static let architecture = "ElectraForPreTraining"
    /// `"electra."`.
    public static let basePrefix = "electra."

    /// The configuration.
    public let config: ElectraConfig
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// `discriminator_predictions.*`.
    public var headKeys: Set<String> {
        Set(namedParameters().map(\.key).filter { $0.hasPrefix("discriminator_predictions.") })
    }

    /// The encoder.
    @Child(key: "electra") public var electra: ElectraModel
    /// The replaced-token head.
    @Child(key: "discriminator_predictions") public var discriminatorPredictions: ElectraDiscriminatorPredictions

    /// A model initialised as transformers does, drawn from `seed`, in evaluation mode.
    public init(config: ElectraConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        _electra.wrappedValue = ElectraModel(config: config, source: randomSource, rng: &rng)
        _discriminatorPredictions.wrappedValue = ElectraDiscriminatorPredictions(config: config, rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
    }

    /// Replaced-token logits `[B, T]`; with `labels` `[B, T]` (0 or 1) also the mean binary
    /// cross-entropy over the positions the attention mask keeps (all without a mask).
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let logits = try discriminatorPredictions(electra(inputIds: inputIds, attentionMask: attentionMask))  // [B, T]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        guard labels.shape == inputIds.shape, labels.values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw ModelError.invalidInput(name: "labels", reason: "must be 0 or 1 with shape \(inputIds.shape)")
        }
        let keep = attentionMask?.values ?? [Int32](repeating: 1, count: labels.count)
        let active = try Tensor(keep.map { Float($0) }, shape: labels.shape)
        let y = try Tensor(labels.values.map { Float($0) }, shape: labels.shape)
        // BCE with logits, stably: max(x, 0) − x·y + log(1 + exp(−|x|)).
        let absolute = try logits.relu() + (logits * -1).relu()
        let perToken = try logits.relu() - logits * y + ((absolute * -1).exp() + 1).log()  // [B, T]
        let count = Float(keep.reduce(0) { $0 + ($1 == 0 ? 0 : 1) })
        return ModelOutput(logits: logits, loss: try (perToken * active).sum() * (1 / max(count, 1)))
    }
}

/// `ElectraGeneratorPredictions`: `LayerNorm(gelu(dense(h)))`, back to `embedding_size`.
public final class ElectraGeneratorPredictions: Module {
    /// `[E]`.
    @Child(key: "LayerNorm") var layerNorm: LayerNorm
    /// `[E, H]`.
    @Child(key: "dense") public var dense: Linear

    init(config c: ElectraConfig, rng: inout KalamRandom) {
        super.init()
        _layerNorm.wrappedValue = LayerNorm(c.embeddingSize, eps: Float(c.layerNormEps))
        _dense.wrappedValue = Linear(
            c.hiddenSize, c.embeddingSize, initializer: .normal(std: Float(c.initializerRange)), rng: &rng)
    }

    /// `[B, T, H]` → `[B, T, E]`.
    func callAsFunction(_ hidden: Tensor) throws -> Tensor { try layerNorm(Activation.gelu.apply(dense(hidden))) }
}

/// `generator_lm_head` of the generator without its weight (tied to the word embeddings): the bias.
public final class ElectraLMHeadBias: Module {
    /// `[V]`, zero at first.
    @Parameter public var bias: Tensor

    init(vocabularySize: Int) {
        bias = Tensor.zeros([vocabularySize])
        super.init()
    }
}

/// `ElectraForMaskedLM`: the generator; `generator_lm_head` is tied to the word embeddings, with its
/// own bias; the loss is cross-entropy over labels that are not `-100`.
public final class ElectraForMaskedLM: Module, PretrainedModel {
    /// `"ElectraForMaskedLM"`.
    public static let architecture = "ElectraForMaskedLM"
    /// `"electra."`.
    public static let basePrefix = "electra."

    /// The configuration.
    public let config: ElectraConfig
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// `generator_predictions.*` and `generator_lm_head.bias`.
    public var headKeys: Set<String> { Set(namedParameters().map(\.key).filter { !$0.hasPrefix("electra.") }) }

    /// The encoder.
    @Child(key: "electra") public var electra: ElectraModel
    /// The transform before the output layer.
    @Child(key: "generator_predictions") public var generatorPredictions: ElectraGeneratorPredictions
    /// `generator_lm_head`: its bias `[V]` (the weight is the word embeddings).
    @Child(key: "generator_lm_head") public var generatorLMHead: ElectraLMHeadBias

    /// The output layer's weight is the word embeddings.
    public override var tiedKeyAliases: [String: String] {
        ["generator_lm_head.weight": "electra.embeddings.word_embeddings.weight"]
    }

    /// A model initialised as transformers does, drawn from `seed`, in evaluation mode.
    public init(config: ElectraConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        _generatorLMHead.wrappedValue = ElectraLMHeadBias(vocabularySize: config.vocabSize)
        _electra.wrappedValue = ElectraModel(config: config, source: randomSource, rng: &rng)
        _generatorPredictions.wrappedValue = ElectraGeneratorPredictions(config: config, rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
    }

    /// Logits `[B, T, V]`; with `labels` `[B, T]` (`-100` where nothing is predicted) also the MLM loss.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let hidden = try generatorPredictions(electra(inputIds: inputIds, attentionMask: attentionMask))  // [B, T, E]
        let weight = electra.embeddings.wordEmbeddings.weight  // [V, E]
        let logits = try linear(hidden, weight: weight, bias: generatorLMHead.bias)  // [B, T, V]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: inputIds.shape, classes: config.vocabSize)
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }
}
