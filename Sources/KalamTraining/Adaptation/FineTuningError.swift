/// An error in fine-tuning data or set-up, naming what is wrong.
public enum FineTuningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A label that is not one of the task's (in a test file, or unknown to a trained model).
    case unknownLabel(label: String, source: String, known: [String])
    /// Fewer than two classes are left to classify.
    case tooFewClasses(found: [String])
    /// A data set with no examples.
    case noExamples(source: String)
    /// A task name that is neither a built-in task nor an existing file.
    case unknownTask(name: String, known: [String])
    /// A line of a TSV or JSONL task file that cannot be read.
    case malformedLine(path: String, line: Int, reason: String)
    /// Text-to-text classification cannot tell the classes apart by their target texts (none set, an
    /// empty one, two the same).
    case invalidLabelTargets(reason: String)

    /// One readable line.
    public var description: String {
        switch self {
        case let .unknownLabel(label, source, known):
            return "unknown label '\(label)' in \(source); the labels are \(known.joined(separator: ", "))"
        case let .tooFewClasses(found):
            return "need at least 2 classes to classify, found \(found.count)"
                + (found.isEmpty ? "" : " (\(found.joined(separator: ", ")))")
        case let .noExamples(source): return "\(source) has no examples"
        case let .unknownTask(name, known):
            return "unknown task '\(name)': not a file, and not one of \(known.joined(separator: ", "))"
        case let .malformedLine(path, line, reason): return "\(path):\(line): \(reason)"
        case let .invalidLabelTargets(reason): return "text-to-text labels: \(reason)"
        }
    }
}
