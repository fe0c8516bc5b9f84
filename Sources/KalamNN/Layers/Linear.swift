import KalamCore

/// A fully connected layer `y = x Wᵀ + b` with `weight` `[out, in]` (PyTorch's layout) and `bias` `[out]`.
///
/// The class is open so that wrappers that must stand where a `Linear` stands (LoRA, adapters) can
/// subclass it and be put in place with ``Module/replace(_:with:)``.
open class Linear: Module {
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

    /// A layer over existing tensors (`weight` `[out, in]`, `bias` `[out]`).
    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
        super.init()
    }

    /// `[..., in]` → `[..., out]`.
    open func callAsFunction(_ x: Tensor) throws -> Tensor {
        try linear(x, weight: weight, bias: bias)
    }
}

/// GPT-2's `Conv1D`: a fully connected layer whose weight is stored `[in, out]` (the transpose of
/// `nn.Linear`), as GPT-2 checkpoints keep `c_attn`, `c_proj` and `c_fc`. The parameter, its gradient
/// and the saved tensor all have the checkpoint's shape; `y = x W + b` is one matrix product.
open class Conv1D: Module {
    /// `[in, out]`.
    @Parameter public var weight: Tensor
    /// `[out]`.
    @Parameter public var bias: Tensor

    /// A layer of `outFeatures` outputs drawn by `initializer` (default normal(0.02)), zero bias.
    public init(
        _ inFeatures: Int, _ outFeatures: Int, initializer: Initializer = .normal(std: 0.02),
        rng: inout KalamRandom
    ) {
        self.weight = initializer.make([inFeatures, outFeatures], rng: &rng)
        self.bias = Tensor.zeros([outFeatures])
        super.init()
    }

    /// A layer over existing tensors (`weight` `[in, out]`, `bias` `[out]`).
    public init(weight: Tensor, bias: Tensor) {
        self.weight = weight
        self.bias = bias
        super.init()
    }

    /// `[..., in]` → `[..., out]`.
    open func callAsFunction(_ x: Tensor) throws -> Tensor {
        try conv1D(x, weight: weight, bias: bias)
    }
}
