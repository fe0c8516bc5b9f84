import Foundation
import KalamJSON

/// A model family's configuration: a `Codable` struct whose coding keys are the Hugging Face
/// `config.json` keys.
///
/// Decoding reads `config.json` with KalamJSON's strict parser (a duplicate key, invalid UTF-8 or a
/// malformed number is an error, and integers are never read through `Double`), fills absent optional
/// keys with transformers' defaults, checks `model_type` and validates the values, throwing a
/// ``ModelError`` that names the field. Use ``load(from:)`` or ``decode(json:file:)`` rather than a
/// bare `JSONDecoder`, so that the file is checked strictly and errors come back as ``ModelError``.
public protocol ModelConfiguration: Codable, Sendable {
    /// The `model_type` value of this family in `config.json` (`"gpt2"`, `"bert"`, `"t5"`).
    static var modelType: String { get }

    /// `architectures`: the transformers class names the checkpoint was saved from.
    var architectures: [String]? { get set }

    /// The keys holding floating-point values. They are written with a decimal point (`1.0`, not `1`),
    /// since transformers' strict configuration classes reject an integer where a float is declared.
    static var floatKeys: Set<String> { get }

    /// Checks every value against what Kalam implements; throws a ``ModelError`` naming the field.
    func validate() throws
}

extension ModelConfiguration {
    /// Reads a configuration from a `config.json` file, or from the `config.json` inside a model directory.
    public static func load(from url: URL) throws -> Self {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.fileNotFound(path: url.path)
        }
        let file = isDirectory.boolValue ? url.appendingPathComponent("config.json") : url
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ModelError.fileNotFound(path: file.path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw ModelError.fileNotFound(path: file.path)
        }
        return try decode(json: data, file: file.lastPathComponent)
    }

    /// Decodes a configuration from `config.json` bytes; `file` names the source in errors.
    public static func decode(json data: Data, file: String = "config.json") throws -> Self {
        let root: JSONValue
        do {
            root = try JSONValue.parse([UInt8](data))
        } catch let error as JSONError {
            throw ModelError.malformedConfig(file: file, reason: error.description)
        }
        guard case .object = root else {
            throw ModelError.malformedConfig(file: file, reason: "the top level is not a JSON object")
        }
        do {
            return try JSONValueDecoder().decode(Self.self, from: root)
        } catch let error as ModelError {
            throw error
        } catch let error as DecodingError {
            throw ModelError(decoding: error, file: file)
        }
    }

    /// The configuration as `config.json` bytes: pretty-printed with sorted keys, like transformers writes,
    /// with every float key written as a float (see ``floatKeys``).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(self), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            // A top-level scalar line: `  "key" : 1,` (JSONEncoder's pretty format).
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("\""), let close = trimmed.dropFirst().firstIndex(of: "\"") else {
                return String(line)
            }
            let key = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            guard Self.floatKeys.contains(key) else { return String(line) }
            var value = trimmed[trimmed.index(after: close)...].drop { $0 == " " || $0 == ":" }
            let comma = value.hasSuffix(",")
            if comma { value = value.dropLast() }
            guard !value.isEmpty, value.allSatisfy({ $0.isNumber || $0 == "-" }) else { return String(line) }
            let indent = line.prefix { $0 == " " }
            return "\(indent)\"\(key)\" : \(value).0\(comma ? "," : "")"
        }
        return Data(lines.joined(separator: "\n").utf8)
    }
}

extension ModelError {
    /// Translates a `DecodingError` into the field-naming ``ModelError`` cases.
    init(decoding error: DecodingError, file: String) {
        func path(_ context: DecodingError.Context, _ last: CodingKey? = nil) -> String {
            let keys = context.codingPath + (last.map { [$0] } ?? [])
            return keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            self = .missingField(field: path(context, key), file: file)
        case let .typeMismatch(type, context):
            self = .wrongType(
                field: path(context), expected: Self.jsonTypeName(type),
                found: Self.foundDescription(context), file: file)
        case let .valueNotFound(type, context):
            self = .wrongType(field: path(context), expected: Self.jsonTypeName(type), found: "null", file: file)
        case let .dataCorrupted(context):
            self = .malformedConfig(file: file, reason: "\(path(context)): \(context.debugDescription)")
        @unknown default:
            self = .malformedConfig(file: file, reason: "\(error)")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is Int32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "a boolean"
        case is String.Type: return "a string"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return name
        }
    }

    private static func foundDescription(_ context: DecodingError.Context) -> String {
        // Foundation phrases it "Expected to decode Int but found a string instead." on Linux and macOS.
        let text = context.debugDescription
        if let range = text.range(of: "but found ") {
            var rest = String(text[range.upperBound...])
            if rest.hasSuffix(" instead.") { rest.removeLast(" instead.".count) }
            return rest
        }
        return "another type"
    }
}

/// Decoding helpers shared by the configurations.
extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent or `null`.
    func decode<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// Checks `model_type` when present: a configuration of another family is a ``ModelError/wrongFamily(expected:found:)``.
    func checkModelType(_ key: Key, expected: String) throws {
        if let found = try decodeIfPresent(String.self, forKey: key), found != expected {
            throw ModelError.wrongFamily(expected: expected, found: "model_type \"\(found)\"")
        }
    }
}

/// Validation helpers shared by the configurations.
/// Class labels as `config.json` keeps them: `id2label` maps a class index, written as a string, to its
/// name. Shared by every family's configuration.
enum ClassLabels {
    /// `id2label` for `names` in order.
    static func map(_ names: [String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: names.enumerated().map { (String($0.offset), $0.element) })
    }

    /// The names of classes `0..<count` (`LABEL_<i>` where `id2label` has none).
    static func names(_ id2label: [String: String]?, count: Int) -> [String] {
        (0..<count).map { id2label?[String($0)] ?? "LABEL_\($0)" }
    }

    /// `label2id`: each name's index.
    static func inverse(_ id2label: [String: String]) -> [String: Int] {
        Dictionary(id2label.compactMap { key, name in Int(key).map { (name, $0) } }, uniquingKeysWith: { a, _ in a })
    }

    /// Throws unless the keys are exactly `0..<count` and there is at least one.
    static func validate(_ id2label: [String: String], field: String) throws {
        for index in 0..<id2label.count where id2label[String(index)] == nil {
            throw ModelError.invalidValue(
                field: field, value: "\(id2label.keys.sorted())", reason: "keys must be 0..<\(id2label.count)")
        }
        if id2label.isEmpty { throw ModelError.invalidValue(field: field, value: "{}", reason: "no labels") }
    }
}

enum ConfigCheck {
    /// Throws unless `value > 0`.
    static func positive(_ value: Int, _ field: String) throws {
        if value <= 0 { throw ModelError.invalidValue(field: field, value: "\(value)", reason: "must be positive") }
    }

    /// Throws unless the token id (when set) is in `0...Int32.max`, the range of the int32 token
    /// tensors, so that converting it with `Int32(_:)` later cannot trap.
    static func tokenId(_ value: Int?, _ field: String) throws {
        if let value, !(0...Int(Int32.max)).contains(value) {
            throw ModelError.invalidValue(
                field: field, value: "\(value)", reason: "a token id must be in 0...\(Int32.max)")
        }
    }

    /// Throws unless `value >= 0`.
    static func nonNegative(_ value: Double, _ field: String) throws {
        if !(value >= 0) {
            throw ModelError.invalidValue(field: field, value: "\(value)", reason: "must not be negative")
        }
    }

    /// Throws unless `0 <= value < 1` (a dropout probability).
    static func probability(_ value: Double, _ field: String) throws {
        if !(value >= 0 && value < 1) {
            throw ModelError.invalidValue(field: field, value: "\(value)", reason: "must be in [0, 1)")
        }
    }

    /// Throws when a feature flag Kalam does not implement is switched away from its supported value.
    static func flag(_ value: Bool, _ field: String, supported: Bool) throws {
        if value != supported {
            throw ModelError.unsupportedValue(field: field, value: "\(value)", supported: ["\(supported)"])
        }
    }
}
