import Foundation
import KalamJSON

/// Reads and writes Hugging Face `tokenizer.json` files for the components Kalam implements.
///
/// A component Kalam does not implement is `TokenizerError.unsupportedComponent` naming it;
/// wrong types are `wrongJSONType` with the key path; merges naming unknown tokens are
/// `mergeUnknownToken`. Added tokens are matched in the original text (HF matches tokens with
/// `normalized: true` after normalization; for tokenizers without a normalizer this is the same).
public enum TokenizerJSON {
    /// Loads a `tokenizer.json` file.
    public static func load(_ url: URL) throws -> PipelineTokenizer {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.fileUnreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parse(json: data)
    }

    /// Builds a tokenizer from `tokenizer.json` bytes; malformed JSON is ``TokenizerError/malformedJSON(byteOffset:reason:)``.
    public static func parse(json data: Data) throws -> PipelineTokenizer {
        try parse(parseJSON([UInt8](data)))
    }

    /// Parses JSON strictly (see `JSONValue.parse`), as ``TokenizerError/malformedJSON(byteOffset:reason:)`` when it fails.
    static func parseJSON(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch let error as JSONError {
            throw TokenizerError.malformedJSON(byteOffset: error.byteOffset, reason: error.reason)
        }
    }

    /// Builds a tokenizer from a parsed `tokenizer.json`.
    public static func parse(_ root: JSONValue) throws -> PipelineTokenizer {
        let r = Reader(root, "")
        guard case .object = root else { throw TokenizerError.wrongJSONType(path: "(root)", expected: "an object") }
        let model = try parseModel(r.child("model"))
        var added: [AddedToken] = []
        if let list = try r.optionalArray("added_tokens") {
            for (k, item) in list.enumerated() {
                let t = Reader(item, "added_tokens[\(k)]")
                let id = try t.int("id")
                guard id >= 0 && id < maxVocabularyId else {
                    throw TokenizerError.wrongJSONType(
                        path: "added_tokens[\(k)].id", expected: "an id from 0 to \(maxVocabularyId - 1)")
                }
                added.append(
                    AddedToken(
                        id: id, content: try t.string("content"),
                        singleWord: try t.bool("single_word", default: false),
                        lstrip: try t.bool("lstrip", default: false), rstrip: try t.bool("rstrip", default: false),
                        normalized: try t.bool("normalized", default: true),
                        special: try t.bool("special", default: false)))
            }
        }
        return PipelineTokenizer(
            normalizer: try r.optional("normalizer").map { try parseNormalizer(Reader($0, "normalizer")) },
            preTokenizer: try r.optional("pre_tokenizer").map { try parsePreTokenizer(Reader($0, "pre_tokenizer")) },
            model: model,
            postProcessor: try r.optional("post_processor").map {
                try parsePostProcessor(Reader($0, "post_processor"))
            },
            decoder: try r.optional("decoder").map { try parseDecoder(Reader($0, "decoder")) },
            addedTokens: added,
            truncation: try r.optional("truncation").map { try parseTruncation(Reader($0, "truncation")) },
            padding: try r.optional("padding").map { try parsePadding(Reader($0, "padding")) })
    }

    // MARK: Components

    static func parseModel(_ r: Reader) throws -> any TokenizerModel {
        let type = try r.string("type", default: "BPE")
        let vocab = try r.vocabulary("vocab")
        switch type {
        case "WordPiece":
            return try WordPieceModel(
                vocabulary: vocab, unkToken: try r.string("unk_token", default: "[UNK]"),
                continuingSubwordPrefix: try r.string("continuing_subword_prefix", default: "##"),
                maxInputCharsPerWord: try r.int("max_input_chars_per_word", default: 100))
        case "BPE":
            if let d = try r.optional("dropout"), !d.isNull {
                throw TokenizerError.unsupportedComponent(kind: "model", type: "BPE with dropout")
            }
            var merges: [(String, String)] = []
            for (k, m) in try r.array("merges").enumerated() {
                switch m {
                case let .string(s):
                    let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw TokenizerError.malformedMerge(line: k + 1, text: s) }
                    merges.append((String(parts[0]), String(parts[1])))
                case let .array(a):
                    guard a.count == 2, case let .string(x) = a[0], case let .string(y) = a[1] else {
                        throw TokenizerError.wrongJSONType(path: "model.merges[\(k)]", expected: "two strings")
                    }
                    merges.append((x, y))
                default:
                    throw TokenizerError.wrongJSONType(
                        path: "model.merges[\(k)]", expected: "a string or a pair of strings")
                }
            }
            return try BPEModel(
                vocabulary: vocab, merges: merges, unkToken: try r.optionalString("unk_token"),
                continuingSubwordPrefix: try r.optionalString("continuing_subword_prefix"),
                endOfWordSuffix: try r.optionalString("end_of_word_suffix"),
                fuseUnk: try r.bool("fuse_unk", default: false),
                byteFallback: try r.bool("byte_fallback", default: false),
                ignoreMerges: try r.bool("ignore_merges", default: false))
        default: throw TokenizerError.unsupportedComponent(kind: "model", type: type)
        }
    }

    static func parseNormalizer(_ r: Reader) throws -> any Normalizer {
        let type = try r.string("type")
        switch type {
        case "BertNormalizer":
            return BertNormalizer(
                cleanText: try r.bool("clean_text", default: true),
                handleChineseChars: try r.bool("handle_chinese_chars", default: true),
                stripAccents: try r.optionalBool("strip_accents"), lowercase: try r.bool("lowercase", default: true))
        case "Lowercase": return LowercaseNormalizer()
        case "StripAccents": return StripAccentsNormalizer()
        case "NFC", "NFD", "NFKC", "NFKD": return UnicodeNormalizer(UnicodeNormalizer.Form(rawValue: type)!)
        case "Replace":
            let p = r.child("pattern")
            guard let s = try p.optionalString("String") else {
                throw TokenizerError.unsupportedComponent(kind: "normalizer", type: "Replace with a Regex pattern")
            }
            return ReplaceNormalizer(pattern: s, content: try r.string("content"))
        case "Sequence":
            return NormalizerSequence(
                try r.array("normalizers").enumerated().map {
                    try parseNormalizer(Reader($1, r.path + ".normalizers[\($0)]"))
                })
        default: throw TokenizerError.unsupportedComponent(kind: "normalizer", type: type)
        }
    }

    static func parsePreTokenizer(_ r: Reader) throws -> any PreTokenizer {
        let type = try r.string("type")
        switch type {
        case "ByteLevel":
            return ByteLevelPreTokenizer(
                addPrefixSpace: try r.bool("add_prefix_space", default: true),
                useRegex: try r.bool("use_regex", default: true), trimOffsets: try r.bool("trim_offsets", default: true)
            )
        case "Whitespace": return WhitespacePreTokenizer()
        case "WhitespaceSplit": return WhitespaceSplitPreTokenizer()
        case "BertPreTokenizer": return BertPreTokenizer()
        case "Sequence":
            return PreTokenizerSequence(
                try r.array("pretokenizers").enumerated().map {
                    try parsePreTokenizer(Reader($1, r.path + ".pretokenizers[\($0)]"))
                })
        default: throw TokenizerError.unsupportedComponent(kind: "pre_tokenizer", type: type)
        }
    }

    static func parsePostProcessor(_ r: Reader) throws -> any PostProcessor {
        let type = try r.string("type")
        switch type {
        case "TemplateProcessing":
            func template(_ key: String) throws -> [TemplatePiece] {
                try r.array(key).enumerated().map { k, item in
                    let p = Reader(item, r.path + ".\(key)[\(k)]")
                    if let s = try p.optional("SpecialToken") {
                        let s = Reader(s, p.path + ".SpecialToken")
                        return .special(try s.string("id"), typeId: try s.int("type_id", default: 0))
                    }
                    let s = p.child("Sequence")
                    let id = try s.string("id")
                    guard id == "A" || id == "B" else {
                        throw TokenizerError.wrongJSONType(path: s.path + ".id", expected: "\"A\" or \"B\"")
                    }
                    return .sequence(id == "A" ? 0 : 1, typeId: try s.int("type_id", default: 0))
                }
            }
            var specials: [(name: String, ids: [Int], tokens: [String])] = []
            if case let .object(pairs)? = try r.optional("special_tokens") {
                for (name, v) in pairs {
                    let s = Reader(v, r.path + ".special_tokens.\(name)")
                    let ids = try s.array("ids").enumerated().map { k, x -> Int in
                        guard case let .int(i) = x else {
                            throw TokenizerError.wrongJSONType(path: s.path + ".ids[\(k)]", expected: "an integer")
                        }
                        return i
                    }
                    let toks = try s.array("tokens").enumerated().map { k, x -> String in
                        guard case let .string(t) = x else {
                            throw TokenizerError.wrongJSONType(path: s.path + ".tokens[\(k)]", expected: "a string")
                        }
                        return t
                    }
                    specials.append((name, ids, toks))
                }
            }
            return TemplatePostProcessor(
                single: try template("single"), pair: try template("pair"), specialTokens: specials)
        case "BertProcessing":
            func pair(_ key: String) throws -> (String, Int) {
                let a = try r.array(key)
                guard a.count == 2, case let .string(t) = a[0], case let .int(i) = a[1] else {
                    throw TokenizerError.wrongJSONType(path: r.path + ".\(key)", expected: "[token, id]")
                }
                return (t, i)
            }
            return TemplatePostProcessor.bert(cls: try pair("cls"), sep: try pair("sep"))
        case "ByteLevel":
            return ByteLevelPostProcessor(
                trimOffsets: try r.bool("trim_offsets", default: true),
                addPrefixSpace: try r.bool("add_prefix_space", default: true),
                useRegex: try r.bool("use_regex", default: true))
        default: throw TokenizerError.unsupportedComponent(kind: "post_processor", type: type)
        }
    }

    static func parseDecoder(_ r: Reader) throws -> any TokenDecoder {
        let type = try r.string("type")
        switch type {
        case "ByteLevel": return ByteLevelDecoder()
        case "WordPiece":
            return WordPieceDecoder(
                prefix: try r.string("prefix", default: "##"), cleanup: try r.bool("cleanup", default: true))
        case "BPEDecoder": return BPESuffixDecoder(suffix: try r.string("suffix", default: "</w>"))
        default: throw TokenizerError.unsupportedComponent(kind: "decoder", type: type)
        }
    }

    static func parseTruncation(_ r: Reader) throws -> Truncation {
        let strategy = try r.string("strategy", default: "LongestFirst")
        guard let s = Truncation.Strategy(rawValue: strategy) else {
            throw TokenizerError.unsupportedComponent(kind: "truncation strategy", type: strategy)
        }
        let direction = try r.string("direction", default: "Right")
        guard let d = Side(rawValue: direction) else {
            throw TokenizerError.wrongJSONType(path: r.path + ".direction", expected: "Left or Right")
        }
        if try r.int("stride", default: 0) != 0 {
            throw TokenizerError.unsupportedComponent(kind: "truncation", type: "stride > 0")
        }
        return Truncation(maxLength: try r.int("max_length"), strategy: s, direction: d)
    }

    static func parsePadding(_ r: Reader) throws -> Padding {
        let strategy: Padding.Strategy
        switch try r.optional("strategy") {
        case .string("BatchLongest")?, nil: strategy = .batchLongest
        case let s?:
            guard let n = try Reader(s, r.path + ".strategy").optionalInt("Fixed") else {
                throw TokenizerError.wrongJSONType(
                    path: r.path + ".strategy", expected: "\"BatchLongest\" or {\"Fixed\": n}")
            }
            strategy = .fixed(n)
        }
        let direction = try r.string("direction", default: "Right")
        guard let d = Side(rawValue: direction) else {
            throw TokenizerError.wrongJSONType(path: r.path + ".direction", expected: "Left or Right")
        }
        return Padding(
            strategy: strategy, direction: d, padToMultipleOf: try r.optionalInt("pad_to_multiple_of"),
            padId: try r.int("pad_id", default: 0), padTypeId: try r.int("pad_type_id", default: 0),
            padToken: try r.string("pad_token", default: "[PAD]"))
    }

    // MARK: Writing

    /// The `tokenizer.json` document of a tokenizer.
    public static func json(of t: PipelineTokenizer) -> JSONValue {
        var trunc = JSONValue.null
        if let x = t.truncation {
            trunc = .object([
                ("direction", .string(x.direction.rawValue)), ("max_length", .int(x.maxLength)),
                ("strategy", .string(x.strategy.rawValue)), ("stride", .int(0)),
            ])
        }
        var pad = JSONValue.null
        if let p = t.padding {
            let s: JSONValue
            switch p.strategy {
            case .batchLongest: s = .string("BatchLongest")
            case let .fixed(n): s = .object([("Fixed", .int(n))])
            }
            pad = .object([
                ("strategy", s), ("direction", .string(p.direction.rawValue)),
                ("pad_to_multiple_of", p.padToMultipleOf.map { .int($0) } ?? .null), ("pad_id", .int(p.padId)),
                ("pad_type_id", .int(p.padTypeId)), ("pad_token", .string(p.padToken)),
            ])
        }
        return .object([
            ("version", .string("1.0")), ("truncation", trunc), ("padding", pad),
            ("added_tokens", .array(t.addedTokens.map(\.json))),
            ("normalizer", t.normalizer?.json ?? .null), ("pre_tokenizer", t.preTokenizer?.json ?? .null),
            ("post_processor", t.postProcessor?.json ?? .null), ("decoder", t.decoder?.json ?? .null),
            ("model", t.model.json),
        ])
    }

    /// Writes `tokenizer.json` (to a temporary file, then renamed into place).
    public static func save(_ t: PipelineTokenizer, to url: URL) throws {
        try TokenizerFiles.writeAtomically(json(of: t).serialized(indent: 2) + "\n", to: url)
    }

    // MARK: Typed access

    /// Typed access to a JSON object with key paths for error messages.
    struct Reader {
        let value: JSONValue
        let path: String
        init(_ value: JSONValue, _ path: String) {
            self.value = value
            self.path = path
        }

        func key(_ k: String) -> String { path.isEmpty ? k : path + "." + k }
        func child(_ k: String) -> Reader { Reader(value[k] ?? .null, key(k)) }
        func optional(_ k: String) throws -> JSONValue? {
            guard case .object = value else {
                throw TokenizerError.wrongJSONType(path: path.isEmpty ? "(root)" : path, expected: "an object")
            }
            guard let v = value[k], !v.isNull else { return nil }
            return v
        }
        func string(_ k: String, default d: String? = nil) throws -> String {
            guard let v = try optional(k) else {
                if let d { return d }
                throw TokenizerError.wrongJSONType(path: key(k), expected: "a string")
            }
            guard case let .string(s) = v else {
                throw TokenizerError.wrongJSONType(path: key(k), expected: "a string")
            }
            return s
        }
        func optionalString(_ k: String) throws -> String? {
            guard let v = try optional(k) else { return nil }
            guard case let .string(s) = v else {
                throw TokenizerError.wrongJSONType(path: key(k), expected: "a string")
            }
            return s
        }
        func int(_ k: String, default d: Int? = nil) throws -> Int {
            guard let v = try optionalInt(k) else {
                if let d { return d }
                throw TokenizerError.wrongJSONType(path: key(k), expected: "an integer")
            }
            return v
        }
        func optionalInt(_ k: String) throws -> Int? {
            guard let v = try optional(k) else { return nil }
            guard case let .int(i) = v else { throw TokenizerError.wrongJSONType(path: key(k), expected: "an integer") }
            return i
        }
        func bool(_ k: String, default d: Bool) throws -> Bool { try optionalBool(k) ?? d }
        func optionalBool(_ k: String) throws -> Bool? {
            guard let v = try optional(k) else { return nil }
            guard case let .bool(b) = v else { throw TokenizerError.wrongJSONType(path: key(k), expected: "a boolean") }
            return b
        }
        func array(_ k: String) throws -> [JSONValue] {
            guard let v = try optionalArray(k) else {
                throw TokenizerError.wrongJSONType(path: key(k), expected: "an array")
            }
            return v
        }
        func optionalArray(_ k: String) throws -> [JSONValue]? {
            guard let v = try optional(k) else { return nil }
            guard case let .array(a) = v else { throw TokenizerError.wrongJSONType(path: key(k), expected: "an array") }
            return a
        }
        func vocabulary(_ k: String) throws -> [String: Int] {
            guard case let .object(pairs)? = try optional(k) else {
                throw TokenizerError.wrongJSONType(path: key(k), expected: "an object of token ids")
            }
            var vocab = [String: Int](minimumCapacity: pairs.count)
            for (token, v) in pairs {
                guard case let .int(id) = v else {
                    throw TokenizerError.wrongJSONType(path: key(k) + "." + token, expected: "an integer")
                }
                vocab[token] = id
            }
            return vocab
        }
    }
}
