import Foundation

/// Every failure the tokenizers report: bad files, bad JSON, unknown components, unknown ids.
///
/// Library code never traps on user input; each case names what went wrong and where.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A file could not be read.
    case fileUnreadable(path: String, reason: String)
    /// A file could not be written.
    case fileUnwritable(path: String, reason: String)
    /// A file's bytes are not valid UTF-8 and the caller asked to reject such input.
    case invalidUTF8(path: String, byteOffset: Int)
    /// Malformed JSON text at a byte offset.
    case malformedJSON(byteOffset: Int, reason: String)
    /// A JSON value has the wrong type or is missing (`path` is a dotted key path like `model.vocab`).
    case wrongJSONType(path: String, expected: String)
    /// A `tokenizer.json` names a component (normalizer, pre-tokenizer, model, ...) Kalam does not support.
    case unsupportedComponent(kind: String, type: String)
    /// A merge rule names a token that is not in the vocabulary.
    case mergeUnknownToken(merge: String, token: String)
    /// A merge rule line is not two space-separated tokens.
    case malformedMerge(line: Int, text: String)
    /// A line of a vocabulary file (vocab.txt, .tiktoken) is malformed.
    case malformedVocabularyLine(line: Int, text: String)
    /// A token the configuration needs (unknown token, special token) is not in the vocabulary.
    case missingToken(String)
    /// Two tokens share an id, or the ids have a gap the format does not allow.
    case duplicateId(id: Int, tokens: [String])
    /// An id outside the vocabulary was given to `decode` or `idToToken`.
    case unknownId(Int, vocabularySize: Int)
    /// An argument is out of range (e.g. a vocabulary size smaller than the alphabet).
    case invalidArgument(String)

    /// A readable one-line description.
    public var description: String {
        switch self {
        case let .fileUnreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .fileUnwritable(path, reason): return "cannot write \(path): \(reason)"
        case let .invalidUTF8(path, offset): return "\(path): invalid UTF-8 at byte \(offset)"
        case let .malformedJSON(offset, reason): return "malformed JSON at byte \(offset): \(reason)"
        case let .wrongJSONType(path, expected): return "tokenizer.json: \(path) must be \(expected)"
        case let .unsupportedComponent(kind, type):
            return "tokenizer.json: unsupported \(kind) type \"\(type)\""
        case let .mergeUnknownToken(merge, token):
            return "merge \"\(merge)\" names token \"\(token)\" that is not in the vocabulary"
        case let .malformedMerge(line, text): return "merges line \(line) is malformed: \"\(text)\""
        case let .malformedVocabularyLine(line, text): return "vocabulary line \(line) is malformed: \"\(text)\""
        case let .missingToken(token): return "token \"\(token)\" is not in the vocabulary"
        case let .duplicateId(id, tokens): return "id \(id) is used by several tokens: \(tokens)"
        case let .unknownId(id, size): return "id \(id) is outside the vocabulary (size \(size))"
        case let .invalidArgument(text): return "invalid argument: \(text)"
        }
    }
}
