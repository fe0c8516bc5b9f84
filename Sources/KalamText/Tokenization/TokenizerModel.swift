import KalamJSON

/// A subword model: turns one pre-tokenized word into token ids.
///
/// The word arrives as symbols: Unicode scalar values, or for byte-level pre-tokenizers the
/// characters of GPT-2's byte alphabet. Token spans are written in symbol indices of the word.
public protocol TokenizerModel: Sendable {
    /// Tokenizes one word, appending ids and symbol spans to `out`.
    func tokenize(_ word: UnsafeBufferPointer<UInt32>, into out: inout ModelOutput)
    /// The id of a token string, if it is in the vocabulary.
    func id(of token: String) -> Int?
    /// The token string of an id, if it is in the vocabulary.
    func token(of id: Int) -> String?
    /// Number of ids (largest id + 1).
    var vocabularySize: Int { get }
    /// Token → id.
    var vocabulary: [String: Int] { get }
    /// The `tokenizer.json` form.
    var json: JSONValue { get }
}

/// Token ids and their symbol spans produced by a model for one or more words.
public struct ModelOutput: Sendable {
    /// Token ids.
    public var ids: [Int32] = []
    /// Start symbol of each token within its word.
    public var starts: [Int32] = []
    /// End symbol (exclusive) of each token within its word.
    public var ends: [Int32] = []

    /// An empty output.
    public init() {}

    /// Appends a token.
    @inline(__always)
    public mutating func append(id: Int32, start: Int32, end: Int32) {
        ids.append(id)
        starts.append(start)
        ends.append(end)
    }

    /// Reserves room for `n` tokens.
    public mutating func reserveCapacity(_ n: Int) {
        ids.reserveCapacity(n)
        starts.reserveCapacity(n)
        ends.reserveCapacity(n)
    }

    /// Removes everything, keeping capacity.
    public mutating func removeAll() {
        ids.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}

/// The largest id a vocabulary or added token may use (guards against absurd files).
let maxVocabularyId = 50_000_000

/// Builds the id → token table from a vocabulary, rejecting duplicate ids.
func invertVocabulary(_ vocab: [String: Int]) throws -> [String] {
    let largest = vocab.values.max() ?? -1
    guard largest < maxVocabularyId else {
        throw TokenizerError.invalidArgument("token id \(largest) is too large (limit \(maxVocabularyId))")
    }
    let size = largest + 1
    var table = [String?](repeating: nil, count: size)
    for (token, id) in vocab {
        guard id >= 0 else { throw TokenizerError.invalidArgument("negative id \(id) for token \(token)") }
        if let other = table[id] { throw TokenizerError.duplicateId(id: id, tokens: [other, token].sorted()) }
        table[id] = token
    }
    return table.map { $0 ?? "" }
}

/// The vocabulary as a JSON object ordered by id.
func vocabularyJSON(_ idToToken: [String], _ vocab: [String: Int]) -> JSONValue {
    var pairs: [(String, JSONValue)] = []
    pairs.reserveCapacity(vocab.count)
    for (id, token) in idToToken.enumerated() where vocab[token] == id { pairs.append((token, .int(id))) }
    return .object(pairs)
}
