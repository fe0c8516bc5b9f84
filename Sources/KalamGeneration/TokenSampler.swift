import KalamCore

/// Picks the next token of one row from its processed logits.
public protocol TokenSampler {
    /// Returns the chosen token id.
    mutating func sample(_ logits: [Float]) -> Int32
}

/// Greedy decoding: the highest logit, the lowest id on ties (PyTorch's `argmax`).
public struct GreedySampler: TokenSampler {
    /// Makes the sampler.
    public init() {}

    /// Returns the arg-max.
    public mutating func sample(_ logits: [Float]) -> Int32 {
        Int32(LogitMath.argmax(logits))
    }
}

/// Multinomial sampling from `softmax(logits)` driven by a seeded `KalamRandom`: the same seed and the
/// same logits give the same tokens. Tokens at `-inf` are never drawn.
public struct MultinomialSampler: TokenSampler {
    /// The random source.
    public var generator: KalamRandom

    /// Makes a sampler seeded with `seed`.
    public init(seed: UInt64) {
        generator = KalamRandom(seed: seed)
    }

    /// Draws one token: the first index whose cumulative probability exceeds a uniform draw.
    public mutating func sample(_ logits: [Float]) -> Int32 {
        let probs = LogitMath.softmax(logits)
        let u = generator.nextDouble()
        var cumulative = 0.0
        var lastPossible = 0
        for i in 0..<probs.count where probs[i] > 0 {
            cumulative += probs[i]
            lastPossible = i
            if u < cumulative { return Int32(i) }
        }
        // Rounding left the total just under u: take the last token that had any mass.
        return Int32(lastPossible)
    }
}
