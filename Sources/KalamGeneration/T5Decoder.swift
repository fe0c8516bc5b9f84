import Foundation
import KalamModels

/// T5 as a `LanguageModelDecoder`: the prompt goes through the encoder once, the cross-attention keys
/// and values of every decoder layer are computed once from it, and the decoder keeps a self-attention
/// key/value cache. Inference only, over the checkpoint weights (Hugging Face keys).
///
/// The decoder prompt is `decoder_start_token_id`, as in transformers. Each row's encoder input is
/// encoded at its own length, which equals transformers' right padding with an attention mask.
/// With `recompute` set, each step reruns the decoder over all its ids without the self-attention cache.
public struct T5Decoder: LanguageModelDecoder {
    /// The model configuration.
    public let config: T5Config
    /// Rerun the decoder over the full sequence each step instead of using the cache.
    public var recompute = false

    struct Attention {
        var q, k, v, o: [Float]  // q, k, v: [inner, d]; o: [d, inner]
    }

    struct FeedForward {
        var wi: [Float]  // [dff, d] (wi_0 when gated)
        var wiGate: [Float]?  // wi_1 when gated
        var wo: [Float]  // [d, dff]
    }

    struct Block {
        var selfNorm: [Float]
        var selfAttention: Attention
        var crossNorm: [Float]?
        var crossAttention: Attention?
        var feedForwardNorm: [Float]
        var feedForward: FeedForward
    }

    let shared: [Float]  // [V, d]
    let lmHead: [Float]?  // [V, d] when not tied
    let encoderBlocks: [Block]
    let decoderBlocks: [Block]
    let encoderBias: [Float]  // [buckets, heads]
    let decoderBias: [Float]
    let encoderFinalNorm, decoderFinalNorm: [Float]
    let activation: DecoderKernels.Activation

    /// The vocabulary size.
    public var vocabularySize: Int { config.vocabSize }
    /// T5 uses relative positions: no fixed context.
    public var contextLength: Int? { nil }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model directory.
    public init(directory: URL) throws {
        let config = try T5Config.load(from: directory.appendingPathComponent("config.json"))
        try self.init(config: config, weights: try CheckpointWeights(directory: directory))
    }

    /// Builds the decoder from a configuration and weights by key.
    public init(config: T5Config, weights: CheckpointWeights) throws {
        try config.validate()
        self.config = config
        let d = config.dModel, inner = config.innerDim, dff = config.dFf, heads = config.numHeads
        let buckets = config.relativeAttentionNumBuckets
        func attention(_ prefix: String) throws -> Attention {
            Attention(
                q: try weights.require([prefix + "q.weight"], count: inner * d),
                k: try weights.require([prefix + "k.weight"], count: inner * d),
                v: try weights.require([prefix + "v.weight"], count: inner * d),
                o: try weights.require([prefix + "o.weight"], count: d * inner))
        }
        func feedForward(_ prefix: String) throws -> FeedForward {
            let gated = config.feedForwardProj.isGated
            return FeedForward(
                wi: try weights.require([prefix + (gated ? "wi_0.weight" : "wi.weight")], count: dff * d),
                wiGate: gated ? try weights.require([prefix + "wi_1.weight"], count: dff * d) : nil,
                wo: try weights.require([prefix + "wo.weight"], count: d * dff))
        }
        func norm(_ key: String) throws -> [Float] { try weights.require([key], count: d) }
        shared = try weights.require(["shared.weight", "encoder.embed_tokens.weight"], count: config.vocabSize * d)
        lmHead = config.tiesHead ? nil : try weights.require(["lm_head.weight"], count: config.vocabSize * d)
        encoderBlocks = try (0..<config.numLayers).map { i in
            let p = "encoder.block.\(i).layer."
            return Block(
                selfNorm: try norm(p + "0.layer_norm.weight"), selfAttention: try attention(p + "0.SelfAttention."),
                crossNorm: nil, crossAttention: nil,
                feedForwardNorm: try norm(p + "1.layer_norm.weight"),
                feedForward: try feedForward(p + "1.DenseReluDense."))
        }
        decoderBlocks = try (0..<config.decoderLayers).map { i in
            let p = "decoder.block.\(i).layer."
            return Block(
                selfNorm: try norm(p + "0.layer_norm.weight"), selfAttention: try attention(p + "0.SelfAttention."),
                crossNorm: try norm(p + "1.layer_norm.weight"), crossAttention: try attention(p + "1.EncDecAttention."),
                feedForwardNorm: try norm(p + "2.layer_norm.weight"),
                feedForward: try feedForward(p + "2.DenseReluDense."))
        }
        encoderBias = try weights.require(
            ["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], count: buckets * heads)
        decoderBias = try weights.require(
            ["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], count: buckets * heads)
        encoderFinalNorm = try norm("encoder.final_layer_norm.weight")
        decoderFinalNorm = try norm("decoder.final_layer_norm.weight")
        switch config.feedForwardProj.activation {
        case .relu: activation = .relu
        case .gelu: activation = .geluErf
        case .geluNew, .geluPytorchTanh: activation = .geluTanh
        }
    }

    /// Encoder outputs turned into cross-attention keys and values, and the decoder's own cache.
    public struct Cache {
        var crossKeys: [[[Float]]]  // [layer][row] → [S_row, inner]
        var crossValues: [[[Float]]]
        var selfKeys: [[[Float]]]  // [layer][row] → [t, inner]
        var selfValues: [[[Float]]]
        var encoderLengths: [Int]
        /// The decoder ids of each row.
        public internal(set) var ids: [[Int32]]
    }

    /// Encodes each prompt and runs the decoder start token.
    public func start(_ prompts: [[Int32]]) throws -> DecoderStart<Cache> {
        for (index, prompt) in prompts.enumerated() where prompt.isEmpty {
            throw GenerationError.emptyPrompt(row: index)
        }
        for id in prompts.joined() where id < 0 || Int(id) >= config.vocabSize {
            throw GenerationError.tokenOutOfVocabulary(id: id, vocabularySize: config.vocabSize)
        }
        let layers = decoderBlocks.count, rows = prompts.count
        var cache = Cache(
            crossKeys: Array(repeating: Array(repeating: [], count: rows), count: layers),
            crossValues: Array(repeating: Array(repeating: [], count: rows), count: layers),
            selfKeys: Array(repeating: Array(repeating: [], count: rows), count: layers),
            selfValues: Array(repeating: Array(repeating: [], count: rows), count: layers),
            encoderLengths: prompts.map(\.count), ids: Array(repeating: [], count: rows))
        let d = config.dModel, inner = config.innerDim
        for (row, prompt) in prompts.enumerated() {
            let encoded = encode(prompt)  // [S, d]
            for (l, block) in decoderBlocks.enumerated() {
                let cross = block.crossAttention!
                var keys = [Float](repeating: 0, count: prompt.count * inner)
                var values = [Float](repeating: 0, count: prompt.count * inner)
                Gemm.matmulTransposed(encoded, rows: prompt.count, cross.k, k: d, n: inner, into: &keys)
                Gemm.matmulTransposed(encoded, rows: prompt.count, cross.v, k: d, n: inner, into: &values)
                cache.crossKeys[l][row] = keys
                cache.crossValues[l][row] = values
            }
        }
        let startToken = Int32(config.decoderStartTokenId)
        let logits = decode(Array(repeating: [startToken], count: rows), cache: &cache)
        return DecoderStart(
            cache: cache, logits: logits, prefixes: Array(repeating: [startToken], count: rows),
            paddingCounts: Array(repeating: 0, count: rows))
    }

    /// Feeds one decoder token per row.
    public func next(_ tokens: [Int32], cache: inout Cache) throws -> [[Float]] {
        guard tokens.count == cache.ids.count else {
            throw GenerationError.logitsShapeMismatch(
                expectedRows: cache.ids.count, expectedWidth: 1, rows: tokens.count, width: 1)
        }
        for id in tokens where id < 0 || Int(id) >= config.vocabSize {
            throw GenerationError.tokenOutOfVocabulary(id: id, vocabularySize: config.vocabSize)
        }
        if recompute {
            let all = zip(cache.ids, tokens).map { $0 + [$1] }
            let rows = all.count
            cache.selfKeys = cache.selfKeys.map { _ in Array(repeating: [], count: rows) }
            cache.selfValues = cache.selfValues.map { _ in Array(repeating: [], count: rows) }
            cache.ids = Array(repeating: [], count: rows)
            return decode(all, cache: &cache)
        }
        return decode(tokens.map { [$0] }, cache: &cache)
    }

    /// Keeps, copies and permutes cache rows.
    public func reorder(_ cache: inout Cache, rows: [Int]) throws {
        for row in rows where row < 0 || row >= cache.ids.count {
            throw GenerationError.cacheRowOutOfRange(row: row, rows: cache.ids.count)
        }
        func pick(_ table: [[[Float]]]) -> [[[Float]]] { table.map { layer in rows.map { layer[$0] } } }
        cache.crossKeys = pick(cache.crossKeys)
        cache.crossValues = pick(cache.crossValues)
        cache.selfKeys = pick(cache.selfKeys)
        cache.selfValues = pick(cache.selfValues)
        cache.encoderLengths = rows.map { cache.encoderLengths[$0] }
        cache.ids = rows.map { cache.ids[$0] }
    }

    /// transformers' `_relative_position_bucket`, with its float32 arithmetic for the logarithmic bins.
    static func bucket(_ relative: Int, bidirectional: Bool, numBuckets: Int, maxDistance: Int) -> Int {
        var buckets = numBuckets, result = 0, distance = relative
        if bidirectional {
            buckets /= 2
            if distance > 0 { result += buckets }
            distance = abs(distance)
        } else {
            distance = -min(distance, 0)
        }
        let maxExact = buckets / 2
        if distance < maxExact { return result + distance }
        let ratio = Float(log(Float(distance) / Float(maxExact))) / Float(log(Double(maxDistance) / Double(maxExact)))
        let large = maxExact + Int(ratio * Float(buckets - maxExact))
        return result + min(large, buckets - 1)
    }
}
