import Foundation

/// One fortune (a quotation, a joke, a short poem).
public struct Fortune: Sendable, Equatable, Hashable {
    /// The file it came from, e.g. `wisdom`, `science`.
    public var category: String
    /// The text, without its `%` separator lines and without trailing blank lines.
    public var text: String

    /// A fortune.
    public init(category: String, text: String) {
        self.category = category
        self.text = text
    }
}

/// Fortunes from Debian's `fortunes` (`usr/share/games/fortunes`): 40 strfile text files, 14,396
/// entries in all. In a strfile text file, entries are separated by lines holding only `%`. The binary
/// `.dat` index files and the `.u8` links (which point at the same text files) are skipped.
public enum FortuneCorpus {
    /// The corpus name used by `kalam data install`.
    public static let name = "fortunes"

    /// `usr/share/games/fortunes` inside the installed `fortunes` package.
    public static var defaultDirectory: URL {
        DataDirectory.debian("fortunes").appendingPathComponent("usr/share/games/fortunes", isDirectory: true)
    }

    /// Reads every fortune file in `directory` (sorted by name), or one file when `directory` is a file.
    public static func load(directory: URL = defaultDirectory) throws -> [Fortune] {
        try CorpusFile.requireInstalled(directory, corpus: name)
        var fortunes: [Fortune] = []
        for file in try CorpusFile.files(under: directory) {
            let fileName = file.lastPathComponent
            if fileName.hasSuffix(".dat") || fileName.hasSuffix(".u8") { continue }
            let category = file.deletingPathExtension().lastPathComponent
            fortunes += parse(try CorpusFile.text(file), category: category)
        }
        guard !fortunes.isEmpty else { throw CorpusError.empty(path: directory.path) }
        return fortunes
    }

    /// The fortunes as documents (id `wisdom#0`, label = category).
    public static func documents(directory: URL = defaultDirectory) throws -> [TextDocument] {
        var counters: [String: Int] = [:]
        return try load(directory: directory).map { fortune in
            let index = counters[fortune.category, default: 0]
            counters[fortune.category] = index + 1
            return TextDocument(id: "\(fortune.category)#\(index)", text: fortune.text, label: fortune.category)
        }
    }

    /// Splits strfile text into entries; entries that are only whitespace are dropped.
    public static func parse(_ text: String, category: String) -> [Fortune] {
        var fortunes: [Fortune] = []
        var current: [Substring] = []
        func flush() {
            while let last = current.last, last.allSatisfy(\.isWhitespace) { current.removeLast() }
            if !current.isEmpty {
                fortunes.append(Fortune(category: category, text: current.joined(separator: "\n")))
            }
            current.removeAll()
        }
        for line in CorpusFile.lines(text) {
            if line == "%" { flush() } else { current.append(line) }
        }
        flush()
        return fortunes
    }
}
