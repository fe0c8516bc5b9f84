// The seeded random number generator every random choice in Kalam goes through.
//
// xoshiro256** (Blackman & Vigna) seeded through SplitMix64. Everything here is integer arithmetic or
// IEEE 754 `+ - * /` and `squareRoot()`, which are correctly rounded on every platform; the logarithm
// the normal sampler needs is computed by our own series instead of libm. So one seed gives the same
// bits on Linux and macOS, x86-64 and arm64.

/// A seeded, platform-independent pseudo-random number generator (xoshiro256** seeded by SplitMix64).
///
/// The same seed gives the same sequence of numbers on every platform, and the generator's exact
/// position can be saved and restored (`Codable`), so a training run can stop and resume bit-for-bit.
/// Use ``fork(stream:)`` to derive independent generators (data order, dropout, initialisation) from
/// one seed.
///
/// ```swift
/// var rng = KalamRandom(seed: 42)
/// let u = rng.nextFloat()        // uniform in [0, 1)
/// let z = rng.nextNormal()       // standard normal
/// var dropoutRNG = rng.fork(stream: 1)
/// ```
public struct KalamRandom: RandomNumberGenerator, Codable, Equatable, Hashable, Sendable {
    /// The seed this generator was created from (for a fork: the derived seed).
    public private(set) var seed: UInt64
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    /// The second value of the last polar-method pair, returned by the next normal draw.
    private var cachedNormal: Double?

    /// Creates a generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        self.seed = seed
        var x = seed
        s0 = Self.splitMix64(&x)
        s1 = Self.splitMix64(&x)
        s2 = Self.splitMix64(&x)
        s3 = Self.splitMix64(&x)
        cachedNormal = nil
    }

    /// Creates a generator from a raw xoshiro256** state (for tests against reference vectors).
    /// The state must not be all zeros.
    init(rawState: (UInt64, UInt64, UInt64, UInt64), seed: UInt64 = 0) {
        self.seed = seed
        (s0, s1, s2, s3) = rawState
        cachedNormal = nil
    }

    /// One step of SplitMix64: advances `x` and returns the next output.
    @inlinable
    public static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9e37_79b9_7f4a_7c15
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 &- k))
    }

    /// The next 64 uniformly distributed random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A new generator for stream `stream`, statistically independent of this one and of other streams.
    ///
    /// The fork depends only on this generator's ``seed`` and `stream`, not on how many numbers were
    /// drawn, so `KalamRandom(seed: s).fork(stream: k)` is the same generator whenever it is made.
    /// This generator is not advanced.
    public func fork(stream: UInt64) -> KalamRandom {
        var x = seed ^ 0x6a09_e667_f3bc_c909
        let a = Self.splitMix64(&x)
        var y = stream ^ 0xbb67_ae85_84ca_a73b
        let b = Self.splitMix64(&y)
        var z = a ^ Self.rotl(b, 23)
        return KalamRandom(seed: Self.splitMix64(&z))
    }

    // MARK: Uniform numbers

    /// A uniform `Float` in [0, 1) with 24 random bits (multiples of 2⁻²⁴).
    @inline(__always)
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform `Double` in [0, 1) with 53 random bits (multiples of 2⁻⁵³).
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform `Float` in [`low`, `high`); `low` must be less than `high`.
    @inline(__always)
    public mutating func nextFloat(low: Float, high: Float) -> Float {
        let r = low + (high - low) * nextFloat()
        return r < high ? r : low  // rounding can reach `high`; keep the interval half-open
    }

    /// A uniform integer in 0..<`upperBound` with no modulo bias (Lemire's multiply-and-reject method).
    ///
    /// `upperBound` must be positive (a programming error otherwise, like `Int.random(in:)`).
    @inline(__always)
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "KalamRandom.nextInt(below:) needs a positive bound")
        return Int(truncatingIfNeeded: nextUInt64(below: UInt64(upperBound)))
    }

    /// A uniform `UInt64` in 0..<`upperBound` (`upperBound` > 0) with no modulo bias.
    public mutating func nextUInt64(below upperBound: UInt64) -> UInt64 {
        precondition(upperBound > 0, "KalamRandom.nextUInt64(below:) needs a positive bound")
        var product = next().multipliedFullWidth(by: upperBound)
        if product.low < upperBound {
            let threshold = (0 &- upperBound) % upperBound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: upperBound)
            }
        }
        return product.high
    }

    /// A uniform integer in `range` (which must not be empty) with no modulo bias.
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound))
        if width == UInt64.max { return Int(truncatingIfNeeded: next()) }
        return range.lowerBound &+ Int(truncatingIfNeeded: nextUInt64(below: width &+ 1))
    }

    // MARK: Permutations

    /// Shuffles `collection` in place (Fisher-Yates, from the last element down), the same way on
    /// every platform and Swift version (unlike `shuffle(using:)`, whose algorithm is not specified).
    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ collection: inout C) {
        let n = collection.count
        guard n > 1 else { return }
        var i = n - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            if i != j {
                collection.swapAt(
                    collection.index(collection.startIndex, offsetBy: i),
                    collection.index(collection.startIndex, offsetBy: j))
            }
            i -= 1
        }
    }

    /// A shuffled copy of `array` (see ``shuffle(_:)``).
    public mutating func shuffled<T>(_ array: [T]) -> [T] {
        var copy = array
        shuffle(&copy)
        return copy
    }

    /// A uniformly random permutation of 0..<`count`.
    public mutating func permutation(_ count: Int) -> [Int] {
        shuffled(Array(0..<max(count, 0)))
    }

    // MARK: Normal numbers

    /// A standard normal `Double` (Marsaglia's polar method; pairs are generated, the second value is
    /// kept and returned by the next call, and it is part of the saved state).
    public mutating func nextNormalDouble() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        var u = 0.0, v = 0.0, s = 0.0
        repeat {
            u = 2 * nextDouble() - 1
            v = 2 * nextDouble() - 1
            s = u * u + v * v
        } while s >= 1 || s == 0
        let factor = (-2 * Self.log(s) / s).squareRoot()
        cachedNormal = v * factor
        return u * factor
    }

    /// A standard normal `Float`.
    @inline(__always)
    public mutating func nextNormal() -> Float {
        Float(nextNormalDouble())
    }

    /// A normal `Float` with the given mean and standard deviation.
    @inline(__always)
    public mutating func nextNormal(mean: Float, std: Float) -> Float {
        mean + std * Float(nextNormalDouble())
    }

    /// Natural logarithm of a positive finite `x`, from IEEE arithmetic only (no libm), within a few
    /// units in the last place. Used by the normal sampler so its bits do not depend on the platform.
    static func log(_ x: Double) -> Double {
        var bits = x.bitPattern
        var exponentAdjust = 0
        if (bits >> 52) & 0x7ff == 0 {  // subnormal: scale into the normal range first
            bits = (x * 0x1p54).bitPattern
            exponentAdjust = -54
        }
        var e = Int((bits >> 52) & 0x7ff) - 1023 + exponentAdjust
        var m = Double(bitPattern: (bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000)  // [1, 2)
        if m > 1.4142135623730951 {
            m *= 0.5
            e += 1
        }
        let f = m - 1  // exact (Sterbenz), in [-0.293, 0.415]
        let z = f / (2 + f)  // log(1+f) = 2·atanh(z), |z| ≤ 0.1716
        let z2 = z * z
        // 2·(z + z³/3 + z⁵/5 + …), truncated where the terms fall below 2⁻⁵³ relative.
        var p = 1.0 / 25.0
        p = p * z2 + 1.0 / 23.0
        p = p * z2 + 1.0 / 21.0
        p = p * z2 + 1.0 / 19.0
        p = p * z2 + 1.0 / 17.0
        p = p * z2 + 1.0 / 15.0
        p = p * z2 + 1.0 / 13.0
        p = p * z2 + 1.0 / 11.0
        p = p * z2 + 1.0 / 9.0
        p = p * z2 + 1.0 / 7.0
        p = p * z2 + 1.0 / 5.0
        p = p * z2 + 1.0 / 3.0
        let series = 2 * z + 2 * z * (z2 * p)
        let ln2Hi = 6.93147180369123816490e-01  // top 32 bits of ln 2: e · ln2Hi is exact
        let ln2Lo = 1.90821492927058770002e-10
        let de = Double(e)
        return de * ln2Hi + (series + de * ln2Lo)
    }

    // MARK: Filling buffers

    /// Fills `buffer` with uniform values in [`low`, `high`).
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float = 0, high: Float = 1) {
        for i in buffer.indices { buffer[i] = nextFloat(low: low, high: high) }
    }

    /// Fills `buffer` with normal values of the given mean and standard deviation.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        for i in buffer.indices { buffer[i] = nextNormal(mean: mean, std: std) }
    }

    /// Fills `buffer` with normal values conditioned on [`low`, `high`] (rejection sampling).
    ///
    /// Like PyTorch's `trunc_normal_`, the bounds are absolute values; when `nil` they are
    /// `mean ± 2·std`. The interval should hold a fair share of the distribution: after 64 rejections
    /// in a row a value is drawn uniformly from the interval instead, so the call always finishes.
    public mutating func fillTruncatedNormal(
        _ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1,
        low: Float? = nil, high: Float? = nil
    ) {
        let lo = low ?? (mean - 2 * std)
        let hi = high ?? (mean + 2 * std)
        for i in buffer.indices {
            var value = nextNormal(mean: mean, std: std)
            var tries = 1
            while !(value >= lo && value <= hi) {
                if tries == 64 {
                    value = lo + (hi - lo) * nextFloat()
                    break
                }
                value = nextNormal(mean: mean, std: std)
                tries += 1
            }
            buffer[i] = value
        }
    }

    /// An array of `count` uniform values in [`low`, `high`).
    public mutating func uniformArray(count: Int, low: Float = 0, high: Float = 1) -> [Float] {
        [Float](unsafeUninitializedCapacity: max(count, 0)) { buffer, initialized in
            fillUniform(buffer, low: low, high: high)
            initialized = buffer.count
        }
    }

    /// An array of `count` normal values with the given mean and standard deviation.
    public mutating func normalArray(count: Int, mean: Float = 0, std: Float = 1) -> [Float] {
        [Float](unsafeUninitializedCapacity: max(count, 0)) { buffer, initialized in
            fillNormal(buffer, mean: mean, std: std)
            initialized = buffer.count
        }
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case seed, state, cachedNormal
    }

    /// Restores a generator saved with `encode(to:)`, at exactly the saved position.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let seedText = try container.decode(String.self, forKey: .seed)
        let stateText = try container.decode([String].self, forKey: .state)
        guard let seed = UInt64(seedText, radix: 16), stateText.count == 4 else {
            throw DecodingError.dataCorruptedError(
                forKey: .state, in: container, debugDescription: "expected a hex seed and 4 hex state words")
        }
        var words: [UInt64] = []
        for text in stateText {
            guard let word = UInt64(text, radix: 16) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .state, in: container, debugDescription: "state word \(text) is not hexadecimal")
            }
            words.append(word)
        }
        guard words.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .state, in: container, debugDescription: "an all-zero xoshiro state is invalid")
        }
        self.seed = seed
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
        if let cachedText = try container.decodeIfPresent(String.self, forKey: .cachedNormal) {
            guard let cachedBits = UInt64(cachedText, radix: 16) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .cachedNormal, in: container, debugDescription: "cached normal is not hexadecimal")
            }
            cachedNormal = Double(bitPattern: cachedBits)
        } else {
            cachedNormal = nil
        }
    }

    /// Saves the generator's exact position (64-bit words as hexadecimal strings, so no JSON number
    /// precision is lost).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(seed, radix: 16), forKey: .seed)
        try container.encode([s0, s1, s2, s3].map { String($0, radix: 16) }, forKey: .state)
        if let cachedNormal {
            try container.encode(String(cachedNormal.bitPattern, radix: 16), forKey: .cachedNormal)
        }
    }
}
