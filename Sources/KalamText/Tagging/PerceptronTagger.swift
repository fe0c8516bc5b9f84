import Foundation

/// A greedy left-to-right averaged-perceptron tagger.
///
/// The feature template is the one `denckring-en-pos` (after Honnibal's `textblob-aptagger`) uses,
/// reproduced in the same order so that scores are summed in the same order and ties broken the
/// same way: for the word at `i` with lower-cased sentence `context` and previous guesses
/// `prev`, `prev2` (`<s>` at the start):
///
///     bias, suf3 <last 3 of lower>, suf2 …, suf1 …, pre1 <first of lower>,
///     shape <X|x>[d], w <lower>, t-1 <prev>, t-2 <prev2>, t-1t-2 <prev> <prev2>,
///     w-1 …, w-2 …, w+1 …, w+2 … (<s> / </s> past the ends), t-1 w <prev> <lower>
///
/// A word in the tag dictionary gets its label without scoring. Scores are summed in `Double`;
/// the highest wins, and among equal scores the label that sorts last. Affixes count Unicode
/// scalars, as Python's string slicing does.
///
/// For speed the string features are resolved once, when the tagger is built: each known word
/// carries the row numbers of its word, context and affix features, so tagging a token costs one
/// dictionary look-up plus ~15 row additions.
public struct PerceptronTagger: Sendable {
    /// The model this tagger was compiled from.
    public let model: PerceptronModel
    /// Labels sorted by Unicode scalar value (the tie-break order).
    public let classes: [String]
    /// The UPOS of each class (`nil` where a label is not a UPOS tag).
    public let universalTags: [UniversalTag?]

    private let classCount: Int
    private let rows: [Double]
    private let biasRow: Int32
    private let shapeRows: [Int32]  // x, xd, X, Xd
    private let prevRows: [Int32]  // t-1, by class index; classCount = <s>
    private let prev2Rows: [Int32]
    private let pairRows: [Int32]  // (prev * (C + 1) + prev2)
    private let boundary: (wm1: Int32, wm2: Int32, wp1: Int32, wp2: Int32)
    private let table: WordTable
    private let entryList: [WordEntry]
    private let prevWordRows: [Int32]
    private let affixRows: AffixRows

    private struct WordEntry: Sendable {
        var tagdict: Int32 = -1
        var word: Int32 = -1, wm1: Int32 = -1, wm2: Int32 = -1, wp1: Int32 = -1, wp2: Int32 = -1
        var suf3: Int32 = -1, suf2: Int32 = -1, suf1: Int32 = -1, pre1: Int32 = -1
        var prevWordBase: Int32 = -1
        var known = false
    }

    private struct AffixRows: Sendable {
        var suf3: [String: Int32] = [:], suf2: [String: Int32] = [:], suf1: [String: Int32] = [:],
            pre1: [String: Int32] = [:]
    }

    /// Compiles a model for tagging (validating it first).
    public init(model: PerceptronModel) throws {
        try model.validate()
        self.model = model
        let sorted = model.classes.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        classes = sorted
        universalTags = sorted.map { UniversalTag(label: $0) }
        let c = sorted.count
        classCount = c
        var classIndex: [String: Int] = [:]
        for (i, label) in sorted.enumerated() { classIndex[label] = i }
        func tagIndex(_ s: Substring) -> Int? { s == "<s>" ? c : classIndex[String(s)] }

        var rows: [Double] = []
        rows.reserveCapacity(model.weights.count * c)
        var bias: Int32 = -1
        var shape = [Int32](repeating: -1, count: 4)
        var prev = [Int32](repeating: -1, count: c + 1)
        var prev2 = [Int32](repeating: -1, count: c + 1)
        var pair = [Int32](repeating: -1, count: (c + 1) * (c + 1))
        var boundary: (wm1: Int32, wm2: Int32, wp1: Int32, wp2: Int32) = (-1, -1, -1, -1)
        var entries: [String: WordEntry] = [:]
        var prevWord: [Int32] = []
        var affixes = AffixRows()

        // Rows in a fixed (sorted) feature order so the layout is the same on every run.
        for feature in model.weights.keys.sorted() {
            let weights = model.weights[feature] ?? [:]
            let row = Int32(rows.count / c)
            var dense = [Double](repeating: 0, count: c)
            for (label, weight) in weights { if let k = classIndex[label] { dense[k] = weight } }
            rows.append(contentsOf: dense)
            guard let space = feature.firstIndex(of: " ") else {
                if feature == "bias" { bias = row }
                continue
            }
            let kind = feature[..<space]
            let value = String(feature[feature.index(after: space)...])
            switch kind {
            case "suf3": affixes.suf3[value] = row
            case "suf2": affixes.suf2[value] = row
            case "suf1": affixes.suf1[value] = row
            case "pre1": affixes.pre1[value] = row
            case "shape":
                if let k = ["x", "xd", "X", "Xd"].firstIndex(of: value) { shape[k] = row }
            case "w": entries[value, default: WordEntry()].word = row
            case "w-1":
                if value == "<s>" { boundary.wm1 = row }
                entries[value, default: WordEntry()].wm1 = row
            case "w-2":
                if value == "<s>" { boundary.wm2 = row }
                entries[value, default: WordEntry()].wm2 = row
            case "w+1":
                if value == "</s>" { boundary.wp1 = row }
                entries[value, default: WordEntry()].wp1 = row
            case "w+2":
                if value == "</s>" { boundary.wp2 = row }
                entries[value, default: WordEntry()].wp2 = row
            case "t-2": if let k = tagIndex(value[...]) { prev2[k] = row }
            case "t-1t-2":
                let parts = value.split(separator: " ", omittingEmptySubsequences: false)
                if parts.count == 2, let a = tagIndex(parts[0]), let b = tagIndex(parts[1]) {
                    pair[a * (c + 1) + b] = row
                }
            case "t-1":
                if value.hasPrefix("w "), let cut = value.dropFirst(2).firstIndex(of: " ") {
                    // "t-1 w <prev> <lower>"
                    let tagPart = value[value.index(value.startIndex, offsetBy: 2)..<cut]
                    let word = String(value[value.index(after: cut)...])
                    if let k = tagIndex(tagPart) {
                        var entry = entries[word, default: WordEntry()]
                        if entry.prevWordBase < 0 {
                            entry.prevWordBase = Int32(prevWord.count)
                            prevWord.append(contentsOf: repeatElement(-1, count: c + 1))
                        }
                        prevWord[Int(entry.prevWordBase) + k] = row
                        entries[word] = entry
                    }
                } else if let k = tagIndex(value[...]) {
                    prev[k] = row
                }
            default: continue
            }
        }
        for (word, label) in model.tagdict {
            entries[word, default: WordEntry()].tagdict = Int32(classIndex[label] ?? -1)
        }
        for word in model.vocabulary { entries[word, default: WordEntry()].known = true }
        for (word, var entry) in entries {
            Self.fillAffixes(&entry, lower: word, affixes)
            entries[word] = entry
        }
        self.rows = rows
        self.biasRow = bias
        self.shapeRows = shape
        self.prevRows = prev
        self.prev2Rows = prev2
        self.pairRows = pair
        self.boundary = boundary
        let words = entries.keys.sorted()
        self.table = WordTable(keys: words)
        self.entryList = words.map { entries[$0] ?? WordEntry() }
        self.prevWordRows = prevWord
        self.affixRows = affixes
    }

    /// Loads a model file (`.json` or `.json.gz`) and compiles it.
    public init(contentsOf url: URL) throws {
        try self.init(model: PerceptronModel(contentsOf: url))
    }

    /// The pretrained English UPOS tagger shipped in PyPI `denckring-en-pos`, from the data cache.
    ///
    /// Its labels are `"UPOS|VerbForm"` (`"VERB|Fin"`, `"NOUN|-"`); it was trained without
    /// punctuation, so it only ever sees word tokens.
    public static func denckringEnglish() throws -> PerceptronTagger {
        let relative = "denckring_en_pos/data/tagger.json.gz"
        guard let url = DataDirectory.pypiFile("denckring-en-pos", relative) else {
            throw TaggerError.fileNotFound(
                path: DataDirectory.pypi("denckring-en-pos").appendingPathComponent(relative).path)
        }
        return try PerceptronTagger(contentsOf: url)
    }

    private static func fillAffixes(_ entry: inout WordEntry, lower: String, _ affixes: AffixRows) {
        let scalars = lower.unicodeScalars
        func suffix(_ n: Int) -> String { String(String.UnicodeScalarView(scalars.suffix(n))) }
        entry.suf3 = affixes.suf3[suffix(3)] ?? -1
        entry.suf2 = affixes.suf2[suffix(2)] ?? -1
        entry.suf1 = affixes.suf1[suffix(1)] ?? -1
        entry.pre1 = affixes.pre1[String(String.UnicodeScalarView(scalars.prefix(1)))] ?? -1
    }

    // MARK: - Tagging

    /// Python's `str.lower()` for the strings a tagger sees (ASCII fast path).
    @inline(__always) static func lowercase(_ word: String) -> String {
        var needs = false
        for b in word.utf8 {
            if b >= 0x80 { return word.lowercased() }
            if b >= 0x41 && b <= 0x5a { needs = true }
        }
        guard needs else { return word }
        return String(decoding: word.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// The `shape` feature's index: bit 1 = first scalar upper-case, bit 0 = has a digit.
    @inline(__always) private static func shapeIndex(_ word: String) -> Int {
        var upper = false
        var digit = false
        var first = true
        for s in word.unicodeScalars {
            let v = s.value
            if v < 0x80 {
                if first { upper = v >= 0x41 && v <= 0x5a }
                if v >= 0x30 && v <= 0x39 { digit = true }
            } else {
                if first { upper = s.properties.isUppercase }
                let type = s.properties.numericType
                if type == .decimal || type == .digit { digit = true }
            }
            first = false
        }
        return (upper ? 2 : 0) + (digit ? 1 : 0)
    }

    /// The entry and `shape` index of a word; unknown words get their affix rows computed (and cached).
    @inline(__always) private func resolve(_ word: String, cache: inout [String: WordEntry]) -> (WordEntry, Int) {
        var word = word
        // Fast path: ASCII words are hashed and compared lower-cased in place.
        let fast: (index: Int, shape: Int)? = word.withUTF8 { buffer in
            var upper = false, digit = false
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in buffer {
                if b >= 0x80 { return nil }
                let l = b &- 0x41 < 26 ? b &+ 32 : b
                if b &- 0x30 < 10 { digit = true }
                h = (h ^ UInt64(l)) &* 0x0000_0100_0000_01b3
            }
            if let first = buffer.first, first &- 0x41 < 26 { upper = true }
            return (table.find(hash: h, buffer, lowercaseASCII: true), (upper ? 2 : 0) + (digit ? 1 : 0))
        }
        if let fast {
            if fast.index >= 0 { return (entryList[fast.index], fast.shape) }
            return (unknownEntry(Self.lowercase(word), cache: &cache), fast.shape)
        }
        let lower = word.lowercased()
        let shape = Self.shapeIndex(word)
        let index = table.find(lower)
        if index >= 0 { return (entryList[index], shape) }
        return (unknownEntry(lower, cache: &cache), shape)
    }

    private func unknownEntry(_ lower: String, cache: inout [String: WordEntry]) -> WordEntry {
        if let e = cache[lower] { return e }
        var e = WordEntry()
        Self.fillAffixes(&e, lower: lower, affixRows)
        // Only ASCII words are cached: `String` keys compare by canonical equivalence, and two
        // differently-normalised spellings have different affixes (Python compares code points).
        if cache.count < 1 << 20 && lower.utf8.allSatisfy({ $0 < 0x80 }) { cache[lower] = e }
        return e
    }

    /// The class index of each word of one sentence (indices into ``classes``).
    public func tagIndices(_ words: [String]) -> [Int] {
        var cache: [String: WordEntry] = [:]
        return tagIndices(words, cache: &cache)
    }

    private func tagIndices(_ words: [String], cache: inout [String: WordEntry]) -> [Int] {
        let n = words.count
        if n == 0 { return [] }
        let c = classCount
        var info = [WordEntry]()
        var shapes = [Int](repeating: 0, count: n)
        info.reserveCapacity(n)
        for (i, word) in words.enumerated() {
            let (entry, shape) = resolve(word, cache: &cache)
            info.append(entry)
            shapes[i] = shape
        }
        var out = [Int](repeating: 0, count: n)
        var scores = [Double](repeating: 0, count: c)
        var prev = c, prev2 = c  // <s>
        rows.withUnsafeBufferPointer { w in
            scores.withUnsafeMutableBufferPointer { s in
                @inline(__always) func add(_ row: Int32) {
                    if row < 0 { return }
                    let base = Int(row) &* c
                    for k in 0..<c { s[k] += w[base &+ k] }
                }
                for i in 0..<n {
                    let e = info[i]
                    if e.tagdict >= 0 {
                        out[i] = Int(e.tagdict)
                    } else {
                        for k in 0..<c { s[k] = 0 }
                        add(biasRow)
                        add(e.suf3)
                        add(e.suf2)
                        add(e.suf1)
                        add(e.pre1)
                        add(shapeRows[shapes[i]])
                        add(e.word)
                        add(prevRows[prev])
                        add(prev2Rows[prev2])
                        add(pairRows[prev &* (c &+ 1) &+ prev2])
                        add(i > 0 ? info[i - 1].wm1 : boundary.wm1)
                        add(i > 1 ? info[i - 2].wm2 : boundary.wm2)
                        add(i + 1 < n ? info[i + 1].wp1 : boundary.wp1)
                        add(i + 2 < n ? info[i + 2].wp2 : boundary.wp2)
                        if e.prevWordBase >= 0 { add(prevWordRows[Int(e.prevWordBase) &+ prev]) }
                        var best = 0
                        var bestScore = s[0]
                        for k in 1..<c where s[k] >= bestScore {
                            best = k
                            bestScore = s[k]
                        }
                        out[i] = best
                    }
                    prev2 = prev
                    prev = out[i]
                }
            }
        }
        return out
    }

    /// The label of each word of one sentence, left to right (the Python tagger's `tag(words)`).
    public func tag(_ words: [String]) -> [String] {
        tagIndices(words).map { classes[$0] }
    }

    /// Tags many sentences, sharing the affix look-ups of unknown words between them.
    public func tag(sentences: [[String]]) -> [[String]] {
        var cache: [String: WordEntry] = [:]
        return sentences.map { tagIndices($0, cache: &cache).map { classes[$0] } }
    }

    /// Tags many sentences, returning class indices (into ``classes``); the fastest entry point.
    public func tagIndices(sentences: [[String]]) -> [[Int]] {
        var cache: [String: WordEntry] = [:]
        return sentences.map { tagIndices($0, cache: &cache) }
    }

    /// Whether the model's training data contained `word` (case-insensitively).
    public func isKnown(_ word: String) -> Bool {
        let index = table.find(Self.lowercase(word))
        return index >= 0 && entryList[index].known
    }
}
