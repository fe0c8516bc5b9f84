/// What a decoder returns when it starts on a batch of prompts.
public struct DecoderStart<Cache> {
    /// The model state after reading the prompts (a KV cache, or the ids to recompute from).
    public var cache: Cache
    /// Next-token logits, one row per prompt, `vocabularySize` wide.
    public var logits: [[Float]]
    /// The ids the logit processors see for each row: the decoder prompt, left padded to a common
    /// length (transformers' `input_ids`). For an encoder-decoder model it is the decoder start token.
    public var prefixes: [[Int32]]
    /// How many leading ids of each prefix are padding.
    public var paddingCounts: [Int]

    /// Makes a start value.
    public init(cache: Cache, logits: [[Float]], prefixes: [[Int32]], paddingCounts: [Int]) {
        self.cache = cache
        self.logits = logits
        self.prefixes = prefixes
        self.paddingCounts = paddingCounts
    }
}

/// A language model seen from the decoding loop: it reads prompts, then takes one new token per row
/// and returns next-token logits, keeping whatever state it needs (a KV cache) in an opaque `Cache`.
///
/// GPT-2 and T5 conform in KalamGeneration; tests conform with table-driven fakes. Rows are
/// independent sequences (batch items, or beams); `reorder` lets beam search copy, drop and permute them.
public protocol LanguageModelDecoder {
    /// The model's state between steps.
    associatedtype Cache

    /// Width of every logits row.
    var vocabularySize: Int { get }

    /// The longest decoder sequence the model can read (prompt and generated ids), or `nil` if unbounded.
    var contextLength: Int? { get }

    /// Reads the prompts (unpadded, one per row) and returns the state and the first logits.
    /// Throws a typed error for an empty prompt the model cannot start from, a prompt that does not fit
    /// the context, or an id outside the vocabulary.
    func start(_ prompts: [[Int32]]) throws -> DecoderStart<Cache>

    /// Appends one token to each row and returns the next logits, one row per row.
    func next(_ tokens: [Int32], cache: inout Cache) throws -> [[Float]]

    /// Rebuilds the state so that new row `i` is old row `rows[i]`; the row count may change.
    func reorder(_ cache: inout Cache, rows: [Int]) throws
}

extension LanguageModelDecoder {
    /// Checks one decoding step's input: one token per row, each inside the vocabulary.
    func checkStep(_ tokens: [Int32], rows: Int) throws {
        guard tokens.count == rows else {
            throw GenerationError.logitsShapeMismatch(
                expectedRows: rows, expectedWidth: 1, rows: tokens.count, width: 1)
        }
        for id in tokens where id < 0 || Int(id) >= vocabularySize {
            throw GenerationError.tokenOutOfVocabulary(id: id, vocabularySize: vocabularySize)
        }
    }

    /// Checks a logits batch has `rows` rows of `vocabularySize` floats.
    func checkLogits(_ logits: [[Float]], rows: Int) throws {
        let width = logits.first?.count ?? vocabularySize
        guard logits.count == rows, logits.allSatisfy({ $0.count == vocabularySize }) else {
            throw GenerationError.logitsShapeMismatch(
                expectedRows: rows, expectedWidth: vocabularySize, rows: logits.count, width: width)
        }
    }
}
