// The strict JSON reader (RFC 8259): one value, optionally surrounded by whitespace, nothing else.

extension JSONValue {
    /// The nesting limit used when none is given: far deeper than any configuration, tokenizer or
    /// checkpoint header, shallow enough that hostile input cannot exhaust the stack.
    public static let defaultMaxDepth = 128

    /// Parses UTF-8 JSON bytes; throws ``JSONError`` with the byte offset where the input goes wrong.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        if parser.position != bytes.count { throw parser.syntax("unexpected data after the JSON value") }
        return value
    }

    /// Parses JSON text.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var position = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func syntax(_ reason: String) -> JSONError { .syntax(byteOffset: position, reason: reason) }

    var atEnd: Bool { position >= bytes.count }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0a, 0x0d: position += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < maxDepth else { throw JSONError.tooDeep(byteOffset: position, limit: maxDepth) }
        guard !atEnd else { throw syntax("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
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
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw syntax("unexpected character")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let start = position
        for byte in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard !atEnd, bytes[position] == byte else {
                position = start
                throw syntax("invalid literal")
            }
            position += 1
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        position += 1  // {
        var pairs: [(String, JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if !atEnd, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(pairs)
        }
        while true {
            skipWhitespace()
            guard !atEnd, bytes[position] == UInt8(ascii: "\"") else { throw syntax("expected a string key") }
            let keyOffset = position
            let key = try string()
            guard seen.insert(key).inserted else { throw JSONError.duplicateKey(key: key, byteOffset: keyOffset) }
            skipWhitespace()
            guard !atEnd, bytes[position] == UInt8(ascii: ":") else { throw syntax("expected ':'") }
            position += 1
            skipWhitespace()
            pairs.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            guard !atEnd else { throw syntax("unterminated object") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(pairs)
            default: throw syntax("expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        position += 1  // [
        var items: [JSONValue] = []
        skipWhitespace()
        if !atEnd, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard !atEnd else { throw syntax("unterminated array") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(items)
            default: throw syntax("expected ',' or ']'")
            }
        }
    }

    // MARK: Numbers

    mutating func digits() -> Int {
        let start = position
        while !atEnd, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        return position - start
    }

    mutating func number() throws -> JSONValue {
        let start = position
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard !atEnd else { throw syntax("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw syntax("invalid number")
        }
        var integral = true
        if !atEnd, bytes[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard digits() > 0 else { throw syntax("invalid number fraction") }
        }
        if !atEnd, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            integral = false
            position += 1
            if !atEnd, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw syntax("invalid number exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if integral {
            // Accumulate negatively so that Int.min parses too; an overflow keeps the exact digits.
            var value = 0
            for byte in bytes[(negative ? start + 1 : start)..<position] {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.subtractingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                if o1 || o2 { return .bigInteger(text) }
                value = next
            }
            if negative { return .int(value) }
            return value == Int.min ? .bigInteger(text) : .int(-value)
        }
        guard let double = Double(text), double.isFinite else {
            throw JSONError.numberOutOfRange(byteOffset: start, text: text)
        }
        return .double(double)
    }

    // MARK: Strings

    /// The length of the valid UTF-8 sequence of two to four bytes at `position`, or nil
    /// (overlong forms, surrogates and code points above U+10FFFF are invalid).
    func multiByteLength() -> Int? {
        let lead = bytes[position]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xbf
        switch lead {
        case 0xc2...0xdf: length = 2
        case 0xe0:
            length = 3
            secondRange = 0xa0...0xbf
        case 0xe1...0xec, 0xee...0xef: length = 3
        case 0xed:
            length = 3
            secondRange = 0x80...0x9f
        case 0xf0:
            length = 4
            secondRange = 0x90...0xbf
        case 0xf1...0xf3: length = 4
        case 0xf4:
            length = 4
            secondRange = 0x80...0x8f
        default: return nil
        }
        guard position + length <= bytes.count, secondRange.contains(bytes[position + 1]) else { return nil }
        for k in 2..<length where !(0x80...0xbf).contains(bytes[position + k]) { return nil }
        return length
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw syntax("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw syntax("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// A string at `position` (its opening quote); validates UTF-8 and decodes escapes.
    mutating func string() throws -> String {
        position += 1  // opening quote
        var out: [UInt8] = []
        var runStart = position  // bytes from here to `position` are copied as they are
        while true {
            guard !atEnd else { throw syntax("unterminated string") }
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                let text: String
                if out.isEmpty {
                    text = String(decoding: bytes[runStart..<position], as: UTF8.self)
                } else {
                    out.append(contentsOf: bytes[runStart..<position])
                    text = String(decoding: out, as: UTF8.self)
                }
                position += 1
                return text
            }
            if c < 0x20 { throw syntax("control character in string") }
            if c >= 0x80 {
                guard let length = multiByteLength() else { throw JSONError.invalidUTF8(byteOffset: position) }
                position += length
                continue
            }
            if c != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            out.append(contentsOf: bytes[runStart..<position])
            position += 1
            guard !atEnd else { throw syntax("unterminated escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let escapeStart = position - 2
                var scalar = try hex4()
                if (0xd800..<0xdc00).contains(scalar) {
                    guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else {
                        position = escapeStart
                        throw syntax("unpaired surrogate in \\u escape")
                    }
                    position += 2
                    let low = try hex4()
                    guard (0xdc00..<0xe000).contains(low) else {
                        position = escapeStart
                        throw syntax("unpaired surrogate in \\u escape")
                    }
                    scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                } else if (0xdc00..<0xe000).contains(scalar) {
                    position = escapeStart
                    throw syntax("unpaired surrogate in \\u escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw syntax("invalid \\u escape") }
                UTF8.encode(unicode) { out.append($0) }
            default:
                position -= 2
                throw syntax("invalid escape")
            }
            runStart = position
        }
    }
}
