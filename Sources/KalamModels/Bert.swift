import Foundation
import KalamCore

// BERT as transformers' `modeling_bert.py` builds it, class by class: BertEmbeddings, BertSelfAttention,
// BertSelfOutput, BertAttention, BertIntermediate, BertOutput, BertLayer, BertEncoder, BertPooler,
// BertPredictionHeadTransform, BertLMPredictionHead, BertModel; the task heads are in Bert+Heads.swift.
// Parameters carry the checkpoint keys verbatim (`bert.encoder.layer.0.attention.self.query.weight`).

/// `BertEmbeddings`: word + learned position + token type embeddings, then layer norm and dropout.
struct BertEmbeddings {
    let wordEmbeddings: EmbeddingTable  // [V, C]
    let positionEmbeddings: EmbeddingTable  // [P, C]
    let tokenTypeEmbeddings: EmbeddingTable  // [types, C]
    let layerNorm: LayerNormLayer
    let dropout: DropoutLayer
    let paddingIndex: Int32?

    init(_ r: ParameterRegistry, _ prefix: String, config c: BertConfig) {
        let std = Float(c.initializerRange)
        wordEmbeddings = EmbeddingTable(
            r, prefix + ".word_embeddings.weight", count: c.vocabSize, dim: c.hiddenSize, std: std)
        if let pad = c.padTokenId, pad >= 0, pad < c.vocabSize {  // transformers zeroes the padding row
            (wordEmbeddings.weight.data + pad * c.hiddenSize).update(repeating: 0, count: c.hiddenSize)
        }
        positionEmbeddings = EmbeddingTable(
            r, prefix + ".position_embeddings.weight", count: c.maxPositionEmbeddings, dim: c.hiddenSize, std: std)
        tokenTypeEmbeddings = EmbeddingTable(
            r, prefix + ".token_type_embeddings.weight", count: c.typeVocabSize, dim: c.hiddenSize, std: std)
        layerNorm = LayerNormLayer(r, prefix + ".LayerNorm", dim: c.hiddenSize, eps: c.layerNormEps)
        dropout = DropoutLayer(c.hiddenDropoutProb)
        paddingIndex = c.padTokenId.map(Int32.init)
    }

    /// ids, token types `[B, T]` → `[B, T, C]`.
    func callAsFunction(
        _ ids: IndexTensor, tokenTypes: IndexTensor, training: Bool, rng: inout KalamRandom
    ) throws -> Tensor {
        let positions = try positionEmbeddings(Heads.positions(ids.shape[1]))  // [T, C]
        let sum = try words(ids) + tokenTypeEmbeddings(tokenTypes) + positions  // [B, T, C]
        return try dropout(layerNorm(sum), training: training, rng: &rng)
    }

    /// The word embeddings with `nn.Embedding(padding_idx=pad_token_id)`'s rule: the padding row's
    /// value is used, but it receives no gradient.
    private func words(_ ids: IndexTensor) throws -> Tensor {
        let looked = try wordEmbeddings(ids)  // [B, T, C]
        guard let pad = paddingIndex, ids.values.contains(pad), looked.requiresGrad else { return looked }
        let isPad = try Tensor(ids.values.map { $0 == pad ? 1 : 0 }, shape: ids.shape + [1])  // [B, T, 1]
        let frozen = try embedding(ids, weight: wordEmbeddings.weight.detached())  // no gradient
        return try Tensor.where(isPad, frozen, looked)
    }
}

/// `BertLayer` with its parts under transformers' keys: `attention.self.{query,key,value}`,
/// `attention.output.{dense,LayerNorm}`, `intermediate.dense`, `output.{dense,LayerNorm}`.
struct BertLayer {
    let query: DenseLayer, key: DenseLayer, value: DenseLayer  // BertSelfAttention
    let attentionOutput: DenseLayer  // BertSelfOutput.dense
    let attentionNorm: LayerNormLayer  // BertSelfOutput.LayerNorm
    let intermediate: DenseLayer  // BertIntermediate.dense
    let output: DenseLayer  // BertOutput.dense
    let outputNorm: LayerNormLayer  // BertOutput.LayerNorm
    let activation: Activation
    let heads: Int
    let attentionDropout: Float
    let hiddenDropout: DropoutLayer

    init(_ r: ParameterRegistry, _ prefix: String, config c: BertConfig) {
        let std = Float(c.initializerRange), h = c.hiddenSize
        query = DenseLayer(r, prefix + ".attention.self.query", in: h, out: h, std: std)
        key = DenseLayer(r, prefix + ".attention.self.key", in: h, out: h, std: std)
        value = DenseLayer(r, prefix + ".attention.self.value", in: h, out: h, std: std)
        attentionOutput = DenseLayer(r, prefix + ".attention.output.dense", in: h, out: h, std: std)
        attentionNorm = LayerNormLayer(r, prefix + ".attention.output.LayerNorm", dim: h, eps: c.layerNormEps)
        intermediate = DenseLayer(r, prefix + ".intermediate.dense", in: h, out: c.intermediateSize, std: std)
        output = DenseLayer(r, prefix + ".output.dense", in: c.intermediateSize, out: h, std: std)
        outputNorm = LayerNormLayer(r, prefix + ".output.LayerNorm", dim: h, eps: c.layerNormEps)
        activation = c.hiddenAct
        heads = c.numAttentionHeads
        attentionDropout = Float(c.attentionProbsDropoutProb)
        hiddenDropout = DropoutLayer(c.hiddenDropoutProb)
    }

    /// `[B, T, C]`, key mask `[B, T]` → `[B, T, C]` (post-norm residual blocks).
    func callAsFunction(_ x: Tensor, keyMask: Tensor?, training: Bool, rng: inout KalamRandom) throws -> Tensor {
        let q = try splitHeads(query(x), heads: heads)  // [B, H, T, D]
        let k = try splitHeads(key(x), heads: heads)
        let v = try splitHeads(value(x), heads: heads)
        let options = AttentionOptions(keyMask: keyMask, dropout: training ? attentionDropout : 0)
        let context = try mergeHeads(scaledDotProductAttention(q, k, v, options: options, rng: &rng))  // [B, T, C]
        let attended = try attentionNorm(hiddenDropout(attentionOutput(context), training: training, rng: &rng) + x)
        let inner = try activation.apply(intermediate(attended))  // [B, T, I]
        return try outputNorm(hiddenDropout(output(inner), training: training, rng: &rng) + attended)
    }
}

/// `BertPooler`: `tanh(dense(h[:, 0]))`.
struct BertPooler {
    let dense: DenseLayer

    init(_ r: ParameterRegistry, _ prefix: String, config c: BertConfig) {
        dense = DenseLayer(r, prefix + ".dense", in: c.hiddenSize, out: c.hiddenSize, std: Float(c.initializerRange))
    }

    /// `[B, T, C]` → `[B, C]`.
    func callAsFunction(_ hidden: Tensor) throws -> Tensor {
        // [B, 1, C] -> [B, C]
        let first = try hidden.slice(axis: 1, 0..<1).reshaped([hidden.shape[0], hidden.shape[2]])
        return try dense(first).tanh()
    }
}

/// `BertLMPredictionHead` (under `cls.predictions`): transform (dense, activation, layer norm), then the
/// decoder tied to the word embeddings with its own bias `cls.predictions.bias`.
struct BertLMPredictionHead {
    let transformDense: DenseLayer
    let transformNorm: LayerNormLayer
    let bias: Tensor
    let activation: Activation

    init(_ r: ParameterRegistry, _ prefix: String, config c: BertConfig) {
        // transformers' named_parameters() order: bias first, then the transform.
        bias = r.constant(prefix + ".bias", [c.vocabSize], 0)
        transformDense = DenseLayer(
            r, prefix + ".transform.dense", in: c.hiddenSize, out: c.hiddenSize, std: Float(c.initializerRange))
        transformNorm = LayerNormLayer(r, prefix + ".transform.LayerNorm", dim: c.hiddenSize, eps: c.layerNormEps)
        activation = c.hiddenAct
    }

    /// `[B, T, C]` → `[B, T, V]` with the decoder `weight` `[V, C]`.
    func callAsFunction(_ hidden: Tensor, decoder weight: Tensor) throws -> Tensor {
        let h = try transformNorm(activation.apply(transformDense(hidden)))
        return try linear(h, weight: weight, bias: bias)
    }
}

/// The encoder stack shared by `BertModel` and the heads (`BertModel` under a key prefix).
struct BertBackbone {
    let embeddings: BertEmbeddings
    let layers: [BertLayer]
    let pooler: BertPooler?
    let config: BertConfig

    init(_ r: ParameterRegistry, prefix: String, config c: BertConfig, pooler withPooler: Bool) {
        embeddings = BertEmbeddings(r, prefix + "embeddings", config: c)
        layers = (0..<c.numHiddenLayers).map { BertLayer(r, "\(prefix)encoder.layer.\($0)", config: c) }
        pooler = withPooler ? BertPooler(r, prefix + "pooler", config: c) : nil
        config = c
    }

    /// Checks the inputs and runs the encoder (and the pooler when present).
    func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor?, tokenTypeIds: IndexTensor?,
        training: Bool, rng: inout KalamRandom
    ) throws -> BertModelOutput {
        let (b, t) = try ModelInput.checkIDs(
            inputIds, vocabSize: config.vocabSize, maxLength: config.maxPositionEmbeddings)
        let mask = try ModelInput.mask(attentionMask, batch: b, length: t)
        let types = try tokenTypeIds ?? IndexTensor([Int32](repeating: 0, count: b * t), shape: [b, t])
        guard types.shape == [b, t] else {
            throw ModelError.invalidInput(name: "token_type_ids", reason: "shape \(types.shape), expected \([b, t])")
        }
        _ = try ModelInput.checkIDs(types, name: "token_type_ids", vocabSize: config.typeVocabSize, maxLength: nil)
        var x = try embeddings(inputIds, tokenTypes: types, training: training, rng: &rng)  // [B, T, C]
        for layer in layers { x = try layer(x, keyMask: mask, training: training, rng: &rng) }
        return BertModelOutput(lastHiddenState: x, poolerOutput: try pooler.map { try $0(x) })
    }
}

/// `BertModel`: the BERT encoder with its pooler; keys without a prefix (`embeddings.word_embeddings.weight`),
/// as in all-MiniLM-L6-v2's checkpoint. ``sentenceEmbeddings(inputIds:attentionMask:tokenTypeIds:)``
/// gives sentence-transformers' mean-pooled, L2-normalised embeddings.
public final class BertModel: PretrainedModel {
    /// `"BertModel"`.
    public static let architecture = "BertModel"
    /// `"bert."`: the key prefix of the head classes; their checkpoints load too.
    public static let basePrefix = "bert."

    /// The configuration.
    public let config: BertConfig
    /// The parameters under their checkpoint keys.
    public let namedParameters: [(key: String, tensor: Tensor)]
    /// Whether dropout is active (default false: evaluation).
    public var isTraining = false
    /// The generator dropout draws from; seeded by `init(config:seed:)`.
    public var rng: KalamRandom
    /// No tied weights.
    public var tiedAliases: [String: String] { [:] }
    /// No head.
    public var headKeys: Set<String> { [] }

    let backbone: BertBackbone

    /// A model initialised as transformers does (`N(0, initializer_range²)`, zero biases, the padding
    /// row of the word embeddings zero), drawn from `seed`, with the pooler.
    public init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        let registry = ParameterRegistry(rng: KalamRandom(seed: seed))
        backbone = BertBackbone(registry, prefix: "", config: config, pooler: true)
        namedParameters = registry.entries
        rng = registry.rng.fork(stream: 1)
    }

    /// The encoder output for `inputIds` `[B, T]` with optional padding mask and token types `[B, T]`.
    /// - Throws: ``ModelError/sequenceTooLong(length:maximum:)``, ``ModelError/tokenOutOfRange(id:vocabSize:row:position:)``,
    ///   ``ModelError/invalidInput(name:reason:)``.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil
    ) throws -> BertModelOutput {
        try backbone(
            inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds, training: isTraining,
            rng: &rng)
    }

    /// Sentence embeddings `[B, C]`: the last hidden states averaged over the unmasked tokens, then
    /// scaled to unit length (sentence-transformers' `Pooling(mean)` + `Normalize`).
    public func sentenceEmbeddings(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil
    ) throws -> Tensor {
        let out = try self(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
        let mask = try attentionMask ?? IndexTensor([Int32](repeating: 1, count: inputIds.count), shape: inputIds.shape)
        return try SentencePooling.l2Normalized(SentencePooling.meanPooled(out.lastHiddenState, mask: mask))
    }
}
