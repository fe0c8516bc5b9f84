import KalamCore

/// A hidden-layer activation named as in transformers' `ACT2FN` table (`config.json` values).
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// GELU with the exact error function: `x · Φ(x)` (BERT's `"gelu"`).
    case gelu = "gelu"
    /// GELU with the tanh approximation (GPT-2's `"gelu_new"`).
    case geluNew = "gelu_new"
    /// The tanh approximation under PyTorch's name; the same function as ``geluNew``.
    case geluPytorchTanh = "gelu_pytorch_tanh"
    /// `max(x, 0)` (T5 v1.0).
    case relu = "relu"

    /// Parses a `config.json` activation name; an unknown name is a ``ModelError/unsupportedValue(field:value:supported:)``.
    public init(hfName: String, field: String) throws {
        guard let value = Activation(rawValue: hfName) else {
            throw ModelError.unsupportedValue(
                field: field, value: hfName,
                supported: Activation.allCases.map(\.rawValue))
        }
        self = value
    }

    /// Whether this is the tanh-approximated GELU (under either name).
    public var isTanhGELU: Bool { self == .geluNew || self == .geluPytorchTanh }
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
