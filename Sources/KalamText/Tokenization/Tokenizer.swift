/// A text tokenizer: text to ids with offsets and back.
///
/// `PipelineTokenizer` is the implementation (normalizer → pre-tokenizer → model → post-processor,
/// decoder); the protocol lets models, trainers and tools accept any tokenizer.
public protocol Tokenizer: Sendable {
    /// Encodes one text, or a pair of texts, adding special tokens when asked.
    func encode(_ text: String, pair: String?, addSpecialTokens: Bool) -> Encoding
    /// Encodes many texts (optionally as pairs), truncated and padded as the tokenizer is configured.
    func encodeBatch(_ texts: [String], pairs: [String]?, addSpecialTokens: Bool) -> [Encoding]
    /// Decodes ids; throws `TokenizerError.unknownId` for an id outside the vocabulary.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) throws -> String
    /// Number of ids, added tokens included.
    var vocabularySize: Int { get }
    /// The id of a token string.
    func id(of token: String) -> Int?
    /// The token string of an id.
    func token(of id: Int) -> String?
}

extension Tokenizer {
    /// Encodes one text with special tokens.
    public func encode(_ text: String) -> Encoding { encode(text, pair: nil, addSpecialTokens: true) }
    /// Decodes ids, keeping special tokens.
    public func decode(_ ids: [Int]) throws -> String { try decode(ids, skipSpecialTokens: false) }
}

/// Where truncation and padding act: the end (right) or the start (left) of a sequence.
public enum Side: String, Sendable {
    case right = "Right"
    case left = "Left"
}

/// How over-long inputs are cut (HF truncation parameters; `stride` overflow is not produced).
public struct Truncation: Equatable, Sendable {
    /// Which sequence of a pair loses tokens.
    public enum Strategy: String, Sendable {
        case longestFirst = "LongestFirst"
        case onlyFirst = "OnlyFirst"
        case onlySecond = "OnlySecond"
    }
    /// Maximum length including special tokens.
    public var maxLength: Int
    /// Which sequence is cut.
    public var strategy: Strategy
    /// Which end is cut.
    public var direction: Side
    /// Creates truncation parameters.
    public init(maxLength: Int, strategy: Strategy = .longestFirst, direction: Side = .right) {
        self.maxLength = maxLength
        self.strategy = strategy
        self.direction = direction
    }
}

/// How a batch is padded (HF padding parameters).
public struct Padding: Equatable, Sendable {
    /// Pad to the longest in the batch, or to a fixed length.
    public enum Strategy: Equatable, Sendable {
        case batchLongest
        case fixed(Int)
    }
    /// Target length rule.
    public var strategy: Strategy
    /// Which side receives padding.
    public var direction: Side
    /// Round the target length up to a multiple of this.
    public var padToMultipleOf: Int?
    /// Padding id.
    public var padId: Int
    /// Padding type id.
    public var padTypeId: Int
    /// Padding token string.
    public var padToken: String
    /// Creates padding parameters.
    public init(
        strategy: Strategy = .batchLongest, direction: Side = .right, padToMultipleOf: Int? = nil,
        padId: Int = 0, padTypeId: Int = 0, padToken: String = "[PAD]"
    ) {
        self.strategy = strategy
        self.direction = direction
        self.padToMultipleOf = padToMultipleOf
        self.padId = padId
        self.padTypeId = padTypeId
        self.padToken = padToken
    }
}
