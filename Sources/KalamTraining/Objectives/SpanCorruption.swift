import KalamCore

/// T5's span corruption: a share `noiseDensity` of a sequence's tokens, in spans of mean length
/// `meanSpanLength`, is replaced in the inputs by sentinels (`<extra_id_0>`, `<extra_id_1>`, …, one
/// per span), and the targets list each sentinel followed by the tokens it replaced; both end with
/// `</s>`.
///
/// The counts are T5's `random_spans_noise_mask`: `round(length × density)` noise tokens (at least 1,
/// at most `length − 1`) in `round(noise / meanSpanLength)` spans (at least 1); the noise and the
/// non-noise tokens are each cut into that many non-empty segments at random, and the segments
/// alternate, non-noise first, so the sequence ends in noise.
public struct SpanCorruption: Sendable {
    /// The share of tokens corrupted, in (0, 1).
    public let noiseDensity: Double
    /// The mean span length in tokens, at least 1.
    public let meanSpanLength: Double
    /// The sentinel ids: `<extra_id_0>` first.
    public let sentinelIds: [Int32]
    /// The `</s>` id that ends inputs and targets.
    public let endOfSequenceId: Int32

    /// Span corruption with T5's defaults unless given.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for a density outside (0, 1), a mean
    ///   span below 1, or no sentinels.
    public init(
        noiseDensity: Double = 0.15, meanSpanLength: Double = 3, sentinelIds: [Int32], endOfSequenceId: Int32
    ) throws {
        guard noiseDensity > 0, noiseDensity < 1 else {
            throw TrainingError.invalidOption(
                name: "noise density", value: "\(noiseDensity)", reason: "must be in (0, 1)")
        }
        guard meanSpanLength >= 1, meanSpanLength.isFinite else {
            throw TrainingError.invalidOption(
                name: "mean span length", value: "\(meanSpanLength)", reason: "must be at least 1")
        }
        guard !sentinelIds.isEmpty else {
            throw TrainingError.missingSpecialToken(token: "<extra_id_0>", purpose: "span corruption sentinels")
        }
        self.noiseDensity = noiseDensity
        self.meanSpanLength = meanSpanLength
        self.sentinelIds = sentinelIds
        self.endOfSequenceId = endOfSequenceId
    }

    /// The number of noise tokens and of noise spans for a sequence of `length` tokens (T5's rounding).
    public func counts(length: Int) -> (noiseTokens: Int, spans: Int) {
        let n = max(length, 2)
        let noise = min(max(Int((Double(n) * noiseDensity).rounded(.toNearestOrEven)), 1), n - 1)
        let spans = max(Int((Double(noise) / meanSpanLength).rounded(.toNearestOrEven)), 1)
        return (noise, spans)
    }

    /// Which of `length` tokens are noise, drawn from `rng`.
    /// - Throws: ``TrainingError/sequenceTooShort(length:minimum:)`` when `length` < 2 or the
    ///   non-noise tokens cannot fill one segment per span; ``TrainingError/invalidOption(name:value:reason:)``
    ///   when the sequence needs more spans than there are sentinels.
    public func noiseMask(length: Int, rng: inout KalamRandom) throws -> [Bool] {
        guard length >= 2 else { throw TrainingError.sequenceTooShort(length: length, minimum: 2) }
        let (noise, spans) = counts(length: length)
        guard length - noise >= spans, noise >= spans else {
            throw TrainingError.sequenceTooShort(length: length, minimum: 2 * spans)
        }
        guard spans <= sentinelIds.count else {
            throw TrainingError.invalidOption(
                name: "sequence length", value: "\(length)",
                reason: "needs \(spans) spans and there are only \(sentinelIds.count) sentinels")
        }
        let noiseLengths = Self.randomSegmentation(items: noise, segments: spans, rng: &rng)
        let keptLengths = Self.randomSegmentation(items: length - noise, segments: spans, rng: &rng)
        var mask: [Bool] = []
        mask.reserveCapacity(length)
        for s in 0..<spans {
            mask += repeatElement(false, count: keptLengths[s])
            mask += repeatElement(true, count: noiseLengths[s])
        }
        return mask
    }

    /// `items` cut into `segments` non-empty runs at random: T5's `_random_segmentation` (a shuffled
    /// vector of `segments − 1` ones among `items − 1` places marks the first item of each new run).
    static func randomSegmentation(items: Int, segments: Int, rng: inout KalamRandom) -> [Int] {
        var starts = (0..<(items - 1)).map { $0 < segments - 1 }
        rng.shuffle(&starts)
        var lengths = [1]
        for isStart in starts {
            if isStart { lengths.append(1) } else { lengths[lengths.count - 1] += 1 }
        }
        return lengths
    }

    /// The corrupted inputs and the targets of `tokens` (text tokens, no `</s>`), drawn from `rng`.
    /// - Throws: as ``noiseMask(length:rng:)``.
    public func corrupt(_ tokens: [Int32], rng: inout KalamRandom) throws -> (inputs: [Int32], targets: [Int32]) {
        let noise = try noiseMask(length: tokens.count, rng: &rng)
        var inputs: [Int32] = [], targets: [Int32] = []
        var span = -1
        for (i, token) in tokens.enumerated() {
            if noise[i] {
                if i == 0 || !noise[i - 1] {
                    span += 1
                    inputs.append(sentinelIds[span])
                    targets.append(sentinelIds[span])
                }
                targets.append(token)
            } else {
                inputs.append(token)
            }
        }
        inputs.append(endOfSequenceId)
        targets.append(endOfSequenceId)
        return (inputs, targets)
    }

    /// The original tokens rebuilt from corrupted `inputs` and `targets` (the inverse of
    /// ``corrupt(_:rng:)``), or `nil` when they do not fit together.
    public func reconstruct(inputs: [Int32], targets: [Int32]) -> [Int32]? {
        guard inputs.last == endOfSequenceId, targets.last == endOfSequenceId else { return nil }
        var spans: [Int32: [Int32]] = [:]
        var current: Int32?
        for token in targets.dropLast() {
            if sentinelIds.contains(token) {
                current = token
                spans[token] = []
            } else if let c = current {
                spans[c]!.append(token)
            } else {
                return nil
            }
        }
        var tokens: [Int32] = []
        for token in inputs.dropLast() {
            if sentinelIds.contains(token) {
                guard let span = spans.removeValue(forKey: token) else { return nil }
                tokens += span
            } else {
                tokens.append(token)
            }
        }
        return spans.isEmpty ? tokens : nil
    }

    /// Encoder inputs `[B, S]` (padded with `padId`), their attention mask, and decoder labels `[B, L]`
    /// (padded with −100) for every row of `batch` (its first `lengths[row]` tokens), drawn from `rng`.
    public func batch(
        _ batch: Batch, padId: Int32, rng: inout KalamRandom
    ) throws -> (
        inputs: IndexTensor, attentionMask: IndexTensor, labels: IndexTensor
    ) {
        var rows: [(inputs: [Int32], targets: [Int32])] = []
        for row in 0..<batch.batchSize {
            let start = row * batch.contextLength
            let tokens = Array(batch.inputs[start..<(start + Int(batch.lengths[row]))])
            rows.append(try corrupt(tokens, rng: &rng))
        }
        let s = rows.map(\.inputs.count).max() ?? 1, l = rows.map(\.targets.count).max() ?? 1
        var inputs: [Int32] = [], mask: [Int32] = [], labels: [Int32] = []
        for row in rows {
            inputs += row.inputs + repeatElement(padId, count: s - row.inputs.count)
            mask += repeatElement(Int32(1), count: row.inputs.count)
            mask += repeatElement(Int32(0), count: s - row.inputs.count)
            labels += row.targets + repeatElement(Batch.ignoreIndex, count: l - row.targets.count)
        }
        return (
            try IndexTensor(inputs, shape: [rows.count, s]), try IndexTensor(mask, shape: [rows.count, s]),
            try IndexTensor(labels, shape: [rows.count, l])
        )
    }
}
