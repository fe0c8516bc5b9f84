import KalamCore

/// LoRA (Hu et al. 2021) on a linear layer: `y = x Wᵀ + b + s · B(A(dropout(x)))` with `A` `[r, in]`,
/// `B` `[out, r]` and the scale `s = α / r` (or `α / √r` with rank-stabilised scaling).
///
/// It stands where the `Linear` stood (``Module/replace(_:with:)``) and keeps that layer's `weight` and
/// `bias` tensors — the same objects, frozen — so a base checkpoint still loads under the old keys and
/// the base weights stay bit-identical while `lora_A.weight` and `lora_B.weight` train. The keys and
/// the initialisation are PEFT's: `A` Kaiming-uniform with `a = √5` (uniform in `±1/√in`), `B` zero,
/// so the layer starts as the base layer exactly.
public final class LoRALinear: Linear {
    /// `[r, in]`.
    @Child(key: "lora_A") public var loraA: Linear
    /// `[out, r]`.
    @Child(key: "lora_B") public var loraB: Linear
    @Child(key: "lora_dropout") var loraDropout: Dropout
    /// The rank `r`.
    public let rank: Int
    /// `α`.
    public let alpha: Float
    /// The factor on the low-rank update.
    public let scaling: Float
    /// Whether `s · B A` has been added into `weight` (``merge()``).
    public private(set) var isMerged = false

    /// Wraps `base`: its `weight` and `bias` are kept (and frozen), `A` is drawn from `rng`, `B` is zero.
    /// - Parameters:
    ///   - rankStabilized: scale by `α / √r` (PEFT's `use_rslora`) instead of `α / r`.
    ///   - source: the generator of the dropout on the LoRA path.
    public init(
        wrapping base: Linear, rank: Int, alpha: Float, dropout: Float = 0, rankStabilized: Bool = false,
        source: RandomSource, rng: inout KalamRandom
    ) {
        let (outFeatures, inFeatures) = (base.weight.shape[0], base.weight.shape[1])
        self.rank = rank
        self.alpha = alpha
        scaling = rankStabilized ? alpha / Float(rank).squareRoot() : alpha / Float(rank)
        super.init(weight: base.weight, bias: base.bias)
        let bound = 1 / Float(inFeatures).squareRoot()
        let a = Tensor(uninitializedShape: [rank, inFeatures])
        for i in 0..<a.count { a.data[i] = Float(rng.nextDouble() * 2 - 1) * bound }
        _loraA.wrappedValue = Linear(weight: a, bias: nil)
        _loraB.wrappedValue = Linear(weight: Tensor.zeros([outFeatures, rank]), bias: nil)
        _loraDropout.wrappedValue = Dropout(dropout, source: source)
        weight.requiringGrad(false)
        bias?.requiringGrad(false)
    }

    /// `[..., in]` → `[..., out]`.
    public override func callAsFunction(_ x: Tensor) throws -> Tensor {
        let base = try linear(x, weight: weight, bias: bias)
        guard !isMerged else { return base }
        let update = try loraB(loraA(loraDropout(x)))
        return try base + update * scaling
    }

    /// `s · B A`, `[out, in]`.
    public func delta() throws -> Tensor {
        try Tensor.withoutGrad { try matmul(loraB.weight, loraA.weight) * scaling }
    }

    /// Adds `s · B A` into `weight` in place, so inference costs one product; the LoRA path is then
    /// skipped. ``unmerge()`` takes it out again.
    public func merge() throws {
        guard !isMerged else { return }
        addInPlace(weight, try delta(), sign: 1)
        isMerged = true
    }

    /// Subtracts the update merged by ``merge()``.
    public func unmerge() throws {
        guard isMerged else { return }
        addInPlace(weight, try delta(), sign: -1)
        isMerged = false
    }

    private func addInPlace(_ target: Tensor, _ update: Tensor, sign: Float) {
        precondition(target.isContiguous, "LoRA base weights are dense")
        let values = update.scalars, p = target.data
        for i in 0..<target.count { p[i] += sign * values[i] }
    }
}
