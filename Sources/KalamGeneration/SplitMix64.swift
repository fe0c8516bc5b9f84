/// SplitMix64 (Steele, Lea and Flood 2014): a small, fast, seedable 64-bit generator, used for sampling
/// until the core tensor module offers its own seeded generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The internal state.
    public private(set) var state: UInt64

    /// Makes a generator from a seed; the same seed gives the same stream.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}
