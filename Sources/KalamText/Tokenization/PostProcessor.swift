import KalamJSON

/// Adds special tokens and type ids after tokenization and merges a pair into one encoding.
public protocol PostProcessor: Sendable {
    /// Combines the encodings of a sequence (and its pair) into the final encoding.
    func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding
    /// How many tokens `process` adds for a single sequence or a pair.
    func addedTokenCount(pair: Bool) -> Int
    /// The `tokenizer.json` form.
    var json: JSONValue { get }
}

/// One item of a template: a special token or one of the input sequences.
public enum TemplatePiece: Equatable, Sendable {
    /// A special token by name, with its type id.
    case special(String, typeId: Int)
    /// Sequence A (0) or B (1), with the type id its tokens get.
    case sequence(Int, typeId: Int)
}

/// HF `TemplateProcessing`: e.g. BERT's `[CLS] $A [SEP]` and `[CLS] $A [SEP] $B:1 [SEP]:1`.
/// `BertProcessing` files load into this type too.
public struct TemplatePostProcessor: PostProcessor {
    /// Template for one sequence.
    public var single: [TemplatePiece]
    /// Template for a pair.
    public var pair: [TemplatePiece]
    /// Special token name → its ids and token strings.
    public var specialTokens: [(name: String, ids: [Int], tokens: [String])]

    /// Creates a template processor.
    public init(
        single: [TemplatePiece], pair: [TemplatePiece], specialTokens: [(name: String, ids: [Int], tokens: [String])]
    ) {
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    /// BERT's template with the given `[CLS]` and `[SEP]` tokens.
    public static func bert(cls: (String, Int), sep: (String, Int)) -> TemplatePostProcessor {
        TemplatePostProcessor(
            single: [.special(cls.0, typeId: 0), .sequence(0, typeId: 0), .special(sep.0, typeId: 0)],
            pair: [
                .special(cls.0, typeId: 0), .sequence(0, typeId: 0), .special(sep.0, typeId: 0),
                .sequence(1, typeId: 1), .special(sep.0, typeId: 1),
            ],
            specialTokens: [(cls.0, [cls.1], [cls.0]), (sep.0, [sep.1], [sep.0])])
    }

    /// Applies the template.
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var out = Encoding()
        for piece in second == nil ? single : pair {
            switch piece {
            case let .sequence(k, typeId):
                guard var e = k == 0 ? first : second else { continue }
                e.setTypeId(typeId)
                out.append(contentsOf: e)
            case let .special(name, typeId):
                guard addSpecialTokens, let s = specialTokens.first(where: { $0.name == name }) else { continue }
                for (id, tok) in zip(s.ids, s.tokens) {
                    out.append(
                        id: id, token: tok, offset: TokenOffset(start: 0, end: 0), typeId: typeId,
                        special: true, wordId: nil, sequenceId: nil)
                }
            }
        }
        return out
    }

    /// Number of special tokens in the template.
    public func addedTokenCount(pair isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, p in
            if case let .special(name, _) = p { return n + (specialTokens.first { $0.name == name }?.ids.count ?? 0) }
            return n
        }
    }

    /// The `tokenizer.json` form.
    public var json: JSONValue {
        func template(_ t: [TemplatePiece]) -> JSONValue {
            .array(
                t.map { p in
                    switch p {
                    case let .special(name, typeId):
                        return .object([("SpecialToken", .object([("id", .string(name)), ("type_id", .int(typeId))]))])
                    case let .sequence(k, typeId):
                        return .object([
                            ("Sequence", .object([("id", .string(k == 0 ? "A" : "B")), ("type_id", .int(typeId))]))
                        ])
                    }
                })
        }
        return .object([
            ("type", .string("TemplateProcessing")), ("single", template(single)), ("pair", template(pair)),
            (
                "special_tokens",
                .object(
                    specialTokens.map { s in
                        (
                            s.name,
                            .object([
                                ("id", .string(s.name)), ("ids", .array(s.ids.map { .int($0) })),
                                ("tokens", .array(s.tokens.map { .string($0) })),
                            ])
                        )
                    })
            ),
        ])
    }
}

/// HF `ByteLevel` post-processor: no special tokens; with `trimOffsets`, token offsets drop the
/// leading and trailing spaces the token carries (`Ġ`).
public struct ByteLevelPostProcessor: PostProcessor {
    /// Trim whitespace from offsets.
    public var trimOffsets: Bool
    /// Whether a prefix space was added (the first token keeps its single added space).
    public var addPrefixSpace: Bool
    /// Kept for the round trip.
    public var useRegex: Bool

    /// Creates the processor (GPT-2: offsets untrimmed).
    public init(trimOffsets: Bool = false, addPrefixSpace: Bool = false, useRegex: Bool = true) {
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    private func trim(_ e: inout Encoding) {
        let space = Unicode.Scalar(ByteAlphabet.byteToScalar[0x20])!
        for i in 0..<e.count {
            let u = e.tokens[i].unicodeScalars
            func isSpace(_ c: Unicode.Scalar) -> Bool { c == space || c.properties.isWhitespace }
            var leading = 0
            for c in u { if isSpace(c) { leading += 1 } else { break } }
            var trailing = 0
            for c in u.reversed() { if isSpace(c) { trailing += 1 } else { break } }
            guard leading > 0 || trailing > 0 else { continue }
            var o = e.offsets[i]
            if leading > 0 {
                if (i == 0 || o.start == 0) && addPrefixSpace && leading == 1 { leading = 0 }
                o.start = min(o.start + leading, o.end)
            }
            if trailing > 0 && o.end >= trailing { o.end = max(o.end - trailing, o.start) }
            e.offsets[i] = o
        }
    }

    /// Trims offsets (when asked) and concatenates a pair.
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var a = first
        if trimOffsets { trim(&a) }
        if var b = second {
            if trimOffsets { trim(&b) }
            a.append(contentsOf: b)
        }
        return a
    }

    /// None.
    public func addedTokenCount(pair: Bool) -> Int { 0 }

    /// The `tokenizer.json` form.
    public var json: JSONValue {
        .object([
            ("type", .string("ByteLevel")), ("add_prefix_space", .bool(addPrefixSpace)),
            ("trim_offsets", .bool(trimOffsets)), ("use_regex", .bool(useRegex)),
        ])
    }
}
