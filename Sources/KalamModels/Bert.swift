import Foundation
import KalamCore
import KalamNN

// BERT as transformers' `modeling_bert.py` builds it, class by class: BertEmbeddings, BertSelfAttention,
// BertSelfOutput, BertAttention, BertIntermediate, BertOutput, BertLayer, BertEncoder, BertPooler,
// BertModel; the task heads are in Bert+Heads.swift. Each is a KalamNN `Module` whose keys are the
// checkpoint's (`bert.encoder.layer.0.attention.self.query.weight`).

/// `BertEmbeddings`: word + learned position + token type embeddings, then layer norm and dropout.
public final class BertEmbeddings: Module {
    /// `[V, C]`.
    @Child(key: "word_embeddings") public var wordEmbeddings: Embedding
    /// `[P, C]`.
    @Child(key: "position_embeddings") public var positionEmbeddings: Embedding
    /// `[types, C]`.
    @Child(key: "token_type_embeddings") public var tokenTypeEmbeddings: Embedding
    @Child(key: "LayerNorm") var layerNorm: LayerNorm
    @Child(key: "dropout") var dropout: Dropout
    let paddingIndex: Int32?

    init(config c: BertConfig, source: RandomSource, rng: inout KalamRandom) {
        let std = Float(c.initializerRange)
        paddingIndex = c.padTokenId.map(Int32.init)
        super.init()
        let words = Embedding(c.vocabSize, c.hiddenSize, initializer: .normal(std: std), rng: &rng)
        if let pad = c.padTokenId, pad >= 0, pad < c.vocabSize {  // transformers zeroes the padding row
            (words.weight.data + pad * c.hiddenSize).update(repeating: 0, count: c.hiddenSize)
        }
        _wordEmbeddings.wrappedValue = words
        _positionEmbeddings.wrappedValue = Embedding(
            c.maxPositionEmbeddings, c.hiddenSize, initializer: .normal(std: std), rng: &rng)
        _tokenTypeEmbeddings.wrappedValue = Embedding(
            c.typeVocabSize, c.hiddenSize, initializer: .normal(std: std), rng: &rng)
        _layerNorm.wrappedValue = LayerNorm(c.hiddenSize, eps: Float(c.layerNormEps))
        _dropout.wrappedValue = Dropout(Float(c.hiddenDropoutProb), source: source)
    }

    /// ids, token types `[B, T]` → `[B, T, C]`.
    func callAsFunction(_ ids: IndexTensor, tokenTypes: IndexTensor) throws -> Tensor {
        let positions = try positionEmbeddings(Heads.positions(ids.shape[1]))  // [T, C]
        let sum = try words(ids) + tokenTypeEmbeddings(tokenTypes) + positions  // [B, T, C]
        return try dropout(layerNorm(sum))
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

/// `BertSelfAttention`: `query`, `key`, `value` projections and scaled dot-product attention.
public final class BertSelfAttention: Module {
    /// `[C, C]` each.
    @Child(key: "query") public var query: Linear
    @Child(key: "key") public var key: Linear
    @Child(key: "value") public var value: Linear
    let heads: Int
    let dropout: Float
    let source: RandomSource

    init(config c: BertConfig, source: RandomSource, rng: inout KalamRandom) {
        heads = c.numAttentionHeads
        dropout = Float(c.attentionProbsDropoutProb)
        self.source = source
        super.init()
        let h = c.hiddenSize, std = Float(c.initializerRange)
        _query.wrappedValue = Linear(h, h, initializer: .normal(std: std), rng: &rng)
        _key.wrappedValue = Linear(h, h, initializer: .normal(std: std), rng: &rng)
        _value.wrappedValue = Linear(h, h, initializer: .normal(std: std), rng: &rng)
    }

    /// `[B, T, C]`, key mask `[B, T]` → the attended context `[B, T, C]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?) throws -> Tensor {
        let options = AttentionOptions(keyMask: keyMask, dropout: isTraining ? dropout : 0)
        return try multiHeadAttention(
            queries: try query(x), keysAndValues: { (try self.key(x), try self.value(x)) }, heads: heads,
            options: options, source: source)
    }
}

/// `BertSelfOutput` and `BertOutput`: `LayerNorm(dropout(dense(x)) + residual)`.
public final class BertResidualOutput: Module {
    /// The projection.
    @Child(key: "dense") public var dense: Linear
    @Child(key: "LayerNorm") var layerNorm: LayerNorm
    @Child(key: "dropout") var dropout: Dropout

    init(_ inFeatures: Int, config c: BertConfig, source: RandomSource, rng: inout KalamRandom) {
        super.init()
        _dense.wrappedValue = Linear(
            inFeatures, c.hiddenSize, initializer: .normal(std: Float(c.initializerRange)), rng: &rng)
        _layerNorm.wrappedValue = LayerNorm(c.hiddenSize, eps: Float(c.layerNormEps))
        _dropout.wrappedValue = Dropout(Float(c.hiddenDropoutProb), source: source)
    }

    /// `[B, T, in]`, residual `[B, T, C]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor, residual: Tensor) throws -> Tensor {
        try layerNorm(dropout(dense(x)) + residual)
    }
}

/// `BertAttention`: `self` (attention) and `output` (projection, residual, norm).
public final class BertAttention: Module {
    /// The attention.
    @Child(key: "self") public var selfAttention: BertSelfAttention
    /// Projection, residual and norm.
    @Child(key: "output") public var output: BertResidualOutput

    init(config c: BertConfig, source: RandomSource, rng: inout KalamRandom) {
        super.init()
        _selfAttention.wrappedValue = BertSelfAttention(config: c, source: source, rng: &rng)
        _output.wrappedValue = BertResidualOutput(c.hiddenSize, config: c, source: source, rng: &rng)
    }

    /// `[B, T, C]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?) throws -> Tensor {
        try output(selfAttention(x, keyMask: keyMask), residual: x)
    }
}

/// `BertIntermediate`: `act(dense(x))`.
public final class BertIntermediate: Module {
    /// `[I, C]`.
    @Child(key: "dense") public var dense: Linear
    let activation: Activation

    init(config c: BertConfig, rng: inout KalamRandom) {
        activation = c.hiddenAct
        super.init()
        _dense.wrappedValue = Linear(
            c.hiddenSize, c.intermediateSize, initializer: .normal(std: Float(c.initializerRange)), rng: &rng)
    }

    /// `[B, T, C]` → `[B, T, I]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor { activation.apply(try dense(x)) }
}

/// `BertLayer`: attention, then the feed-forward block (post-norm residuals).
public final class BertLayer: Module {
    /// The attention block.
    @Child(key: "attention") public var attention: BertAttention
    /// The first feed-forward projection.
    @Child(key: "intermediate") public var intermediate: BertIntermediate
    /// The second feed-forward projection, residual and norm.
    @Child(key: "output") public var output: BertResidualOutput

    init(config c: BertConfig, source: RandomSource, rng: inout KalamRandom) {
        super.init()
        _attention.wrappedValue = BertAttention(config: c, source: source, rng: &rng)
        _intermediate.wrappedValue = BertIntermediate(config: c, rng: &rng)
        _output.wrappedValue = BertResidualOutput(c.intermediateSize, config: c, source: source, rng: &rng)
    }

    /// `[B, T, C]`, key mask `[B, T]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?) throws -> Tensor {
        let attended = try attention(x, keyMask: keyMask)
        return try output(intermediate(attended), residual: attended)
    }
}

/// `BertEncoder`: the layers.
public final class BertEncoder: Module {
    /// The layers.
    @Child(key: "layer") public var layer: [BertLayer]

    init(config c: BertConfig, source: RandomSource, rng: inout KalamRandom) {
        super.init()
        _layer.wrappedValue = (0..<c.numHiddenLayers).map { _ in BertLayer(config: c, source: source, rng: &rng) }
    }

    /// `[B, T, C]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?) throws -> Tensor {
        try layer.reduce(x) { try $1($0, keyMask: keyMask) }
    }
}

/// `BertPooler`: `tanh(dense(h[:, 0]))`.
public final class BertPooler: Module {
    /// `[C, C]`.
    @Child(key: "dense") public var dense: Linear

    init(config c: BertConfig, rng: inout KalamRandom) {
        super.init()
        _dense.wrappedValue = Linear(
            c.hiddenSize, c.hiddenSize, initializer: .normal(std: Float(c.initializerRange)), rng: &rng)
    }

    /// `[B, T, C]` → `[B, C]`.
    func callAsFunction(_ hidden: Tensor) throws -> Tensor {
        // [B, 1, C] -> [B, C]
        let first = try hidden.slice(axis: 1, 0..<1).reshaped([hidden.shape[0], hidden.shape[2]])
        return try dense(first).tanh()
    }
}

/// `BertModel`: the BERT encoder with its pooler; keys without a prefix (`embeddings.word_embeddings.weight`),
/// as in all-MiniLM-L6-v2's checkpoint. The task heads hold one under `bert.` (without the pooler
/// where transformers leaves it out). ``sentenceEmbeddings(inputIds:attentionMask:tokenTypeIds:)``
/// gives sentence-transformers' mean-pooled, L2-normalised embeddings.
public final class BertModel: Module, PretrainedModel {
    /// `"BertModel"`.
    public static let architecture = "BertModel"
    /// `"bert."`: the key prefix of the head classes; their checkpoints load too.
    public static let basePrefix = "bert."

    /// The configuration.
    public let config: BertConfig
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// No head.
    public var headKeys: Set<String> { [] }

    /// The embeddings.
    @Child(key: "embeddings") public var embeddings: BertEmbeddings
    /// The layers.
    @Child(key: "encoder") public var encoder: BertEncoder
    /// The pooler (absent in the masked-LM and token-classification heads).
    @Child(key: "pooler") public var pooler: BertPooler?

    /// A model initialised as transformers does (`N(0, initializer_range²)`, zero biases, the padding
    /// row of the word embeddings zero), drawn from `seed`, with the pooler, in evaluation mode.
    public convenience init(config: BertConfig, seed: UInt64) throws {
        try config.validate()
        var rng = KalamRandom(seed: seed)
        self.init(config: config, pooler: true, source: RandomSource(seed: 0), rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
    }

    /// The encoder inside a head model, drawing from the head's generators.
    init(config: BertConfig, pooler withPooler: Bool, source: RandomSource, rng: inout KalamRandom) {
        self.config = config
        randomSource = source
        super.init()
        _embeddings.wrappedValue = BertEmbeddings(config: config, source: source, rng: &rng)
        _encoder.wrappedValue = BertEncoder(config: config, source: source, rng: &rng)
        _pooler.wrappedValue = withPooler ? BertPooler(config: config, rng: &rng) : nil
    }

    /// The encoder output for `inputIds` `[B, T]` with optional padding mask and token types `[B, T]`.
    /// - Throws: ``ModelError/sequenceTooLong(length:maximum:)``, ``ModelError/tokenOutOfRange(id:vocabSize:row:position:)``,
    ///   ``ModelError/invalidInput(name:reason:)``.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil
    ) throws -> BertModelOutput {
        let (b, t) = try ModelInput.checkIDs(
            inputIds, vocabSize: config.vocabSize, maxLength: config.maxPositionEmbeddings)
        let mask = try ModelInput.mask(attentionMask, batch: b, length: t)
        let types = try tokenTypeIds ?? IndexTensor([Int32](repeating: 0, count: b * t), shape: [b, t])
        guard types.shape == [b, t] else {
            throw ModelError.invalidInput(name: "token_type_ids", reason: "shape \(types.shape), expected \([b, t])")
        }
        _ = try ModelInput.checkIDs(types, name: "token_type_ids", vocabSize: config.typeVocabSize, maxLength: nil)
        let x = try encoder(embeddings(inputIds, tokenTypes: types), keyMask: mask)  // [B, T, C]
        return BertModelOutput(lastHiddenState: x, poolerOutput: try pooler.map { try $0(x) })
    }

    /// Sentence embeddings `[B, C]`: the last hidden states averaged over the unmasked tokens, then
    /// scaled to unit length (sentence-transformers' `Pooling(mean)` + `Normalize`).
    public func sentenceEmbeddings(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, tokenTypeIds: IndexTensor? = nil
    ) throws -> Tensor {
        let out = try self(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
        let mask =
            try attentionMask ?? IndexTensor([Int32](repeating: 1, count: inputIds.count), shape: inputIds.shape)
        return try SentencePooling.l2Normalized(SentencePooling.meanPooled(out.lastHiddenState, mask: mask))
    }
}
