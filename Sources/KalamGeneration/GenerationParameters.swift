/// The decoding strategy.
public enum DecodingStrategy: String, Sendable, CaseIterable {
    /// Highest logit at each step.
    case greedy
    /// Multinomial sampling after the sampling processors.
    case sample
    /// Beam search.
    case beam
}

/// When beam search stops (transformers' `early_stopping`).
public enum EarlyStopping: Sendable, Equatable {
    /// `False`: stop when the best running beam, scored at the current length, cannot beat the worst
    /// finished hypothesis.
    case heuristic
    /// `True`: stop as soon as `numBeams` hypotheses are finished.
    case whenFull
    /// `"never"`: stop only when no better hypothesis can exist (canonical beam search).
    case never
}

/// Everything that steers one `generate` call, with transformers' defaults and meanings.
///
/// Processors are built in transformers' order: repetition penalty, no-repeat n-gram, minimum new
/// tokens, forced end of sequence, then (sampling only) temperature, top-k, top-p, min-p, typical-p.
public struct GenerationParameters: Sendable {
    /// Greedy, sampling or beam search.
    public var strategy: DecodingStrategy = .greedy
    /// The most tokens to generate per row.
    public var maxNewTokens: Int = 20
    /// End-of-sequence is forbidden before this many new tokens.
    public var minNewTokens: Int = 0
    /// Sampling temperature (> 0); only used when sampling.
    public var temperature: Float = 1
    /// Keep the `topK` most likely tokens (0 = off); only used when sampling.
    public var topK: Int = 0
    /// Nucleus mass in (0, 1] (1 = off); only used when sampling.
    public var topP: Double = 1
    /// Min-p fraction in [0, 1] (`nil` = off); only used when sampling.
    public var minP: Double? = nil
    /// Typical mass in (0, 1] (1 = off); only used when sampling.
    public var typicalP: Double = 1
    /// Repetition penalty (1 = off).
    public var repetitionPenalty: Float = 1
    /// Ban repeated n-grams of this size (0 = off).
    public var noRepeatNGramSize: Int = 0
    /// Number of beams for beam search.
    public var numBeams: Int = 1
    /// Exponent on the generated length dividing a finished hypothesis' log-probability.
    public var lengthPenalty: Float = 1
    /// Beam search stopping rule.
    public var earlyStopping: EarlyStopping = .heuristic
    /// How many hypotheses beam search returns per prompt (the n best).
    public var numReturnSequences: Int = 1
    /// End-of-sequence ids; a row stops when it produces one.
    public var eosTokenIds: [Int32] = []
    /// The id written after a row finished (defaults to the first end-of-sequence id).
    public var padTokenId: Int32? = nil
    /// Force this end-of-sequence id as the last token before the length limit (`nil` = off).
    public var forcedEOSTokenId: Int32? = nil
    /// Stop a row when its generated text contains one of these (needs a detokenizer).
    public var stopStrings: [String] = []
    /// Seed of the sampling generator.
    public var seed: UInt64 = 0

    /// Makes parameters with transformers' defaults (greedy, 20 new tokens).
    public init() {}

    /// The id written after a row finished: `padTokenId`, else the first end-of-sequence id, else 0.
    public var fillTokenId: Int32 { padTokenId ?? eosTokenIds.first ?? 0 }

    /// Throws the first invalid setting as a typed error.
    public func validate() throws {
        guard maxNewTokens >= 1 else { throw GenerationError.maxNewTokensTooSmall(maxNewTokens) }
        guard minNewTokens >= 0 else { throw GenerationError.minNewTokensNegative(minNewTokens) }
        guard numBeams >= 1 else { throw GenerationError.numBeamsTooSmall(numBeams) }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw GenerationError.repetitionPenaltyNotPositive(repetitionPenalty)
        }
        guard noRepeatNGramSize >= 0 else { throw GenerationError.noRepeatNGramSizeNegative(noRepeatNGramSize) }
        guard topP > 0, topP <= 1 else { throw GenerationError.topPOutOfRange(Float(topP)) }
        guard topK >= 0 else { throw GenerationError.topKNegative(topK) }
        if let minP, !(minP >= 0 && minP <= 1) { throw GenerationError.minPOutOfRange(Float(minP)) }
        guard typicalP > 0, typicalP <= 1 else { throw GenerationError.typicalPOutOfRange(Float(typicalP)) }
        if strategy == .sample {
            guard temperature > 0, temperature.isFinite else {
                throw GenerationError.temperatureNotPositive(temperature)
            }
        }
        if strategy == .beam {
            guard numReturnSequences >= 1, numReturnSequences <= numBeams else {
                throw GenerationError.numReturnSequencesTooLarge(requested: numReturnSequences, numBeams: numBeams)
            }
        }
    }

    /// The processors for a run whose sequences may reach `maxLength` ids (prompt included), in
    /// transformers' order.
    public func makeProcessors(maxLength: Int) throws -> LogitProcessorList {
        try validate()
        var list: [any LogitProcessor] = []
        if repetitionPenalty != 1 { list.append(try RepetitionPenaltyProcessor(penalty: repetitionPenalty)) }
        if noRepeatNGramSize > 0 { list.append(try NoRepeatNGramProcessor(size: noRepeatNGramSize)) }
        if minNewTokens > 0, !eosTokenIds.isEmpty {
            list.append(try MinNewTokensProcessor(minNewTokens: minNewTokens, eosTokenIds: eosTokenIds))
        }
        if let forced = forcedEOSTokenId {
            list.append(ForcedEOSProcessor(maxLength: maxLength, eosTokenIds: [forced]))
        }
        if strategy == .sample {
            if temperature != 1 { list.append(try TemperatureProcessor(temperature: temperature)) }
            if topK > 0 { list.append(try TopKProcessor(k: topK)) }
            if topP < 1 { list.append(try TopPProcessor(p: topP)) }
            if let minP { list.append(try MinPProcessor(minP: minP)) }
            if typicalP < 1 { list.append(try TypicalPProcessor(mass: typicalP)) }
        }
        return LogitProcessorList(list)
    }
}
