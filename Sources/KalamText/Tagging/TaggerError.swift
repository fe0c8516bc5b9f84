/// Why a tagger could not be loaded, trained, saved or applied.
public enum TaggerError: Error, Equatable, CustomStringConvertible {
    /// A file the tagger needs does not exist (for example a package that is not installed).
    case fileNotFound(path: String)
    /// A file could not be read or written.
    case io(path: String, message: String)
    /// A weights file is not gzip/JSON in the expected layout; `reason` says what is wrong.
    case corruptModel(path: String, reason: String)
    /// A label is not in the tag set it is used with (a model's classes, or a mapping's tags).
    case tagSetMismatch(label: String, tagSet: String, known: [String])
    /// Training data could not be parsed; `line` is 1-based.
    case malformedTrainingData(line: Int, reason: String)
    /// Training was given no tagged words.
    case noTrainingData
    /// A training or evaluation argument is out of range.
    case invalidArgument(name: String, reason: String)
    /// Words and reference tags (or gold tags) of different lengths were paired.
    case lengthMismatch(words: Int, tags: Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .fileNotFound(let path): return "file not found: \(path)"
        case let .io(path, message): return "cannot access \(path): \(message)"
        case let .corruptModel(path, reason): return "corrupt tagger model \(path): \(reason)"
        case let .tagSetMismatch(label, tagSet, known):
            let shown = known.prefix(24).joined(separator: " ")
            return "tag '\(label)' is not in the \(tagSet) tag set (\(shown)\(known.count > 24 ? " …" : ""))"
        case let .malformedTrainingData(line, reason): return "training data line \(line): \(reason)"
        case .noTrainingData: return "no tagged words to train on"
        case let .invalidArgument(name, reason): return "invalid \(name): \(reason)"
        case let .lengthMismatch(words, tags): return "\(words) words but \(tags) tags"
        }
    }
}
