/// A JSON value as read from a file, exactly: object keys in file order, integers as integers.
///
/// ``parse(_:maxDepth:)`` is strict where Foundation's parser is lenient: a key twice in one object,
/// nesting deeper than a limit, bytes that are not UTF-8, a lone surrogate escape, a number outside
/// JSON's grammar or trailing data are ``JSONError``s carrying the byte offset. Integers are never
/// read through `Double`: one that fits `Int` (64 bits on every platform Kalam supports) is ``int(_:)``,
/// a longer one keeps its digits in ``bigInteger(_:)``; convert with ``integer(as:)``, which returns
/// `nil` rather than a rounded or truncated value.
public enum JSONValue: Equatable, Sendable, CustomStringConvertible {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// An integer (a number without fraction or exponent) that fits `Int`.
    case int(Int)
    /// An integer too large for `Int`, as written (digits with an optional leading `-`).
    case bigInteger(String)
    /// A number with a fraction or exponent.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, keys in file order (never twice).
    case object([(String, JSONValue)])

    /// Compares values; objects compare key order too.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.bigInteger(x), .bigInteger(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value under `key` of an object, or `nil` (also when the value is not an object).
    public subscript(key: String) -> JSONValue? {
        if case let .object(pairs) = self { return pairs.first(where: { $0.0 == key })?.1 }
        return nil
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value as an integer of type `T` when it is an integer that `T` holds exactly (also an
    /// integral ``double(_:)`` such as `2.0`); `nil` for any other value, and for one out of `T`'s range.
    public func integer<T: FixedWidthInteger>(as type: T.Type = T.self) -> T? {
        switch self {
        case let .int(v): return T(exactly: v)
        case let .bigInteger(text): return T(text, radix: 10)
        case let .double(d): return T(exactly: d)
        default: return nil
        }
    }

    /// The value as a `Double` when it is a number (integers round to the nearest `Double`).
    public var doubleValue: Double? {
        switch self {
        case let .int(v): return Double(v)
        case let .bigInteger(text): return Double(text)
        case let .double(d): return d
        default: return nil
        }
    }

    /// A short name of the value's kind for messages: `a string`, `an object`, `null` …
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .bigInteger, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The value as compact JSON text.
    public var description: String { serialized(indent: 0) }
}
