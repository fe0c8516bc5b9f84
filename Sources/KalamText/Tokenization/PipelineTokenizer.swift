/// The Hugging Face tokenizer pipeline: added tokens are split off, the rest is normalized,
/// pre-tokenized into words and tokenized by the model; a post-processor adds special tokens,
/// and truncation and padding apply. `tokenizer.json` files load into this type.
public final class PipelineTokenizer: Tokenizer, @unchecked Sendable {
    /// Optional normalizer.
    public let normalizer: (any Normalizer)?
    /// Optional pre-tokenizer (without one, the whole text is a word).
    public let preTokenizer: (any PreTokenizer)?
    /// The subword model.
    public let model: any TokenizerModel
    /// Optional post-processor.
    public let postProcessor: (any PostProcessor)?
    /// Optional decoder (without one, tokens are joined with spaces).
    public let decoder: (any TokenDecoder)?
    /// Added tokens, matched before normalization.
    public let addedTokens: [AddedToken]
    /// Truncation applied by `encode` (as in the loaded `tokenizer.json`).
    public var truncation: Truncation?
    /// Padding applied by `encode` and `encodeBatch`.
    public var padding: Padding?

    private let added: AddedVocabulary
    private let idToTokenTable: [String]
    private let specialIds: Set<Int>
    private let addedByContent: [String: Int]
    private let byteLevel: Bool

    /// Assembles a tokenizer from components.
    public init(
        normalizer: (any Normalizer)? = nil, preTokenizer: (any PreTokenizer)? = nil,
        model: any TokenizerModel, postProcessor: (any PostProcessor)? = nil,
        decoder: (any TokenDecoder)? = nil, addedTokens: [AddedToken] = [],
        truncation: Truncation? = nil, padding: Padding? = nil
    ) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.truncation = truncation
        self.padding = padding
        // Added tokens with impossible ids (negative or absurdly large) are ignored.
        let addedTokens = addedTokens.filter { $0.id >= 0 && $0.id < maxVocabularyId }
        self.addedTokens = addedTokens
        added = AddedVocabulary(addedTokens)
        var table = (0..<model.vocabularySize).map { model.token(of: $0) ?? "" }
        for t in addedTokens where t.id >= 0 && t.id < maxVocabularyId {
            if t.id >= table.count { table += Array(repeating: "", count: t.id + 1 - table.count) }
            table[t.id] = t.content
        }
        idToTokenTable = table
        specialIds = Set(addedTokens.filter(\.special).map(\.id))
        addedByContent = Dictionary(addedTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { a, _ in a })
        byteLevel = preTokenizer?.isByteLevel ?? false
    }

    /// Number of ids, added tokens included.
    public var vocabularySize: Int { idToTokenTable.count }
    /// The id of a token (added tokens first).
    public func id(of token: String) -> Int? { addedByContent[token] ?? model.id(of: token) }
    /// The token of an id.
    public func token(of id: Int) -> String? {
        id >= 0 && id < idToTokenTable.count && (model.token(of: id) != nil || addedByContent[idToTokenTable[id]] == id)
            ? idToTokenTable[id] : nil
    }

    // MARK: Encoding

    /// Encodes one sequence without truncation, post-processing or padding.
    func encodeSequence(_ text: String, typeId: Int) -> Encoding {
        let scalars = NormalizedText.decodeScalars(text)
        var enc = Encoding()
        enc.reserveCapacity(scalars.count / 3 + 4)
        var word = 0
        if added.isEmpty {
            var norm = NormalizedText(identityScalars: scalars)
            normalizer?.normalize(&norm)
            preTokenizer?.prepare(&norm)
            encodeNormalized(norm, base: 0, typeId: typeId, word: &word, into: &enc)
            return enc
        }
        for piece in added.split(scalars) {
            if let k = piece.tokenIndex {
                let t = addedTokens[k]
                enc.append(
                    id: t.id, token: t.content,
                    offset: TokenOffset(start: piece.range.lowerBound, end: piece.range.upperBound),
                    typeId: typeId, special: false, wordId: word, sequenceId: 0)
                word += 1
                continue
            }
            var norm = NormalizedText(
                identityScalars: piece.range.count == scalars.count ? scalars : Array(scalars[piece.range]))
            normalizer?.normalize(&norm)
            preTokenizer?.prepare(&norm)
            encodeNormalized(norm, base: piece.range.lowerBound, typeId: typeId, word: &word, into: &enc)
        }
        return enc
    }

    private func encodeNormalized(
        _ norm: NormalizedText, base: Int, typeId: Int, word: inout Int, into enc: inout Encoding
    ) {
        var words: [Range<Int>] = []
        words.reserveCapacity(norm.count / 4 + 1)
        norm.scalars.withUnsafeBufferPointer { s in
            if let p = preTokenizer {
                p.split(s, 0..<s.count, into: &words)
            } else if s.count > 0 {
                words.append(0..<s.count)
            }
        }
        var out = ModelOutput()
        out.reserveCapacity(norm.count / 2 + 4)
        if byteLevel {
            // The whole text in GPT-2's byte alphabet, with each byte's scalar and each scalar's first byte.
            let n = norm.count
            var symbols = [UInt32]()
            symbols.reserveCapacity(n + n / 2)
            var sources = [Int32]()
            sources.reserveCapacity(n + n / 2)
            var firstByte = [Int32](repeating: 0, count: n + 1)
            ByteAlphabet.byteToScalar.withUnsafeBufferPointer { map in
                for k in 0..<n {
                    firstByte[k] = Int32(symbols.count)
                    let v = norm.scalars[k]
                    let src = Int32(k)
                    if v < 0x80 {
                        symbols.append(map[Int(v)])
                        sources.append(src)
                    } else if v < 0x800 {
                        symbols.append(map[Int(0xC0 | v >> 6)])
                        symbols.append(map[Int(0x80 | v & 0x3F)])
                        sources.append(src)
                        sources.append(src)
                    } else if v < 0x10000 {
                        symbols.append(map[Int(0xE0 | v >> 12)])
                        symbols.append(map[Int(0x80 | (v >> 6) & 0x3F)])
                        symbols.append(map[Int(0x80 | v & 0x3F)])
                        sources.append(src)
                        sources.append(src)
                        sources.append(src)
                    } else {
                        symbols.append(map[Int(0xF0 | v >> 18)])
                        symbols.append(map[Int(0x80 | (v >> 12) & 0x3F)])
                        symbols.append(map[Int(0x80 | (v >> 6) & 0x3F)])
                        symbols.append(map[Int(0x80 | v & 0x3F)])
                        for _ in 0..<4 { sources.append(src) }
                    }
                }
            }
            firstByte[n] = Int32(symbols.count)
            symbols.withUnsafeBufferPointer { sym in
                for r in words {
                    let lo = Int(firstByte[r.lowerBound]), hi = Int(firstByte[r.upperBound])
                    let mark = out.ids.count
                    model.tokenize(UnsafeBufferPointer(rebasing: sym[lo..<hi]), into: &out)
                    for t in mark..<out.ids.count {
                        let a = Int(sources[lo + Int(out.starts[t])])
                        let b = Int(sources[lo + Int(out.ends[t]) - 1]) + 1
                        appendToken(Int(out.ids[t]), norm.originalSpan(a, b), base, typeId, word, &enc)
                    }
                    word += 1
                }
            }
        } else {
            norm.scalars.withUnsafeBufferPointer { s in
                for r in words {
                    let mark = out.ids.count
                    model.tokenize(UnsafeBufferPointer(rebasing: s[r]), into: &out)
                    for t in mark..<out.ids.count {
                        let a = r.lowerBound + Int(out.starts[t]), b = r.lowerBound + Int(out.ends[t])
                        appendToken(Int(out.ids[t]), norm.originalSpan(a, b), base, typeId, word, &enc)
                    }
                    word += 1
                }
            }
        }
    }

    @inline(__always)
    private func appendToken(
        _ id: Int, _ span: TokenOffset, _ base: Int, _ typeId: Int, _ word: Int, _ enc: inout Encoding
    ) {
        enc.append(
            id: id, token: idToTokenTable[id], offset: TokenOffset(start: span.start + base, end: span.end + base),
            typeId: typeId, special: false, wordId: word, sequenceId: 0)
    }

    /// Encodes a text (and optional pair): tokenize, truncate, add special tokens, pad (fixed padding only;
    /// batch-longest padding needs `encodeBatch`).
    public func encode(_ text: String, pair: String?, addSpecialTokens: Bool) -> Encoding {
        var enc = finish(text, pair: pair, addSpecialTokens: addSpecialTokens)
        if let p = padding, case let .fixed(n) = p.strategy { pad(&enc, to: n, p) }
        return enc
    }

    private func finish(_ text: String, pair: String?, addSpecialTokens: Bool) -> Encoding {
        var a = encodeSequence(text, typeId: 0)
        var b = pair.map { encodeSequence($0, typeId: 1) }
        if b != nil { b!.setSequenceId(1) }
        if let t = truncation {
            let added = addSpecialTokens ? (postProcessor?.addedTokenCount(pair: b != nil) ?? 0) : 0
            truncate(&a, &b, t, maxLength: max(0, t.maxLength - added))
        }
        if let p = postProcessor { return p.process(a, b, addSpecialTokens: addSpecialTokens) }
        if let b { a.append(contentsOf: b) }
        return a
    }

    private func cut(_ e: inout Encoding, to n: Int, _ side: Side) {
        guard e.count > n else { return }
        e.keep(side == .right ? 0..<n : (e.count - n)..<e.count)
    }

    private func truncate(_ a: inout Encoding, _ b: inout Encoding?, _ t: Truncation, maxLength: Int) {
        let total = a.count + (b?.count ?? 0)
        guard total > maxLength else { return }
        guard var second = b else {
            if t.strategy != .onlySecond { cut(&a, to: maxLength, t.direction) }
            return
        }
        switch t.strategy {
        case .longestFirst:
            var n1 = a.count, n2 = second.count
            let swapped = n1 > n2
            if swapped { swap(&n1, &n2) }
            n2 = n1 > maxLength ? n1 : max(n1, maxLength - n1)
            if n1 + n2 > maxLength {
                n1 = maxLength / 2
                n2 = n1 + maxLength % 2
            }
            if swapped { swap(&n1, &n2) }
            cut(&a, to: n1, t.direction)
            cut(&second, to: n2, t.direction)
        case .onlyFirst:
            let remove = total - maxLength
            if a.count > remove { cut(&a, to: a.count - remove, t.direction) }
        case .onlySecond:
            let remove = total - maxLength
            if second.count > remove { cut(&second, to: second.count - remove, t.direction) }
        }
        b = second
    }

    private func pad(_ e: inout Encoding, to length: Int, _ p: Padding) {
        var n = length
        if let m = p.padToMultipleOf, m > 0, n % m != 0 { n += m - n % m }
        e.pad(to: n, id: p.padId, token: p.padToken, typeId: p.padTypeId, left: p.direction == .left)
    }

    /// Encodes many texts (optionally pairs) and pads them as `padding` says.
    public func encodeBatch(_ texts: [String], pairs: [String]? = nil, addSpecialTokens: Bool = true) -> [Encoding] {
        var out = texts.indices.map { finish(texts[$0], pair: pairs?[$0], addSpecialTokens: addSpecialTokens) }
        if let p = padding {
            let target: Int
            switch p.strategy {
            case .batchLongest: target = out.map(\.count).max() ?? 0
            case let .fixed(n): target = n
            }
            for i in out.indices { pad(&out[i], to: target, p) }
        }
        return out
    }

    /// Only the ids of a text (no post-processing, truncation or padding).
    public func encodeIds(_ text: String) -> [Int] { encodeSequence(text, typeId: 0).ids }

    // MARK: Decoding

    /// Decodes ids to text; an id outside the vocabulary is `TokenizerError.unknownId`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let t = token(of: id) else { throw TokenizerError.unknownId(id, vocabularySize: vocabularySize) }
            if skipSpecialTokens && specialIds.contains(id) { continue }
            tokens.append(t)
        }
        if let d = decoder { return d.decode(tokens) }
        return tokens.joined(separator: " ")
    }
}

extension NormalizedText {
    /// Wraps scalar values without changing them.
    init(identityScalars: [UInt32]) {
        self.init("")
        scalars = identityScalars
    }
}
