import Foundation
import KalamCore
import KalamText

/// Chooses masked-language-model targets by a ``MaskingStrategy`` at a rate and replaces them by a
/// ``ReplacementSplit``. All randomness comes from the generator passed in, so the same generator
/// state gives the same masks.
public struct TokenMasker: Sendable {
    /// How targets are chosen.
    public let strategy: MaskingStrategy
    /// The share of eligible tokens chosen, in (0, 1).
    public let rate: Double
    /// What a target becomes.
    public let split: ReplacementSplit
    /// The `[MASK]` id.
    public let maskTokenId: Int32
    /// The vocabulary size random replacements are drawn from.
    public let vocabularySize: Int
    /// Ids never drawn as random replacements (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, …).
    public let specialTokenIds: Set<Int32>
    /// SpanBERT's clipped geometric distribution, as cumulative probabilities of lengths 1, 2, … .
    let spanCumulative: [Double]

    /// A masker.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for a rate outside (0, 1), a
    ///   `[MASK]` id outside the vocabulary, a span parameter out of range, or POS weights that are
    ///   negative or all zero.
    public init(
        strategy: MaskingStrategy, rate: Double, split: ReplacementSplit = .bert, maskTokenId: Int32,
        vocabularySize: Int, specialTokenIds: Set<Int32> = []
    ) throws {
        guard rate > 0, rate < 1 else {
            throw TrainingError.invalidOption(name: "mask rate", value: "\(rate)", reason: "must be in (0, 1)")
        }
        guard maskTokenId >= 0, Int(maskTokenId) < vocabularySize else {
            throw TrainingError.invalidOption(
                name: "mask token id", value: "\(maskTokenId)", reason: "is outside the vocabulary")
        }
        var cumulative: [Double] = []
        switch strategy {
        case .span(let p, let maxLength):
            guard p > 0, p <= 1 else {
                throw TrainingError.invalidOption(name: "span p", value: "\(p)", reason: "must be in (0, 1]")
            }
            guard maxLength >= 1 else {
                throw TrainingError.invalidOption(
                    name: "span max length", value: "\(maxLength)", reason: "must be at least 1")
            }
            let weights = (1...maxLength).map { p * pow(1 - p, Double($0 - 1)) }
            let total = weights.reduce(0, +)
            var running = 0.0
            cumulative = weights.map {
                running += $0 / total
                return running
            }
        case .partOfSpeech(let weights):
            if let (tag, weight) = weights.first(where: { !$0.value.isFinite || $0.value < 0 }) {
                throw TrainingError.invalidOption(
                    name: "pos weights", value: "\(tag.rawValue)=\(weight)", reason: "weight must be a number >= 0")
            }
            if weights.count == UniversalTag.allCases.count, weights.values.allSatisfy({ $0 == 0 }) {
                throw TrainingError.invalidOption(
                    name: "pos weights", value: "all 0", reason: "at least one tag must weigh more than 0")
            }
        default: break
        }
        self.strategy = strategy
        self.rate = rate
        self.split = split
        self.maskTokenId = maskTokenId
        self.vocabularySize = vocabularySize
        self.specialTokenIds = specialTokenIds.union([maskTokenId])
        self.spanCumulative = cumulative
    }

    /// The expected span length in words of the `span` strategy (3.8 for SpanBERT's), 0 otherwise.
    public var expectedSpanLength: Double {
        var previous = 0.0, mean = 0.0
        for (k, c) in spanCumulative.enumerated() {
            mean += Double(k + 1) * (c - previous)
            previous = c
        }
        return mean
    }

    /// One span length in words, from the clipped geometric distribution.
    public func drawSpanLength(rng: inout KalamRandom) -> Int {
        let u = rng.nextDouble()
        return (spanCumulative.firstIndex { u < $0 } ?? (spanCumulative.count - 1)) + 1
    }

    /// The targets of `sequence` (true where chosen), drawn from `rng`.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` when the strategy needs tags and
    ///   the sequence has none, or when `words`/`tags` do not match `ids` in length.
    public func chooseTargets(_ sequence: MaskableSequence, rng: inout KalamRandom) throws -> [Bool] {
        guard sequence.words.count == sequence.ids.count,
            sequence.tags.isEmpty || sequence.tags.count == sequence.ids.count
        else {
            throw TrainingError.invalidOption(
                name: "maskable sequence", value: "\(sequence.ids.count) ids",
                reason: "has \(sequence.words.count) word indices and \(sequence.tags.count) tags")
        }
        var chosen = [Bool](repeating: false, count: sequence.ids.count)
        switch strategy {
        case .random(let exactCount):
            if exactCount {
                var eligible = sequence.words.indices.filter { sequence.words[$0] >= 0 }
                let n = targetCount(eligible.count, rng: &rng)
                // A partial Fisher-Yates shuffle: the first n positions are a uniform n-subset.
                for k in 0..<n {
                    let j = k + rng.nextInt(below: eligible.count - k)
                    eligible.swapAt(k, j)
                    chosen[eligible[k]] = true
                }
            } else {
                for i in sequence.ids.indices where sequence.words[i] >= 0 && rng.nextDouble() < rate {
                    chosen[i] = true
                }
            }
        case .wholeWord:
            let words = sequence.wordRanges
            let n = targetCount(sequence.eligibleCount, rng: &rng)
            var covered = 0
            for w in rng.permutation(words.count) where covered < n && covered + words[w].count <= n {
                for i in words[w] { chosen[i] = true }
                covered += words[w].count
            }
        case .span:
            chooseSpans(sequence.wordRanges, budget: targetCount(sequence.eligibleCount, rng: &rng), rng: &rng) {
                chosen[$0] = true
            }
        case .partOfSpeech(let weights):
            guard sequence.tags.count == sequence.ids.count || sequence.eligibleCount == 0 else {
                throw TrainingError.invalidOption(
                    name: "masking", value: "pos", reason: "the sequence carries no part-of-speech tags")
            }
            let words = sequence.wordRanges
            let wordWeights = words.map { range in sequence.tags[range.lowerBound].flatMap { weights[$0] } ?? 1 }
            let tokenWeight = zip(words, wordWeights).reduce(0.0) { $0 + Double($1.0.count) * $1.1 }
            guard tokenWeight > 0 else { break }
            let scale = rate * Double(sequence.eligibleCount) / tokenWeight
            for (range, weight) in zip(words, wordWeights) where rng.nextDouble() < min(1, scale * weight) {
                for i in range { chosen[i] = true }
            }
        }
        return chosen
    }

    /// `rate × eligible` rounded down, plus one with probability of the fraction (unbiased).
    func targetCount(_ eligible: Int, rng: inout KalamRandom) -> Int {
        let exact = rate * Double(eligible)
        let whole = exact.rounded(.down)
        return min(eligible, Int(whole) + (rng.nextDouble() < exact - whole ? 1 : 0))
    }

    /// SpanBERT's loop: draw a length, pick an anchor word not yet chosen, take that many words from it
    /// (stopping at the end, at a chosen word, or before the budget would be passed); until the budget
    /// is met or no word fits.
    private func chooseSpans(
        _ words: [Range<Int>], budget: Int, rng: inout KalamRandom, mark: (Int) -> Void
    ) {
        var taken = [Bool](repeating: false, count: words.count)
        var covered = 0, attempts = 0
        let maxAttempts = 10 * words.count + 10
        while covered < budget && attempts < maxAttempts {
            attempts += 1
            let length = drawSpanLength(rng: &rng)
            let anchor = rng.nextInt(below: words.count)
            guard !taken[anchor], covered + words[anchor].count <= budget else { continue }
            var w = anchor
            while w < words.count && w < anchor + length && !taken[w] && covered + words[w].count <= budget {
                taken[w] = true
                covered += words[w].count
                for i in words[w] { mark(i) }
                w += 1
            }
        }
    }

    /// The masked inputs and labels of `sequence`, drawn from `rng`: targets chosen by the strategy,
    /// each replaced by the split (`[MASK]`, a random non-special token, or itself).
    public func mask(_ sequence: MaskableSequence, rng: inout KalamRandom) throws -> MaskedSequence {
        let chosen = try chooseTargets(sequence, rng: &rng)
        var inputs = sequence.ids
        var labels = [Int32](repeating: Batch.ignoreIndex, count: inputs.count)
        for i in inputs.indices where chosen[i] {
            labels[i] = inputs[i]
            let u = rng.nextDouble()
            if u < split.mask {
                inputs[i] = maskTokenId
            } else if u < split.mask + split.random {
                inputs[i] = randomToken(rng: &rng)
            }
        }
        return MaskedSequence(inputs: inputs, labels: labels)
    }

    /// A uniformly random id of the vocabulary that is not special.
    func randomToken(rng: inout KalamRandom) -> Int32 {
        // Specials are few, so rejection ends at once; the bound keeps a vocabulary of specials finite.
        for _ in 0..<64 {
            let id = Int32(rng.nextInt(below: vocabularySize))
            if !specialTokenIds.contains(id) { return id }
        }
        return maskTokenId
    }
}
