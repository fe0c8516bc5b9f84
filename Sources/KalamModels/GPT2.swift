import Foundation
import KalamCore
import KalamNN

// GPT-2 as transformers' `modeling_gpt2.py` builds it, class by class: GPT2Attention, GPT2MLP,
// GPT2Block, GPT2Model, GPT2LMHeadModel. Each is a KalamNN `Module` whose keys are the checkpoint's
// (`transformer.h.0.attn.c_attn.weight`); `c_attn`, `c_proj` and `c_fc` are KalamNN `Conv1D` layers
// (`[in, out]` weights). One forward serves training, evaluation and cached decoding.

/// `GPT2Attention`: causal multi-head self-attention with a fused `c_attn` projection.
public final class GPT2Attention: Module {
    /// `[C, 3C]`.
    @Child(key: "c_attn") public var cAttn: Conv1D
    /// `[C, C]`.
    @Child(key: "c_proj") public var cProj: Conv1D
    @Child(key: "resid_dropout") var residDropout: Dropout
    let heads: Int
    let attnDropout: Float
    let source: RandomSource

    init(config c: GPT2Config, source: RandomSource, rng: inout KalamRandom) {
        let std = Float(c.initializerRange)
        heads = c.nHead
        attnDropout = Float(c.attnPdrop)
        self.source = source
        super.init()
        _cAttn.wrappedValue = Conv1D(c.nEmbd, 3 * c.nEmbd, initializer: .normal(std: std), rng: &rng)
        // transformers scales the residual projections by 1/sqrt(2 * n_layer) at initialisation.
        _cProj.wrappedValue = Conv1D(
            c.nEmbd, c.nEmbd, initializer: .scaledResidual(std: std, layers: c.nLayer), rng: &rng)
        _residDropout.wrappedValue = Dropout(Float(c.residPdrop), source: source)
    }

    /// `x` `[B, T, C]`, `keyMask` `[B, Tpast + T]` → `[B, T, C]`; `cache` holds the past keys and values.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?, cache: AttentionCache?) throws -> Tensor {
        let c = x.shape[2]
        let qkv = try cAttn(x).split([c, c, c], axis: -1)  // 3 x [B, T, C]
        let options = AttentionOptions(causal: true, keyMask: keyMask, dropout: isTraining ? attnDropout : 0)
        let y = try multiHeadAttention(
            queries: qkv[0], keysAndValues: { (qkv[1], qkv[2]) }, heads: heads, options: options, cache: cache,
            source: source)  // [B, T, C]
        return try residDropout(cProj(y))
    }
}

/// `GPT2MLP`: `c_proj(act(c_fc(x)))`.
public final class GPT2MLP: Module {
    /// `[C, inner]`.
    @Child(key: "c_fc") public var cFc: Conv1D
    /// `[inner, C]`.
    @Child(key: "c_proj") public var cProj: Conv1D
    @Child(key: "dropout") var dropout: Dropout
    let activation: Activation

    init(config c: GPT2Config, source: RandomSource, rng: inout KalamRandom) {
        let std = Float(c.initializerRange)
        activation = c.activationFunction
        super.init()
        _cFc.wrappedValue = Conv1D(c.nEmbd, c.innerSize, initializer: .normal(std: std), rng: &rng)
        _cProj.wrappedValue = Conv1D(
            c.innerSize, c.nEmbd, initializer: .scaledResidual(std: std, layers: c.nLayer), rng: &rng)
        _dropout.wrappedValue = Dropout(Float(c.residPdrop), source: source)
    }

    /// `[B, T, C]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor { try dropout(cProj(activation.apply(cFc(x)))) }
}

/// `GPT2Block`: pre-norm attention and MLP, each added to the residual stream.
public final class GPT2Block: Module {
    @Child(key: "ln_1") var ln1: LayerNorm
    /// The attention layer.
    @Child(key: "attn") public var attn: GPT2Attention
    @Child(key: "ln_2") var ln2: LayerNorm
    /// The feed-forward layer.
    @Child(key: "mlp") public var mlp: GPT2MLP

    init(config c: GPT2Config, source: RandomSource, rng: inout KalamRandom) {
        super.init()
        let eps = Float(c.layerNormEpsilon)
        _ln1.wrappedValue = LayerNorm(c.nEmbd, eps: eps)
        _attn.wrappedValue = GPT2Attention(config: c, source: source, rng: &rng)
        _ln2.wrappedValue = LayerNorm(c.nEmbd, eps: eps)
        _mlp.wrappedValue = GPT2MLP(config: c, source: source, rng: &rng)
    }

    /// `[B, T, C]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?, cache: AttentionCache?) throws -> Tensor {
        let h = try x + attn(ln1(x), keyMask: keyMask, cache: cache)
        return try h + mlp(ln2(h))
    }
}

/// `GPT2Model`: token and learned position embeddings, the blocks, a final layer norm.
public final class GPT2Model: Module {
    /// `[V, C]`.
    @Child(key: "wte") public var wte: Embedding
    /// `[P, C]`.
    @Child(key: "wpe") public var wpe: Embedding
    @Child(key: "drop") var drop: Dropout
    /// The blocks.
    @Child(key: "h") public var h: [GPT2Block]
    @Child(key: "ln_f") var lnF: LayerNorm

    /// The vocabulary size and the position count, for checking inputs.
    let vocabSize: Int
    let positionCount: Int

    init(config c: GPT2Config, source: RandomSource, rng: inout KalamRandom) {
        let std = Float(c.initializerRange)
        (vocabSize, positionCount) = (c.vocabSize, c.nPositions)
        super.init()
        _wte.wrappedValue = Embedding(c.vocabSize, c.nEmbd, initializer: .normal(std: std), rng: &rng)
        _wpe.wrappedValue = Embedding(c.nPositions, c.nEmbd, initializer: .normal(std: std), rng: &rng)
        _drop.wrappedValue = Dropout(Float(c.embdPdrop), source: source)
        _h.wrappedValue = (0..<c.nLayer).map { _ in GPT2Block(config: c, source: source, rng: &rng) }
        _lnF.wrappedValue = LayerNorm(c.nEmbd, eps: Float(c.layerNormEpsilon))
    }

    /// The final hidden states `[B, T, C]` for `inputIds` `[B, T]`, the inputs checked: every head
    /// (language model, classification) and generation read GPT-2 through this one forward.
    ///
    /// - Parameters:
    ///   - attentionMask: `[B, Tpast + T]`, 1 for real tokens.
    ///   - positionIds: `[B, T]`; by default `Tpast..<Tpast + T` for every row.
    ///   - cache: the keys and values of the `Tpast` positions before these (decoding); it is extended.
    public func hiddenStates(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, positionIds: IndexTensor? = nil,
        cache: KVCache? = nil
    ) throws -> Tensor {
        let past = cache?.length ?? 0
        let (b, t) = try ModelInput.checkIDs(inputIds, vocabSize: vocabSize, maxLength: positionCount - past)
        let mask = try ModelInput.mask(attentionMask, batch: b, length: past + t)
        let positions: IndexTensor
        if let positionIds {
            try ModelInput.checkPositions(positionIds, shape: [b, t], count: positionCount)
            positions = positionIds
        } else {
            positions = IndexTensor((past..<(past + t)).map { Int32($0) })  // [T]
        }
        return try self(inputIds, positions: positions, keyMask: mask, cache: cache)
    }

    /// ids `[B, T]` and positions (`[T]` or `[B, T]`, already checked), `keyMask` `[B, Tpast + T]` →
    /// hidden states `[B, T, C]`.
    func callAsFunction(_ ids: IndexTensor, positions: IndexTensor, keyMask: Tensor?, cache: KVCache?) throws -> Tensor
    {
        var x = try drop(wte(ids) + wpe(positions))  // [B, T, C]
        for (i, block) in h.enumerated() {
            x = try block(x, keyMask: keyMask, cache: cache.map { AttentionCache($0, layer: i) })
        }
        return try lnF(x)
    }
}

/// `GPT2LMHeadModel`: GPT-2 with its language-model head (tied to `transformer.wte.weight` unless
/// `tie_word_embeddings` is false), trained with next-token cross-entropy.
public final class GPT2LMHeadModel: Module, PretrainedModel {
    /// `"GPT2LMHeadModel"`.
    public static let architecture = "GPT2LMHeadModel"
    /// `"transformer."`: a `GPT2Model` checkpoint (keys `wte.weight`, `h.0...`) loads too.
    public static let basePrefix = "transformer."

    /// The configuration.
    public let config: GPT2Config
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// The decoder stack.
    @Child(key: "transformer") public var transformer: GPT2Model
    /// `[V, C]` when the head is not tied to the token embeddings.
    @Child(key: "lm_head") public var lmHead: Linear?

    /// `lm_head.weight` → `transformer.wte.weight` when tied.
    public override var tiedKeyAliases: [String: String] {
        config.tieWordEmbeddings ? ["lm_head.weight": "transformer.wte.weight"] : [:]
    }

    /// `lm_head.weight` when the head is untied.
    public var headKeys: Set<String> { config.tieWordEmbeddings ? [] : ["lm_head.weight"] }

    /// A model initialised as transformers does (`N(0, initializer_range²)`, residual projections scaled
    /// by `1/√(2·n_layer)`, layer norms 1 and 0), drawn from `seed`, in evaluation mode.
    public init(config: GPT2Config, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        _transformer.wrappedValue = GPT2Model(config: config, source: randomSource, rng: &rng)
        _lmHead.wrappedValue =
            config.tieWordEmbeddings
            ? nil
            : Linear(
                config.nEmbd, config.vocabSize, bias: false, initializer: .normal(std: Float(config.initializerRange)),
                rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
    }

    /// The final hidden states `[B, T, C]` for `inputIds` `[B, T]`.
    ///
    /// - Parameters:
    ///   - attentionMask: `[B, Tpast + T]`, 1 for real tokens (left padding is 0).
    ///   - positionIds: `[B, T]`; by default `Tpast..<Tpast + T` for every row.
    ///   - cache: the keys and values of the `Tpast` positions before these (decoding); it is extended.
    public func hiddenStates(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, positionIds: IndexTensor? = nil,
        cache: KVCache? = nil
    ) throws -> Tensor {
        try transformer.hiddenStates(
            inputIds: inputIds, attentionMask: attentionMask, positionIds: positionIds, cache: cache)
    }

    /// Next-token logits `[..., V]` of hidden states `[..., C]`.
    public func logits(hiddenStates hidden: Tensor) throws -> Tensor {
        try linear(hidden, weight: lmHead?.weight ?? transformer.wte.weight)
    }

    /// Logits `[B, T, V]` for `inputIds` `[B, T]`; with `labels` `[B, T]` also the next-token loss:
    /// position `t` predicts `labels[t + 1]`, and labels of `-100` are ignored (transformers' rule).
    /// - Throws: ``ModelError/sequenceTooLong(length:maximum:)`` beyond `n_positions`,
    ///   ``ModelError/tokenOutOfRange(id:vocabSize:row:position:)``, ``ModelError/invalidInput(name:reason:)``.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let hidden = try hiddenStates(inputIds: inputIds, attentionMask: attentionMask)  // [B, T, C]
        let logits = try logits(hiddenStates: hidden)  // [B, T, V]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: inputIds.shape, classes: config.vocabSize)
        let loss = try crossEntropy(logits: logits, targets: Heads.shiftedLeft(labels))
        return ModelOutput(logits: logits, loss: loss)
    }
}
