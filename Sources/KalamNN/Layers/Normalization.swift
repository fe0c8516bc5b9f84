import KalamCore

/// Layer normalisation over the last dimension with a learned scale (`weight`) and shift (`bias`).
public final class LayerNorm: Module {
    /// `[dimension]`, initialised to ones.
    @Parameter public var weight: Tensor
    /// `[dimension]`, initialised to zeros.
    @Parameter public var bias: Tensor?
    /// Added to the variance.
    public let eps: Float

    /// A layer norm of `dimension` features (`bias: false` for a scale-only norm).
    public init(_ dimension: Int, eps: Float = 1e-5, bias: Bool = true) {
        self.weight = Tensor.ones([dimension])
        self.bias = bias ? Tensor.zeros([dimension]) : nil
        self.eps = eps
        super.init()
    }

    /// `[..., dimension]` → same shape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.layerNorm(weight: weight, bias: bias, eps: eps) }
}

/// Root-mean-square normalisation (T5's layer norm): a learned scale, no mean subtraction, no bias.
public final class RMSNorm: Module {
    /// `[dimension]`, initialised to ones.
    @Parameter public var weight: Tensor
    /// Added to the mean square.
    public let eps: Float

    /// An RMS norm of `dimension` features, its scale initialised to `initialValue` (T5 uses its
    /// `initializer_factor`).
    public init(_ dimension: Int, eps: Float = 1e-6, initialValue: Float = 1) {
        self.weight = Tensor.full([dimension], initialValue)
        self.eps = eps
        super.init()
    }

    /// `[..., dimension]` → same shape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.rmsNorm(weight: weight, eps: eps) }
}

/// Inverted dropout: in training mode each element is zeroed with probability `p` and the rest scaled by
/// `1/(1−p)`; in evaluation mode it passes its input through. Masks come from the model's shared
/// `RandomSource`, so the same seed gives the same masks.
public final class Dropout: Module {
    /// The probability of zeroing an element.
    public let p: Float
    private let source: RandomSource

    /// A dropout layer drawing from `source`.
    public init(_ p: Float, source: RandomSource) {
        self.p = p
        self.source = source
        super.init()
    }

    /// Applies dropout in training mode; identity in evaluation mode or with `p == 0`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { return x }
        return try x.dropout(p, rng: &source.generator)
    }
}
