import Foundation
import KalamCore
import KalamText
import Testing

@testable import KalamTraining

/// T5 span corruption on real verses, and T5's counting rules on exact cases.
@Suite struct SpanCorruptionTests {
    /// 100 sentinels above a vocabulary of 2,000 (the test WordPiece), `</s>` = 1, as in T5's vocabulary.
    static let sentinels = (0..<100).map { Int32(2099 - $0) }
    static func corruption(density: Double = 0.15, mean: Double = 3) throws -> SpanCorruption {
        try SpanCorruption(noiseDensity: density, meanSpanLength: mean, sentinelIds: sentinels, endOfSequenceId: 1)
    }

    @Test func countsFollowRandomSpansNoiseMask() throws {
        let c = try Self.corruption()
        // round(length × 0.15) noise tokens (≥ 1, ≤ length − 1), round(noise / 3) spans (≥ 1).
        #expect(c.counts(length: 2) == (1, 1))
        #expect(c.counts(length: 10) == (2, 1))  // 1.5 → 2 (half to even), 2/3 → 1
        #expect(c.counts(length: 100) == (15, 5))
        #expect(c.counts(length: 512) == (77, 26))  // 76.8 → 77, 25.67 → 26
        #expect(try Self.corruption(density: 0.5, mean: 1).counts(length: 3) == (2, 2))  // 1.5 → 2
        var rng = KalamRandom(seed: 1)
        for _ in 0..<200 {
            let mask = try c.noiseMask(length: 100, rng: &rng)
            #expect(mask.count == 100 && mask.filter { $0 }.count == 15)
            #expect(!mask[0] && mask[99], "starts with kept tokens, ends in noise")
            let starts = (0..<100).filter { mask[$0] && ($0 == 0 || !mask[$0 - 1]) }
            #expect(starts.count == 5)
        }
        // Every cut into non-empty segments is equally likely: the first of 3 segments of 7 items has
        // mean length 7/3.
        var total = 0
        for _ in 0..<30_000 {
            let lengths = SpanCorruption.randomSegmentation(items: 7, segments: 3, rng: &rng)
            #expect(lengths.count == 3 && lengths.reduce(0, +) == 7 && lengths.allSatisfy { $0 >= 1 })
            total += lengths[0]
        }
        #expect(abs(Double(total) / 30_000 - 7.0 / 3) < 0.03)
    }

    @Test(.enabled(if: MaskingCorpus.available))
    func inputsAndTargetsRebuildRealVersesAtTheAskedDensity() throws {
        let f = MaskingCorpus.fixture!
        let t5 = try Self.corruption()
        var rng = KalamRandom(seed: 7)
        var tokens = 0, noise = 0, spans = 0
        for sequence in f.sequences {
            // Text tokens only, as T5's preprocessor sees them before appending </s>.
            let text = sequence.ids.indices.filter { sequence.words[$0] >= 0 }.map { sequence.ids[$0] }
            let (inputs, targets) = try t5.corrupt(text, rng: &rng)
            #expect(t5.reconstruct(inputs: inputs, targets: targets) == text)
            let used = targets.filter { Self.sentinels.contains($0) }
            #expect(used == Array(Self.sentinels.prefix(used.count)), "sentinels in order from <extra_id_0>")
            #expect(inputs.filter { Self.sentinels.contains($0) } == used)
            #expect(targets.last == 1 && inputs.last == 1)
            tokens += text.count
            noise += targets.count - used.count - 1
            spans += used.count
        }
        let density = Double(noise) / Double(tokens), meanSpan = Double(noise) / Double(spans)
        #expect(abs(density - 0.15) < 0.01, "density \(density)")
        #expect(abs(meanSpan - 3) < 0.3, "mean span \(meanSpan)")
        // The same seed, the same corruption.
        var a = KalamRandom(seed: 3), b = KalamRandom(seed: 3)
        let text = f.sequences[5].ids
        #expect(try t5.corrupt(text, rng: &a) == t5.corrupt(text, rng: &b))
    }

    @Test func badInputIsATypedError() throws {
        let t5 = try Self.corruption()
        var rng = KalamRandom(seed: 1)
        #expect(throws: TrainingError.sequenceTooShort(length: 1, minimum: 2)) { try t5.corrupt([5], rng: &rng) }
        #expect(throws: TrainingError.sequenceTooShort(length: 0, minimum: 2)) { try t5.corrupt([], rng: &rng) }
        // Density 0.9 and spans of 1 at length 10: 9 spans need 9 kept tokens between them.
        #expect(throws: TrainingError.sequenceTooShort(length: 10, minimum: 18)) {
            try Self.corruption(density: 0.9, mean: 1).noiseMask(length: 10, rng: &rng)
        }
        for density in [0.0, 1.0] {
            #expect(
                throws: TrainingError.invalidOption(
                    name: "noise density", value: "\(density)", reason: "must be in (0, 1)")
            ) {
                try Self.corruption(density: density)
            }
        }
        #expect(
            throws: TrainingError.invalidOption(name: "mean span length", value: "0.5", reason: "must be at least 1")
        ) {
            try Self.corruption(mean: 0.5)
        }
        #expect(throws: TrainingError.missingSpecialToken(token: "<extra_id_0>", purpose: "span corruption sentinels"))
        {
            try SpanCorruption(sentinelIds: [], endOfSequenceId: 1)
        }
        let few = try SpanCorruption(sentinelIds: [7, 8], endOfSequenceId: 1)
        #expect(
            throws: TrainingError.invalidOption(
                name: "sequence length", value: "100", reason: "needs 5 spans and there are only 2 sentinels")
        ) {
            try few.noiseMask(length: 100, rng: &rng)
        }
    }
}
