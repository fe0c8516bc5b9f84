import KalamCore

/// A lookup table of `count` vectors of size `dimension`: ids `[...]` → `[..., dimension]`.
public final class Embedding: Module {
    /// `[count, dimension]`.
    @Parameter public var weight: Tensor

    /// A table drawn by `initializer` (default normal(0.02)).
    public init(_ count: Int, _ dimension: Int, initializer: Initializer = .normal(std: 0.02), rng: inout KalamRandom) {
        self.weight = initializer.make([count, dimension], rng: &rng)
        super.init()
    }

    /// Looks up each id; an id outside `0..<count` is `TensorError.indexOutOfRange`.
    public func callAsFunction(_ ids: IndexTensor) throws -> Tensor { try embedding(ids, weight: weight) }
}
