import Foundation

/// A JSON value with object keys kept in file order, so `tokenizer.json` files are written in the
/// same key order Hugging Face uses and read back without loss. Parsing reports malformed input as
/// `TokenizerError.malformedJSON` with the byte offset.
public enum JSONValue: Equatable, Sendable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// An integer number.
    case int(Int)
    /// A number with a fraction or exponent.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, keys in order.
    case object([(String, JSONValue)])

    /// Compares values (objects compare key order too).
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value under `key` of an object, or `nil`.
    public subscript(key: String) -> JSONValue? {
        if case let .object(pairs) = self { return pairs.first(where: { $0.0 == key })?.1 }
        return nil
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    // MARK: Parsing

    /// Parses JSON text.
    public static func parse(_ data: [UInt8]) throws -> JSONValue {
        var p = Parser(bytes: data)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != data.count { throw TokenizerError.malformedJSON(byteOffset: p.i, reason: "trailing characters") }
        return v
    }

    /// Parses JSON text from a string.
    public static func parse(_ text: String) throws -> JSONValue { try parse(Array(text.utf8)) }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
                i += 1
            }
        }
        func fail(_ reason: String) -> TokenizerError { .malformedJSON(byteOffset: i, reason: reason) }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < 512 else { throw fail("nesting too deep") }
            guard i < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                skipSpace()
                var pairs: [(String, JSONValue)] = []
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(pairs)
                }
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key string") }
                    let key = try string()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipSpace()
                    pairs.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    guard i < bytes.count else { throw fail("unterminated object") }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if bytes[i] == UInt8(ascii: "}") {
                        i += 1
                        return .object(pairs)
                    }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                skipSpace()
                var items: [JSONValue] = []
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < bytes.count else { throw fail("unterminated array") }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if bytes[i] == UInt8(ascii: "]") {
                        i += 1
                        return .array(items)
                    }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default: return try number()
            }
        }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { throw fail("invalid literal") }
            i += w.count
        }

        mutating func number() throws -> JSONValue {
            let start = i
            var negative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
                negative = true
                i += 1
            }
            var value = 0
            var digits = 0
            var overflow = false
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(bytes[i] - 0x30))
                overflow = overflow || o1 || o2
                value = a
                digits += 1
                i += 1
            }
            let isInt =
                !(i < bytes.count
                && (bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")))
            if isInt && digits > 0 && !overflow { return .int(negative ? -value : value) }
            while i < bytes.count {
                let c = bytes[i]
                if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
                    || c == UInt8(ascii: "E")
                    || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
                {
                    i += 1
                } else {
                    break
                }
            }
            guard i > start, let text = String(bytes: bytes[start..<i], encoding: .ascii), let d = Double(text) else {
                i = start
                throw fail(i < bytes.count ? "unexpected character" : "unexpected end of input")
            }
            return .double(d)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("bad hex digit in \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 {
                i += 1
            }
            guard i < bytes.count else { throw fail("unterminated string") }
            if bytes[i] == UInt8(ascii: "\"") {
                let s = bytes.withUnsafeBufferPointer {
                    String(decoding: UnsafeBufferPointer(rebasing: $0[start..<i]), as: UTF8.self)
                }
                i += 1
                return s
            }
            var out = Array(bytes[start..<i])
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let c = bytes[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    break
                }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") {
                    out.append(c)
                    i += 1
                    continue
                }
                i += 1
                guard i < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if v >= 0xD800 && v < 0xDC00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
                        bytes[i + 1] == UInt8(ascii: "u")
                    {
                        let save = i
                        i += 2
                        let lo = try hex4()
                        if lo >= 0xDC00 && lo < 0xE000 {
                            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw fail("invalid escape")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    // MARK: Writing

    /// Serializes the value; `indent` > 0 pretty-prints with that many spaces per level.
    public func serialized(indent: Int = 2) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" : ""
        func pad(_ l: Int) -> String { String(repeating: " ", count: indent * l) }
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(v): out += String(v)
        case let .double(d): out += d.isFinite ? "\(d)" : "null"
        case let .string(s): JSONValue.writeString(s, into: &out)
        case let .array(items):
            if items.isEmpty {
                out += "[]"
                return
            }
            // Short arrays of scalars stay on one line.
            let flat = items.allSatisfy {
                if case .array = $0 { return false }
                if case .object = $0 { return false }
                return true
            }
            if flat && items.count <= 4 {
                out += "["
                for (k, v) in items.enumerated() {
                    if k > 0 { out += ", " }
                    v.write(into: &out, indent: 0, level: 0)
                }
                out += "]"
                return
            }
            out += "[" + newline
            for (k, v) in items.enumerated() {
                out += pad(level + 1)
                v.write(into: &out, indent: indent, level: level + 1)
                out += (k + 1 < items.count ? "," : "") + newline
            }
            out += pad(level) + "]"
        case let .object(pairs):
            if pairs.isEmpty {
                out += "{}"
                return
            }
            out += "{" + newline
            for (k, (key, v)) in pairs.enumerated() {
                out += pad(level + 1)
                JSONValue.writeString(key, into: &out)
                out += indent > 0 ? ": " : ":"
                v.write(into: &out, indent: indent, level: level + 1)
                out += (k + 1 < pairs.count ? "," : "") + newline
            }
            out += pad(level) + "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out +=
                        "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count)
                        + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
