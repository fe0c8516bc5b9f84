import KalamJSON

/// A token added on top of the model's vocabulary (special tokens such as `[CLS]` or `<|endoftext|>`).
public struct AddedToken: Equatable, Sendable {
    /// Its id.
    public var id: Int
    /// Its text.
    public var content: String
    /// Match only as a whole word.
    public var singleWord: Bool
    /// Absorb whitespace on the left of a match.
    public var lstrip: Bool
    /// Absorb whitespace on the right of a match.
    public var rstrip: Bool
    /// Whether HF matches it after normalization (Kalam matches every added token in the original text).
    public var normalized: Bool
    /// Special tokens are dropped by `decode(skipSpecialTokens: true)`.
    public var special: Bool

    /// Creates an added token.
    public init(
        id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
        normalized: Bool = false, special: Bool = true
    ) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    /// The `tokenizer.json` form.
    public var json: JSONValue {
        .object([
            ("id", .int(id)), ("content", .string(content)), ("single_word", .bool(singleWord)),
            ("lstrip", .bool(lstrip)), ("rstrip", .bool(rstrip)), ("normalized", .bool(normalized)),
            ("special", .bool(special)),
        ])
    }
}

/// Finds added tokens in text before normalization, leftmost first and longest on ties.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    private let patterns: [[UInt32]]
    private var firstScalars = Set<UInt32>()
    private var firstASCII = [Bool](repeating: false, count: 128)

    /// Whether there are no added tokens.
    var isEmpty: Bool { tokens.isEmpty }

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        patterns = tokens.map { $0.content.unicodeScalars.map(\.value) }
        for p in patterns {
            guard let f = p.first else { continue }
            if f < 128 { firstASCII[Int(f)] = true } else { firstScalars.insert(f) }
        }
    }

    /// A piece of the input: either plain text or an added token.
    struct Piece {
        var range: Range<Int>
        var tokenIndex: Int?
        var tokenSpan: Range<Int>
    }

    private static func isWordChar(_ v: UInt32) -> Bool {
        v < 0x80
            ? ((v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F)
            : UnicodeClass.flags(v) & UnicodeClass.word != 0
    }
    private static func isSpace(_ v: UInt32) -> Bool { UnicodeClass.flags(v) & UnicodeClass.whitespace != 0 }

    /// Splits `s` into plain pieces and added-token matches.
    func split(_ s: [UInt32]) -> [Piece] {
        guard !tokens.isEmpty else { return [Piece(range: 0..<s.count, tokenIndex: nil, tokenSpan: 0..<0)] }
        var pieces: [Piece] = []
        var plainStart = 0
        var i = 0
        while i < s.count {
            let v = s[i]
            guard v < 128 ? firstASCII[Int(v)] : (!firstScalars.isEmpty && firstScalars.contains(v)) else {
                i += 1
                continue
            }
            var best = -1, bestLen = 0
            for (k, p) in patterns.enumerated() where p.count > bestLen && i + p.count <= s.count && s[i] == p[0] {
                var same = true
                for j in 1..<p.count where s[i + j] != p[j] {
                    same = false
                    break
                }
                if !same { continue }
                if tokens[k].singleWord {
                    if i > 0 && Self.isWordChar(s[i - 1]) { continue }
                    if i + p.count < s.count && Self.isWordChar(s[i + p.count]) { continue }
                }
                best = k
                bestLen = p.count
            }
            guard best >= 0 else {
                i += 1
                continue
            }
            var lo = i, hi = i + bestLen
            if tokens[best].lstrip { while lo > plainStart && Self.isSpace(s[lo - 1]) { lo -= 1 } }
            if tokens[best].rstrip { while hi < s.count && Self.isSpace(s[hi]) { hi += 1 } }
            if lo > plainStart { pieces.append(Piece(range: plainStart..<lo, tokenIndex: nil, tokenSpan: 0..<0)) }
            pieces.append(Piece(range: lo..<hi, tokenIndex: best, tokenSpan: i..<i + bestLen))
            plainStart = hi
            i = hi
        }
        if plainStart < s.count { pieces.append(Piece(range: plainStart..<s.count, tokenIndex: nil, tokenSpan: 0..<0)) }
        return pieces
    }
}
