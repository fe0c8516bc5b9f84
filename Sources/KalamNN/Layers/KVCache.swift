import KalamCore

/// Keys and values of past positions for each attention layer, so decoding step `t` attends to
/// `0…t` without recomputing them. For inference: use it under `Tensor.withoutGrad`.
///
/// Self-attention layers append in place: each layer owns a buffer `[B, H, capacity, D]` that grows
/// geometrically, and ``append(layer:keys:values:)`` returns views `[B, H, T, D]` of the filled
/// part, which attention reads without a copy. Cross-attention layers store the encoder's keys and
/// values once (``setCross(layer:keys:values:)``). ``reorder(_:)`` keeps, copies and permutes batch
/// rows, as beam search needs.
public final class KVCache {
    struct Buffer {
        var keys: Tensor  // [B, H, capacity, D]
        var values: Tensor
        var length: Int
        var rows: Int { keys.shape[0] }
        var heads: Int { keys.shape[1] }
        var capacity: Int { keys.shape[2] }
        var headDim: Int { keys.shape[3] }

        func view(_ t: Tensor) -> Tensor {
            let (h, c, d) = (heads, capacity, headDim)
            return Tensor(storage: t.storage, shape: [rows, h, length, d], strides: [h * c * d, c * d, d, 1])
        }
    }

    var buffers: [Buffer?]
    var cross: [(keys: Tensor, values: Tensor)?]

    /// An empty cache for `layerCount` layers.
    public init(layerCount: Int) {
        buffers = Array(repeating: nil, count: layerCount)
        cross = Array(repeating: nil, count: layerCount)
    }

    /// The number of cached positions (of layer 0's self-attention).
    public var length: Int { buffers.first??.length ?? 0 }

    /// The number of batch rows the cache holds (0 when empty).
    public var rows: Int { buffers.first??.rows ?? cross.first??.keys.shape[0] ?? 0 }

    /// Appends new keys and values `[B, H, Tnew, D]` to layer `layer` and returns views of all of them
    /// `[B, H, T, D]`.
    /// - Throws: `TensorError.shapeMismatch` when the new entries disagree with the cached ones.
    public func append(layer: Int, keys: Tensor, values: Tensor) throws -> (keys: Tensor, values: Tensor) {
        guard keys.rank == 4, keys.shape == values.shape else {
            throw TensorError.shapeMismatch(op: "KVCache.append", lhs: keys.shape, rhs: values.shape)
        }
        let (b, h, tn, d) = (keys.shape[0], keys.shape[1], keys.shape[2], keys.shape[3])
        var buffer =
            buffers[layer]
            ?? Buffer(
                keys: Tensor(uninitializedShape: [b, h, max(16, tn), d]),
                values: Tensor(uninitializedShape: [b, h, max(16, tn), d]), length: 0)
        guard buffer.rows == b, buffer.heads == h, buffer.headDim == d else {
            throw TensorError.shapeMismatch(
                op: "KVCache.append", lhs: [buffer.rows, buffer.heads, buffer.length, buffer.headDim], rhs: keys.shape)
        }
        if buffer.length + tn > buffer.capacity {
            buffer = Self.grown(buffer, to: max(2 * buffer.capacity, buffer.length + tn))
        }
        Self.write(keys.contiguous(), into: buffer.keys, at: buffer.length)
        Self.write(values.contiguous(), into: buffer.values, at: buffer.length)
        buffer.length += tn
        buffers[layer] = buffer
        return (buffer.view(buffer.keys), buffer.view(buffer.values))
    }

    /// The cross-attention keys and values of `layer`, or nil before they are set.
    public func crossEntry(layer: Int) -> (keys: Tensor, values: Tensor)? { cross[layer] }

    /// Stores a cross-attention layer's keys and values `[B, H, S, D]` (computed once from the encoder).
    public func setCross(layer: Int, keys: Tensor, values: Tensor) {
        cross[layer] = (keys.contiguous(), values.contiguous())
    }

    /// Keeps, for each new batch row `i`, the cached row `indices[i]` (beam search reordering).
    ///
    /// When the number of rows stays the same (every beam-search step), self-attention buffers are
    /// reordered in place: only the rows that change are written, from a copy of the filled positions
    /// of the rows they come from; rows that keep their own entries are not touched.
    /// - Throws: `TensorError.indexOutOfRange` for an index outside the batch.
    public func reorder(_ indices: [Int]) throws {
        buffers = try buffers.map { entry in
            guard let entry else { return nil }
            for r in indices where r < 0 || r >= entry.rows {
                throw TensorError.indexOutOfRange(op: "selectingRows", index: r, bound: entry.rows)
            }
            if indices.count == entry.rows {
                Self.reorderInPlace(entry, indices)
                return entry
            }
            return Buffer(
                keys: try entry.keys.selectingRows(indices), values: try entry.values.selectingRows(indices),
                length: entry.length)
        }
        cross = try cross.map { entry in
            guard let entry else { return nil }
            if indices == Array(0..<entry.keys.shape[0]) { return entry }
            return (try entry.keys.selectingRows(indices), try entry.values.selectingRows(indices))
        }
    }

    /// Row `i` of `buffer` becomes row `indices[i]` (same row count), copying filled positions only.
    static func reorderInPlace(_ buffer: Buffer, _ indices: [Int]) {
        let changed = indices.indices.filter { indices[$0] != $0 }
        guard !changed.isEmpty else { return }
        let sources = Array(Set(changed.map { indices[$0] })).sorted()
        let (h, c, d, length) = (buffer.heads, buffer.capacity, buffer.headDim, buffer.length)
        let rowFloats = h * length * d
        let saved = UnsafeMutablePointer<Float>.allocate(capacity: sources.count * rowFloats)
        defer { saved.deallocate() }
        let slot = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($1, $0) })
        for tensor in [buffer.keys, buffer.values] {
            for (k, r) in sources.enumerated() {
                for head in 0..<h {
                    (saved + k * rowFloats + head * length * d).update(
                        from: tensor.data + (r * h + head) * c * d, count: length * d)
                }
            }
            for i in changed {
                let from = saved + slot[indices[i]]! * rowFloats
                for head in 0..<h {
                    (tensor.data + (i * h + head) * c * d).update(from: from + head * length * d, count: length * d)
                }
            }
        }
    }

    /// Copies `x` `[B, H, Tn, D]` (dense) into `buffer` `[B, H, capacity, D]` at position `at`.
    static func write(_ x: Tensor, into buffer: Tensor, at position: Int) {
        let (b, h, tn, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let capacity = buffer.shape[2]
        for bh in 0..<(b * h) {
            (buffer.data + (bh * capacity + position) * d).update(from: x.data + bh * tn * d, count: tn * d)
        }
    }

    /// A buffer with a larger capacity holding the same entries.
    static func grown(_ buffer: Buffer, to capacity: Int) -> Buffer {
        let shape = [buffer.rows, buffer.heads, capacity, buffer.headDim]
        let keys = Tensor(uninitializedShape: shape), values = Tensor(uninitializedShape: shape)
        let d = buffer.headDim, old = buffer.capacity
        for bh in 0..<(buffer.rows * buffer.heads) {
            (keys.data + bh * capacity * d).update(from: buffer.keys.data + bh * old * d, count: buffer.length * d)
            (values.data + bh * capacity * d).update(from: buffer.values.data + bh * old * d, count: buffer.length * d)
        }
        return Buffer(keys: keys, values: values, length: buffer.length)
    }
}
