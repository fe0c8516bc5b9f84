import KalamCore

/// What a model with a head returns: the logits and, when labels were given, the loss
/// (transformers' `CausalLMOutput`, `MaskedLMOutput`, `SequenceClassifierOutput`, ...).
public struct ModelOutput {
    /// `[B, T, V]` for language-model heads, `[B, T, K]` for token classification, `[B, K]` for sequence
    /// classification.
    public let logits: Tensor
    /// The mean loss over the labels that are not `-100`, as transformers computes it; `nil` without labels.
    public let loss: Tensor?

    /// An output from its parts.
    public init(logits: Tensor, loss: Tensor?) {
        self.logits = logits
        self.loss = loss
    }
}

/// What `BertModel` returns (transformers' `BaseModelOutputWithPooling`).
public struct BertModelOutput {
    /// `[B, T, C]`: the last encoder layer.
    public let lastHiddenState: Tensor
    /// `[B, C]`: `tanh(dense(h[:, 0]))`, or `nil` for a model built without the pooler.
    public let poolerOutput: Tensor?
}

/// Helpers shared by the heads.
enum Heads {
    /// `labels` shifted left by one along the time axis, the last position ignored (`-100`):
    /// position `t` of the result is the token that position `t` of the logits must predict.
    static func shiftedLeft(_ labels: IndexTensor) throws -> IndexTensor {
        let (b, t) = (labels.shape[0], labels.shape[1])
        var out = [Int32](repeating: -100, count: b * t)
        for row in 0..<b {
            for col in 0..<(t - 1) { out[row * t + col] = labels.values[row * t + col + 1] }
        }
        return try IndexTensor(out, shape: [b, t])
    }

    /// Positions `0..<length` as an index tensor.
    static func positions(_ length: Int) -> IndexTensor {
        IndexTensor((0..<length).map { Int32($0) })
    }
}
