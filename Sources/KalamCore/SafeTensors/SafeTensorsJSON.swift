// A small strict JSON parser for safetensors headers. Foundation's parser silently keeps one of two
// duplicate keys and reads big integers as doubles; this one reports duplicates, keeps numbers as
// text so offsets parse exactly as UInt64, and limits nesting so hostile input cannot exhaust the stack.

/// A parsed JSON value; object members keep their order and the file offset of their key.
indirect enum SafeTensorsJSON {
    /// An object member: key, value and the file byte offset of the key.
    struct Member {
        let key: String
        let value: SafeTensorsJSON
        let byteOffset: Int
    }

    case object([Member])
    case array([SafeTensorsJSON])
    case string(String)
    /// A number, kept as its source text.
    case number(String)
    case bool(Bool)
    case null

    /// A short name of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// Parses `bytes` (the header, already checked to be UTF-8) as one JSON value followed only by
    /// whitespace. `baseOffset` is the file offset of `bytes[0]`, used in error payloads.
    static func parse(_ bytes: [UInt8], file: String, baseOffset: Int) throws -> SafeTensorsJSON {
        var parser = Parser(bytes: bytes, file: file, baseOffset: baseOffset)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position != bytes.count {
            throw parser.error("unexpected data after the JSON value")
        }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let file: String
        let baseOffset: Int
        var position = 0
        static let maxDepth = 32

        init(bytes: [UInt8], file: String, baseOffset: Int) {
            self.bytes = bytes
            self.file = file
            self.baseOffset = baseOffset
        }

        func error(_ reason: String) -> SafeTensorsError {
            .invalidJSON(file: file, byteOffset: baseOffset + position, reason: reason)
        }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0a, 0x0d: position += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws -> SafeTensorsJSON {
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
            guard position < bytes.count else { throw error("unexpected end of header") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw error("unexpected character")
            }
        }

        mutating func expectLiteral(_ literal: String) throws {
            for byte in literal.utf8 {
                guard position < bytes.count, bytes[position] == byte else { throw error("invalid literal") }
                position += 1
            }
        }

        mutating func parseObject(depth: Int) throws -> SafeTensorsJSON {
            position += 1  // {
            var members: [Member] = []
            var seen = Set<String>()
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw error("expected a string key")
                }
                let keyOffset = baseOffset + position
                let key = try parseString()
                if !seen.insert(key).inserted {
                    throw SafeTensorsError.duplicateKey(file: file, key: key)
                }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
                position += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                members.append(Member(key: key, value: value, byteOffset: keyOffset))
                skipWhitespace()
                guard position < bytes.count else { throw error("unterminated object") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                } else {
                    throw error("expected ',' or '}'")
                }
            }
        }

        mutating func parseArray(depth: Int) throws -> SafeTensorsJSON {
            position += 1  // [
            var items: [SafeTensorsJSON] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw error("unterminated array") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(items)
                } else {
                    throw error("expected ',' or ']'")
                }
            }
        }

        mutating func parseHex4() throws -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[position]
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error("invalid hex digit in \\u escape")
                }
                value = value * 16 + digit
                position += 1
            }
            return value
        }

        mutating func parseString() throws -> String {
            position += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard position < bytes.count else { throw error("unterminated string") }
                let c = bytes[position]
                if c == UInt8(ascii: "\"") {
                    position += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if c < 0x20 { throw error("control character in string") }
                if c != UInt8(ascii: "\\") {
                    out.append(c)
                    position += 1
                    continue
                }
                position += 1
                guard position < bytes.count else { throw error("unterminated escape") }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xd800..<0xdc00).contains(scalar) {
                        guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in \\u escape") }
                        position += 2
                        let low = try parseHex4()
                        guard (0xdc00..<0xe000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    } else if (0xdc00..<0xe000).contains(scalar) {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw error("invalid escape")
                }
            }
        }

        mutating func parseNumber() throws -> String {
            let start = position
            func digits() -> Int {
                let begin = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                    position += 1
                }
                return position - begin
            }
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count else { throw error("truncated number") }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
            } else if digits() == 0 {
                throw error("invalid number")
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw error("invalid number fraction") }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
                {
                    position += 1
                }
                guard digits() > 0 else { throw error("invalid number exponent") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }
    }
}
