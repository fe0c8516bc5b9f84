import Testing

@testable import KalamJSON

@Suite struct JSONValueDecoderTests {
    struct Config: Decodable, Equatable {
        var name: String
        var layers: Int
        var eps: Double
        var ratio: Float
        var tokenId: Int32?
        var flags: [Bool]
        var labels: [String: Int]
        var nested: Nested?

        struct Nested: Decodable, Equatable { var id: UInt64 }

        enum CodingKeys: String, CodingKey {
            case name, layers, eps, ratio, flags, labels, nested
            case tokenId = "token_id"
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONValueDecoder().decode(type, from: JSONValue.parse(text))
    }

    /// The coding path of a decoding error, joined like `a.0.b`.
    static func path(_ error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case let .keyNotFound(key, c): return (c.codingPath + [key]).map(\.stringValue).joined(separator: ".")
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .dataCorrupted(c): context = c
        @unknown default: return "?"
        }
        return context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    @Test func decodesNestedValues() throws {
        let text = #"""
            {"name": "gpt", "layers": 2, "eps": 1e-5, "ratio": 1, "token_id": 7, "flags": [true, false],
             "labels": {"a": 0, "b": 1}, "nested": {"id": 18446744073709551615}}
            """#
        let config = try Self.decode(Config.self, text)
        #expect(
            config
                == Config(
                    name: "gpt", layers: 2, eps: 1e-5, ratio: 1, tokenId: 7, flags: [true, false],
                    labels: ["a": 0, "b": 1], nested: .init(id: .max)))
        let sparse = try Self.decode(
            Config.self,
            #"{"name": "", "layers": 2.0, "eps": 0, "ratio": 0.5, "token_id": null, "flags": [], "labels": {}}"#)
        #expect(sparse.tokenId == nil && sparse.nested == nil && sparse.layers == 2)
        #expect(try Self.decode([Int?].self, "[1, null, 3]") == [1, nil, 3])
        #expect(try Self.decode(String.self, #""top""#) == "top")
    }

    @Test func numbersConvertOnlyWhenExact() throws {
        #expect(try Self.decode(Int8.self, "-128") == -128)
        #expect(try Self.decode(Double.self, "12345678901234567890123") == 1.2345678901234568e22)
        for (type, text): (any Decodable.Type, String) in [
            (Int32.self, "4294967296"), (UInt8.self, "-1"), (Int.self, "18446744073709551616"),
            (Float.self, "1e39"), (Int64.self, "1e19"),
        ] {
            do {
                _ = try JSONValueDecoder().decode(type, from: JSONValue.parse(text))
                Issue.record("\(text) decoded as \(type)")
            } catch let DecodingError.dataCorrupted(context) {
                #expect(context.debugDescription == "Number \(try JSONValue.parse(text)) does not fit in \(type).")
            }
        }
        do {
            _ = try Self.decode(Int.self, "4.5")
            Issue.record("4.5 decoded as Int")
        } catch let DecodingError.typeMismatch(_, context) {
            #expect(
                context.debugDescription == "Expected to decode Int but found a number with a fraction (4.5) instead.")
        }
    }

    @Test func errorsNameThePathLikeFoundation() throws {
        let base = #""name": "x", "layers": 1, "eps": 0, "ratio": 0"#
        do {
            _ = try Self.decode(Config.self, "{\(base), \"flags\": [], \"labels\": {}, \"token_id\": 4294967296}")
            Issue.record("an out-of-range token id decoded")
        } catch let error as DecodingError {
            #expect(Self.path(error) == "token_id")
        }
        do {
            _ = try Self.decode(Config.self, #"{"name": "x", "layers": "2"}"#)
            Issue.record("a string layer count decoded")
        } catch let DecodingError.typeMismatch(type, context) {
            #expect(type == Int.self)
            #expect(context.codingPath.map(\.stringValue) == ["layers"])
            #expect(context.debugDescription == "Expected to decode Int but found a string instead.")
        }
        do {
            _ = try Self.decode(Config.self, #"{"layers": 2}"#)
            Issue.record("a missing name decoded")
        } catch let DecodingError.keyNotFound(key, _) {
            #expect(key.stringValue == "name")
        }
        do {
            _ = try Self.decode(Config.self, #"{"name": null}"#)
            Issue.record("a null name decoded")
        } catch let DecodingError.valueNotFound(_, context) {
            #expect(context.debugDescription == "Expected String value but found null instead.")
        }
        do {
            _ = try Self.decode(Config.self, "{\(base), \"labels\": {}, \"flags\": [true, 1]}")
            Issue.record("a number in a Bool array decoded")
        } catch let error as DecodingError {
            #expect(Self.path(error) == "flags.1")
        }
        do {
            _ = try Self.decode(Config.self, "{\(base), \"flags\": [], \"labels\": {\"a\": \"0\"}}")
            Issue.record("a string label id decoded")
        } catch let error as DecodingError {
            #expect(Self.path(error) == "labels.a")
        }
        do {
            _ = try Self.decode(Config.self, "[1]")
            Issue.record("an array decoded as an object")
        } catch let DecodingError.typeMismatch(_, context) {
            #expect(context.debugDescription.hasSuffix("but found an array instead."))
        }
    }
}
