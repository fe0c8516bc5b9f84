// Decodable types read from a parsed JSONValue, so that files checked by the strict parser can keep
// their Codable structs. Numbers convert only when exact: an integer field takes an integer (or an
// integral number such as 2.0) that fits its type; a float field takes any number that stays finite.

/// Decodes `Decodable` values from a ``JSONValue``, throwing Swift's `DecodingError` with the coding
/// path, phrased as Foundation's `JSONDecoder` phrases it ("Expected to decode Int but found a string
/// instead.").
///
/// ```swift
/// let config = try JSONValueDecoder().decode(GPT2Config.self, from: JSONValue.parse(bytes))
/// ```
public struct JSONValueDecoder: Sendable {
    /// A decoder.
    public init() {}

    /// Decodes a value of type `T` from `value`.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try ValueDecoder(value: value, codingPath: []).unbox(value, as: T.self, path: [])
    }
}

/// An array position in a coding path.
private struct IndexKey: CodingKey {
    let intValue: Int?
    let stringValue: String
    init(_ index: Int) {
        intValue = index
        stringValue = "Index \(index)"
    }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.init(intValue) }
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case let .object(pairs) = value else { throw mismatch([String: JSONValue].self, value, codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(pairs: pairs, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case let .array(items) = value else { throw mismatch([JSONValue].self, value, codingPath) }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { SingleValueContainer(decoder: self) }

    /// `value` as a `T`: the JSON scalars directly, anything else through `T.init(from:)`.
    func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, path: [CodingKey]) throws -> T {
        if T.self == Bool.self {
            guard case let .bool(b) = value else { throw mismatch(T.self, value, path) }
            return b as! T
        }
        if T.self == String.self {
            guard case let .string(s) = value else { throw mismatch(T.self, value, path) }
            return s as! T
        }
        if T.self == Double.self || T.self == Float.self {
            guard let d = value.doubleValue else { throw mismatch(T.self, value, path) }
            if T.self == Float.self {
                let f = Float(d)
                guard f.isFinite else { throw outOfRange(value, T.self, path) }
                return f as! T
            }
            guard d.isFinite else { throw outOfRange(value, T.self, path) }
            return d as! T
        }
        if let integerType = T.self as? any FixedWidthInteger.Type {
            return try integer(value, as: integerType, path: path) as! T
        }
        return try T(from: ValueDecoder(value: value, codingPath: path))
    }

    private func integer<I: FixedWidthInteger>(_ value: JSONValue, as type: I.Type, path: [CodingKey]) throws -> I {
        switch value {
        case .int, .bigInteger:
            guard let v = value.integer(as: I.self) else { throw outOfRange(value, I.self, path) }
            return v
        case let .double(d):
            guard d.rounded(.towardZero) == d else {
                throw DecodingError.typeMismatch(
                    I.self,
                    .init(
                        codingPath: path,
                        debugDescription:
                            "Expected to decode \(I.self) but found a number with a fraction (\(d)) instead."
                    ))
            }
            guard let v = value.integer(as: I.self) else { throw outOfRange(value, I.self, path) }
            return v
        default:
            throw mismatch(I.self, value, path)
        }
    }
}

/// A type mismatch, or `valueNotFound` when the value is `null`.
private func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [CodingKey]) -> DecodingError {
    if value.isNull {
        return .valueNotFound(
            type, .init(codingPath: path, debugDescription: "Expected \(type) value but found null instead."))
    }
    return .typeMismatch(
        type,
        .init(codingPath: path, debugDescription: "Expected to decode \(type) but found \(value.kindName) instead."))
}

private func outOfRange(_ value: JSONValue, _ type: Any.Type, _ path: [CodingKey]) -> DecodingError {
    .dataCorrupted(.init(codingPath: path, debugDescription: "Number \(value) does not fit in \(type)."))
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let values: [String: JSONValue]
    let keys: [String]
    let codingPath: [CodingKey]

    init(pairs: [(String, JSONValue)], codingPath: [CodingKey]) {
        // The parser rejects duplicate keys; a value built by hand keeps the first.
        values = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        keys = pairs.map(\.0)
        self.codingPath = codingPath
    }

    var allKeys: [Key] { keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }

    private func value(_ key: Key) throws -> JSONValue {
        guard let value = values[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue).")
            )
        }
        return value
    }

    private func decoder(_ key: Key) throws -> ValueDecoder {
        ValueDecoder(value: try value(key), codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key).isNull }

    private func read<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        let decoder = try decoder(key)
        return try decoder.unbox(decoder.value, as: T.self, path: decoder.codingPath)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try read(type, key) }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try read(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try read(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try read(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try read(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try read(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try read(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try read(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try read(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try read(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try read(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try read(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try read(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try read(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try read(type, key) }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try decoder(key).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        ValueDecoder(value: .object(keys.compactMap { k in values[k].map { (k, $0) } }), codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> Decoder { try decoder(key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [CodingKey]
    private(set) var currentIndex = 0

    init(items: [JSONValue], codingPath: [CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next(_ type: Any.Type) throws -> ValueDecoder {
        let path = codingPath + [IndexKey(currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: path, debugDescription: "Unkeyed container is at end."))
        }
        defer { currentIndex += 1 }
        return ValueDecoder(value: items[currentIndex], codingPath: path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any?.self,
                .init(
                    codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "Unkeyed container is at end.")
            )
        }
        if items[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    private mutating func read<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = try next(T.self)
        return try decoder.unbox(decoder.value, as: T.self, path: decoder.codingPath)
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try read(type) }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try read(type) }
    mutating func decode(_ type: String.Type) throws -> String { try read(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try read(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try read(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try read(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try read(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try read(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try read(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try read(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try read(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try read(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try read(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try read(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try read(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try next([String: JSONValue].self).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        try next([JSONValue].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder { try next(JSONValue.self) }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let decoder: ValueDecoder
    var codingPath: [CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.value.isNull }

    private func read<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.unbox(decoder.value, as: T.self, path: decoder.codingPath)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try read(type) }

    func decode(_ type: Bool.Type) throws -> Bool { try read(type) }
    func decode(_ type: String.Type) throws -> String { try read(type) }
    func decode(_ type: Double.Type) throws -> Double { try read(type) }
    func decode(_ type: Float.Type) throws -> Float { try read(type) }
    func decode(_ type: Int.Type) throws -> Int { try read(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try read(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try read(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try read(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try read(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try read(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try read(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try read(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try read(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try read(type) }
}
