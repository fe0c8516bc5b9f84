import Testing

@testable import KalamJSON

@Suite struct JSONValueTests {
    @Test func parsesEveryKindInOrder() throws {
        let v = try JSONValue.parse(
            #" {"z": null, "a": [true, false], "n": -1.5e3, "i": 42, "s": "x", "o": {"k": [], "e": {}}} "#)
        guard case let .object(pairs) = v else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.map(\.0) == ["z", "a", "n", "i", "s", "o"])
        #expect(v["z"] == .null)
        #expect(v["a"] == .array([.bool(true), .bool(false)]))
        #expect(v["n"] == .double(-1500))
        #expect(v["i"] == .int(42))
        #expect(v["s"] == .string("x"))
        #expect(v["o"] == .object([("k", .array([])), ("e", .object([]))]))
        #expect(v["missing"] == nil)
        #expect(v["o"]?["k"]?.kindName == "an array")
        // Key order is part of equality.
        #expect(try JSONValue.parse(#"{"a":1,"b":2}"#) != JSONValue.parse(#"{"b":2,"a":1}"#))
    }

    @Test func integersAreExact() throws {
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(Int.min))
        #expect(try JSONValue.parse("-0") == .int(0))
        let big = try JSONValue.parse("18446744073709551615")
        #expect(big == .bigInteger("18446744073709551615"))
        #expect(big.integer(as: UInt64.self) == UInt64.max)
        #expect(big.integer(as: Int64.self) == nil)
        #expect(try JSONValue.parse("9223372036854775808") == .bigInteger("9223372036854775808"))
        #expect(try JSONValue.parse("-9223372036854775809") == .bigInteger("-9223372036854775809"))
        #expect(try JSONValue.parse("123456789012345678901234567890").serialized() == "123456789012345678901234567890")
        // 2^53 + 1 is not a Double: read as an integer it stays exact.
        #expect(try JSONValue.parse("9007199254740993").integer(as: Int64.self) == 9_007_199_254_740_993)
        #expect(JSONValue.int(4_294_967_296).integer(as: Int32.self) == nil)
        #expect(JSONValue.int(-1).integer(as: UInt32.self) == nil)
        #expect(JSONValue.double(2.0).integer(as: Int.self) == 2)
        #expect(JSONValue.double(2.5).integer(as: Int.self) == nil)
        #expect(JSONValue.string("2").integer(as: Int.self) == nil)
        #expect(try JSONValue.parse("1e2") == .double(100))
        #expect(try JSONValue.parse("0.5").doubleValue == 0.5)
        #expect(try JSONValue.parse("1e-400") == .double(0))
    }

    @Test func stringsDecodeEscapesAndUTF8() throws {
        let v = try JSONValue.parse(#""a\"b\\c\/\n\t\b\f\r\u00e9\ud83d\ude00 é😀""#)
        #expect(v == .string("a\"b\\c/\n\t\u{8}\u{c}\ré😀 é😀"))
        #expect(try JSONValue.parse(#""\u0000""#) == .string("\u{0}"))
        // Raw bytes: two-, three- and four-byte sequences at the edges of their ranges.
        let edges: [UInt8] = [
            0x22, 0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80, 0xed, 0x9f, 0xbf, 0xf4, 0x8f, 0xbf, 0xbf, 0x22,
        ]
        #expect(try JSONValue.parse(edges) == .string("\u{80}\u{7ff}\u{800}\u{d7ff}\u{10ffff}"))
    }

    @Test func serializesAndParsesBack() throws {
        let text =
            #"{"k": "a\"b\\c\n\u0001é😀", "n": -1.5e3, "i": 42, "t": [true, false, null], "big": 99999999999999999999}"#
        let v = try JSONValue.parse(text)
        #expect(try JSONValue.parse(v.serialized()) == v)
        #expect(try JSONValue.parse(v.serialized(indent: 0)) == v)
        #expect(JSONValue.array([.int(1), .string("x")]).serialized() == #"[1, "x"]"#)
        #expect(JSONValue.object([("a", .int(1))]).serialized(indent: 2) == "{\n  \"a\": 1\n}")
        #expect(JSONValue.object([("a", .string("\u{1}"))]).description == #"{"a":"\u0001"}"#)
        #expect(JSONValue.double(.infinity).serialized() == "null")
    }

    /// Each malformed input and the exact error: the offset and the reason.
    @Test func malformedInputIsATypedErrorWithItsOffset() {
        let cases: [(String, JSONError)] = [
            ("", .syntax(byteOffset: 0, reason: "unexpected end of input")),
            ("   ", .syntax(byteOffset: 3, reason: "unexpected end of input")),
            (#"{"model": 1 2}"#, .syntax(byteOffset: 12, reason: "expected ',' or '}'")),
            (#"{"model": "#, .syntax(byteOffset: 10, reason: "unexpected end of input")),
            (#"{"model": "ab"#, .syntax(byteOffset: 13, reason: "unterminated string")),
            (#"{"a":}"#, .syntax(byteOffset: 5, reason: "unexpected character")),
            (#"{"a" 1}"#, .syntax(byteOffset: 5, reason: "expected ':'")),
            (#"{1: 2}"#, .syntax(byteOffset: 1, reason: "expected a string key")),
            (#"{"a": 1,}"#, .syntax(byteOffset: 8, reason: "expected a string key")),
            (#"{"a": 1"#, .syntax(byteOffset: 7, reason: "unterminated object")),
            ("[1, 2", .syntax(byteOffset: 5, reason: "unterminated array")),
            ("[1 2]", .syntax(byteOffset: 3, reason: "expected ',' or ']'")),
            ("[1,]", .syntax(byteOffset: 3, reason: "unexpected character")),
            ("tru", .syntax(byteOffset: 0, reason: "invalid literal")),
            ("nul", .syntax(byteOffset: 0, reason: "invalid literal")),
            ("1 2", .syntax(byteOffset: 2, reason: "unexpected data after the JSON value")),
            ("01", .syntax(byteOffset: 1, reason: "unexpected data after the JSON value")),
            ("-", .syntax(byteOffset: 1, reason: "invalid number")),
            ("-a", .syntax(byteOffset: 1, reason: "invalid number")),
            ("+1", .syntax(byteOffset: 0, reason: "unexpected character")),
            ("1.", .syntax(byteOffset: 2, reason: "invalid number fraction")),
            (".5", .syntax(byteOffset: 0, reason: "unexpected character")),
            ("1e", .syntax(byteOffset: 2, reason: "invalid number exponent")),
            ("1e+", .syntax(byteOffset: 3, reason: "invalid number exponent")),
            ("NaN", .syntax(byteOffset: 0, reason: "unexpected character")),
            ("1e400", .numberOutOfRange(byteOffset: 0, text: "1e400")),
            ("[-1e400]", .numberOutOfRange(byteOffset: 1, text: "-1e400")),
            ("\"a\tb\"", .syntax(byteOffset: 2, reason: "control character in string")),
            (#""\x""#, .syntax(byteOffset: 1, reason: "invalid escape")),
            (#""\"#, .syntax(byteOffset: 2, reason: "unterminated escape")),
            (#""\u12"#, .syntax(byteOffset: 3, reason: "truncated \\u escape")),
            (#""\u12g4""#, .syntax(byteOffset: 5, reason: "invalid hex digit in \\u escape")),
            (#"["\ud800"]"#, .syntax(byteOffset: 2, reason: "unpaired surrogate in \\u escape")),
            (#""\ud800\u0041""#, .syntax(byteOffset: 1, reason: "unpaired surrogate in \\u escape")),
            (#""\udc00""#, .syntax(byteOffset: 1, reason: "unpaired surrogate in \\u escape")),
            (#"{"a": 1, "b": 2, "a": 3}"#, .duplicateKey(key: "a", byteOffset: 17)),
            (#"{"x": {"a": 1, "a": 1}}"#, .duplicateKey(key: "a", byteOffset: 15)),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "\(text)") { try JSONValue.parse(text) }
        }
        // Equal keys spelt differently are still equal keys.
        #expect(throws: JSONError.duplicateKey(key: "é", byteOffset: 10)) {
            try JSONValue.parse(#"{"é": 1, "\u00e9": 2}"#)
        }
    }

    @Test func invalidUTF8IsRejectedWhereItStarts() {
        let cases: [[UInt8]] = [
            [0x80],  // lone continuation byte
            [0xc0, 0xaf],  // overlong '/'
            [0xc1, 0xbf],  // overlong
            [0xe0, 0x80, 0xaf],  // overlong three-byte
            [0xed, 0xa0, 0x80],  // encoded surrogate U+D800
            [0xf0, 0x80, 0x80, 0xaf],  // overlong four-byte
            [0xf4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xf5, 0x80, 0x80, 0x80],  // invalid lead
            [0xff],
            [0xe2, 0x82],  // cut short
            [0xe2, 0x28, 0xa1],  // bad continuation
        ]
        for bad in cases {
            let bytes = Array(#"{"ok": "ab"#.utf8) + bad + Array(#"c"}"#.utf8)
            #expect(throws: JSONError.invalidUTF8(byteOffset: 10), "\(bad)") { try JSONValue.parse(bytes) }
        }
        // Outside a string a non-ASCII byte is simply not JSON.
        #expect(throws: JSONError.syntax(byteOffset: 0, reason: "unexpected character")) {
            try JSONValue.parse([0xc3, 0xa9])
        }
    }

    @Test func nestingIsLimited() throws {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONError.tooDeep(byteOffset: 32, limit: 32)) { try JSONValue.parse(deep, maxDepth: 32) }
        #expect(try JSONValue.parse(deep, maxDepth: 40) != .null)
        let hostile = Array(repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(throws: JSONError.tooDeep(byteOffset: JSONValue.defaultMaxDepth, limit: JSONValue.defaultMaxDepth)) {
            try JSONValue.parse(hostile)
        }
        let objects = String(repeating: #"{"a":"#, count: 200)
        #expect(throws: JSONError.tooDeep(byteOffset: 5 * 128, limit: 128)) { try JSONValue.parse(objects) }
    }

    @Test func errorsDescribeThemselves() {
        #expect(
            JSONError.syntax(byteOffset: 12, reason: "expected ',' or '}'").description
                == "invalid JSON at byte 12: expected ',' or '}'")
        #expect(JSONError.duplicateKey(key: "w", byteOffset: 3).reason == "duplicate key \"w\"")
        #expect(JSONError.tooDeep(byteOffset: 40, limit: 32).reason == "nesting deeper than 32 levels")
        #expect(JSONError.invalidUTF8(byteOffset: 7).byteOffset == 7)
        #expect(JSONError.numberOutOfRange(byteOffset: 0, text: "1e400").reason == "number 1e400 is out of range")
    }
}
