/// WordPiece (BERT): greedy longest-match-first over the vocabulary, continuation pieces carry a
/// prefix (`##`), a word with an unmatched piece or more than `maxInputCharsPerWord` characters
/// becomes the unknown token.
///
/// Lookups walk a trie keyed in a `PairTable`, so a word costs one hash probe per character tried.
public final class WordPieceModel: TokenizerModel, @unchecked Sendable {
    /// Token → id.
    public let vocabulary: [String: Int]
    /// The unknown token.
    public let unkToken: String
    /// Prefix of continuation pieces.
    public let continuingSubwordPrefix: String
    /// Longer words become the unknown token.
    public let maxInputCharsPerWord: Int

    private let idToToken: [String]
    private let unkId: Int32
    private var edges = PairTable()        // (node << 32 | scalar) → child node
    private var nodeToken: [Int32] = []    // token id ending at each node, or -1
    private static let wordRoot: UInt64 = 0, continuationRoot: UInt64 = 1

    /// Creates the model; throws when `unkToken` is not in the vocabulary or ids collide.
    public init(vocabulary: [String: Int], unkToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
                maxInputCharsPerWord: Int = 100) throws {
        self.vocabulary = vocabulary
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        idToToken = try invertVocabulary(vocabulary)
        guard let unk = vocabulary[unkToken] else { throw TokenizerError.missingToken(unkToken) }
        unkId = Int32(unk)
        edges = PairTable(capacity: vocabulary.count * 4)
        nodeToken = [-1, -1]
        nodeToken.reserveCapacity(vocabulary.count * 3)
        let prefix = Array(continuingSubwordPrefix.unicodeScalars.map(\.value))
        for (token, id) in vocabulary {
            let scalars = token.unicodeScalars.map(\.value)
            insert(scalars[...], root: Self.wordRoot, id: id)
            if !prefix.isEmpty, scalars.count > prefix.count, Array(scalars[0..<prefix.count]) == prefix {
                insert(scalars[prefix.count...], root: Self.continuationRoot, id: id)
            }
        }
    }

    private func insert(_ scalars: ArraySlice<UInt32>, root: UInt64, id: Int) {
        var node = root
        for v in scalars {
            let key = node << 32 | UInt64(v)
            if let child = edges.get(key) { node = child } else {
                let child = UInt64(nodeToken.count)
                nodeToken.append(-1)
                edges.set(key, child)
                node = child
            }
        }
        nodeToken[Int(node)] = Int32(id)
    }

    /// Greedy longest match.
    public func tokenize(_ word: UnsafeBufferPointer<UInt32>, into out: inout ModelOutput) {
        let n = word.count
        guard n > 0 else { return }
        if n > maxInputCharsPerWord {
            out.append(id: unkId, start: 0, end: Int32(n)); return
        }
        let mark = out.ids.count
        var pos = 0
        while pos < n {
            var node = pos == 0 ? Self.wordRoot : Self.continuationRoot
            var bestEnd = -1
            var bestId: Int32 = -1
            var j = pos
            while j < n, let child = edges.get(node << 32 | UInt64(word[j])) {
                node = child
                j += 1
                let t = nodeToken[Int(node)]
                if t >= 0 { bestEnd = j; bestId = t }
            }
            if bestEnd < 0 {
                out.ids.removeSubrange(mark...); out.starts.removeSubrange(mark...); out.ends.removeSubrange(mark...)
                out.append(id: unkId, start: 0, end: Int32(n))
                return
            }
            out.append(id: bestId, start: Int32(pos), end: Int32(bestEnd))
            pos = bestEnd
        }
    }

    /// The id of a token.
    public func id(of token: String) -> Int? { vocabulary[token] }
    /// The token of an id.
    public func token(of id: Int) -> String? { id >= 0 && id < idToToken.count ? idToToken[id] : nil }
    /// Number of ids.
    public var vocabularySize: Int { idToToken.count }

    /// The `tokenizer.json` form.
    public var json: JSONValue {
        .object([("type", .string("WordPiece")), ("unk_token", .string(unkToken)),
                 ("continuing_subword_prefix", .string(continuingSubwordPrefix)),
                 ("max_input_chars_per_word", .int(maxInputCharsPerWord)),
                 ("vocab", vocabularyJSON(idToToken, vocabulary))])
    }
}
