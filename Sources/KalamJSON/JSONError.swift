/// Why bytes are not the strict JSON that ``JSONValue/parse(_:maxDepth:)`` accepts.
///
/// Every case carries the byte offset (from the start of the parsed bytes) where parsing stopped;
/// callers that parse part of a file add the part's own offset.
public enum JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text breaks JSON's grammar; `reason` says what was expected or found.
    case syntax(byteOffset: Int, reason: String)
    /// A key appears twice in one object; `byteOffset` is the second occurrence.
    case duplicateKey(key: String, byteOffset: Int)
    /// Arrays and objects nest deeper than `limit` levels.
    case tooDeep(byteOffset: Int, limit: Int)
    /// A string holds bytes that are not UTF-8 (or encode a surrogate, or lie above U+10FFFF).
    case invalidUTF8(byteOffset: Int)
    /// A number with a fraction or exponent is too large for a `Double` (`1e400`).
    case numberOutOfRange(byteOffset: Int, text: String)

    /// Where parsing stopped, in bytes from the start of the input.
    public var byteOffset: Int {
        switch self {
        case let .syntax(offset, _), let .duplicateKey(_, offset), let .tooDeep(offset, _),
            let .invalidUTF8(offset), let .numberOutOfRange(offset, _):
            return offset
        }
    }

    /// What is wrong, without the offset.
    public var reason: String {
        switch self {
        case let .syntax(_, reason): return reason
        case let .duplicateKey(key, _): return "duplicate key \"\(key)\""
        case let .tooDeep(_, limit): return "nesting deeper than \(limit) levels"
        case .invalidUTF8: return "invalid UTF-8 in a string"
        case let .numberOutOfRange(_, text): return "number \(text) is out of range"
        }
    }

    /// One readable line: `invalid JSON at byte 12: expected ',' or '}'`.
    public var description: String { "invalid JSON at byte \(byteOffset): \(reason)" }
}
