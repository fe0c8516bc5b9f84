import KalamJSON

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
    private let table: PieceTable

    /// Creates the model; throws when `unkToken` is not in the vocabulary or ids collide.
    public init(
        vocabulary: [String: Int], unkToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
        maxInputCharsPerWord: Int = 100
    ) throws {
        self.vocabulary = vocabulary
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        idToToken = try invertVocabulary(vocabulary)
        guard let unk = vocabulary[unkToken] else { throw TokenizerError.missingToken(unkToken) }
        unkId = Int32(unk)
        table = PieceTable(idToToken, prefix: continuingSubwordPrefix)
    }

    /// Greedy longest match.
    public func tokenize(_ word: UnsafeBufferPointer<UInt32>, into out: inout ModelOutput) {
        let n = word.count
        guard n > 0 else { return }
        if n > maxInputCharsPerWord {
            out.append(id: unkId, start: 0, end: Int32(n))
            return
        }
        let mark = out.ids.count
        var pos = 0
        // Rolling hashes of word[pos..<end] for every end, longest tried first.
        var hashes = [UInt64](repeating: 0, count: min(n, table.maxLength) + 1)
        while pos < n {
            let continuation = pos > 0 && !continuingSubwordPrefix.isEmpty
            let limit = min(n - pos, table.maxLength)
            var h = PieceTable.seed(continuation)
            for k in 0..<limit {
                h = PieceTable.step(h, word[pos + k])
                hashes[k + 1] = h
            }
            var found = -1
            var id: Int32 = -1
            var len = limit
            while len > 0 {
                if let t = table.find(hashes[len], UnsafeBufferPointer(rebasing: word[pos..<pos + len]), continuation) {
                    found = len
                    id = t
                    break
                }
                len -= 1
            }
            if found < 0 {
                out.ids.removeSubrange(mark...)
                out.starts.removeSubrange(mark...)
                out.ends.removeSubrange(mark...)
                out.append(id: unkId, start: 0, end: Int32(n))
                return
            }
            out.append(id: id, start: Int32(pos), end: Int32(pos + found))
            pos += found
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
        .object([
            ("type", .string("WordPiece")), ("unk_token", .string(unkToken)),
            ("continuing_subword_prefix", .string(continuingSubwordPrefix)),
            ("max_input_chars_per_word", .int(maxInputCharsPerWord)),
            ("vocab", vocabularyJSON(idToToken, vocabulary)),
        ])
    }
}

/// Vocabulary pieces keyed by their scalars: whole tokens, and continuation pieces (the text after
/// the prefix) in the same open-addressing table, told apart by the hash seed and a flag.
struct PieceTable: Sendable {
    private var hashes: [UInt64]
    private var ids: [Int32]
    private var starts: [Int32]
    private var lengths: [Int32]
    private var arena: [UInt32]
    private let mask: Int
    /// Longest piece, in scalars.
    private(set) var maxLength = 0

    @inline(__always) static func seed(_ continuation: Bool) -> UInt64 {
        continuation ? 0x8422_2325_CBF2_9CE4 : 0xCBF2_9CE4_8422_2325
    }
    @inline(__always) static func step(_ h: UInt64, _ v: UInt32) -> UInt64 { (h ^ UInt64(v)) &* 0x0000_0100_0000_01B3 }
    @inline(__always) static func slot(_ h: UInt64) -> Int {
        Int(truncatingIfNeeded: (h ^ (h >> 29)) &* 0x9E37_79B9_7F4A_7C15 >> 16)
    }

    init(_ idToToken: [String], prefix: String) {
        let p = prefix.unicodeScalars.map(\.value)
        // First pass: every piece's scalars into the arena, with its hash and flag.
        var arena: [UInt32] = []
        arena.reserveCapacity(idToToken.count * 8)
        var pieces: [(hash: UInt64, id: Int32, start: Int32, length: Int32)] = []
        pieces.reserveCapacity(idToToken.count * 2)
        var maxLength = 0
        for (id, token) in idToToken.enumerated() where !token.isEmpty {
            let start = arena.count
            var h = Self.seed(false)
            for u in token.unicodeScalars {
                arena.append(u.value)
                h = Self.step(h, u.value)
            }
            let n = arena.count - start
            pieces.append((h, Int32(id), Int32(start), Int32(n)))
            maxLength = max(maxLength, n)
            if !p.isEmpty, n > p.count {
                var isContinuation = true
                for k in 0..<p.count where arena[start + k] != p[k] {
                    isContinuation = false
                    break
                }
                if isContinuation {
                    var hc = Self.seed(true)
                    for k in (start + p.count)..<arena.count { hc = Self.step(hc, arena[k]) }
                    pieces.append((hc, Int32(id), Int32(start + p.count), Int32(n - p.count) | Int32.min))
                }
            }
        }
        // Second pass: open addressing; the first (lowest) id of equal pieces wins.
        var size = 16
        while size < pieces.count * 2 { size <<= 1 }
        mask = size - 1
        var hashes = [UInt64](repeating: 0, count: size)
        var ids = [Int32](repeating: -1, count: size)
        var starts = [Int32](repeating: 0, count: size)
        var lengths = [Int32](repeating: 0, count: size)
        let m = mask
        arena.withUnsafeBufferPointer { a in
            hashes.withUnsafeMutableBufferPointer { hs in
                ids.withUnsafeMutableBufferPointer { idp in
                    starts.withUnsafeMutableBufferPointer { ss in
                        lengths.withUnsafeMutableBufferPointer { ls in
                            outer: for piece in pieces {
                                var i = Self.slot(piece.hash) & m
                                let count = Int(piece.length & Int32.max)
                                while idp[i] >= 0 {
                                    if hs[i] == piece.hash && ls[i] == piece.length {
                                        var same = true
                                        for k in 0..<count where a[Int(ss[i]) + k] != a[Int(piece.start) + k] {
                                            same = false
                                            break
                                        }
                                        if same { continue outer }
                                    }
                                    i = (i + 1) & m
                                }
                                hs[i] = piece.hash
                                idp[i] = piece.id
                                ss[i] = piece.start
                                ls[i] = piece.length
                            }
                        }
                    }
                }
            }
        }
        self.hashes = hashes
        self.ids = ids
        self.starts = starts
        self.lengths = lengths
        self.arena = arena
        self.maxLength = maxLength
    }

    /// The id of `piece` (hash `h`), or nil.
    @inline(__always)
    func find(_ h: UInt64, _ piece: UnsafeBufferPointer<UInt32>, _ continuation: Bool) -> Int32? {
        let want = Int32(piece.count) | (continuation ? Int32.min : 0)
        var i = Self.slot(h) & mask
        while true {
            let id = ids[i]
            if id < 0 { return nil }
            if hashes[i] == h && lengths[i] == want {
                let s = Int(starts[i])
                var same = true
                for k in 0..<piece.count where arena[s + k] != piece[k] {
                    same = false
                    break
                }
                if same { return id }
            }
            i = (i + 1) & mask
        }
    }
}
