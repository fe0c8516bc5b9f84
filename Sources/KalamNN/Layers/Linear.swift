import KalamCore

/// A fully connected layer `y = x Wᵀ + b` with `weight` `[out, in]` (PyTorch's layout) and `bias` `[out]`.
public final class Linear: Module {
    /// `[out, in]`.
    @Parameter public var weight: Tensor
    /// `[out]`, or nil for a layer without bias.
    @Parameter public var bias: Tensor?

    /// A layer with weights drawn by `initializer` (default normal(0.02)) and a zero bias.
    public init(
        _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true,
        initializer: Initializer = .normal(std: 0.02), rng: inout KalamRandom
    ) {
        self.weight = initializer.make([outFeatures, inFeatures], rng: &rng)
        self.bias = bias ? Tensor.zeros([outFeatures]) : nil
        super.init()
    }

    /// `[..., in]` → `[..., out]`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try linear(x, weight: weight, bias: bias)
    }
}
