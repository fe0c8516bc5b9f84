/// Errors thrown by KalamGeneration: bad parameters, bad prompts and decoder faults, each with the
/// offending value so the message can say what to change.
public enum GenerationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `top_p` must lie in (0, 1].
    case topPOutOfRange(Float)
    /// `min_p` must lie in [0, 1].
    case minPOutOfRange(Float)
    /// `typical_p` must lie in (0, 1].
    case typicalPOutOfRange(Float)
    /// The temperature must be greater than zero when sampling.
    case temperatureNotPositive(Float)
    /// `top_k` must be zero (off) or positive.
    case topKNegative(Int)
    /// The repetition penalty must be greater than zero.
    case repetitionPenaltyNotPositive(Float)
    /// The no-repeat n-gram size must be zero (off) or positive.
    case noRepeatNGramSizeNegative(Int)
    /// The number of beams must be at least 1.
    case numBeamsTooSmall(Int)
    /// More return sequences were asked for than there are beams.
    case numReturnSequencesTooLarge(requested: Int, numBeams: Int)
    /// `max_new_tokens` must be at least 1.
    case maxNewTokensTooSmall(Int)
    /// `min_new_tokens` must be zero or positive.
    case minNewTokensNegative(Int)
    /// A prompt row had no tokens and the model has no beginning-of-sequence token to start from.
    case emptyPrompt(row: Int)
    /// No prompt rows were given.
    case noPrompts
    /// A prompt does not fit the model's context window (it must leave room for one new token).
    case promptTooLong(length: Int, contextLength: Int)
    /// A token id is outside the model's vocabulary.
    case tokenOutOfVocabulary(id: Int32, vocabularySize: Int)
    /// Batched prompts of different lengths need a padding token id.
    case paddingTokenMissing
    /// The decoder returned the wrong number of logits rows or a row of the wrong width.
    case logitsShapeMismatch(expectedRows: Int, expectedWidth: Int, rows: Int, width: Int)
    /// A cache reorder referred to a row that does not exist.
    case cacheRowOutOfRange(row: Int, rows: Int)
    /// The decoder failed; the message comes from the model.
    case decoderFailure(String)
    /// The configuration asks for something the inference decoder does not implement.
    case unsupportedModel(String)

    /// A one-line readable explanation.
    public var description: String {
        switch self {
        case .topPOutOfRange(let p): return "top-p must be in (0, 1], got \(p)"
        case .minPOutOfRange(let p): return "min-p must be in [0, 1], got \(p)"
        case .typicalPOutOfRange(let p): return "typical-p must be in (0, 1], got \(p)"
        case .temperatureNotPositive(let t): return "temperature must be > 0 when sampling, got \(t)"
        case .topKNegative(let k): return "top-k must be >= 0 (0 = off), got \(k)"
        case .repetitionPenaltyNotPositive(let p): return "repetition penalty must be > 0, got \(p)"
        case .noRepeatNGramSizeNegative(let n): return "no-repeat n-gram size must be >= 0 (0 = off), got \(n)"
        case .numBeamsTooSmall(let n): return "number of beams must be >= 1, got \(n)"
        case .numReturnSequencesTooLarge(let r, let b):
            return "cannot return \(r) sequences from \(b) beams"
        case .maxNewTokensTooSmall(let n): return "max new tokens must be >= 1, got \(n)"
        case .minNewTokensNegative(let n): return "min new tokens must be >= 0, got \(n)"
        case .emptyPrompt(let row):
            return "prompt \(row) is empty and the model has no beginning-of-sequence token"
        case .noPrompts: return "no prompts given"
        case .promptTooLong(let length, let context):
            return "prompt of \(length) tokens leaves no room in the context of \(context) tokens"
        case .tokenOutOfVocabulary(let id, let size):
            return "token id \(id) is outside the vocabulary of \(size) tokens"
        case .paddingTokenMissing: return "prompts of different lengths need a padding token id"
        case .logitsShapeMismatch(let er, let ew, let r, let w):
            return "decoder returned \(r) logits rows of width \(w), expected \(er) of width \(ew)"
        case .cacheRowOutOfRange(let row, let rows): return "cache row \(row) out of range 0..<\(rows)"
        case .decoderFailure(let message): return "decoder failed: \(message)"
        case .unsupportedModel(let reason): return "unsupported model: \(reason)"
        }
    }
}
