// Exact conversions between float32 and the two 16-bit float formats found in checkpoints:
// IEEE 754 binary16 ("F16") and bfloat16 ("BF16"). Pure bit arithmetic, so the results are the same
// on every platform (no reliance on the `Float16` type, which macOS x86-64 lacks).

/// Conversions between `Float` and the 16-bit float formats float16 (IEEE binary16) and bfloat16,
/// working on raw bit patterns.
///
/// Widening (16 → 32 bits) is exact for every bit pattern, subnormals, infinities and NaNs included.
/// Narrowing (32 → 16 bits) rounds to nearest, ties to even; values beyond the largest finite value
/// become infinities, NaNs stay NaNs (quiet, sign and leading payload bits kept).
public enum HalfFloat {
    /// The float32 value of a float16 bit pattern (exact).
    @inlinable
    public static func float(fromFloat16Bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1f
        var mantissa = UInt32(h) & 0x3ff
        if exponent == 0x1f {
            // Infinity (mantissa 0) or NaN (payload kept in the top mantissa bits).
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            // Subnormal half: normalise it; every one is a normal float32.
            var e: UInt32 = 113  // 127 - 15 + 1
            while mantissa & 0x400 == 0 {
                mantissa <<= 1
                e -= 1
            }
            return Float(bitPattern: sign | (e << 23) | ((mantissa & 0x3ff) << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The float16 bit pattern nearest to `value` (round to nearest, ties to even).
    @inlinable
    public static func float16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xff)
        let mantissa = bits & 0x7f_ffff
        if exponent == 0xff {
            if mantissa == 0 { return sign | 0x7c00 }
            return sign | 0x7e00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let e = exponent - 127
        if e > 15 { return sign | 0x7c00 }
        if e >= -14 {
            // Normal half; a carry out of the mantissa correctly bumps the exponent (up to infinity).
            var result = UInt32((e + 15) << 10) | (mantissa >> 13)
            let rest = mantissa & 0x1fff
            if rest > 0x1000 || (rest == 0x1000 && result & 1 == 1) { result += 1 }
            return sign | UInt16(result)
        }
        if e < -25 { return sign }
        // Subnormal half: value = m · 2^(e-23) with m the 24-bit significand; the half unit is 2^-24.
        let m = mantissa | 0x80_0000
        let shift = UInt32(-e - 1)  // 14 ... 24
        var q = m >> shift
        let rest = m & ((1 << shift) - 1)
        let half = UInt32(1) << (shift - 1)
        if rest > half || (rest == half && q & 1 == 1) { q += 1 }
        return sign | UInt16(q)
    }

    /// The float32 value of a bfloat16 bit pattern (exact).
    @inlinable
    public static func float(fromBFloat16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// The bfloat16 bit pattern nearest to `value` (round to nearest, ties to even).
    @inlinable
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7f80_0000 == 0x7f80_0000 && bits & 0x7f_ffff != 0 {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040  // quiet NaN, sign kept
        }
        let bias: UInt32 = 0x7fff + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ bias) >> 16)
    }

    /// Widens `source.count` float16 values from little-endian bytes into `destination`.
    ///
    /// - Parameters:
    ///   - source: raw bytes, two per value, little-endian, any alignment.
    ///   - destination: receives `source.count / 2` values; must be at least that long.
    @inlinable
    public static func widenFloat16(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        let n = min(source.count / 2, destination.count)
        for i in 0..<n {
            let h = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = float(fromFloat16Bits: h)
        }
    }

    /// Widens bfloat16 values from little-endian bytes into `destination` (see ``widenFloat16(_:into:)``).
    @inlinable
    public static func widenBFloat16(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        let n = min(source.count / 2, destination.count)
        for i in 0..<n {
            let h = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = float(fromBFloat16Bits: h)
        }
    }
}
