import KalamCore

/// LoRA (Hu et al. 2021) on a linear layer: `y = x Wᵀ + b + s · B(A(dropout(x)))` with `A` `[r, in]`,
/// `B` `[out, r]` and the scale `s = α / r` (or `α / √r` with rank-stabilised scaling).
///
/// It stands where the `Linear` stood (``Module/replace(_:with:)``) and keeps that layer's `weight` and
/// `bias` tensors — the same objects, frozen — so a base checkpoint still loads under the old keys and
/// the base weights stay bit-identical while `lora_A.weight` and `lora_B.weight` train. The keys and
/// the initialisation are PEFT's: `A` Kaiming-uniform with `a = √5` (uniform in `±1/√in`), `B` zero,
/// so the layer starts as the base layer exactly.
public final class LoRALinear: Linear, LoRALayer {
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
        let f = LoRAFactors(
            inFeatures: base.weight.shape[1], outFeatures: base.weight.shape[0], rank: rank, alpha: alpha,
            dropout: dropout, rankStabilized: rankStabilized, source: source, rng: &rng)
        self.rank = rank
        self.alpha = alpha
        scaling = f.scaling
        super.init(weight: base.weight, bias: base.bias)
        (_loraA.wrappedValue, _loraB.wrappedValue, _loraDropout.wrappedValue) = (f.a, f.b, f.dropout)
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
        loraAddInPlace(weight, try delta(), sign: 1)
        isMerged = true
    }

    /// Subtracts the update merged by ``merge()``.
    public func unmerge() throws {
        guard isMerged else { return }
        loraAddInPlace(weight, try delta(), sign: -1)
        isMerged = false
    }

    /// A plain `Linear` over the (merged or not) base tensors.
    public func unloaded() -> Module { Linear(weight: weight, bias: bias) }
}

/// A LoRA wrapper of either layer type (``LoRALinear``, ``LoRAConv1D``).
public protocol LoRALayer: Module {
    /// Whether the update has been added into the base weight.
    var isMerged: Bool { get }
    /// Adds the update into the base weight.
    func merge() throws
    /// Takes a merged update out again.
    func unmerge() throws
    /// The plain layer over the base tensors, for ``Module/mergeAndUnloadLoRA()``.
    func unloaded() -> Module
}

/// The trainable half of a LoRA layer, the same for a `Linear` and a `Conv1D`: `A` `[r, in]` drawn
/// Kaiming-uniform as PEFT does (uniform in `±1/√in`), `B` `[out, r]` zero, the dropout on the path, and
/// the scale `α / r` (or `α / √r`).
struct LoRAFactors {
    let a: Linear, b: Linear, dropout: Dropout, scaling: Float

    init(
        inFeatures: Int, outFeatures: Int, rank: Int, alpha: Float, dropout p: Float, rankStabilized: Bool,
        source: RandomSource, rng: inout KalamRandom
    ) {
        let bound = 1 / Float(inFeatures).squareRoot()
        let weight = Tensor(uninitializedShape: [rank, inFeatures])
        for i in 0..<weight.count { weight.data[i] = Float(rng.nextDouble() * 2 - 1) * bound }
        a = Linear(weight: weight, bias: nil)
        b = Linear(weight: Tensor.zeros([outFeatures, rank]), bias: nil)
        dropout = Dropout(p, source: source)
        scaling = rankStabilized ? alpha / Float(rank).squareRoot() : alpha / Float(rank)
    }
}

func loraAddInPlace(_ target: Tensor, _ update: Tensor, sign: Float) {
    precondition(target.isContiguous, "LoRA base weights are dense")
    let values = update.scalars, p = target.data
    for i in 0..<target.count { p[i] += sign * values[i] }
}

/// LoRA on GPT-2's ``Conv1D`` (`c_attn`, `c_proj`, `c_fc`), as PEFT does it with `fan_in_fan_out`: the
/// base weight is `[in, out]`, while `A` is `[r, in]` and `B` `[out, r]` as for a linear layer, so the
/// adapter's tensors have the same keys and shapes either way; merging adds `(s · B A)ᵀ`.
public final class LoRAConv1D: Conv1D, LoRALayer {
    /// `[r, in]`.
    @Child(key: "lora_A") public var loraA: Linear
    /// `[out, r]`.
    @Child(key: "lora_B") public var loraB: Linear
    @Child(key: "lora_dropout") var loraDropout: Dropout
    /// The rank `r`.
    public let rank: Int
    /// The factor on the low-rank update.
    public let scaling: Float
    /// Whether `(s · B A)ᵀ` has been added into `weight`.
    public private(set) var isMerged = false

    /// Wraps `base` as ``LoRALinear/init(wrapping:rank:alpha:dropout:rankStabilized:source:rng:)`` wraps a
    /// linear layer (the same draws for `A`, `B` zero).
    public init(
        wrapping base: Conv1D, rank: Int, alpha: Float, dropout: Float = 0, rankStabilized: Bool = false,
        source: RandomSource, rng: inout KalamRandom
    ) {
        let f = LoRAFactors(
            inFeatures: base.weight.shape[0], outFeatures: base.weight.shape[1], rank: rank, alpha: alpha,
            dropout: dropout, rankStabilized: rankStabilized, source: source, rng: &rng)
        self.rank = rank
        scaling = f.scaling
        super.init(weight: base.weight, bias: base.bias)
        (_loraA.wrappedValue, _loraB.wrappedValue, _loraDropout.wrappedValue) = (f.a, f.b, f.dropout)
        weight.requiringGrad(false)
        bias.requiringGrad(false)
    }

    /// `[..., in]` → `[..., out]`.
    public override func callAsFunction(_ x: Tensor) throws -> Tensor {
        let base = try conv1D(x, weight: weight, bias: bias)
        guard !isMerged else { return base }
        return try base + loraB(loraA(loraDropout(x))) * scaling
    }

    /// `(s · B A)ᵀ`, `[in, out]` like the base weight.
    public func delta() throws -> Tensor {
        try Tensor.withoutGrad { try (matmul(loraB.weight, loraA.weight) * scaling).transposed().contiguous() }
    }

    public func merge() throws {
        guard !isMerged else { return }
        loraAddInPlace(weight, try delta(), sign: 1)
        isMerged = true
    }

    public func unmerge() throws {
        guard isMerged else { return }
        loraAddInPlace(weight, try delta(), sign: -1)
        isMerged = false
    }

    public func unloaded() -> Module { Conv1D(weight: weight, bias: bias) }
}
