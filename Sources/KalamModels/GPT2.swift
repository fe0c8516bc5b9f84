import Foundation
import KalamCore

// GPT-2 as transformers' `modeling_gpt2.py` builds it, class by class: GPT2Attention, GPT2MLP,
// GPT2Block, GPT2Model, GPT2LMHeadModel. Parameters carry the checkpoint keys verbatim
// (`transformer.h.0.attn.c_attn.weight`). The `[in, out]` Conv1D weights are handled by `GPT2Conv1D`
// (ModelLayers.swift), the one place that knows about that layout.

/// `GPT2Attention`: causal multi-head self-attention with a fused `c_attn` projection.
struct GPT2Attention {
    let cAttn: GPT2Conv1D  // [C, 3C]
    let cProj: GPT2Conv1D  // [C, C]
    let heads: Int
    let attnDropout: Float
    let residDropout: DropoutLayer

    init(_ r: ParameterRegistry, _ prefix: String, config c: GPT2Config) {
        let std = Float(c.initializerRange)
        cAttn = GPT2Conv1D(r, prefix + ".c_attn", in: c.nEmbd, out: 3 * c.nEmbd, std: std)
        // transformers scales the residual projections by 1/sqrt(2 * n_layer) at initialisation.
        cProj = GPT2Conv1D(
            r, prefix + ".c_proj", in: c.nEmbd, out: c.nEmbd, std: std / (2 * Float(c.nLayer)).squareRoot())
        heads = c.nHead
        attnDropout = Float(c.attnPdrop)
        residDropout = DropoutLayer(c.residPdrop)
    }

    /// `x` `[B, T, C]`, `keyMask` `[B, T]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?, training: Bool, rng: inout KalamRandom) throws -> Tensor {
        let c = x.shape[2]
        let qkv = try cAttn(x).split([c, c, c], axis: -1)  // 3 x [B, T, C]
        let q = try splitHeads(qkv[0], heads: heads)  // [B, H, T, D]
        let k = try splitHeads(qkv[1], heads: heads)
        let v = try splitHeads(qkv[2], heads: heads)
        let options = AttentionOptions(causal: true, keyMask: keyMask, dropout: training ? attnDropout : 0)
        let y = try scaledDotProductAttention(q, k, v, options: options, rng: &rng)  // [B, H, T, D]
        return try residDropout(cProj(mergeHeads(y)), training: training, rng: &rng)  // [B, T, C]
    }
}

/// `GPT2MLP`: `c_proj(act(c_fc(x)))`.
struct GPT2MLP {
    let cFc: GPT2Conv1D  // [C, inner]
    let cProj: GPT2Conv1D  // [inner, C]
    let activation: Activation
    let dropout: DropoutLayer

    init(_ r: ParameterRegistry, _ prefix: String, config c: GPT2Config) {
        let std = Float(c.initializerRange)
        cFc = GPT2Conv1D(r, prefix + ".c_fc", in: c.nEmbd, out: c.innerSize, std: std)
        cProj = GPT2Conv1D(
            r, prefix + ".c_proj", in: c.innerSize, out: c.nEmbd, std: std / (2 * Float(c.nLayer)).squareRoot())
        activation = c.activationFunction
        dropout = DropoutLayer(c.residPdrop)
    }

    /// `[B, T, C]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor, training: Bool, rng: inout KalamRandom) throws -> Tensor {
        try dropout(cProj(activation.apply(cFc(x))), training: training, rng: &rng)
    }
}

/// `GPT2Block`: pre-norm attention and MLP, each added to the residual stream.
struct GPT2Block {
    let ln1: LayerNormLayer
    let attn: GPT2Attention
    let ln2: LayerNormLayer
    let mlp: GPT2MLP

    init(_ r: ParameterRegistry, _ prefix: String, config c: GPT2Config) {
        ln1 = LayerNormLayer(r, prefix + ".ln_1", dim: c.nEmbd, eps: c.layerNormEpsilon)
        attn = GPT2Attention(r, prefix + ".attn", config: c)
        ln2 = LayerNormLayer(r, prefix + ".ln_2", dim: c.nEmbd, eps: c.layerNormEpsilon)
        mlp = GPT2MLP(r, prefix + ".mlp", config: c)
    }

    /// `[B, T, C]` → `[B, T, C]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?, training: Bool, rng: inout KalamRandom) throws -> Tensor {
        let h = try x + attn(ln1(x), keyMask: keyMask, training: training, rng: &rng)
        return try h + mlp(ln2(h), training: training, rng: &rng)
    }
}

/// `GPT2Model`: token and learned position embeddings, the blocks, a final layer norm.
struct GPT2Model {
    let wte: EmbeddingTable  // [V, C]
    let wpe: EmbeddingTable  // [P, C]
    let dropout: DropoutLayer
    let h: [GPT2Block]
    let lnF: LayerNormLayer

    init(_ r: ParameterRegistry, _ prefix: String, config c: GPT2Config) {
        let std = Float(c.initializerRange)
        wte = EmbeddingTable(r, prefix + ".wte.weight", count: c.vocabSize, dim: c.nEmbd, std: std)
        wpe = EmbeddingTable(r, prefix + ".wpe.weight", count: c.nPositions, dim: c.nEmbd, std: std)
        dropout = DropoutLayer(c.embdPdrop)
        h = (0..<c.nLayer).map { GPT2Block(r, "\(prefix).h.\($0)", config: c) }
        lnF = LayerNormLayer(r, prefix + ".ln_f", dim: c.nEmbd, eps: c.layerNormEpsilon)
    }

    /// ids `[B, T]` (already checked), `keyMask` `[B, T]` → hidden states `[B, T, C]`.
    func callAsFunction(_ ids: IndexTensor, keyMask: Tensor?, training: Bool, rng: inout KalamRandom) throws -> Tensor {
        let positions = try wpe(Heads.positions(ids.shape[1]))  // [T, C]
        var x = try dropout(wte(ids) + positions, training: training, rng: &rng)  // [B, T, C]
        for block in h { x = try block(x, keyMask: keyMask, training: training, rng: &rng) }
        return try lnF(x)
    }
}

/// `GPT2LMHeadModel`: GPT-2 with its language-model head (tied to `transformer.wte.weight` unless
/// `tie_word_embeddings` is false), trained with next-token cross-entropy.
public final class GPT2LMHeadModel: PretrainedModel {
    /// `"GPT2LMHeadModel"`.
    public static let architecture = "GPT2LMHeadModel"
    /// `"transformer."`: a `GPT2Model` checkpoint (keys `wte.weight`, `h.0...`) loads too.
    public static let basePrefix = "transformer."

    /// The configuration.
    public let config: GPT2Config
    /// The parameters under their checkpoint keys.
    public let namedParameters: [(key: String, tensor: Tensor)]
    /// Whether dropout is active (default false: evaluation).
    public var isTraining = false
    /// The generator dropout draws from; seeded by `init(config:seed:)`.
    public var rng: KalamRandom

    let transformer: GPT2Model
    let lmHead: Tensor  // [V, C]: wte's table when tied

    /// `lm_head.weight` → `transformer.wte.weight` when tied.
    public var tiedAliases: [String: String] {
        config.tieWordEmbeddings ? ["lm_head.weight": "transformer.wte.weight"] : [:]
    }

    /// `lm_head.weight` when the head is untied.
    public var headKeys: Set<String> { config.tieWordEmbeddings ? [] : ["lm_head.weight"] }

    /// A model initialised as transformers does (`N(0, initializer_range²)`, residual projections scaled
    /// by `1/√(2·n_layer)`, layer norms 1 and 0), drawn from `seed`.
    public init(config: GPT2Config, seed: UInt64) throws {
        try config.validate()
        self.config = config
        let registry = ParameterRegistry(rng: KalamRandom(seed: seed))
        transformer = GPT2Model(registry, "transformer", config: config)
        lmHead =
            config.tieWordEmbeddings
            ? transformer.wte.weight
            : registry.normal("lm_head.weight", [config.vocabSize, config.nEmbd], std: Float(config.initializerRange))
        namedParameters = registry.entries
        rng = registry.rng.fork(stream: 1)
    }

    /// The final hidden states `[B, T, C]` for `inputIds` `[B, T]`.
    public func hiddenStates(inputIds: IndexTensor, attentionMask: IndexTensor? = nil) throws -> Tensor {
        let (b, t) = try ModelInput.checkIDs(inputIds, vocabSize: config.vocabSize, maxLength: config.nPositions)
        let mask = try ModelInput.mask(attentionMask, batch: b, length: t)
        return try transformer(inputIds, keyMask: mask, training: isTraining, rng: &rng)
    }

    /// Logits `[B, T, V]` for `inputIds` `[B, T]`; with `labels` `[B, T]` also the next-token loss:
    /// position `t` predicts `labels[t + 1]`, and labels of `-100` are ignored (transformers' rule).
    /// - Throws: ``ModelError/sequenceTooLong(length:maximum:)`` beyond `n_positions`,
    ///   ``ModelError/tokenOutOfRange(id:vocabSize:row:position:)``, ``ModelError/invalidInput(name:reason:)``.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        let hidden = try hiddenStates(inputIds: inputIds, attentionMask: attentionMask)  // [B, T, C]
        let logits = try linear(hidden, weight: lmHead)  // [B, T, V]
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        try ModelInput.checkLabels(labels, shape: inputIds.shape, classes: config.vocabSize)
        let loss = try crossEntropy(logits: logits, targets: Heads.shiftedLeft(labels))
        return ModelOutput(logits: logits, loss: loss)
    }
}
