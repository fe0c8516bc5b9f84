import HeapModule
import KalamJSON

/// Byte-pair encoding with ranked merges (GPT-2, RoBERTa and trained Kalam tokenizers).
///
/// A word starts as one token per symbol; the adjacent pair with the lowest merge rank is merged
/// (leftmost first on ties) until no pair has a merge — the order Hugging Face's BPE uses. Results
/// for words up to 64 symbols are memoized in a thread-safe cache.
public final class BPEModel: TokenizerModel, @unchecked Sendable {
    /// Token → id.
    public let vocabulary: [String: Int]
    /// Merge rules in rank order (rank = index).
    public let merges: [(String, String)]
    /// Token for symbols missing from the vocabulary; `nil` drops them (as HF does).
    public let unkToken: String?
    /// Prefix added to every non-initial symbol of a word.
    public let continuingSubwordPrefix: String?
    /// Suffix added to the last symbol of a word.
    public let endOfWordSuffix: String?
    /// Fuse consecutive unknown symbols into one unknown token.
    public let fuseUnk: Bool
    /// Encode unknown symbols as `<0xXX>` byte tokens when those exist.
    public let byteFallback: Bool
    /// A word that is itself in the vocabulary becomes that one token without merging.
    public let ignoreMerges: Bool

    private let idToToken: [String]
    private var mergeTable = PairTable()  // (left << 32 | right) → (rank << 32 | newId)
    private var symbolIds: [Int32]  // single-scalar token ids for scalars < 0x10000, or -1
    private var astralIds: [UInt32: Int32] = [:]
    private let unkId: Int32
    private let cache = BPECache()
    private let simple: Bool

    /// Creates the model from a vocabulary and merges given as token pairs; throws when a merge
    /// names a token (or forms a token) that is not in the vocabulary.
    public init(
        vocabulary: [String: Int], merges: [(String, String)], unkToken: String? = nil,
        continuingSubwordPrefix: String? = nil, endOfWordSuffix: String? = nil,
        fuseUnk: Bool = false, byteFallback: Bool = false, ignoreMerges: Bool = false
    ) throws {
        self.vocabulary = vocabulary
        self.merges = merges
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        idToToken = try invertVocabulary(vocabulary)
        if let unk = unkToken {
            guard let id = vocabulary[unk] else { throw TokenizerError.missingToken(unk) }
            unkId = Int32(id)
        } else {
            unkId = -1
        }
        simple = continuingSubwordPrefix == nil && endOfWordSuffix == nil
        symbolIds = [Int32](repeating: -1, count: 0x10000)
        mergeTable = PairTable(capacity: merges.count)
        let prefixCount = continuingSubwordPrefix?.unicodeScalars.count ?? 0
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = vocabulary[a] else { throw TokenizerError.mergeUnknownToken(merge: "\(a) \(b)", token: a) }
            guard let ib = vocabulary[b] else { throw TokenizerError.mergeUnknownToken(merge: "\(a) \(b)", token: b) }
            var joined = a
            if prefixCount > 0, let p = continuingSubwordPrefix, b.hasPrefix(p) {
                joined += String(String.UnicodeScalarView(b.unicodeScalars.dropFirst(prefixCount)))
            } else {
                joined += b
            }
            guard let id = vocabulary[joined] else {
                throw TokenizerError.mergeUnknownToken(merge: "\(a) \(b)", token: joined)
            }
            mergeTable.set(UInt64(ia) << 32 | UInt64(ib), UInt64(rank) << 32 | UInt64(id))
        }
        for (token, id) in vocabulary {
            let u = token.unicodeScalars
            guard u.count == 1, let v = u.first?.value else { continue }
            if v < 0x10000 { symbolIds[Int(v)] = Int32(id) } else { astralIds[v] = Int32(id) }
        }
    }

    @inline(__always)
    private func singleId(_ v: UInt32) -> Int32 {
        v < 0x10000 ? symbolIds[Int(v)] : (astralIds[v] ?? -1)
    }

    /// The id of the initial symbol at `i` (with prefix/suffix), or -1.
    private func initialId(_ word: UnsafeBufferPointer<UInt32>, _ i: Int) -> Int32 {
        if simple { return singleId(word[i]) }
        var s = String(Character(Unicode.Scalar(word[i]) ?? "\u{FFFD}"))
        if i > 0, let p = continuingSubwordPrefix { s = p + s }
        if i == word.count - 1, let x = endOfWordSuffix { s += x }
        return vocabulary[s].map(Int32.init) ?? -1
    }

    /// Tokenizes one word.
    public func tokenize(_ word: UnsafeBufferPointer<UInt32>, into out: inout ModelOutput) {
        let n = word.count
        guard n > 0 else { return }
        if n == 1 && simple {
            let id = singleId(word[0])
            if id >= 0 {
                out.append(id: id, start: 0, end: 1)
                return
            }
        }
        let cacheable = n <= cache.maxWordLength
        let h = cacheable ? BPECache.hash(word) : 0
        if cacheable && cache.lookup(word, hash: h, into: &out) { return }
        let mark = out.ids.count
        if ignoreMerges, let id = vocabulary[String(String.UnicodeScalarView(word.compactMap(Unicode.Scalar.init)))] {
            out.append(id: Int32(id), start: 0, end: Int32(n))
        } else {
            merge(word, into: &out)
        }
        if cacheable {
            var contiguous = true
            var expect: Int32 = 0
            for k in mark..<out.ids.count {
                if out.starts[k] != expect {
                    contiguous = false
                    break
                }
                expect = out.ends[k]
            }
            if contiguous && expect == Int32(n) { cache.store(word, hash: h, out, from: mark) }
        }
    }

    private func merge(_ word: UnsafeBufferPointer<UInt32>, into out: inout ModelOutput) {
        let n = word.count
        // Initial symbols: ids with their spans; unknowns handled as HF does.
        var ids = [Int32]()
        ids.reserveCapacity(n)
        var starts = [Int32]()
        starts.reserveCapacity(n)
        var ends = [Int32]()
        ends.reserveCapacity(n)
        var lastWasUnk = false
        for i in 0..<n {
            let id = initialId(word, i)
            if id >= 0 {
                ids.append(id)
                starts.append(Int32(i))
                ends.append(Int32(i + 1))
                lastWasUnk = false
                continue
            }
            if byteFallback, let bytes = fallbackIds(word[i]) {
                for b in bytes {
                    ids.append(b)
                    starts.append(Int32(i))
                    ends.append(Int32(i + 1))
                }
                lastWasUnk = false
                continue
            }
            guard unkId >= 0 else { continue }
            if fuseUnk && lastWasUnk {
                ends[ends.count - 1] = Int32(i + 1)
                continue
            }
            ids.append(unkId)
            starts.append(Int32(i))
            ends.append(Int32(i + 1))
            lastWasUnk = true
        }
        if ids.count > 48 {
            mergeLong(&ids, &starts, &ends)
        } else {
            mergeShort(&ids, &starts, &ends)
        }
        for k in 0..<ids.count { out.append(id: ids[k], start: starts[k], end: ends[k]) }
    }

    private func fallbackIds(_ v: UInt32) -> [Int32]? {
        guard let u = Unicode.Scalar(v) else { return nil }
        var r: [Int32] = []
        for b in String(Character(u)).utf8 {
            let name = "<0x" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) + ">"
            guard let id = vocabulary[name] else { return nil }
            r.append(Int32(id))
        }
        return r
    }

    @inline(__always)
    private func rankOf(_ a: Int32, _ b: Int32) -> UInt64 {
        mergeTable.get(UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))) ?? .max
    }

    /// Quadratic merging for short words: rescan for the lowest rank after every merge.
    private func mergeShort(_ ids: inout [Int32], _ starts: inout [Int32], _ ends: inout [Int32]) {
        guard ids.count > 1 else { return }
        var ranks = [UInt64](repeating: .max, count: ids.count - 1)
        for k in 0..<ranks.count { ranks[k] = rankOf(ids[k], ids[k + 1]) }
        while !ranks.isEmpty {
            var best = UInt64.max, at = -1
            for k in 0..<ranks.count where ranks[k] < best {
                best = ranks[k]
                at = k
            }
            if at < 0 { break }
            ids[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            ends[at] = ends[at + 1]
            ids.remove(at: at + 1)
            starts.remove(at: at + 1)
            ends.remove(at: at + 1)
            ranks.remove(at: at)
            if at > 0 { ranks[at - 1] = rankOf(ids[at - 1], ids[at]) }
            if at < ranks.count { ranks[at] = rankOf(ids[at], ids[at + 1]) }
        }
    }

    /// Heap-based merging for long words: a min-heap of (rank, position) over a linked list.
    private func mergeLong(_ ids: inout [Int32], _ starts: inout [Int32], _ ends: inout [Int32]) {
        let n = ids.count
        var next = (0..<n).map { $0 + 1 }
        var prev = (0..<n).map { $0 - 1 }
        var alive = [Bool](repeating: true, count: n)
        var heap = Heap<MergeCandidate>()
        func push(_ rankAndId: UInt64, at position: Int) {
            guard rankAndId != .max else { return }
            heap.insert(
                MergeCandidate(
                    rank: rankAndId >> 32, position: position, newId: Int32(truncatingIfNeeded: rankAndId & 0xFFFF_FFFF)
                ))
        }
        for k in 0..<(n - 1) { push(rankOf(ids[k], ids[k + 1]), at: k) }
        while let candidate = heap.popMin() {
            let pos = candidate.position
            guard alive[pos], next[pos] < n else { continue }
            let right = next[pos]
            let current = rankOf(ids[pos], ids[right])
            guard current != .max, current >> 32 == candidate.rank else { continue }
            ids[pos] = candidate.newId
            ends[pos] = ends[right]
            alive[right] = false
            next[pos] = next[right]
            if next[right] < n { prev[next[right]] = pos }
            if prev[pos] >= 0 { push(rankOf(ids[prev[pos]], ids[pos]), at: prev[pos]) }
            if next[pos] < n { push(rankOf(ids[pos], ids[next[pos]]), at: pos) }
        }
        var i2 = [Int32](), s2 = [Int32](), e2 = [Int32]()
        for k in 0..<n where alive[k] {
            i2.append(ids[k])
            s2.append(starts[k])
            e2.append(ends[k])
        }
        ids = i2
        starts = s2
        ends = e2
    }

    /// The id of a token.
    public func id(of token: String) -> Int? { vocabulary[token] }
    /// The token of an id.
    public func token(of id: Int) -> String? { id >= 0 && id < idToToken.count ? idToToken[id] : nil }
    /// Number of ids.
    public var vocabularySize: Int { idToToken.count }

    /// The `tokenizer.json` form (merges as `[left, right]` pairs, the current HF layout).
    public var json: JSONValue {
        .object([
            ("type", .string("BPE")), ("dropout", .null),
            ("unk_token", unkToken.map { .string($0) } ?? .null),
            ("continuing_subword_prefix", continuingSubwordPrefix.map { .string($0) } ?? .null),
            ("end_of_word_suffix", endOfWordSuffix.map { .string($0) } ?? .null),
            ("fuse_unk", .bool(fuseUnk)), ("byte_fallback", .bool(byteFallback)),
            ("ignore_merges", .bool(ignoreMerges)),
            ("vocab", vocabularyJSON(idToToken, vocabulary)),
            ("merges", .array(merges.map { .array([.string($0.0), .string($0.1)]) })),
        ])
    }
}

/// A pending merge of the long-word path: the lowest rank first, then the leftmost position.
struct MergeCandidate: Comparable {
    /// The merge's rank (its index in the merge list).
    var rank: UInt64
    /// The position of the pair's left symbol.
    var position: Int
    /// The id of the merged token.
    var newId: Int32

    static func < (a: MergeCandidate, b: MergeCandidate) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.position < b.position
    }

    static func == (a: MergeCandidate, b: MergeCandidate) -> Bool { a.rank == b.rank && a.position == b.position }
}
