import KalamCore

/// `[B, T, H·D]` → `[B, H, T, D]` (a view; attention reads it without a copy when `T` is 1).
public func splitHeads(_ x: Tensor, heads: Int) throws -> Tensor {
    let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
    guard heads > 0, c % heads == 0 else {
        throw TensorError.invalidShape(
            op: "splitHeads", shape: x.shape, reason: "\(c) features do not split into \(heads) heads")
    }
    // [B, T, H, D] -> [B, H, T, D]
    return try x.reshaped([b, t, heads, c / heads]).permuted([0, 2, 1, 3])
}

/// `[B, H, T, D]` → `[B, T, H·D]`.
public func mergeHeads(_ x: Tensor) throws -> Tensor {
    let (b, h, t, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    // [B, H, T, D] -> [B, T, H, D] -> [B, T, C]
    return try x.permuted([0, 2, 1, 3]).reshaped([b, t, h * d])
}

/// Which cache an attention layer uses while decoding: its slot `layer` of `cache`, as self-attention
/// (new keys and values are appended) or as cross-attention (the memory's keys and values are computed
/// on the first call and reused after).
public struct AttentionCache {
    /// The cache.
    public let cache: KVCache
    /// The layer's slot.
    public let layer: Int
    /// Whether this is cross-attention over a fixed memory.
    public let isCross: Bool

    /// A slot of `cache`.
    public init(_ cache: KVCache, layer: Int, isCross: Bool = false) {
        self.cache = cache
        self.layer = layer
        self.isCross = isCross
    }
}

/// Multi-head attention from projected queries to projected keys and values, the core every family's
/// attention layer shares: heads split, the cache extended or reused, scaled dot-product attention,
/// heads merged.
///
/// - Parameters:
///   - queries: `[B, Tq, H·D]`.
///   - keysAndValues: the projected keys and values `[B, Tk, H·D]`; not called when a cross-attention
///     cache already holds them.
///   - options: scale, causal mask (queries are the last `Tq` of `Tk` positions), key mask `[B, Tk]`
///     over all keys (cached ones included), bias, dropout.
/// - Returns: `[B, Tq, H·D]`.
public func multiHeadAttention(
    queries: Tensor, keysAndValues: () throws -> (Tensor, Tensor), heads: Int, options: AttentionOptions,
    cache: AttentionCache? = nil, rng: inout KalamRandom
) throws -> Tensor {
    let q = try splitHeads(queries, heads: heads)  // [B, H, Tq, D]
    var k: Tensor, v: Tensor
    if let cache, cache.isCross, let stored = cache.cache.crossEntry(layer: cache.layer) {
        (k, v) = stored
    } else {
        let (keys, values) = try keysAndValues()
        k = try splitHeads(keys, heads: heads)  // [B, H, Tk, D]
        v = try splitHeads(values, heads: heads)
        if let cache {
            if cache.isCross {
                cache.cache.setCross(layer: cache.layer, keys: k, values: v)
            } else {
                (k, v) = try cache.cache.append(layer: cache.layer, keys: k, values: v)
            }
        }
    }
    let attended = try scaledDotProductAttention(q, k, v, options: options, rng: &rng)  // [B, H, Tq, D]
    return try mergeHeads(attended)
}

/// ``multiHeadAttention(queries:keysAndValues:heads:options:cache:rng:)`` drawing attention dropout
/// from `source`, whose generator is borrowed only for the attention itself: the key and value
/// projections run first and may draw from the same source (LoRA dropout inside `value`).
public func multiHeadAttention(
    queries: Tensor, keysAndValues: () throws -> (Tensor, Tensor), heads: Int, options: AttentionOptions,
    cache: AttentionCache? = nil, source: RandomSource
) throws -> Tensor {
    var projected: (Tensor, Tensor)?
    if !(cache.map { $0.isCross && $0.cache.crossEntry(layer: $0.layer) != nil } ?? false) {
        projected = try keysAndValues()
    }
    return try multiHeadAttention(
        queries: queries, keysAndValues: { projected! }, heads: heads, options: options, cache: cache,
        rng: &source.generator)
}

/// Multi-head attention with separate query, key, value and output projections (keys `q_proj`,
/// `k_proj`, `v_proj`, `out_proj`): self-attention (optionally causal), cross-attention over a memory,
/// and decoding with a `KVCache`. The model families use ``multiHeadAttention(queries:keysAndValues:heads:options:cache:rng:)``
/// with their own checkpoint layouts (GPT-2's fused `c_attn`, BERT's `query`/`key`/`value`, T5's `q`/`k`/`v`/`o`).
public final class MultiHeadAttention: Module {
    @Child(key: "q_proj") public var query: Linear
    @Child(key: "k_proj") public var key: Linear
    @Child(key: "v_proj") public var value: Linear
    @Child(key: "out_proj") public var output: Linear
    /// The number of heads.
    public let heads: Int
    /// Dropout on attention probabilities (training only).
    public let attentionDropout: Float
    private let source: RandomSource

    /// Attention over `dimension` features split into `heads` heads.
    public init(
        dimension: Int, heads: Int, bias: Bool = true, attentionDropout: Float = 0,
        source: RandomSource = RandomSource(seed: 0), rng: inout KalamRandom
    ) {
        self.heads = heads
        self.attentionDropout = attentionDropout
        self.source = source
        super.init()
        _query.wrappedValue = Linear(dimension, dimension, bias: bias, rng: &rng)
        _key.wrappedValue = Linear(dimension, dimension, bias: bias, rng: &rng)
        _value.wrappedValue = Linear(dimension, dimension, bias: bias, rng: &rng)
        _output.wrappedValue = Linear(dimension, dimension, bias: bias, rng: &rng)
    }

    /// Attends from `x` `[B, T, C]` to `memory` (cross-attention) or to `x` itself.
    /// - Parameters:
    ///   - causal: queries see only earlier positions (self-attention).
    ///   - keyMask: `[B, Tk]`, 1 for keys to attend to.
    ///   - cache: with `layer`, past keys/values to extend (self-attention) or reuse (cross-attention).
    public func callAsFunction(
        _ x: Tensor, memory: Tensor? = nil, causal: Bool = false, keyMask: Tensor? = nil,
        cache: KVCache? = nil, layer: Int = 0
    ) throws -> Tensor {
        let options = AttentionOptions(
            causal: causal && memory == nil, keyMask: keyMask, dropout: isTraining ? attentionDropout : 0)
        let slot = cache.map { AttentionCache($0, layer: layer, isCross: memory != nil) }
        let attended = try multiHeadAttention(
            queries: try query(x),
            keysAndValues: { (try self.key(memory ?? x), try self.value(memory ?? x)) },
            heads: heads, options: options, cache: slot, source: source)
        return try output(attended)  // [B, T, C]
    }
}

/// The position-wise feed-forward block `fc2(activation(fc1(x)))` (keys `fc1`, `fc2`).
public final class FeedForward: Module {
    @Child(key: "fc1") public var up: Linear
    @Child(key: "fc2") public var down: Linear
    /// The nonlinearity between the two projections.
    public let activation: (Tensor) -> Tensor

    /// A block widening `dimension` to `hidden` and back.
    public init(
        dimension: Int, hidden: Int, activation: @escaping (Tensor) -> Tensor = { $0.geluTanh() },
        rng: inout KalamRandom
    ) {
        self.activation = activation
        super.init()
        _up.wrappedValue = Linear(dimension, hidden, rng: &rng)
        _down.wrappedValue = Linear(hidden, dimension, rng: &rng)
    }

    /// `[..., dimension]` → same shape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try down(activation(try up(x))) }
}
