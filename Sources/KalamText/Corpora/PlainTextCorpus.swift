import Foundation

/// Plain UTF-8 text files a user points at: one file, or every regular file under a folder (sorted by
/// path, hidden files skipped). Invalid UTF-8 is rejected with the file and byte offset.
public enum PlainTextCorpus {
    /// How a file is cut into documents.
    public enum Split: String, Sendable, CaseIterable {
        /// One document per file.
        case file
        /// One document per paragraph (runs of lines separated by blank lines).
        case paragraphs
        /// One document per non-blank line.
        case lines
    }

    /// Reads the documents of `url` (a file or a folder). Document ids are `<file name>#<index>`
    /// (`<file name>` alone with ``Split/file``). Whitespace-only documents are dropped; a corpus with no
    /// document left is ``CorpusError/empty(path:)``.
    public static func load(_ url: URL, split: Split = .paragraphs) throws -> [TextDocument] {
        let files = try CorpusFile.files(under: url)
        var documents: [TextDocument] = []
        for file in files {
            let text = try CorpusFile.text(file)
            let name = files.count == 1 ? file.lastPathComponent : relativePath(of: file, under: url)
            switch split {
            case .file:
                if !text.allSatisfy(\.isWhitespace) { documents.append(TextDocument(id: name, text: text)) }
            case .paragraphs:
                for (index, paragraph) in paragraphs(text).enumerated() {
                    documents.append(TextDocument(id: "\(name)#\(index)", text: paragraph))
                }
            case .lines:
                var index = 0
                for line in CorpusFile.lines(text) where !line.allSatisfy(\.isWhitespace) {
                    documents.append(TextDocument(id: "\(name)#\(index)", text: String(line)))
                    index += 1
                }
            }
        }
        guard !documents.isEmpty else { throw CorpusError.empty(path: url.path) }
        return documents
    }

    /// Paragraphs of `text`: maximal runs of non-blank lines, joined by `\n`.
    public static func paragraphs(_ text: String) -> [String] {
        var result: [String] = []
        var current: [Substring] = []
        for line in CorpusFile.lines(text) {
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty {
                    result.append(current.joined(separator: "\n"))
                    current.removeAll()
                }
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { result.append(current.joined(separator: "\n")) }
        return result
    }

    static func relativePath(of file: URL, under root: URL) -> String {
        let rootPath = root.resolvingSymlinksInPath().path
        let filePath = file.resolvingSymlinksInPath().path
        if filePath.hasPrefix(rootPath + "/") { return String(filePath.dropFirst(rootPath.count + 1)) }
        return file.lastPathComponent
    }
}
