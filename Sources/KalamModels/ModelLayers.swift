import Foundation
import KalamCore

/// The parameters of a model in Hugging Face `named_parameters()` order, keyed by their checkpoint keys.
///
/// Layers register their tensors here as they are built, each under its full key
/// (`transformer.h.0.attn.c_attn.weight`), so the model's parameter list, the strict loader and the
/// saver all use the checkpoint's own names and nothing is ever renamed.
final class ParameterRegistry {
    /// `(key, tensor)` in registration order.
    private(set) var entries: [(key: String, tensor: Tensor)] = []
    /// The random source the initialisers draw from.
    var rng: KalamRandom

    init(rng: KalamRandom) { self.rng = rng }

    /// A new parameter `[shape]` drawn from `N(0, std²)`, registered under `key`.
    func normal(_ key: String, _ shape: [Int], std: Float) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        rng.fillNormal(UnsafeMutableBufferPointer(start: t.data, count: t.count), mean: 0, std: std)
        return register(key, t)
    }

    /// A new parameter filled with `value`, registered under `key`.
    func constant(_ key: String, _ shape: [Int], _ value: Float) -> Tensor {
        register(key, Tensor.full(shape, value))
    }

    private func register(_ key: String, _ t: Tensor) -> Tensor {
        t.requiringGrad()
        entries.append((key, t))
        return t
    }
}

/// `nn.Linear`: `y = x Wᵀ + b` with `weight` `[out, in]`.
struct DenseLayer {
    let weight: Tensor
    let bias: Tensor?

    init(
        _ r: ParameterRegistry, _ prefix: String, in inFeatures: Int, out outFeatures: Int, std: Float,
        bias: Bool = true
    ) {
        weight = r.normal(prefix + ".weight", [outFeatures, inFeatures], std: std)
        self.bias = bias ? r.constant(prefix + ".bias", [outFeatures], 0) : nil
    }

    /// `[..., in]` → `[..., out]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor { try linear(x, weight: weight, bias: bias) }
}

/// GPT-2's `Conv1D`: the one place Kalam handles GPT-2's `[in, out]` weight layout.
///
/// GPT-2 checkpoints store `c_attn`, `c_proj` and `c_fc` weights as `[in, out]` (the transpose of
/// `nn.Linear`). Kalam keeps them in that layout — the parameter, its gradient and the saved tensor
/// all have the checkpoint's shape — and computes `y = x W + b` with a plain matrix product, so
/// nothing is transposed on load or save.
struct GPT2Conv1D {
    let weight: Tensor  // [in, out]
    let bias: Tensor  // [out]

    init(_ r: ParameterRegistry, _ prefix: String, in inFeatures: Int, out outFeatures: Int, std: Float) {
        weight = r.normal(prefix + ".weight", [inFeatures, outFeatures], std: std)
        bias = r.constant(prefix + ".bias", [outFeatures], 0)
    }

    /// `[..., in]` → `[..., out]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try matmul(x, weight) + bias  // [..., in] x [in, out] -> [..., out]
    }
}

/// `nn.Embedding`: a `[count, dim]` table looked up by id.
struct EmbeddingTable {
    let weight: Tensor

    init(_ r: ParameterRegistry, _ key: String, count: Int, dim: Int, std: Float) {
        weight = r.normal(key, [count, dim], std: std)
    }

    /// ids `[...]` → `[..., dim]`.
    func callAsFunction(_ ids: IndexTensor) throws -> Tensor { try embedding(ids, weight: weight) }
}

/// `nn.LayerNorm` with weight and bias.
struct LayerNormLayer {
    let weight: Tensor
    let bias: Tensor
    let eps: Float

    init(_ r: ParameterRegistry, _ prefix: String, dim: Int, eps: Double) {
        weight = r.constant(prefix + ".weight", [dim], 1)
        bias = r.constant(prefix + ".bias", [dim], 0)
        self.eps = Float(eps)
    }

    /// Normalises the last dimension.
    func callAsFunction(_ x: Tensor) throws -> Tensor { try x.layerNorm(weight: weight, bias: bias, eps: eps) }
}

/// Dropout whose mask comes from the owning model's generator; identity outside training.
struct DropoutLayer {
    let p: Float

    init(_ p: Double) { self.p = Float(p) }

    /// `x` with elements zeroed with probability `p` (scaled by `1/(1-p)`) when `training`.
    func callAsFunction(_ x: Tensor, training: Bool, rng: inout KalamRandom) throws -> Tensor {
        guard training, p > 0 else { return x }
        return try x.dropout(p, rng: &rng)
    }
}

extension Activation {
    /// Applies the activation.
    func apply(_ x: Tensor) -> Tensor {
        switch self {
        case .gelu: return x.geluErf()
        case .geluNew, .geluPytorchTanh: return x.geluTanh()
        case .relu: return x.relu()
        }
    }
}

/// Splits heads: `[B, T, H·D]` → `[B, H, T, D]`.
func splitHeads(_ x: Tensor, heads: Int) throws -> Tensor {
    let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
    return try x.reshaped([b, t, heads, c / heads]).permuted([0, 2, 1, 3])  // [B, T, H, D] -> [B, H, T, D]
}

/// Merges heads: `[B, H, T, D]` → `[B, T, H·D]`.
func mergeHeads(_ x: Tensor) throws -> Tensor {
    let (b, h, t, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    return try x.permuted([0, 2, 1, 3]).reshaped([b, t, h * d])  // [B, H, T, D] -> [B, T, H, D] -> [B, T, C]
}
