import Foundation
import KalamCore

/// How a parameter's initial values are drawn, always from a seeded `KalamRandom`.
public enum Initializer: Sendable, Equatable {
    /// All zeros.
    case zeros
    /// All ones.
    case ones
    /// Normal with mean 0 and the given standard deviation (GPT-2 and BERT use 0.02).
    case normal(std: Float)
    /// GPT-2's scaled residual init: normal with `std / √(2 · layers)` for projections into the
    /// residual stream.
    case scaledResidual(std: Float, layers: Int)
    /// Xavier/Glorot uniform: `U(−a, a)`, `a = gain · √(6 / (fanIn + fanOut))`.
    case xavierUniform(gain: Float)
    /// Xavier/Glorot normal: std `gain · √(2 / (fanIn + fanOut))`.
    case xavierNormal(gain: Float)
    /// Kaiming/He uniform for ReLU: `U(−b, b)`, `b = √(6 / fanIn)`.
    case kaimingUniform
    /// Kaiming/He normal for ReLU: std `√(2 / fanIn)`.
    case kaimingNormal

    /// A new tensor of `shape` (`[out, in]` for matrices: fanIn is the last dimension) with values drawn
    /// from `rng`.
    public func make(_ shape: [Int], rng: inout KalamRandom) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        fill(t, rng: &rng)
        return t
    }

    /// Overwrites the values of a dense tensor.
    public func fill(_ t: Tensor, rng: inout KalamRandom) {
        let buffer = UnsafeMutableBufferPointer(start: t.data, count: t.count)
        let fanIn = Float(t.shape.last ?? 1)
        let fanOut = Float(t.rank >= 2 ? t.shape[t.rank - 2] : 1)
        switch self {
        case .zeros: buffer.update(repeating: 0)
        case .ones: buffer.update(repeating: 1)
        case let .normal(std): rng.fillNormal(buffer, mean: 0, std: std)
        case let .scaledResidual(std, layers):
            rng.fillNormal(buffer, mean: 0, std: std / Float(2 * max(layers, 1)).squareRoot())
        case let .xavierUniform(gain):
            let a = gain * (6 / (fanIn + fanOut)).squareRoot()
            rng.fillUniform(buffer, low: -a, high: a)
        case let .xavierNormal(gain): rng.fillNormal(buffer, mean: 0, std: gain * (2 / (fanIn + fanOut)).squareRoot())
        case .kaimingUniform:
            let b = (6 / fanIn).squareRoot()
            rng.fillUniform(buffer, low: -b, high: b)
        case .kaimingNormal: rng.fillNormal(buffer, mean: 0, std: (2 / fanIn).squareRoot())
        }
    }
}

/// A seeded generator shared by the layers of one model (dropout masks), so that a training run can
/// save and restore its exact state.
public final class RandomSource: @unchecked Sendable {
    /// The generator; its state is part of a training checkpoint.
    public var generator: KalamRandom

    /// A source seeded with `seed`.
    public init(seed: UInt64) { generator = KalamRandom(seed: seed) }
}
