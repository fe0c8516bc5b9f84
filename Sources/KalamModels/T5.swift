import Foundation
import KalamCore
import KalamNN

// T5 as transformers' `modeling_t5.py` builds it, class by class: T5LayerNorm, T5DenseActDense /
// T5DenseGatedActDense, T5LayerFF, T5Attention, T5LayerSelfAttention, T5LayerCrossAttention, T5Block,
// T5Stack, T5ForConditionalGeneration. Each is a KalamNN `Module` whose keys are the checkpoint's
// (`encoder.block.0.layer.0.SelfAttention.q.weight`). No layer has a bias. One forward serves training,
// evaluation and cached decoding.

/// `T5LayerNorm`: RMS normalisation with a weight and no mean subtraction or bias.
typealias T5LayerNorm = RMSNorm

/// `T5DenseActDense` (`wi`, `wo`) or `T5DenseGatedActDense` (`wi_0`, `wi_1`, `wo`), per `feed_forward_proj`.
public final class T5DenseActDense: Module {
    @Child(key: "wi") var wi: Linear?
    @Child(key: "wi_0") var wi0: Linear?
    @Child(key: "wi_1") var wi1: Linear?
    @Child(key: "dropout") var dropout: Dropout
    @Child(key: "wo") var wo: Linear
    let activation: Activation

    init(config c: T5Config, source: RandomSource, rng: inout KalamRandom) {
        let factor = Float(c.initializerFactor)
        let inStd = factor / Float(c.dModel).squareRoot(), outStd = factor / Float(c.dFf).squareRoot()
        activation = c.feedForwardProj.activation
        super.init()
        if c.feedForwardProj.isGated {
            _wi.wrappedValue = nil
            _wi0.wrappedValue = Linear(c.dModel, c.dFf, bias: false, initializer: .normal(std: inStd), rng: &rng)
            _wi1.wrappedValue = Linear(c.dModel, c.dFf, bias: false, initializer: .normal(std: inStd), rng: &rng)
        } else {
            _wi.wrappedValue = Linear(c.dModel, c.dFf, bias: false, initializer: .normal(std: inStd), rng: &rng)
            _wi0.wrappedValue = nil
            _wi1.wrappedValue = nil
        }
        _dropout.wrappedValue = Dropout(Float(c.dropoutRate), source: source)
        _wo.wrappedValue = Linear(c.dFf, c.dModel, bias: false, initializer: .normal(std: outStd), rng: &rng)
    }

    /// `[B, T, d_model]` → `[B, T, d_model]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let h: Tensor  // [B, T, d_ff]
        if let wi0, let wi1 {
            h = try activation.apply(wi0(x)) * wi1(x)
        } else {
            h = try activation.apply(wi!(x))
        }
        return try wo(dropout(h))
    }
}

/// `T5LayerFF`: pre-norm feed-forward added to the residual stream.
public final class T5LayerFF: Module {
    @Child(key: "DenseReluDense") var denseReluDense: T5DenseActDense
    @Child(key: "layer_norm") var layerNorm: T5LayerNorm
    @Child(key: "dropout") var dropout: Dropout

    init(config c: T5Config, source: RandomSource, rng: inout KalamRandom) {
        super.init()
        _denseReluDense.wrappedValue = T5DenseActDense(config: c, source: source, rng: &rng)
        _layerNorm.wrappedValue = T5LayerNorm(
            c.dModel, eps: Float(c.layerNormEpsilon), initialValue: Float(c.initializerFactor))
        _dropout.wrappedValue = Dropout(Float(c.dropoutRate), source: source)
    }

    /// `[B, T, d]` → `[B, T, d]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor { try x + dropout(denseReluDense(layerNorm(x))) }
}

/// `T5Attention`: multi-head attention without scaling (T5 folds it into the initialisation), with the
/// relative position bias table in the first block of each stack.
public final class T5Attention: Module {
    @Child(key: "q") public var q: Linear
    @Child(key: "k") public var k: Linear
    @Child(key: "v") public var v: Linear
    @Child(key: "o") public var o: Linear
    /// `[buckets, heads]` in the first block of each stack.
    @Child(key: "relative_attention_bias") var relativeAttentionBias: Embedding?
    let heads: Int
    let numBuckets: Int, maxDistance: Int
    let dropout: Float
    let source: RandomSource

    init(config c: T5Config, hasRelativeBias: Bool, source: RandomSource, rng: inout KalamRandom) {
        let factor = Float(c.initializerFactor), d = Float(c.dModel)
        heads = c.numHeads
        numBuckets = c.relativeAttentionNumBuckets
        maxDistance = c.relativeAttentionMaxDistance
        dropout = Float(c.dropoutRate)
        self.source = source
        super.init()
        let qStd = factor / (d * Float(c.dKv)).squareRoot(), kvStd = factor / d.squareRoot()
        _q.wrappedValue = Linear(c.dModel, c.innerDim, bias: false, initializer: .normal(std: qStd), rng: &rng)
        _k.wrappedValue = Linear(c.dModel, c.innerDim, bias: false, initializer: .normal(std: kvStd), rng: &rng)
        _v.wrappedValue = Linear(c.dModel, c.innerDim, bias: false, initializer: .normal(std: kvStd), rng: &rng)
        _o.wrappedValue = Linear(
            c.innerDim, c.dModel, bias: false, initializer: .normal(std: factor / Float(c.innerDim).squareRoot()),
            rng: &rng)
        _relativeAttentionBias.wrappedValue =
            hasRelativeBias
            ? Embedding(c.relativeAttentionNumBuckets, c.numHeads, initializer: .normal(std: kvStd), rng: &rng) : nil
    }

    /// The bucket of `relativePosition = key − query`, exactly as transformers'
    /// `T5Attention._relative_position_bucket` computes it (in float32, truncated).
    public static func relativePositionBucket(
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

    /// The position bias `[1, H, Tq, Tk]` of queries at positions `offset..<offset + tq` over keys
    /// `0..<tk`, from the bucket table (it receives a gradient).
    func positionBias(queries tq: Int, keys tk: Int, offset: Int = 0, bidirectional: Bool) throws -> Tensor {
        guard let table = relativeAttentionBias else {
            throw ModelError.invalidInput(
                name: "position_bias", reason: "this attention layer has no relative bias table")
        }
        var ids = [Int32](repeating: 0, count: tq * tk)
        for i in 0..<tq {
            for j in 0..<tk {
                ids[i * tk + j] = Int32(
                    Self.relativePositionBucket(
                        j - (offset + i), bidirectional: bidirectional, numBuckets: numBuckets,
                        maxDistance: maxDistance))
            }
        }
        let values = try table(IndexTensor(ids, shape: [tq, tk]))  // [Tq, Tk, H]
        return try values.permuted([2, 0, 1]).reshaped([1, heads, tq, tk])  // [1, H, Tq, Tk]
    }

    /// Queries from `x` `[B, Tq, d]`, keys and values from `source` `[B, Tk, d]` → `[B, Tq, d]`.
    func callAsFunction(
        _ x: Tensor, source memory: Tensor, keyMask: Tensor?, bias: Tensor?, causal: Bool, cache: AttentionCache?
    ) throws -> Tensor {
        let options = AttentionOptions(
            scale: 1, causal: causal, keyMask: keyMask, bias: bias, dropout: isTraining ? dropout : 0)
        let attended = try multiHeadAttention(
            queries: try q(x), keysAndValues: { (try self.k(memory), try self.v(memory)) }, heads: heads,
            options: options, cache: cache, source: source)
        return try o(attended)  // [B, Tq, d]
    }
}

/// `T5LayerSelfAttention` (`layer.0`) and `T5LayerCrossAttention` (`layer.1` of the decoder): pre-norm
/// attention added to the residual stream.
public final class T5LayerAttention: Module {
    /// The attention (`SelfAttention` or `EncDecAttention`).
    @Child(key: "attention") public var attention: T5Attention
    @Child(key: "layer_norm") var layerNorm: T5LayerNorm
    @Child(key: "dropout") var dropout: Dropout

    init(key: String, config c: T5Config, hasRelativeBias: Bool, source: RandomSource, rng: inout KalamRandom) {
        _attention = Child(key: key)
        super.init()
        _attention.wrappedValue = T5Attention(config: c, hasRelativeBias: hasRelativeBias, source: source, rng: &rng)
        _layerNorm.wrappedValue = T5LayerNorm(
            c.dModel, eps: Float(c.layerNormEpsilon), initialValue: Float(c.initializerFactor))
        _dropout.wrappedValue = Dropout(Float(c.dropoutRate), source: source)
    }

    /// `[B, T, d]` attending to itself (`memory` nil) or to `memory` → `[B, T, d]`.
    func callAsFunction(
        _ x: Tensor, memory: Tensor?, keyMask: Tensor?, bias: Tensor?, causal: Bool, cache: AttentionCache?
    ) throws -> Tensor {
        let normed = try layerNorm(x)
        let attended = try attention(
            normed, source: memory ?? normed, keyMask: keyMask, bias: bias, causal: causal, cache: cache)
        return try x + dropout(attended)
    }
}

/// `T5Block`: `layer.0` self-attention, (decoder) `layer.1` cross-attention, then the feed-forward layer.
public final class T5Block: Module {
    /// Self-attention.
    @Child(key: "layer.0") public var selfAttention: T5LayerAttention
    /// Cross-attention (decoder blocks only).
    @Child(key: "layer.1") public var crossAttention: T5LayerAttention?
    /// The feed-forward layer (`layer.1` in the encoder, `layer.2` in the decoder).
    @Child(key: "feedForward") public var feedForward: T5LayerFF

    init(config c: T5Config, isDecoder: Bool, hasRelativeBias: Bool, source: RandomSource, rng: inout KalamRandom) {
        _feedForward = Child(key: isDecoder ? "layer.2" : "layer.1")
        super.init()
        _selfAttention.wrappedValue = T5LayerAttention(
            key: "SelfAttention", config: c, hasRelativeBias: hasRelativeBias, source: source, rng: &rng)
        _crossAttention.wrappedValue =
            isDecoder
            ? T5LayerAttention(key: "EncDecAttention", config: c, hasRelativeBias: false, source: source, rng: &rng)
            : nil
        _feedForward.wrappedValue = T5LayerFF(config: c, source: source, rng: &rng)
    }

    /// `[B, T, d]` → `[B, T, d]`; `encoder` and `encoderMask` only in the decoder; `cache` slot `layer`.
    func callAsFunction(
        _ x: Tensor, mask: Tensor?, bias: Tensor, causal: Bool, encoder: Tensor?, encoderMask: Tensor?,
        cache: KVCache?, layer: Int
    ) throws -> Tensor {
        var h = try selfAttention(
            x, memory: nil, keyMask: mask, bias: bias, causal: causal,
            cache: cache.map { AttentionCache($0, layer: layer) })
        if let crossAttention, let encoder {
            h = try crossAttention(
                h, memory: encoder, keyMask: encoderMask, bias: nil, causal: false,
                cache: cache.map { AttentionCache($0, layer: layer, isCross: true) })
        }
        return try feedForward(h)
    }
}

/// `T5Stack`: the encoder or the decoder — blocks sharing the first block's position bias, a final norm.
public final class T5Stack: Module {
    /// The blocks.
    @Child(key: "block") public var block: [T5Block]
    @Child(key: "final_layer_norm") var finalLayerNorm: T5LayerNorm
    @Child(key: "dropout") var dropout: Dropout
    let isDecoder: Bool

    init(config c: T5Config, isDecoder: Bool, source: RandomSource, rng: inout KalamRandom) {
        self.isDecoder = isDecoder
        super.init()
        _block.wrappedValue = (0..<(isDecoder ? c.decoderLayers : c.numLayers)).map {
            T5Block(config: c, isDecoder: isDecoder, hasRelativeBias: $0 == 0, source: source, rng: &rng)
        }
        _finalLayerNorm.wrappedValue = T5LayerNorm(
            c.dModel, eps: Float(c.layerNormEpsilon), initialValue: Float(c.initializerFactor))
        _dropout.wrappedValue = Dropout(Float(c.dropoutRate), source: source)
    }

    /// Embedded inputs `[B, T, d]` → hidden states `[B, T, d]`; with a cache, the inputs follow the
    /// `cache.length` positions it holds.
    func callAsFunction(
        _ embedded: Tensor, mask: Tensor?, encoder: Tensor?, encoderMask: Tensor?, cache: KVCache?
    ) throws -> Tensor {
        let t = embedded.shape[1], past = cache?.length ?? 0
        let bias = try block[0].selfAttention.attention.positionBias(
            queries: t, keys: past + t, offset: past, bidirectional: !isDecoder)  // [1, H, T, Tpast + T]
        var x = try dropout(embedded)
        for (i, b) in block.enumerated() {
            x = try b(
                x, mask: mask, bias: bias, causal: isDecoder, encoder: encoder, encoderMask: encoderMask,
                cache: cache, layer: i)
        }
        return try dropout(finalLayerNorm(x))
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
public final class T5ForConditionalGeneration: Module, PretrainedModel {
    /// `"T5ForConditionalGeneration"`.
    public static let architecture = "T5ForConditionalGeneration"
    /// T5 has no base-model prefix.
    public static let basePrefix = ""

    /// The configuration.
    public let config: T5Config
    /// The generator every dropout of the model draws from.
    public let randomSource: RandomSource
    /// `[V, d]`: the token embeddings of both stacks.
    @Child(key: "shared") public var shared: Embedding
    /// The encoder.
    @Child(key: "encoder") public var encoder: T5Stack
    /// The decoder.
    @Child(key: "decoder") public var decoder: T5Stack
    /// `[V, d]` for an untied head (T5 v1.1).
    @Child(key: "lm_head") public var lmHead: Linear?

    /// Text-to-text classification: the token ids of each class's target text (its name from
    /// `id2label`, tokenized, `</s>` last), by class index. Empty until a classifier sets them; they come
    /// from the tokenizer, which the model does not hold.
    public var labelTargets: [[Int32]] = []

    /// The stacks' `embed_tokens` (and the tied head) are `shared.weight`.
    public override var tiedKeyAliases: [String: String] {
        var aliases = ["encoder.embed_tokens.weight": "shared.weight", "decoder.embed_tokens.weight": "shared.weight"]
        if config.tiesHead { aliases["lm_head.weight"] = "shared.weight" }
        return aliases
    }

    /// No separate head to leave fresh.
    public var headKeys: Set<String> { [] }

    /// A model initialised as transformers does (`initializer_factor`-scaled normals), drawn from `seed`,
    /// in evaluation mode.
    public init(config: T5Config, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = KalamRandom(seed: seed)
        randomSource = RandomSource(seed: 0)
        super.init()
        let factor = Float(config.initializerFactor)
        _shared.wrappedValue = Embedding(config.vocabSize, config.dModel, initializer: .normal(std: factor), rng: &rng)
        _encoder.wrappedValue = T5Stack(config: config, isDecoder: false, source: randomSource, rng: &rng)
        _decoder.wrappedValue = T5Stack(config: config, isDecoder: true, source: randomSource, rng: &rng)
        _lmHead.wrappedValue =
            config.tiesHead
            ? nil : Linear(config.dModel, config.vocabSize, bias: false, initializer: .normal(std: factor), rng: &rng)
        randomSource.generator = rng.fork(stream: 1)
        eval()
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
        return try encoder(shared(inputIds), mask: mask, encoder: nil, encoderMask: nil, cache: nil)
    }

    /// Logits `[B, Td, V]` for decoder inputs `[B, Td]` over encoder states `[B, T, d]`.
    ///
    /// - Parameters:
    ///   - decoderAttentionMask: `[B, Tpast + Td]`.
    ///   - cache: the decoder's self-attention keys and values of the `Tpast` earlier decoder positions
    ///     and the cross-attention keys and values of the encoder states (computed on the first call);
    ///     it is extended.
    public func decode(
        decoderInputIds: IndexTensor, encoderHiddenStates: Tensor, attentionMask: IndexTensor? = nil,
        decoderAttentionMask: IndexTensor? = nil, cache: KVCache? = nil
    ) throws -> Tensor {
        let (b, td) = try ModelInput.checkIDs(
            decoderInputIds, name: "decoder_input_ids", vocabSize: config.vocabSize, maxLength: nil)
        guard encoderHiddenStates.rank == 3, encoderHiddenStates.shape[0] == b else {
            throw ModelError.invalidInput(
                name: "encoder_hidden_states", reason: "shape \(encoderHiddenStates.shape) for \(b) decoder rows")
        }
        let past = cache?.length ?? 0
        let encoderMask = try ModelInput.mask(attentionMask, batch: b, length: encoderHiddenStates.shape[1])
        let decoderMask = try ModelInput.mask(
            decoderAttentionMask, name: "decoder_attention_mask", batch: b, length: past + td)
        var y = try decoder(
            shared(decoderInputIds), mask: decoderMask, encoder: encoderHiddenStates, encoderMask: encoderMask,
            cache: cache)  // [B, Td, d]
        if config.scalesDecoderOutput { y = y * (1 / Float(config.dModel).squareRoot()) }
        return try linear(y, weight: lmHead?.weight ?? shared.weight)  // [B, Td, V]
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
