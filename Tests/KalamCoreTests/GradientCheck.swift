import Testing

@testable import KalamCore

/// A small deterministic generator for test inputs (SplitMix64).
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func tensor(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        return try! Tensor((0..<n).map { _ in uniform(lo, hi) }, shape: shape)
    }
}

/// Compares the analytic gradient of `Σ f(inputs) ⊙ R` (R a fixed random projection) with central
/// differences. The forward pass runs in float32 (Kalam's compute type); the difference quotient and the
/// projection are accumulated in float64. Returns the worst relative error
/// `‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-6)` over the inputs.
func gradientError(
    _ inputs: [Tensor], step: Float = 1e-2, seed: UInt64 = 7, _ f: ([Tensor]) throws -> Tensor
) throws -> Double {
    for x in inputs {
        x.requiringGrad()
        x.grad = nil
    }
    let probe = try f(inputs)
    var rng = TestRNG(seed)
    let projection = (0..<probe.count).map { _ in Double(rng.uniform(-1, 1)) }
    func loss() throws -> Double {
        let y = try Tensor.withoutGrad { try f(inputs) }.scalars
        return zip(y, projection).reduce(0) { $0 + Double($1.0) * $1.1 }
    }
    let out = try f(inputs)
    let seedTensor = try Tensor(projection.map(Float.init), shape: out.shape)
    try out.backward(seed: seedTensor)
    var worst = 0.0
    for x in inputs {
        let analytic = (x.grad?.scalars ?? [Float](repeating: 0, count: x.count)).map(Double.init)
        var numeric = [Double](repeating: 0, count: x.count)
        precondition(x.isContiguous, "gradient checks need dense inputs")
        for i in 0..<x.count {
            let saved = x.data[i]
            x.data[i] = saved + step
            let plus = try loss()
            x.data[i] = saved - step
            let minus = try loss()
            x.data[i] = saved
            numeric[i] = (plus - minus) / (2 * Double(step))
        }
        let diff = zip(analytic, numeric).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        let scale = max(
            analytic.map { $0 * $0 }.reduce(0, +).squareRoot(),
            numeric.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-6)
        worst = max(worst, diff / scale)
    }
    return worst
}
