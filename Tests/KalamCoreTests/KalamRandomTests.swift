import Foundation
import Testing

@testable import KalamCore

/// Reference values come from scripts/fixtures/kalam_random.py, an independent Python model.
@Suite struct KalamRandomTests {
    @Test func splitMix64MatchesReferenceVector() {
        var x: UInt64 = 0
        #expect(KalamRandom.splitMix64(&x) == 0xe220_a839_7b1d_cdaf)
        #expect(KalamRandom.splitMix64(&x) == 0x6e78_9e6a_a1b9_65f4)
        #expect(KalamRandom.splitMix64(&x) == 0x06c4_5d18_8009_454f)
    }

    @Test func xoshiroMatchesReferenceVector() {
        var rng = KalamRandom(rawState: (1, 2, 3, 4))
        #expect((0..<4).map { _ in rng.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test func seededSequenceIsPinned() {
        var rng = KalamRandom(seed: 42)
        let expected: [UInt64] = [
            0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1, 0xecb8_ad47_03b3_60a1,
            0xfde6_dc7f_e2ec_5e64,
        ]
        #expect((0..<5).map { _ in rng.next() } == expected)
        var floats = KalamRandom(seed: 42)
        let f = (0..<4).map { _ in floats.nextFloat() }
        #expect(f == [0.08386296033859253, 0.37898021936416626, 0.6800433993339539, 0.9246929287910461])
    }

    @Test func boundedIntegersArePinned() {
        var rng = KalamRandom(seed: 7)
        #expect((0..<12).map { _ in rng.nextInt(below: 10) } == [7, 2, 8, 9, 9, 8, 0, 1, 4, 1, 5, 7])
        var big = KalamRandom(seed: 7)
        #expect(
            (0..<4).map { _ in big.nextInt(below: 3_000_000_000) } == [
                2_101_729_446, 836_253_688, 2_518_882_385, 2_943_293_175,
            ])
    }

    @Test func permutationIsPinned() {
        var rng = KalamRandom(seed: 2024)
        #expect(rng.permutation(10) == [2, 3, 8, 5, 6, 4, 1, 9, 7, 0])
    }

    @Test func normalsArePinned() {
        var rng = KalamRandom(seed: 1)
        let z = (0..<6).map { _ in rng.nextNormal() }
        let expected: [Float] = [
            1.8843960762023926, 0.18978089094161987, 1.3020902872085571, -1.9094343185424805, 0.43832090497016907,
            -0.7923272252082825,
        ]
        #expect(z == expected)
    }

    @Test func forkIsPinnedAndIndependentOfPosition() {
        let parent = KalamRandom(seed: 42)
        var fork = parent.fork(stream: 1)
        #expect(fork.seed == 0x70a4_88f3_b8e8_938f)
        #expect(fork.next() == 0x89e1_d0b9_b837_0acb)
        #expect(fork.next() == 0x3b50_5353_c6cf_a723)
        var advanced = parent
        for _ in 0..<100 { _ = advanced.next() }
        #expect(advanced.fork(stream: 1) == parent.fork(stream: 1))
        #expect(parent.fork(stream: 0).seed == 0xd0d8_a6ce_7cfa_bcbd)
        #expect(parent.fork(stream: 0) != parent.fork(stream: 1))
        #expect(parent.fork(stream: 0).fork(stream: 0) != parent.fork(stream: 0))
    }

    @Test func codableStateResumesExactly() throws {
        var rng = KalamRandom(seed: 99)
        for _ in 0..<17 { _ = rng.next() }
        _ = rng.nextNormal()  // leaves the pair's second value cached
        let saved = try JSONEncoder().encode(rng)
        var restored = try JSONDecoder().decode(KalamRandom.self, from: saved)
        #expect(restored == rng)
        let a = (0..<9).map { _ in rng.nextNormal() } + (0..<3).map { _ in Float(rng.nextInt(below: 1000)) }
        let b = (0..<9).map { _ in restored.nextNormal() } + (0..<3).map { _ in Float(restored.nextInt(below: 1000)) }
        #expect(a == b)
        let text = String(decoding: saved, as: UTF8.self)
        #expect(text.contains("cachedNormal"))
    }

    @Test func decodingRejectsBadState() {
        let bad = Data(#"{"seed":"1","state":["0","0","0","0"]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(KalamRandom.self, from: bad) }
        let short = Data(#"{"seed":"1","state":["1","2"]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(KalamRandom.self, from: short) }
    }

    @Test func logMatchesLibmClosely() {
        var rng = KalamRandom(seed: 5)
        var worst = 0.0
        for i in 0..<20_000 {
            let x =
                i < 10_000 ? rng.nextDouble() + 0x1p-60 : Double(bitPattern: rng.next() >> 2 | 0x0010_0000_0000_0000)
            guard x.isFinite, x > 0 else { continue }
            let mine = KalamRandom.log(x)
            let reference = Foundation.log(x)
            let ulps = abs(mine - reference) / max(reference.ulp, Double.leastNormalMagnitude)
            worst = max(worst, ulps)
        }
        #expect(worst <= 4)
        #expect(KalamRandom.log(1) == 0)
        #expect(abs(KalamRandom.log(0x1p-1074) - Foundation.log(0x1p-1074)) < 1e-12)
    }

    @Test func uniformAndNormalMomentsAreRight() {
        var rng = KalamRandom(seed: 11)
        let n = 200_000
        let u = rng.uniformArray(count: n, low: -2, high: 3)
        #expect(u.allSatisfy { $0 >= -2 && $0 < 3 })
        let uMean = u.reduce(0.0) { $0 + Double($1) } / Double(n)
        #expect(abs(uMean - 0.5) < 0.02)
        let z = rng.normalArray(count: n, mean: 1, std: 2)
        let mean = z.reduce(0.0) { $0 + Double($1) } / Double(n)
        let variance = z.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n)
        #expect(abs(mean - 1) < 0.02)
        #expect(abs(variance - 4) < 0.06)
        let tail = Double(z.filter { abs($0 - 1) > 4 }.count) / Double(n)  // P(|Z| > 2) = 0.0455
        #expect(abs(tail - 0.0455) < 0.003)
    }

    @Test func truncatedNormalStaysInBounds() {
        var rng = KalamRandom(seed: 3)
        var values = [Float](repeating: .nan, count: 50_000)
        values.withUnsafeMutableBufferPointer { rng.fillTruncatedNormal($0, mean: 0, std: 0.02) }
        #expect(values.allSatisfy { $0 >= -0.04 && $0 <= 0.04 })
        let variance = values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(values.count)
        // Variance of N(0, σ²) truncated at ±2σ is 0.7737 σ².
        #expect(abs(variance / 0.0004 - 0.7737) < 0.02)
    }

    @Test func boundedIntegersAreUnbiased() {
        var rng = KalamRandom(seed: 13)
        let bound = 6
        let n = 120_000
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<n { counts[rng.nextInt(below: bound)] += 1 }
        let expected = Double(n) / Double(bound)
        let chi2 = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chi2 < 20.5)  // 5 degrees of freedom, p = 0.001
        var full = KalamRandom(seed: 1)
        let wide = (0..<1000).map { _ in full.nextInt(in: Int.min...Int.max) }
        #expect(Set(wide).count == 1000)
        #expect((0..<1000).allSatisfy { _ in (-3...3).contains(full.nextInt(in: -3...3)) })
    }

    @Test func shuffleIsAPermutationAndUniform() {
        var rng = KalamRandom(seed: 21)
        var counts: [[Int]: Int] = [:]
        for _ in 0..<60_000 { counts[rng.shuffled([0, 1, 2]), default: 0] += 1 }
        #expect(counts.count == 6)
        #expect(counts.values.allSatisfy { abs($0 - 10_000) < 400 })
        var letters = Array("kalamrandom")
        rng.shuffle(&letters)
        #expect(letters.sorted() == Array("kalamrandom").sorted())
    }
}
