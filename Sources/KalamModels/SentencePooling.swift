import KalamCore

/// Sentence embeddings from token states, as sentence-transformers computes them for all-MiniLM-L6-v2:
/// mean pooling over the attention mask, then L2 normalisation. Built from recorded ops, so gradients flow.
public enum SentencePooling {
    /// The mean of `hidden` `[B, T, C]` over the positions where `mask` `[B, T]` is 1 → `[B, C]`.
    /// The token count is clamped below at 1e-9, as sentence-transformers does.
    /// - Throws: ``ModelError/invalidInput(name:reason:)`` when the shapes disagree.
    public static func meanPooled(_ hidden: Tensor, mask: IndexTensor) throws -> Tensor {
        guard hidden.rank == 3, mask.shape == [hidden.shape[0], hidden.shape[1]] else {
            throw ModelError.invalidInput(
                name: "attention_mask", reason: "shape \(mask.shape) does not fit hidden states \(hidden.shape)")
        }
        let (b, t) = (hidden.shape[0], hidden.shape[1])
        let weights = try Tensor(mask.values.map { Float($0) }, shape: [b, t, 1])  // [B, T, 1]
        let summed = try (hidden * weights).sum(axes: [1])  // [B, C]
        var counts = [Float](repeating: 0, count: b)
        for row in 0..<b { counts[row] = max(Float(mask.values[(row * t)..<((row + 1) * t)].reduce(0, +)), 1e-9) }
        return try summed / Tensor(counts, shape: [b, 1])  // [B, C]
    }

    /// Each row of `x` `[B, C]` divided by its Euclidean norm (clamped below at 1e-12, as
    /// `torch.nn.functional.normalize` does).
    public static func l2Normalized(_ x: Tensor) throws -> Tensor {
        let norms = try x.square().sum(axes: [-1], keepDims: true).sqrt()  // [B, 1]
        let floor = Tensor.full(norms.shape, 1e-12)
        let keep = try Tensor(norms.scalars.map { $0 > 1e-12 ? 1 : 0 }, shape: norms.shape)
        let clamped = try Tensor.where(keep, norms, floor)  // max(norm, 1e-12)
        return try x / clamped
    }
}
