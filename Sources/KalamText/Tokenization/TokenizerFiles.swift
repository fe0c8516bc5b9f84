import Foundation
import KalamFiles
import KalamJSON

/// The other tokenizer file layouts: BERT's `vocab.txt`, GPT-2's `vocab.json` + `merges.txt`,
/// tiktoken rank files (`gpt2.tiktoken`), and reading text files with a chosen policy for
/// invalid UTF-8.
public enum TokenizerFiles {
    /// What to do with bytes that are not valid UTF-8.
    public enum InvalidUTF8Policy: Sendable {
        /// Replace each maximal invalid sequence with U+FFFD (the default for corpora).
        case replace
        /// Throw `TokenizerError.invalidUTF8` with the byte offset of the first bad byte.
        case reject
    }

    /// Reads a UTF-8 text file.
    public static func readText(_ url: URL, invalidUTF8: InvalidUTF8Policy = .replace) throws -> String {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.fileUnreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decodeUTF8([UInt8](data), path: url.path, policy: invalidUTF8)
    }

    /// Decodes bytes as UTF-8 under a policy.
    public static func decodeUTF8(_ bytes: [UInt8], path: String, policy: InvalidUTF8Policy) throws -> String {
        if policy == .reject, let bad = firstInvalidUTF8(bytes) {
            throw TokenizerError.invalidUTF8(path: path, byteOffset: bad)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The offset of the first byte that is not part of a valid UTF-8 sequence, or `nil`.
    public static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            let n: Int, lo: UInt8, hi: UInt8
            switch c {
            case 0xC2...0xDF:
                n = 1
                lo = 0x80
                hi = 0xBF
            case 0xE0:
                n = 2
                lo = 0xA0
                hi = 0xBF
            case 0xE1...0xEC, 0xEE...0xEF:
                n = 2
                lo = 0x80
                hi = 0xBF
            case 0xED:
                n = 2
                lo = 0x80
                hi = 0x9F
            case 0xF0:
                n = 3
                lo = 0x90
                hi = 0xBF
            case 0xF1...0xF3:
                n = 3
                lo = 0x80
                hi = 0xBF
            case 0xF4:
                n = 3
                lo = 0x80
                hi = 0x8F
            default: return i
            }
            guard i + n < b.count else { return i }
            if !(lo...hi).contains(b[i + 1]) { return i }
            var k = 2
            while k <= n {
                if !(0x80...0xBF).contains(b[i + k]) { return i }
                k += 1
            }
            i += n + 1
        }
        return nil
    }

    /// Writes text to `url` with ``AtomicFile``: an existing file is replaced in one step, and a failure
    /// leaves it as it was.
    /// - Throws: ``TokenizerError/fileUnwritable(path:reason:)``.
    public static func writeAtomically(_ text: String, to url: URL) throws {
        do {
            try AtomicFile.write(text, to: url)
        } catch let error as FileWriteError {
            throw TokenizerError.fileUnwritable(path: error.path, reason: error.reason)
        }
    }

    // MARK: BERT

    /// Reads BERT's `vocab.txt` (one token per line, id = line number).
    public static func readBertVocabulary(_ url: URL) throws -> [String: Int] {
        let text = try readText(url, invalidUTF8: .reject)
        var vocab: [String: Int] = [:]
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for (i, line) in lines.enumerated() {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if vocab[token] == nil { vocab[token] = i }
        }
        return vocab
    }

    /// A BERT uncased tokenizer from `vocab.txt` (the configuration of `BertTokenizerFast`).
    public static func bertTokenizer(vocab url: URL, lowercase: Bool = true) throws -> PipelineTokenizer {
        let vocab = try readBertVocabulary(url)
        for t in ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"] where vocab[t] == nil {
            throw TokenizerError.missingToken(t)
        }
        let model = try WordPieceModel(vocabulary: vocab)
        let added = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map { AddedToken(id: vocab[$0]!, content: $0) }
            .sorted { $0.id < $1.id }
        return PipelineTokenizer(
            normalizer: BertNormalizer(lowercase: lowercase), preTokenizer: BertPreTokenizer(), model: model,
            postProcessor: TemplatePostProcessor.bert(cls: ("[CLS]", vocab["[CLS]"]!), sep: ("[SEP]", vocab["[SEP]"]!)),
            decoder: WordPieceDecoder(), addedTokens: added)
    }

    /// Writes a WordPiece vocabulary as `vocab.txt`.
    public static func writeBertVocabulary(_ model: WordPieceModel, to url: URL) throws {
        var lines: [String] = []
        for id in 0..<model.vocabularySize { lines.append(model.token(of: id) ?? "") }
        try writeAtomically(lines.joined(separator: "\n") + "\n", to: url)
    }

    // MARK: GPT-2

    /// Reads `merges.txt` (an optional `#version` line, then `left right` per line).
    public static func readMerges(_ url: URL) throws -> [(String, String)] {
        let text = try readText(url, invalidUTF8: .reject)
        var merges: [(String, String)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || (i == 0 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw TokenizerError.malformedMerge(line: i + 1, text: String(line)) }
            merges.append((String(parts[0]), String(parts[1])))
        }
        return merges
    }

    /// A GPT-2 byte-level BPE tokenizer from `vocab.json` + `merges.txt`.
    public static func gpt2Tokenizer(vocab: URL, merges: URL) throws -> PipelineTokenizer {
        let data: Data
        do { data = try Data(contentsOf: vocab) } catch {
            throw TokenizerError.fileUnreadable(path: vocab.path, reason: error.localizedDescription)
        }
        let v = try TokenizerJSON.Reader(.object([("vocab", try TokenizerJSON.parseJSON([UInt8](data)))]), "")
            .vocabulary(
                "vocab")
        return try gpt2Tokenizer(model: BPEModel(vocabulary: v, merges: try readMerges(merges)))
    }

    /// The GPT-2 pipeline around a byte-level BPE model, with `<|endoftext|>` as a special token when present.
    public static func gpt2Tokenizer(model: BPEModel) -> PipelineTokenizer {
        let added = model.id(of: "<|endoftext|>").map { [AddedToken(id: $0, content: "<|endoftext|>")] } ?? []
        return PipelineTokenizer(
            preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: false), model: model,
            postProcessor: ByteLevelPostProcessor(trimOffsets: false), decoder: ByteLevelDecoder(),
            addedTokens: added)
    }

    /// Writes a BPE model as GPT-2's `vocab.json` and `merges.txt` into `directory`.
    public static func writeGPT2Files(_ model: BPEModel, to directory: URL) throws {
        try writeAtomically(
            vocabularyJSON((0..<model.vocabularySize).map { model.token(of: $0) ?? "" }, model.vocabulary)
                .serialized(indent: 0) + "\n", to: directory.appendingPathComponent("vocab.json"))
        let merges = ["#version: 0.2"] + model.merges.map { "\($0.0) \($0.1)" }
        try writeAtomically(merges.joined(separator: "\n") + "\n", to: directory.appendingPathComponent("merges.txt"))
    }

    // MARK: tiktoken

    /// Reads a tiktoken rank file (`base64-token rank` per line) as byte strings in rank order.
    public static func readTiktoken(_ url: URL) throws -> [[UInt8]] {
        let text = try readText(url, invalidUTF8: .reject)
        var tokens: [[UInt8]?] = []
        for (i, line) in text.split(separator: "\n").enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let rank = Int(parts[1]), rank >= 0, rank < 10_000_000,
                let bytes = Data(base64Encoded: String(parts[0]))
            else {
                throw TokenizerError.malformedVocabularyLine(line: i + 1, text: String(line.prefix(80)))
            }
            if rank >= tokens.count { tokens += Array(repeating: nil, count: rank + 1 - tokens.count) }
            tokens[rank] = [UInt8](bytes)
        }
        return try tokens.enumerated().map { rank, t in
            guard let t else { throw TokenizerError.malformedVocabularyLine(line: 0, text: "missing rank \(rank)") }
            return t
        }
    }

    /// GPT-2's tokenizer built from OpenAI's `gpt2.tiktoken` ranks (as shipped in `openai-whisper`):
    /// the vocabulary is the ranks in GPT-2's byte alphabet plus `<|endoftext|>` (50256), and each
    /// token's merge is found by running BPE over its bytes with the lower-ranked tokens.
    public static func gpt2TokenizerFromTiktoken(_ url: URL) throws -> PipelineTokenizer {
        let ranked = try readTiktoken(url)
        var rankOf: [ArraySlice<UInt8>: Int] = [:]
        rankOf.reserveCapacity(ranked.count)
        for (r, t) in ranked.enumerated() { rankOf[t[...]] = r }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(ranked.count + 1)
        var merges: [(rank: Int, pair: (String, String))] = []
        var cuts: [Int] = []
        for (r, t) in ranked.enumerated() {
            vocab[ByteAlphabet.encode(t)] = r
            guard t.count > 1 else { continue }
            // Parts are t[cuts[k]..<cuts[k+1]]; merge the adjacent pair of lowest rank below r.
            cuts.removeAll(keepingCapacity: true)
            cuts.append(contentsOf: 0...t.count)
            while cuts.count > 3 {
                var best = Int.max, at = -1
                for k in 0..<(cuts.count - 2) {
                    if let q = rankOf[t[cuts[k]..<cuts[k + 2]]], q < r, q < best {
                        best = q
                        at = k
                    }
                }
                guard at >= 0 else { break }
                cuts.remove(at: at + 1)
            }
            guard cuts.count == 3 else {
                throw TokenizerError.malformedVocabularyLine(line: r + 1, text: "token \(r) has no merge")
            }
            merges.append((r, (ByteAlphabet.encode(t[0..<cuts[1]]), ByteAlphabet.encode(t[cuts[1]...]))))
        }
        vocab["<|endoftext|>"] = ranked.count
        let model = try BPEModel(vocabulary: vocab, merges: merges.sorted { $0.rank < $1.rank }.map(\.pair))
        return gpt2Tokenizer(model: model)
    }
}
