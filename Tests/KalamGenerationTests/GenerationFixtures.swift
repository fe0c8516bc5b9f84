import Foundation

@testable import KalamGeneration

/// Reads the JSON fixtures written by scripts/fixtures/generation.py.
enum GenerationFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/generation")

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Nested float rows where JSON null stands for -inf.
    static func floatRows(_ value: Any?) -> [[Float]] {
        (value as! [[Any]]).map { row in
            row.map { ($0 as? NSNumber).map { Float(truncating: $0) } ?? -Float.infinity }
        }
    }

    static func intRows(_ value: Any?) -> [[Int32]] {
        (value as! [[Any]]).map { row in row.map { Int32(truncating: $0 as! NSNumber) } }
    }

    static func double(_ params: [String: Any], _ key: String) -> Double? {
        (params[key] as? NSNumber)?.doubleValue
    }

    static func int(_ params: [String: Any], _ key: String) -> Int? {
        (params[key] as? NSNumber)?.intValue
    }
}

/// The fake language model of the fixture script: `logits[t] = A[x_t] + B[x_(t-1)] + C[t % period]`,
/// B's extra last row standing for "no previous token". With `cached` false it recomputes from the
/// full sequence each step; either way the cache is the list of ids per row.
struct TableDecoder: LanguageModelDecoder {
    let a: [[Float]]
    let b: [[Float]]
    let c: [[Float]]
    let pad: Int32
    var bos: Int32? = nil
    var contextLength: Int? = nil
    var vocabularySize: Int { a.count }

    init(fixture: [String: Any]) {
        a = GenerationFixtures.floatRows(fixture["a"])
        b = GenerationFixtures.floatRows(fixture["b"])
        c = GenerationFixtures.floatRows(fixture["c"])
        pad = Int32(truncating: fixture["pad"] as! NSNumber)
    }

    func logits(_ ids: [Int32]) -> [Float] {
        let t = ids.count - 1
        let x = Int(ids[t])
        let previous = t == 0 ? b.count - 1 : Int(ids[t - 1])
        let period = c[t % c.count]
        return (0..<vocabularySize).map { v in a[x][v] + b[previous][v] + period[v] }
    }

    func start(_ prompts: [[Int32]]) throws -> DecoderStart<[[Int32]]> {
        var rows = prompts
        for (index, prompt) in prompts.enumerated() where prompt.isEmpty {
            guard let bos else { throw GenerationError.emptyPrompt(row: index) }
            rows[index] = [bos]
        }
        let width = rows.map(\.count).max() ?? 0
        if let contextLength, width >= contextLength {
            throw GenerationError.promptTooLong(length: width, contextLength: contextLength)
        }
        for id in rows.joined() where id < 0 || Int(id) >= vocabularySize {
            throw GenerationError.tokenOutOfVocabulary(id: id, vocabularySize: vocabularySize)
        }
        let padding = rows.map { width - $0.count }
        let prefixes = zip(rows, padding).map { Array(repeating: pad, count: $1) + $0 }
        return DecoderStart(cache: prefixes, logits: prefixes.map(logits), prefixes: prefixes, paddingCounts: padding)
    }

    func next(_ tokens: [Int32], cache: inout [[Int32]]) throws -> [[Float]] {
        for row in 0..<cache.count { cache[row].append(tokens[row]) }
        return cache.map(logits)
    }

    func reorder(_ cache: inout [[Int32]], rows: [Int]) throws {
        for row in rows where row < 0 || row >= cache.count {
            throw GenerationError.cacheRowOutOfRange(row: row, rows: cache.count)
        }
        cache = rows.map { cache[$0] }
    }
}
