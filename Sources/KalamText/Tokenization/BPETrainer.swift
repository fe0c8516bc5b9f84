import HeapModule

/// Learns BPE merges from word counts with the algorithm of Hugging Face's `BpeTrainer`, so the
/// same corpus and settings give the same vocabulary and merges:
///
/// 1. special tokens get the first ids, then the alphabet (characters seen, plus `initialAlphabet`)
///    in code-point order;
/// 2. the most frequent adjacent pair is merged, ties going to the smallest `(left id, right id)`;
///    pair counts are updated incrementally, and stale heap entries are re-queued with their
///    current count, exactly as HF does (including its handling of merges that rebuild an
///    existing token);
/// 3. training stops at `vocabSize` tokens or when the best pair is rarer than `minFrequency`.
///
/// Differences from HF, all deterministic on Kalam's side: with `limitAlphabet`, characters of
/// equal frequency are dropped in code-point order (HF's order is unspecified); with a
/// `continuingSubwordPrefix` or `endOfWordSuffix`, the decorated symbols (`##a`) get ids in the
/// order of the words sorted by their symbols (HF assigns them in hash-map order, which varies from
/// run to run and shifts ties) — see `WordPieceTrainer`.
public struct BPETrainer: Sendable {
    /// Target vocabulary size (special tokens included).
    public var vocabSize: Int
    /// Pairs seen fewer times are not merged.
    public var minFrequency: Int
    /// Tokens placed first in the vocabulary.
    public var specialTokens: [String]
    /// Characters always in the alphabet (e.g. `ByteAlphabet.alphabet` for byte-level BPE).
    public var initialAlphabet: [String]
    /// Keep at most this many alphabet characters (the most frequent).
    public var limitAlphabet: Int?
    /// Prefix of non-initial symbols (WordPiece uses `##`).
    public var continuingSubwordPrefix: String?
    /// Suffix of word-final symbols.
    public var endOfWordSuffix: String?
    /// Longest token, in characters.
    public var maxTokenLength: Int?

    /// Creates a trainer (HF's defaults).
    public init(
        vocabSize: Int = 30000, minFrequency: Int = 0, specialTokens: [String] = [], initialAlphabet: [String] = [],
        limitAlphabet: Int? = nil, continuingSubwordPrefix: String? = nil, endOfWordSuffix: String? = nil,
        maxTokenLength: Int? = nil
    ) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
        self.initialAlphabet = initialAlphabet
        self.limitAlphabet = limitAlphabet
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.maxTokenLength = maxTokenLength
    }

    /// The result of training: the vocabulary and the merges in rank order.
    public struct Result: Sendable {
        /// Token → id.
        public var vocabulary: [String: Int]
        /// Merge rules in rank order.
        public var merges: [(String, String)]
    }

    /// A pair in the queue, ordered so that the maximum is the next merge: the higher count, then the
    /// smaller pair (as HF orders it).
    private struct Entry: Comparable {
        var count: Int64
        var pair: UInt64
        var pos: Int32

        static func < (a: Entry, b: Entry) -> Bool { a.count != b.count ? a.count < b.count : a.pair > b.pair }
        static func == (a: Entry, b: Entry) -> Bool { a.count == b.count && a.pair == b.pair }
    }

    /// Trains on word counts (words as symbol sequences, e.g. from `WordCounter`).
    public func train(wordCounts: [[UInt32]: Int]) throws -> Result {
        guard vocabSize >= 0, minFrequency >= 0 else {
            throw TokenizerError.invalidArgument("negative vocabulary size or frequency")
        }
        var w2id: [String: Int] = [:]
        var id2w: [String] = []
        func add(_ s: String) {
            if w2id[s] == nil {
                w2id[s] = id2w.count
                id2w.append(s)
            }
        }
        for s in specialTokens { add(s) }

        // Alphabet.
        var alphabet: [UInt32: Int] = [:]
        for (w, c) in wordCounts { for v in w where Unicode.Scalar(v) != nil { alphabet[v, default: 0] += c } }
        for s in initialAlphabet { for u in s.unicodeScalars { alphabet[u.value] = Int.max } }
        var kept = alphabet.map { ($0.key, $0.value) }
        if let limit = limitAlphabet, kept.count > limit {
            kept.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
            kept.removeFirst(kept.count - limit)
        }
        kept.sort { $0.0 < $1.0 }
        for (v, _) in kept { add(String(Character(Unicode.Scalar(v)!))) }

        // Words as ids; decorated symbols get ids in sorted word order.
        let sortedWords = wordCounts.keys.sorted { $0.lexicographicallyPrecedes($1) }
        var words: [[Int32]] = []
        var lengths: [[Int32]] = []
        var counts: [Int64] = []
        words.reserveCapacity(sortedWords.count)
        for w in sortedWords {
            var ids: [Int32] = []
            for (k, v) in w.enumerated() {
                guard let u = Unicode.Scalar(v) else { continue }
                var s = String(Character(u))
                guard w2id[s] != nil else { continue }
                if k > 0, let p = continuingSubwordPrefix { s = p + s }
                if k == w.count - 1, let x = endOfWordSuffix { s += x }
                add(s)
                ids.append(Int32(w2id[s]!))
            }
            words.append(ids)
            lengths.append([Int32](repeating: 1, count: ids.count))
            counts.append(Int64(wordCounts[w]!))
        }

        // Pair counts and where they occur.
        var pairCounts = PairTable(capacity: 1 << 16)
        var whereToUpdate: [UInt64: [Int32]] = [:]
        for (i, w) in words.enumerated() where w.count > 1 {
            for k in 0..<(w.count - 1) {
                let p = Self.key(w[k], w[k + 1])
                pairCounts.add(p, counts[i])
                whereToUpdate[p, default: []].append(Int32(i))
            }
        }
        var posSets: [[Int32]] = []
        var heap = Heap<Entry>()
        func flush() {
            for (p, var pos) in whereToUpdate {
                let c = Int64(bitPattern: pairCounts.get(p) ?? 0)
                guard c > 0 else { continue }
                pos.sort()
                var unique: [Int32] = []
                unique.reserveCapacity(pos.count)
                for x in pos where unique.last != x { unique.append(x) }
                posSets.append(unique)
                heap.insert(Entry(count: c, pair: p, pos: Int32(posSets.count - 1)))
            }
            whereToUpdate.removeAll(keepingCapacity: true)
        }
        flush()

        // Merges.
        let maxLength = Int32(clamping: maxTokenLength ?? Int(Int32.max))
        var merges: [(UInt64, Int32)] = []
        let prefixCount = continuingSubwordPrefix?.unicodeScalars.count ?? 0
        while w2id.count < vocabSize, var top = heap.popMax() {
            let current = Int64(bitPattern: pairCounts.get(top.pair) ?? 0)
            if top.count != current {
                top.count = current
                heap.insert(top)
                continue
            }
            if top.count < 1 || Int64(minFrequency) > top.count { break }
            let a = Int(top.pair >> 32), b = Int(top.pair & 0xFFFF_FFFF)
            var partB = id2w[b]
            if let p = continuingSubwordPrefix, partB.hasPrefix(p) {
                partB = String(String.UnicodeScalarView(partB.unicodeScalars.dropFirst(prefixCount)))
            }
            let newToken = id2w[a] + partB
            add(newToken)
            let newId = Int32(w2id[newToken]!)
            merges.append((top.pair, newId))
            for i in posSets[Int(top.pos)] {
                let wi = Int(i)
                Self.merge(&words[wi], &lengths[wi], Int32(a), Int32(b), newId, maxLength) { pair, delta in
                    pairCounts.add(pair, Int64(delta) * counts[wi])
                    if delta > 0 { whereToUpdate[pair, default: []].append(i) }
                }
            }
            posSets[Int(top.pos)] = []
            flush()
        }

        // Like HF, a pair merged twice keeps its last rank.
        var lastRank: [UInt64: Int] = [:]
        for (r, m) in merges.enumerated() { lastRank[m.0] = r }
        var result: [(String, String)] = []
        for (r, m) in merges.enumerated() where lastRank[m.0] == r {
            result.append((id2w[Int(m.0 >> 32)], id2w[Int(m.0 & 0xFFFF_FFFF)]))
        }
        return Result(vocabulary: w2id, merges: result)
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// Merges every non-overlapping occurrence of (a, b) left to right, reporting pair count changes
    /// in the same order and with the same signs as HF's `Word::merge`.
    static func merge(
        _ w: inout [Int32], _ len: inout [Int32], _ a: Int32, _ b: Int32, _ new: Int32, _ maxLength: Int32,
        _ change: (UInt64, Int) -> Void
    ) {
        var i = 0
        while i < w.count {
            if w[i] == a && i + 1 < w.count && w[i + 1] == b {
                let newLen = len[i] + len[i + 1]
                if i > 0 {
                    change(key(w[i - 1], a), -1)
                    if len[i - 1] + newLen < maxLength { change(key(w[i - 1], new), 1) }
                }
                let second = w[i + 1]
                w[i] = new
                len[i] = newLen
                w.remove(at: i + 1)
                len.remove(at: i + 1)
                if i < w.count - 1 {
                    change(key(second, w[i + 1]), -1)
                    if len[i + 1] + newLen < maxLength { change(key(new, w[i + 1]), 1) }
                }
            }
            i += 1
        }
    }

    /// Trains a BPE tokenizer on texts with the given pipeline pieces; special tokens become
    /// special added tokens. Byte-level pre-tokenizers get a ByteLevel decoder and post-processor.
    public func trainTokenizer(
        _ texts: [String], normalizer: (any Normalizer)? = nil, preTokenizer: (any PreTokenizer)? = nil,
        unkToken: String? = nil
    ) throws -> PipelineTokenizer {
        let counter = WordCounter.count(texts, normalizer: normalizer, preTokenizer: preTokenizer)
        let r = try train(wordCounts: counter.counts)
        let model = try BPEModel(
            vocabulary: r.vocabulary, merges: r.merges, unkToken: unkToken,
            continuingSubwordPrefix: continuingSubwordPrefix, endOfWordSuffix: endOfWordSuffix)
        let byteLevel = preTokenizer?.isByteLevel ?? false
        return PipelineTokenizer(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model,
            postProcessor: byteLevel ? ByteLevelPostProcessor(trimOffsets: false) : nil,
            decoder: byteLevel ? ByteLevelDecoder() : (endOfWordSuffix.map { BPESuffixDecoder(suffix: $0) }),
            addedTokens: specialTokens.map { AddedToken(id: r.vocabulary[$0]!, content: $0) })
    }
}

/// Trains a WordPiece vocabulary the way HF's `WordPieceTrainer` does: BPE training with the
/// continuation prefix `##`, keeping only the resulting vocabulary.
///
/// Tie-break note: HF numbers the `##x` symbols in hash-map order, which differs from run to run, so
/// HF's own WordPiece vocabularies can differ between runs where pair counts tie. Kalam numbers them in
/// sorted word order and is deterministic; the fixture test checks the two vocabularies agree on the
/// alphabet and special tokens and overlap almost entirely.
public struct WordPieceTrainer: Sendable {
    /// Target vocabulary size.
    public var vocabSize: Int
    /// Pairs seen fewer times are not merged.
    public var minFrequency: Int
    /// Tokens placed first (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`).
    public var specialTokens: [String]
    /// Keep at most this many alphabet characters.
    public var limitAlphabet: Int?
    /// Continuation prefix.
    public var continuingSubwordPrefix: String

    /// Creates a trainer.
    public init(
        vocabSize: Int = 30000, minFrequency: Int = 0,
        specialTokens: [String] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        limitAlphabet: Int? = nil, continuingSubwordPrefix: String = "##"
    ) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
        self.limitAlphabet = limitAlphabet
        self.continuingSubwordPrefix = continuingSubwordPrefix
    }

    /// Trains the vocabulary from word counts.
    public func train(wordCounts: [[UInt32]: Int]) throws -> [String: Int] {
        try BPETrainer(
            vocabSize: vocabSize, minFrequency: minFrequency, specialTokens: specialTokens,
            limitAlphabet: limitAlphabet, continuingSubwordPrefix: continuingSubwordPrefix
        )
        .train(wordCounts: wordCounts).vocabulary
    }

    /// Trains a BERT-style tokenizer (BERT normalizer and pre-tokenizer unless given) on texts.
    public func trainTokenizer(
        _ texts: [String], normalizer: (any Normalizer)? = BertNormalizer(),
        preTokenizer: (any PreTokenizer)? = BertPreTokenizer(), unkToken: String = "[UNK]"
    ) throws -> PipelineTokenizer {
        let counter = WordCounter.count(texts, normalizer: normalizer, preTokenizer: preTokenizer)
        let vocab = try train(wordCounts: counter.counts)
        let model = try WordPieceModel(
            vocabulary: vocab, unkToken: unkToken, continuingSubwordPrefix: continuingSubwordPrefix)
        var post: (any PostProcessor)?
        if let cls = vocab["[CLS]"], let sep = vocab["[SEP]"] {
            post = TemplatePostProcessor.bert(cls: ("[CLS]", cls), sep: ("[SEP]", sep))
        }
        return PipelineTokenizer(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: post,
            decoder: WordPieceDecoder(prefix: continuingSubwordPrefix),
            addedTokens: specialTokens.compactMap { s in vocab[s].map { AddedToken(id: $0, content: s) } })
    }
}
