import KalamCore

/// Keys and values of past positions for each attention layer, so decoding step `t` attends to
/// `0…t` without recomputing them.
///
/// Each entry is `[B, H, T, D]`. Self-attention layers append one step at a time; cross-attention
/// layers store the encoder's keys and values once.
public final class KVCache {
    /// Per layer: the cached keys and values, or nil before the first step.
    public var layers: [(keys: Tensor, values: Tensor)?]

    /// An empty cache for `layerCount` layers.
    public init(layerCount: Int) { layers = Array(repeating: nil, count: layerCount) }

    /// The number of cached positions (of layer 0).
    public var length: Int { layers.first??.keys.shape[2] ?? 0 }

    /// Appends new keys and values `[B, H, Tnew, D]` to layer `layer` and returns all of them.
    public func append(layer: Int, keys: Tensor, values: Tensor) throws -> (keys: Tensor, values: Tensor) {
        let merged: (keys: Tensor, values: Tensor)
        if let past = layers[layer] {
            merged = (try concat([past.keys, keys], axis: 2), try concat([past.values, values], axis: 2))
        } else {
            merged = (keys.contiguous(), values.contiguous())
        }
        layers[layer] = merged
        return merged
    }

    /// Keeps, for each new batch row `i`, the cached row `indices[i]` (beam search reordering).
    /// - Throws: `TensorError.indexOutOfRange` for an index outside the batch.
    public func reorder(_ indices: [Int]) throws {
        layers = try layers.map { entry in
            guard let entry else { return nil }
            return (try KVCache.selectRows(entry.keys, indices), try KVCache.selectRows(entry.values, indices))
        }
    }

    /// Rows of the first dimension of a dense tensor, gathered in the order of `indices`.
    static func selectRows(_ t: Tensor, _ indices: [Int]) throws -> Tensor {
        let x = t.contiguous()
        let rows = x.shape[0], inner = x.count / max(rows, 1)
        var shape = x.shape
        shape[0] = indices.count
        let out = Tensor(uninitializedShape: shape)
        for (i, r) in indices.enumerated() {
            guard r >= 0, r < rows else {
                throw TensorError.indexOutOfRange(op: "KVCache.reorder", index: r, bound: rows)
            }
            (out.data + i * inner).update(from: x.data + r * inner, count: inner)
        }
        return out
    }
}

/// `[B, T, H·D]` → `[B, H, T, D]`.
public func splitHeads(_ x: Tensor, heads: Int) throws -> Tensor {
    let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
    guard c % heads == 0 else {
        throw TensorError.invalidShape(
            op: "splitHeads", shape: x.shape, reason: "\(c) features do not split into \(heads) heads")
    }
    return try x.reshaped([b, t, heads, c / heads]).permuted([0, 2, 1, 3]).contiguous()
}

/// `[B, H, T, D]` → `[B, T, H·D]`.
public func mergeHeads(_ x: Tensor) throws -> Tensor {
    let (b, h, t, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    return try x.permuted([0, 2, 1, 3]).contiguous().reshaped([b, t, h * d])
}

/// Multi-head attention with separate query, key, value and output projections (keys `q_proj`,
/// `k_proj`, `v_proj`, `out_proj`): self-attention (optionally causal), cross-attention over a memory,
/// and decoding with a `KVCache`. Model families with other checkpoint layouts (GPT-2's fused
/// `c_attn`, BERT's `query`/`key`/`value`, T5's `q`/`k`/`v`/`o`) use `splitHeads`,
/// `scaledDotProductAttention` and `mergeHeads` the same way.
public final class MultiHeadAttention: Module {
    @Child(key: "q_proj") public var query: Linear
    @Child(key: "k_proj") public var key: Linear
    @Child(key: "v_proj") public var value: Linear
    @Child(key: "out_proj") public var output: Linear
    /// The number of heads.
    public let heads: Int
    /// Dropout on attention probabilities (training only).
    public let attentionDropout: Float
    private let source: RandomSource?

    /// Attention over `dimension` features split into `heads` heads.
    public init(
        dimension: Int, heads: Int, bias: Bool = true, attentionDropout: Float = 0,
        source: RandomSource? = nil, rng: inout KalamRandom
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
        let q = try splitHeads(try query(x), heads: heads)  // [B, H, T, D]
        var k: Tensor, v: Tensor
        if let memory, let cached = cache?.layers[layer] {
            (k, v) = cached  // cross-attention: the memory's keys and values were computed once
        } else {
            let source = memory ?? x
            k = try splitHeads(try key(source), heads: heads)
            v = try splitHeads(try value(source), heads: heads)
            if let cache {
                if memory != nil {
                    cache.layers[layer] = (k, v)
                } else {
                    (k, v) = try cache.append(layer: layer, keys: k, values: v)
                }
            }
        }
        let p = isTraining ? attentionDropout : 0
        let options = AttentionOptions(causal: causal && memory == nil, keyMask: keyMask, dropout: p)
        let attended: Tensor
        if p > 0, let source {
            attended = try scaledDotProductAttention(q, k, v, options: options, rng: &source.generator)
        } else {
            attended = try scaledDotProductAttention(
                q, k, v, options: AttentionOptions(causal: options.causal, keyMask: keyMask))
        }
        return try output(try mergeHeads(attended))  // [B, T, C]
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
