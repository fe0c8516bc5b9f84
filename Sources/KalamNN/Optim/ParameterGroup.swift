import KalamCore

/// A set of parameters, chosen by key and shape, that gets its own weight decay and learning-rate scale
/// (PyTorch's parameter groups, addressed by key instead of by tensor).
///
/// Groups are checked in order; the first whose `matches` accepts a parameter applies. A parameter that
/// matches no group gets the optimizer's `weightDecay` when `ParameterGroup.defaultDecays` accepts it and
/// no decay otherwise, at the base learning rate.
///
/// ```swift
/// // Layer-wise LR decay for the embeddings, no decay for a classifier bias:
/// let groups = [ParameterGroup(name: "embeddings", learningRateScale: 0.5) { key, _ in key.hasPrefix("wte") }]
/// ```
public struct ParameterGroup: Sendable {
    /// A label (for logging and saved hyperparameters).
    public var name: String
    /// The weight decay of the group, or `nil` to use the default rule.
    public var weightDecay: Float?
    /// The factor applied to the optimizer's learning rate for this group.
    public var learningRateScale: Float
    /// Whether a parameter, given its key and shape, belongs to the group.
    public var matches: @Sendable (_ key: String, _ shape: [Int]) -> Bool

    /// A group of the parameters that `matches` accepts.
    public init(
        name: String, weightDecay: Float? = nil, learningRateScale: Float = 1,
        matches: @escaping @Sendable (_ key: String, _ shape: [Int]) -> Bool
    ) {
        self.name = name
        self.weightDecay = weightDecay
        self.learningRateScale = learningRateScale
        self.matches = matches
    }

    /// The default weight-decay rule (GPT-2 / BERT / nanoGPT practice): a parameter decays unless it is
    /// - a bias (its key ends in `.bias`), or any rank-0 or rank-1 tensor (biases, norm gains), or
    /// - a normalisation parameter: a key component that starts with `ln` (`ln_1`, `ln_f`) or contains
    ///   `norm` in any case (`LayerNorm`, `layer_norm`, `final_layer_norm`, `norm`), or
    /// - an embedding: a key component equal to `wte`, `wpe` or `shared`, or containing `embed`
    ///   (`embeddings`, `word_embeddings`, `embed_tokens`).
    /// So matrices of linear layers decay; biases, norms and embeddings do not.
    public static func defaultDecays(key: String, shape: [Int]) -> Bool {
        if shape.count < 2 || key.hasSuffix(".bias") { return false }
        for component in key.split(separator: ".") {
            let c = component.lowercased()
            if c.hasPrefix("ln") || c.contains("norm") { return false }
            if c == "wte" || c == "wpe" || c == "shared" || c.contains("embed") { return false }
        }
        return true
    }
}
