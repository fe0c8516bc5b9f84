import Foundation

// The sampling "warpers" of transformers (temperature, top-k, top-p, min-p, typical-p), one row at a
// time. Each keeps at least `minTokensToKeep` tokens, as transformers does (2 or more inside beam
// sampling, 1 otherwise). Removed tokens get `-inf`.

/// Divides every logit by the temperature (`TemperatureLogitsWarper`).
public struct TemperatureProcessor: LogitProcessor {
    /// The temperature; must be > 0.
    public let temperature: Float

    /// Makes the processor; throws `GenerationError.temperatureNotPositive` for `temperature <= 0`.
    public init(temperature: Float) throws {
        guard temperature > 0, temperature.isFinite else { throw GenerationError.temperatureNotPositive(temperature) }
        self.temperature = temperature
    }

    /// Divides the row by the temperature.
    public func process(_ logits: inout [Float], context: LogitContext) {
        for i in 0..<logits.count { logits[i] = logits[i] / temperature }
    }
}

/// Keeps the `k` highest logits and every logit equal to the k-th (`TopKLogitsWarper`).
public struct TopKProcessor: LogitProcessor {
    /// How many tokens to keep (at least `minTokensToKeep`).
    public let k: Int

    /// Makes the processor; throws `GenerationError.topKNegative` for `k < 1`.
    public init(k: Int, minTokensToKeep: Int = 1) throws {
        guard k >= 1 else { throw GenerationError.topKNegative(k) }
        self.k = max(k, minTokensToKeep)
    }

    /// Sets every logit below the k-th largest to `-inf`.
    public func process(_ logits: inout [Float], context: LogitContext) {
        let k = min(self.k, logits.count)
        guard k > 0, k < logits.count else { return }
        let threshold = LogitMath.topK(logits, k: k)[k - 1].value
        for i in 0..<logits.count where logits[i] < threshold { logits[i] = -.infinity }
    }
}

/// Nucleus filtering (`TopPLogitsWarper`): keeps the smallest set of most likely tokens whose
/// probability mass exceeds `p`; the tokens whose ascending cumulative mass is `<= 1 - p` are removed.
public struct TopPProcessor: LogitProcessor {
    /// The probability mass to keep, in (0, 1].
    public let p: Double
    /// The least number of tokens kept.
    public let minTokensToKeep: Int

    /// Makes the processor; throws `GenerationError.topPOutOfRange` unless `0 < p <= 1`.
    public init(p: Double, minTokensToKeep: Int = 1) throws {
        guard p > 0, p <= 1 else { throw GenerationError.topPOutOfRange(Float(p)) }
        self.p = p
        self.minTokensToKeep = minTokensToKeep
    }

    /// Removes the low-probability tail.
    public func process(_ logits: inout [Float], context: LogitContext) {
        let n = logits.count
        let order = LogitMath.ascendingOrder(logits)
        let probs = LogitMath.softmax(order.map { logits[$0] })
        let threshold = Float(1 - p)
        var cumulative = 0.0
        var remove = [Bool](repeating: false, count: n)
        for j in 0..<n {
            cumulative += probs[j]
            remove[j] = Float(cumulative) <= threshold
        }
        for j in max(0, n - minTokensToKeep)..<n { remove[j] = false }
        for j in 0..<n where remove[j] { logits[order[j]] = -.infinity }
    }
}

/// Min-p filtering (`MinPLogitsWarper`): removes tokens whose probability is below `minP` times the
/// probability of the most likely token.
public struct MinPProcessor: LogitProcessor {
    /// The fraction of the top probability a token needs, in [0, 1].
    public let minP: Double
    /// The least number of tokens kept.
    public let minTokensToKeep: Int

    /// Makes the processor; throws `GenerationError.minPOutOfRange` unless `0 <= minP <= 1`.
    public init(minP: Double, minTokensToKeep: Int = 1) throws {
        guard minP >= 0, minP <= 1 else { throw GenerationError.minPOutOfRange(Float(minP)) }
        self.minP = minP
        self.minTokensToKeep = minTokensToKeep
    }

    /// Removes the tokens under the scaled threshold.
    public func process(_ logits: inout [Float], context: LogitContext) {
        let n = logits.count
        guard n > 0 else { return }
        let probs = LogitMath.softmax(logits).map { Float($0) }
        let top = probs.max() ?? 0
        let threshold = Float(minP) * top
        var remove = probs.map { $0 < threshold }
        for (index, _) in LogitMath.topK(probs, k: min(minTokensToKeep, n)) { remove[index] = false }
        for i in 0..<n where remove[i] { logits[i] = -.infinity }
    }
}

/// Locally typical filtering (`TypicalLogitsWarper`): keeps the tokens whose surprisal is closest to
/// the row's entropy until their mass reaches `mass`.
public struct TypicalPProcessor: LogitProcessor {
    /// The probability mass to keep, in (0, 1].
    public let mass: Double
    /// The least number of tokens kept.
    public let minTokensToKeep: Int

    /// Makes the processor; throws `GenerationError.typicalPOutOfRange` unless `0 < mass <= 1`.
    public init(mass: Double, minTokensToKeep: Int = 1) throws {
        guard mass > 0, mass <= 1 else { throw GenerationError.typicalPOutOfRange(Float(mass)) }
        self.mass = mass
        self.minTokensToKeep = minTokensToKeep
    }

    /// Removes the atypical tokens.
    public func process(_ logits: inout [Float], context: LogitContext) {
        let n = logits.count
        guard n > 0 else { return }
        let logProbs = LogitMath.logSoftmax(logits)
        var entropy: Float = 0
        for lp in logProbs where lp > -.infinity { entropy -= lp * Float(exp(Double(lp))) }
        let shifted = logProbs.map { abs(-$0 - entropy) }
        let order = LogitMath.ascendingOrder(shifted)
        let probs = LogitMath.softmax(order.map { logits[$0] })
        let target = Float(mass)
        var cumulative = 0.0
        var lastIndex = 0
        for j in 0..<n {
            cumulative += probs[j]
            if Float(cumulative) < target { lastIndex += 1 }
        }
        lastIndex = min(lastIndex, n - 1)
        let cutoff = shifted[order[lastIndex]]
        for j in min(minTokensToKeep, n)..<n where shifted[order[j]] > cutoff {
            logits[order[j]] = -.infinity
        }
    }
}
