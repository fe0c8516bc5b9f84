import Foundation
import KalamCore

// T5 as transformers' `modeling_t5.py` builds it, class by class: T5LayerNorm, T5DenseActDense,
// T5DenseGatedActDense, T5LayerFF, T5Attention, T5LayerSelfAttention, T5LayerCrossAttention, T5Block,
// T5Stack, T5ForConditionalGeneration. Parameters carry the checkpoint keys verbatim
// (`encoder.block.0.layer.0.SelfAttention.q.weight`). No layer has a bias.

/// `T5LayerNorm`: RMS normalisation with a weight and no mean subtraction or bias.
struct T5LayerNorm {
    let weight: Tensor
    let eps: Float

    init(_ r: ParameterRegistry, _ key: String, dim: Int, eps: Double, factor: Float) {
        weight = r.constant(key, [dim], factor)
        self.eps = Float(eps)
    }

    /// `[..., C]` → `[..., C]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor { try x.rmsNorm(weight: weight, eps: eps) }
}

/// `T5DenseActDense` (`wi`, `wo`) or `T5DenseGatedActDense` (`wi_0`, `wi_1`, `wo`), per `feed_forward_proj`.
struct T5FeedForward {
    let wi: DenseLayer?, wi0: DenseLayer?, wi1: DenseLayer?
    let wo: DenseLayer
    let activation: Activation
    let dropout: DropoutLayer

    init(_ r: ParameterRegistry, _ prefix: String, config c: T5Config) {
        let factor = Float(c.initializerFactor)
        let inStd = factor / Float(c.dModel).squareRoot(), outStd = factor / Float(c.dFf).squareRoot()
        if c.feedForwardProj.isGated {
            wi = nil
            wi0 = DenseLayer(r, prefix + ".wi_0", in: c.dModel, out: c.dFf, std: inStd, bias: false)
            wi1 = DenseLayer(r, prefix + ".wi_1", in: c.dModel, out: c.dFf, std: inStd, bias: false)
        } else {
            wi = DenseLayer(r, prefix + ".wi", in: c.dModel, out: c.dFf, std: inStd, bias: false)
            wi0 = nil
            wi1 = nil
        }
        wo = DenseLayer(r, prefix + ".wo", in: c.dFf, out: c.dModel, std: outStd, bias: false)
        activation = c.feedForwardProj.activation
        dropout = DropoutLayer(c.dropoutRate)
    }

    /// `[B, T, d_model]` → `[B, T, d_model]`.
    func callAsFunction(_ x: Tensor, training: Bool, rng: inout KalamRandom) throws -> Tensor {
        let h: Tensor  // [B, T, d_ff]
        if let wi0, let wi1 {
            h = try activation.apply(wi0(x)) * wi1(x)
        } else {
            h = try activation.apply(wi!(x))
        }
        return try wo(dropout(h, training: training, rng: &rng))
    }
}

/// `T5Attention`: multi-head attention without scaling (T5 folds it into the initialisation), with the
/// relative position bias table in the first block of each stack.
struct T5Attention {
    let q: DenseLayer, k: DenseLayer, v: DenseLayer, o: DenseLayer
    let relativeAttentionBias: EmbeddingTable?  // [buckets, heads]
    let heads: Int
    let numBuckets: Int, maxDistance: Int
    let dropout: Float

    init(_ r: ParameterRegistry, _ prefix: String, config c: T5Config, hasRelativeBias: Bool) {
        let factor = Float(c.initializerFactor), d = Float(c.dModel)
        q = DenseLayer(
            r, prefix + ".q", in: c.dModel, out: c.innerDim, std: factor / (d * Float(c.dKv)).squareRoot(), bias: false)
        k = DenseLayer(r, prefix + ".k", in: c.dModel, out: c.innerDim, std: factor / d.squareRoot(), bias: false)
        v = DenseLayer(r, prefix + ".v", in: c.dModel, out: c.innerDim, std: factor / d.squareRoot(), bias: false)
        o = DenseLayer(
            r, prefix + ".o", in: c.innerDim, out: c.dModel, std: factor / Float(c.innerDim).squareRoot(), bias: false)
        relativeAttentionBias =
            hasRelativeBias
            ? EmbeddingTable(
                r, prefix + ".relative_attention_bias.weight", count: c.relativeAttentionNumBuckets,
                dim: c.numHeads, std: factor / d.squareRoot())
            : nil
        heads = c.numHeads
        numBuckets = c.relativeAttentionNumBuckets
        maxDistance = c.relativeAttentionMaxDistance
        dropout = Float(c.dropoutRate)
    }

    /// The bucket of `relativePosition = key − query`, exactly as transformers'
    /// `T5Attention._relative_position_bucket` computes it (in float32, truncated).
    static func relativePositionBucket(
        _ relativePosition: Int, bidirectional: Bool, numBuckets: Int, maxDistance: Int
    ) -> Int {
        var buckets = numBuckets, result = 0, n = relativePosition
        if bidirectional {
            buckets /= 2
            if n > 0 { result += buckets }
            n = abs(n)
        } else {
            n = -min(n, 0)
        }
        let maxExact = buckets / 2
        if n < maxExact { return result + n }
        let ratio = Float(Foundation.log(Double(maxDistance) / Double(maxExact)))
        let scaled = Foundation.logf(Float(n) / Float(maxExact)) / ratio * Float(buckets - maxExact)
        return result + min(maxExact + Int(scaled), buckets - 1)
    }

    /// The position bias `[1, H, Tq, Tk]` from the bucket table (it receives a gradient).
    func positionBias(queries tq: Int, keys tk: Int, bidirectional: Bool) throws -> Tensor {
        guard let table = relativeAttentionBias else {
            throw ModelError.invalidInput(
                name: "position_bias", reason: "this attention layer has no relative bias table")
        }
        var ids = [Int32](repeating: 0, count: tq * tk)
        for i in 0..<tq {
            for j in 0..<tk {
                ids[i * tk + j] = Int32(
                    Self.relativePositionBucket(
                        j - i, bidirectional: bidirectional,
                        numBuckets: numBuckets, maxDistance: maxDistance))
            }
        }
        let values = try table(IndexTensor(ids, shape: [tq, tk]))  // [Tq, Tk, H]
        return try values.permuted([2, 0, 1]).reshaped([1, heads, tq, tk])  // [1, H, Tq, Tk]
    }

    /// Queries from `x` `[B, Tq, d]`, keys and values from `source` `[B, Tk, d]` → `[B, Tq, d]`.
    func callAsFunction(
        _ x: Tensor, source: Tensor, keyMask: Tensor?, bias: Tensor?, causal: Bool,
        training: Bool, rng: inout KalamRandom
    ) throws -> Tensor {
        let qh = try splitHeads(q(x), heads: heads)  // [B, H, Tq, d_kv]
        let kh = try splitHeads(k(source), heads: heads)  // [B, H, Tk, d_kv]
        let vh = try splitHeads(v(source), heads: heads)
        let options = AttentionOptions(
            scale: 1, causal: causal, keyMask: keyMask, bias: bias, dropout: training ? dropout : 0)
        return try o(mergeHeads(scaledDotProductAttention(qh, kh, vh, options: options, rng: &rng)))  // [B, Tq, d]
    }
}

/// `T5Block`: `layer.0` self-attention, (decoder) `layer.1` cross-attention, then the feed-forward layer,
/// each pre-normed (`layer_norm`) and added to the residual stream.
struct T5Block {
    let selfAttention: T5Attention, selfNorm: T5LayerNorm
    let crossAttention: T5Attention?, crossNorm: T5LayerNorm?
    let feedForward: T5FeedForward, feedForwardNorm: T5LayerNorm
    let dropout: DropoutLayer

    init(_ r: ParameterRegistry, _ prefix: String, config c: T5Config, isDecoder: Bool, hasRelativeBias: Bool) {
        let factor = Float(c.initializerFactor)
        selfAttention = T5Attention(r, prefix + ".layer.0.SelfAttention", config: c, hasRelativeBias: hasRelativeBias)
        selfNorm = T5LayerNorm(
            r, prefix + ".layer.0.layer_norm.weight", dim: c.dModel, eps: c.layerNormEpsilon, factor: factor)
        if isDecoder {
            crossAttention = T5Attention(r, prefix + ".layer.1.EncDecAttention", config: c, hasRelativeBias: false)
            crossNorm = T5LayerNorm(
                r, prefix + ".layer.1.layer_norm.weight", dim: c.dModel, eps: c.layerNormEpsilon, factor: factor)
        } else {
            crossAttention = nil
            crossNorm = nil
        }
        let ff = isDecoder ? ".layer.2" : ".layer.1"
        feedForward = T5FeedForward(r, prefix + ff + ".DenseReluDense", config: c)
        feedForwardNorm = T5LayerNorm(
            r, prefix + ff + ".layer_norm.weight", dim: c.dModel, eps: c.layerNormEpsilon, factor: factor)
        dropout = DropoutLayer(c.dropoutRate)
    }

    /// `[B, T, d]` → `[B, T, d]`; `encoder` and `encoderMask` only in the decoder.
    func callAsFunction(
        _ x: Tensor, mask: Tensor?, bias: Tensor, causal: Bool, encoder: Tensor?, encoderMask: Tensor?,
        training: Bool, rng: inout KalamRandom
    ) throws -> Tensor {
        let normed = try selfNorm(x)
        var h =
            try x
            + dropout(
                selfAttention(
                    normed, source: normed, keyMask: mask, bias: bias, causal: causal,
                    training: training, rng: &rng), training: training, rng: &rng)
        if let crossAttention, let crossNorm, let encoder {
            h =
                try h
                + dropout(
                    crossAttention(
                        crossNorm(h), source: encoder, keyMask: encoderMask, bias: nil, causal: false,
                        training: training, rng: &rng), training: training, rng: &rng)
        }
        return try h
            + dropout(feedForward(feedForwardNorm(h), training: training, rng: &rng), training: training, rng: &rng)
    }
}

/// `T5Stack`: the encoder or the decoder — blocks sharing the first block's position bias, a final norm.
struct T5Stack {
    let blocks: [T5Block]
    let finalLayerNorm: T5LayerNorm
    let dropout: DropoutLayer
    let isDecoder: Bool

    init(_ r: ParameterRegistry, _ prefix: String, config c: T5Config, isDecoder: Bool) {
        let count = isDecoder ? c.decoderLayers : c.numLayers
        blocks = (0..<count).map {
            T5Block(r, "\(prefix).block.\($0)", config: c, isDecoder: isDecoder, hasRelativeBias: $0 == 0)
        }
        finalLayerNorm = T5LayerNorm(
            r, prefix + ".final_layer_norm.weight", dim: c.dModel, eps: c.layerNormEpsilon,
            factor: Float(c.initializerFactor))
        dropout = DropoutLayer(c.dropoutRate)
        self.isDecoder = isDecoder
    }

    /// Embedded inputs `[B, T, d]` → hidden states `[B, T, d]`.
    func callAsFunction(
        _ embedded: Tensor, mask: Tensor?, encoder: Tensor?, encoderMask: Tensor?,
        training: Bool, rng: inout KalamRandom
    ) throws -> Tensor {
        let t = embedded.shape[1]
        // [1, H, T, T]
        let bias = try blocks[0].selfAttention.positionBias(queries: t, keys: t, bidirectional: !isDecoder)
        var x = try dropout(embedded, training: training, rng: &rng)
        for block in blocks {
            x = try block(
                x, mask: mask, bias: bias, causal: isDecoder, encoder: encoder, encoderMask: encoderMask,
                training: training, rng: &rng)
        }
        return try dropout(finalLayerNorm(x), training: training, rng: &rng)
    }
}

/// `T5ForConditionalGeneration`: the T5 encoder-decoder with its LM head.
///
/// - T5 v1.0 (`relu`, tied head): the decoder output is scaled by `d_model ** -0.5` before the head,
///   which shares `shared.weight`.
/// - T5 v1.1 (`gated-gelu`, `tie_word_embeddings: false`): its own `lm_head.weight`, no scaling.
///
/// With `labels` and no decoder inputs, the decoder reads the labels shifted right behind
/// `decoder_start_token_id` (`-100` becoming `pad_token_id`), as transformers does.
public final class T5ForConditionalGeneration: PretrainedModel {
    /// `"T5ForConditionalGeneration"`.
    public static let architecture = "T5ForConditionalGeneration"
    /// T5 has no base-model prefix.
    public static let basePrefix = ""

    /// The configuration.
    public let config: T5Config
    /// The parameters under their checkpoint keys.
    public let namedParameters: [(key: String, tensor: Tensor)]
    /// Whether dropout is active (default false: evaluation).
    public var isTraining = false
    /// The generator dropout draws from.
    public var rng: KalamRandom

    let shared: EmbeddingTable  // [V, d]
    let encoder: T5Stack
    let decoder: T5Stack
    let lmHead: Tensor  // [V, d]: shared's table when tied

    /// The stacks' `embed_tokens` (and the tied head) are `shared.weight`.
    public var tiedAliases: [String: String] {
        var aliases = ["encoder.embed_tokens.weight": "shared.weight", "decoder.embed_tokens.weight": "shared.weight"]
        if config.tiesHead { aliases["lm_head.weight"] = "shared.weight" }
        return aliases
    }

    /// No separate head to leave fresh.
    public var headKeys: Set<String> { [] }

    /// A model initialised as transformers does (`initializer_factor`-scaled normals), drawn from `seed`.
    public init(config: T5Config, seed: UInt64) throws {
        try config.validate()
        self.config = config
        let registry = ParameterRegistry(rng: KalamRandom(seed: seed))
        let factor = Float(config.initializerFactor)
        shared = EmbeddingTable(registry, "shared.weight", count: config.vocabSize, dim: config.dModel, std: factor)
        encoder = T5Stack(registry, "encoder", config: config, isDecoder: false)
        decoder = T5Stack(registry, "decoder", config: config, isDecoder: true)
        lmHead =
            config.tiesHead
            ? shared.weight : registry.normal("lm_head.weight", [config.vocabSize, config.dModel], std: factor)
        namedParameters = registry.entries
        rng = registry.rng.fork(stream: 1)
    }

    /// `labels` `[B, T]` shifted right: `decoder_start_token_id` first, `-100` replaced by `pad_token_id`.
    public func shiftRight(_ labels: IndexTensor) throws -> IndexTensor {
        guard labels.shape.count == 2, labels.shape[1] > 0 else {
            throw ModelError.invalidInput(name: "labels", reason: "expected [batch, length], got shape \(labels.shape)")
        }
        let (b, t) = (labels.shape[0], labels.shape[1])
        var out = [Int32](repeating: Int32(config.decoderStartTokenId), count: b * t)
        for row in 0..<b {
            for col in 1..<max(t, 1) {
                let v = labels.values[row * t + col - 1]
                out[row * t + col] = v == -100 ? Int32(config.padTokenId) : v
            }
        }
        return try IndexTensor(out, shape: [b, t])
    }

    /// The encoder's hidden states `[B, T, d]` for `inputIds` `[B, T]` with an optional padding mask.
    public func encode(inputIds: IndexTensor, attentionMask: IndexTensor? = nil) throws -> Tensor {
        let (b, t) = try ModelInput.checkIDs(inputIds, vocabSize: config.vocabSize, maxLength: nil)
        let mask = try ModelInput.mask(attentionMask, batch: b, length: t)
        return try encoder(
            shared(inputIds), mask: mask, encoder: nil, encoderMask: nil, training: isTraining, rng: &rng)
    }

    /// Logits `[B, Td, V]` for decoder inputs `[B, Td]` over encoder states `[B, T, d]`.
    public func decode(
        decoderInputIds: IndexTensor, encoderHiddenStates: Tensor, attentionMask: IndexTensor? = nil,
        decoderAttentionMask: IndexTensor? = nil
    ) throws -> Tensor {
        let (b, td) = try ModelInput.checkIDs(
            decoderInputIds, name: "decoder_input_ids", vocabSize: config.vocabSize, maxLength: nil)
        guard encoderHiddenStates.rank == 3, encoderHiddenStates.shape[0] == b else {
            throw ModelError.invalidInput(
                name: "encoder_hidden_states", reason: "shape \(encoderHiddenStates.shape) for \(b) decoder rows")
        }
        let encoderMask = try ModelInput.mask(attentionMask, batch: b, length: encoderHiddenStates.shape[1])
        let decoderMask = try ModelInput.mask(
            decoderAttentionMask, name: "decoder_attention_mask", batch: b, length: td)
        var y = try decoder(
            shared(decoderInputIds), mask: decoderMask, encoder: encoderHiddenStates, encoderMask: encoderMask,
            training: isTraining, rng: &rng)  // [B, Td, d]
        if config.scalesDecoderOutput { y = y * (1 / Float(config.dModel).squareRoot()) }
        return try linear(y, weight: lmHead)  // [B, Td, V]
    }

    /// Logits `[B, Td, V]`; with `labels` `[B, Td]` also the cross-entropy loss over labels that are not `-100`.
    /// Without `decoderInputIds`, the decoder reads ``shiftRight(_:)`` of the labels.
    public func callAsFunction(
        inputIds: IndexTensor, attentionMask: IndexTensor? = nil, decoderInputIds: IndexTensor? = nil,
        decoderAttentionMask: IndexTensor? = nil, labels: IndexTensor? = nil
    ) throws -> ModelOutput {
        if let labels { try ModelInput.checkLabels(labels, shape: labels.shape, classes: config.vocabSize) }
        guard let decoderIds = try decoderInputIds ?? labels.map(shiftRight) else {
            throw ModelError.invalidInput(name: "decoder_input_ids", reason: "give decoder_input_ids or labels")
        }
        if let labels, labels.shape != decoderIds.shape {
            throw ModelError.invalidInput(name: "labels", reason: "shape \(labels.shape), expected \(decoderIds.shape)")
        }
        let hidden = try encode(inputIds: inputIds, attentionMask: attentionMask)
        let logits = try decode(
            decoderInputIds: decoderIds, encoderHiddenStates: hidden, attentionMask: attentionMask,
            decoderAttentionMask: decoderAttentionMask)
        guard let labels else { return ModelOutput(logits: logits, loss: nil) }
        return ModelOutput(logits: logits, loss: try crossEntropy(logits: logits, targets: labels))
    }
}
