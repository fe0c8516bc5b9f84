import KalamCore

/// A bottleneck adapter (Houlsby et al. 2019): `h + up(gelu(down(h)))`, `down` `[size, C]` and `up`
/// `[C, size]`, both with biases. `up` starts at zero, so a freshly inserted adapter is the identity
/// and the adapted network computes exactly what the base network did.
public final class BottleneckAdapter: Module {
    /// `[size, C]`.
    @Child(key: "down") public var down: Linear
    /// `[C, size]`.
    @Child(key: "up") public var up: Linear

    /// An adapter of width `size` over `features` channels; `down` drawn normal(0.01) from `rng`.
    public init(features: Int, size: Int, rng: inout KalamRandom) {
        super.init()
        _down.wrappedValue = Linear(features, size, initializer: .normal(std: 0.01), rng: &rng)
        _up.wrappedValue = Linear(size, features, initializer: .zeros, rng: &rng)
    }

    /// `[..., C]` → `[..., C]`.
    public func callAsFunction(_ h: Tensor) throws -> Tensor {
        try h + up(down(h).geluErf())
    }
}

/// A linear layer followed by a ``BottleneckAdapter`` on its output: where Houlsby places adapters,
/// after the attention output projection and after the feed-forward output projection, before the
/// residual connection and layer norm. It keeps the wrapped layer's `weight` and `bias` (the same
/// tensors, frozen), so base checkpoints load under the old keys; the adapter's keys are
/// `adapter.down.*` and `adapter.up.*` below the layer's.
public final class AdaptedLinear: Linear {
    /// The adapter.
    @Child(key: "adapter") public var adapter: BottleneckAdapter

    /// Wraps `base` with an adapter of width `size`.
    public init(wrapping base: Linear, size: Int, rng: inout KalamRandom) {
        super.init(weight: base.weight, bias: base.bias)
        _adapter.wrappedValue = BottleneckAdapter(features: base.weight.shape[0], size: size, rng: &rng)
        weight.requiringGrad(false)
        bias?.requiringGrad(false)
    }

    /// `[..., in]` → `[..., out]`.
    public override func callAsFunction(_ x: Tensor) throws -> Tensor {
        try adapter(linear(x, weight: weight, bias: bias))
    }
}
