// The processors transformers applies in every strategy: repetition penalty, no-repeat n-gram,
// minimum new tokens and forced end of sequence.

/// Repetition penalty (`RepetitionPenaltyLogitsProcessor`, CTRL): every token already in the row
/// (left padding excluded) has its logit divided by the penalty when positive, multiplied when negative.
public struct RepetitionPenaltyProcessor: LogitProcessor {
    /// The penalty; > 1 discourages repeats, < 1 encourages them.
    public let penalty: Float

    /// Makes the processor; throws `GenerationError.repetitionPenaltyNotPositive` for `penalty <= 0`.
    public init(penalty: Float) throws {
        guard penalty > 0, penalty.isFinite else { throw GenerationError.repetitionPenaltyNotPositive(penalty) }
        self.penalty = penalty
    }

    /// Penalises each distinct id seen after the padding once.
    public func process(_ logits: inout [Float], context: LogitContext) {
        let n = logits.count
        var seen = [Bool](repeating: false, count: n)
        let ids = context.inputIds
        for position in context.paddingCount..<ids.count {
            let id = Int(ids[position])
            guard id >= 0, id < n, !seen[id] else { continue }
            seen[id] = true
            let score = logits[id]
            logits[id] = score < 0 ? score * penalty : score / penalty
        }
    }
}

/// Bans every token that would repeat an n-gram already in the row (`NoRepeatNGramLogitsProcessor`).
/// The row's ids include the prompt, as in transformers.
public struct NoRepeatNGramProcessor: LogitProcessor {
    /// The n-gram size; 1 bans every token already present.
    public let size: Int

    /// Makes the processor; throws `GenerationError.noRepeatNGramSizeNegative` for `size < 1`.
    public init(size: Int) throws {
        guard size >= 1 else { throw GenerationError.noRepeatNGramSizeNegative(size) }
        self.size = size
    }

    /// The ids that would complete an n-gram already present in `ids`.
    public func bannedTokens(_ ids: [Int32]) -> [Int32] {
        let length = ids.count
        guard length >= size else { return [] }
        let prefixStart = length + 1 - size
        var banned: [Int32] = []
        // Each window start s covers ids[s ..< s + size]; its first size-1 ids must equal the suffix.
        for start in 0...(length - size) {
            var matches = true
            for offset in 0..<(size - 1) where ids[start + offset] != ids[prefixStart + offset] {
                matches = false
                break
            }
            if matches { banned.append(ids[start + size - 1]) }
        }
        return banned
    }

    /// Sets the banned tokens to `-inf`.
    public func process(_ logits: inout [Float], context: LogitContext) {
        for id in bannedTokens(context.inputIds) where id >= 0 && Int(id) < logits.count {
            logits[Int(id)] = -.infinity
        }
    }
}

/// Forbids end-of-sequence until `minNewTokens` tokens were generated
/// (`MinNewTokensLengthLogitsProcessor`).
public struct MinNewTokensProcessor: LogitProcessor {
    /// The least number of generated tokens before an end-of-sequence may come.
    public let minNewTokens: Int
    /// The end-of-sequence ids.
    public let eosTokenIds: [Int32]

    /// Makes the processor; throws `GenerationError.minNewTokensNegative` for a negative count.
    public init(minNewTokens: Int, eosTokenIds: [Int32]) throws {
        guard minNewTokens >= 0 else { throw GenerationError.minNewTokensNegative(minNewTokens) }
        self.minNewTokens = minNewTokens
        self.eosTokenIds = eosTokenIds
    }

    /// Sets the end-of-sequence logits to `-inf` while too few tokens were generated.
    public func process(_ logits: inout [Float], context: LogitContext) {
        guard context.generatedCount < minNewTokens else { return }
        for id in eosTokenIds where id >= 0 && Int(id) < logits.count { logits[Int(id)] = -.infinity }
    }
}

/// Forces the end-of-sequence token as the last token before `maxLength`
/// (`ForcedEOSTokenLogitsProcessor`): at length `maxLength - 1` every other logit becomes `-inf` and
/// the end-of-sequence logits 0.
public struct ForcedEOSProcessor: LogitProcessor {
    /// Total length (prompt included) the sequences may reach.
    public let maxLength: Int
    /// The end-of-sequence ids to force.
    public let eosTokenIds: [Int32]

    /// Makes the processor.
    public init(maxLength: Int, eosTokenIds: [Int32]) {
        self.maxLength = maxLength
        self.eosTokenIds = eosTokenIds
    }

    /// Forces end-of-sequence on the last step.
    public func process(_ logits: inout [Float], context: LogitContext) {
        guard context.inputIds.count == maxLength - 1 else { return }
        for i in 0..<logits.count { logits[i] = -.infinity }
        for id in eosTokenIds where id >= 0 && Int(id) < logits.count { logits[Int(id)] = 0 }
    }
}
