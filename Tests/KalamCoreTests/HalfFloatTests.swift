import Foundation
import Testing

@testable import KalamCore

/// Exhaustive checks over all 65,536 bit patterns against values computed a different way (from the
/// format's definition in `Double` arithmetic, and Swift's own `Float16` where the platform has it).
@Suite struct HalfFloatTests {
    /// float16 by definition: (-1)^s · 2^(e-15) · (1 + m/1024), subnormals 2^-14 · m/1024.
    static func float16ByDefinition(_ h: UInt16) -> Double {
        let sign: Double = h & 0x8000 != 0 ? -1 : 1
        let e = Int((h >> 10) & 0x1f)
        let m = Double(h & 0x3ff)
        if e == 0x1f { return m == 0 ? sign * .infinity : .nan }
        if e == 0 { return sign * m * 0x1p-24 }
        return sign * (1024 + m) * Double(sign: .plus, exponent: e - 25, significand: 1)
    }

    /// bfloat16 by definition: (-1)^s · 2^(e-127) · (1 + m/128), subnormals 2^-126 · m/128.
    static func bfloat16ByDefinition(_ b: UInt16) -> Double {
        let sign: Double = b & 0x8000 != 0 ? -1 : 1
        let e = Int((b >> 7) & 0xff)
        let m = Double(b & 0x7f)
        if e == 0xff { return m == 0 ? sign * .infinity : .nan }
        if e == 0 { return sign * m * 0x1p-133 }
        return sign * (128 + m) * Double(sign: .plus, exponent: e - 134, significand: 1)
    }

    @Test func float16WideningIsExactForAllPatterns() {
        var mismatches = 0
        for raw in 0...0xffff {
            let h = UInt16(raw)
            let mine = HalfFloat.float(fromFloat16Bits: h)
            let reference = Self.float16ByDefinition(h)
            if reference.isNaN {
                if !mine.isNaN || (mine.bitPattern >> 13) & 0x3ff != UInt32(h & 0x3ff) { mismatches += 1 }
            } else if Double(mine) != reference || mine.sign != (h & 0x8000 != 0 ? .minus : .plus) {
                mismatches += 1
            }
            #if !(os(macOS) && arch(x86_64))
                let native = Float(Float16(bitPattern: h))
                if !(native.isNaN && mine.isNaN) && native.bitPattern != mine.bitPattern { mismatches += 1 }
            #endif
        }
        #expect(mismatches == 0)
    }

    @Test func bfloat16WideningIsExactForAllPatterns() {
        var mismatches = 0
        for raw in 0...0xffff {
            let b = UInt16(raw)
            let mine = HalfFloat.float(fromBFloat16Bits: b)
            let reference = Self.bfloat16ByDefinition(b)
            if reference.isNaN {
                if !mine.isNaN { mismatches += 1 }
            } else if Double(mine) != reference || mine.sign != (b & 0x8000 != 0 ? .minus : .plus) {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    /// For every pair of neighbouring finite values a < b of the 16-bit format: a and b round-trip,
    /// the midpoint goes to the one with an even bit pattern, and the floats just either side of the
    /// midpoint go to the nearer one. That pins round-to-nearest-even everywhere, subnormals included.
    func checkNarrowing(
        widen: (UInt16) -> Float, narrow: (Float) -> UInt16, largestFinite: UInt16, infinity: UInt16
    ) -> Int {
        var failures = 0
        for sign: UInt16 in [0, 0x8000] {
            for magnitude in 0...largestFinite {
                let a = sign | magnitude
                let lower = widen(a)
                if narrow(lower) != a { failures += 1 }
                let upperBits = sign | (magnitude + 1)  // the next value away from zero (or infinity)
                // Beyond the largest finite value, the next step is the value infinity stands in for
                // (2^16 or 2^128), kept in Double since 2^128 is no finite Float.
                let upper =
                    magnitude == largestFinite
                    ? 2 * Double(lower) - Double(widen(sign | (magnitude - 1))) : Double(widen(upperBits))
                let midpoint = Float((Double(lower) + upper) / 2)  // exact: at most 12 significant bits
                let even = magnitude & 1 == 0 ? a : upperBits
                let expectedMid = (magnitude == largestFinite && magnitude & 1 == 1) ? sign | infinity : even
                if narrow(midpoint) != expectedMid { failures += 1 }
                let towardZero = sign == 0 ? midpoint.nextDown : midpoint.nextUp
                let awayFromZero = sign == 0 ? midpoint.nextUp : midpoint.nextDown
                if narrow(towardZero) != a { failures += 1 }
                if narrow(awayFromZero) != (magnitude == largestFinite ? sign | infinity : upperBits) { failures += 1 }
            }
        }
        return failures
    }

    @Test func float16NarrowingRoundsToNearestEven() {
        let failures = checkNarrowing(
            widen: HalfFloat.float(fromFloat16Bits:), narrow: HalfFloat.float16Bits(from:),
            largestFinite: 0x7bff, infinity: 0x7c00)
        #expect(failures == 0)
        #expect(HalfFloat.float16Bits(from: 65504) == 0x7bff)
        #expect(HalfFloat.float16Bits(from: 65520) == 0x7c00)
        #expect(HalfFloat.float16Bits(from: 65519.996) == 0x7bff)
        #expect(HalfFloat.float16Bits(from: .infinity) == 0x7c00)
        #expect(HalfFloat.float16Bits(from: -.infinity) == 0xfc00)
        #expect(HalfFloat.float16Bits(from: 0x1p-25) == 0)  // half the smallest subnormal: tie to even (0)
        #expect(HalfFloat.float16Bits(from: Float(0x1p-25).nextUp) == 1)
        #expect(HalfFloat.float16Bits(from: 1e-30) == 0)
        #expect(HalfFloat.float16Bits(from: -0.0) == 0x8000)
        let nan = HalfFloat.float16Bits(from: .nan)
        #expect(nan & 0x7c00 == 0x7c00 && nan & 0x3ff != 0)
        #expect(HalfFloat.float(fromFloat16Bits: HalfFloat.float16Bits(from: Float(bitPattern: 0x7f80_0001))).isNaN)
    }

    @Test func float16NarrowingMatchesNativeOnRandomFloats() {
        #if !(os(macOS) && arch(x86_64))
            var rng = KalamRandom(seed: 16)
            var mismatches = 0
            for _ in 0..<500_000 {
                let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
                let mine = HalfFloat.float16Bits(from: f)
                let native = Float16(f).bitPattern
                if f.isNaN {
                    if mine & 0x7c00 != 0x7c00 || mine & 0x3ff == 0 { mismatches += 1 }
                } else if mine != native {
                    mismatches += 1
                }
            }
            #expect(mismatches == 0)
        #endif
    }

    @Test func bfloat16NarrowingRoundsToNearestEven() {
        let failures = checkNarrowing(
            widen: HalfFloat.float(fromBFloat16Bits:), narrow: HalfFloat.bfloat16Bits(from:),
            largestFinite: 0x7f7f, infinity: 0x7f80)
        #expect(failures == 0)
        #expect(HalfFloat.bfloat16Bits(from: 1.0) == 0x3f80)
        #expect(HalfFloat.bfloat16Bits(from: Float.greatestFiniteMagnitude) == 0x7f80)
        #expect(HalfFloat.bfloat16Bits(from: -.infinity) == 0xff80)
        let nan = HalfFloat.bfloat16Bits(from: Float(bitPattern: 0xff80_0001))  // payload only in low bits
        #expect(nan & 0x7f80 == 0x7f80 && nan & 0x7f != 0 && nan & 0x8000 != 0)
    }

    @Test func bfloat16NarrowingMatchesNearestOnRandomFloats() {
        // Reference: pick the nearer of the two neighbouring bfloat16 values in Double, ties to even.
        var rng = KalamRandom(seed: 17)
        var mismatches = 0
        for _ in 0..<500_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            guard f.isFinite else { continue }
            let down = UInt16(f.bitPattern >> 16)
            let up = down &+ 1
            let dLow = abs(Double(f) - Double(HalfFloat.float(fromBFloat16Bits: down)))
            let highValue =
                (up & 0x7fff) == 0x7f80
                ? Double(sign: f.sign, exponent: 128, significand: 1) : Double(HalfFloat.float(fromBFloat16Bits: up))
            let dHigh = abs(highValue - Double(f))
            let expected = dLow < dHigh ? down : (dHigh < dLow ? up : (down & 1 == 0 ? down : up))
            if HalfFloat.bfloat16Bits(from: f) != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func bufferWideningReadsLittleEndianUnaligned() {
        let bytes: [UInt8] = [0xff, 0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00]  // offset 1: 1.0, -2.0, 2^-24 (f16)
        var out = [Float](repeating: 0, count: 3)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer {
                HalfFloat.widenFloat16(UnsafeRawBufferPointer(rebasing: raw[1...]), into: $0)
            }
        }
        #expect(out == [1.0, -2.0, 0x1p-24])
        let bf: [UInt8] = [0x80, 0x3f, 0x00, 0xc0]
        var out2 = [Float](repeating: 0, count: 2)
        bf.withUnsafeBytes { raw in out2.withUnsafeMutableBufferPointer { HalfFloat.widenBFloat16(raw, into: $0) } }
        #expect(out2 == [1.0, -2.0])
    }
}
