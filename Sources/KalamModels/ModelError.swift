import Foundation

/// Every error KalamModels throws: configuration problems, checkpoint problems and bad model input.
///
/// Each case names what is wrong (the `config.json` field, the checkpoint key, the offending value),
/// and ``description`` turns it into one readable line.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: configuration

    /// A required `config.json` field is absent.
    case missingField(field: String, file: String)
    /// A `config.json` field holds a value of the wrong JSON type (`found` describes what was there).
    case wrongType(field: String, expected: String, found: String, file: String)
    /// A field holds a value Kalam does not implement (an activation, a position-embedding scheme ...).
    case unsupportedValue(field: String, value: String, supported: [String])
    /// A field holds a value that is out of range or inconsistent with another field.
    case invalidValue(field: String, value: String, reason: String)
    /// The configuration file is not valid JSON, or not a JSON object.
    case malformedConfig(file: String, reason: String)
    /// A configuration or checkpoint belongs to another model family (`model_type`, or its keys).
    case wrongFamily(expected: String, found: String)

    // MARK: files and checkpoints

    /// A file the model directory needs is absent.
    case fileNotFound(path: String)
    /// A file or folder could not be written (what was there before is unchanged).
    case writeFailed(path: String, reason: String)

    // MARK: input

    /// A sequence is longer than the model's position table.
    case sequenceTooLong(length: Int, maximum: Int)
    /// A token id is negative or not below the vocabulary size.
    case tokenOutOfRange(id: Int, vocabSize: Int, row: Int, position: Int)
    /// An input tensor (ids, mask, labels) has the wrong shape or contents.
    case invalidInput(name: String, reason: String)

    /// One readable line describing the problem.
    public var description: String {
        switch self {
        case let .missingField(field, file):
            return "\(file): required field \"\(field)\" is missing"
        case let .wrongType(field, expected, found, file):
            return "\(file): field \"\(field)\" should be \(expected) but is \(found)"
        case let .unsupportedValue(field, value, supported):
            return "unsupported \(field) \"\(value)\" (supported: \(supported.joined(separator: ", ")))"
        case let .invalidValue(field, value, reason):
            return "invalid \(field) \(value): \(reason)"
        case let .malformedConfig(file, reason):
            return "\(file) is not a valid configuration: \(reason)"
        case let .wrongFamily(expected, found):
            return "expected a \(expected) model but found \(found)"
        case let .fileNotFound(path):
            return "file not found: \(path)"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason)"
        case let .sequenceTooLong(length, maximum):
            return "sequence of \(length) tokens is longer than the position table (\(maximum))"
        case let .tokenOutOfRange(id, vocabSize, row, position):
            return "token id \(id) at row \(row), position \(position) is outside the vocabulary (size \(vocabSize))"
        case let .invalidInput(name, reason):
            return "invalid \(name): \(reason)"
        }
    }
}
