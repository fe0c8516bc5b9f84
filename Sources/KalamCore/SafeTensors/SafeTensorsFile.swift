// Reading safetensors files: the 8-byte little-endian header length, the JSON header, and the data
// buffer, with every field checked before any tensor byte is touched.

import Foundation
import KalamJSON

/// One tensor described by a safetensors header.
public struct SafeTensorsEntry: Sendable, Equatable, Hashable {
    /// The tensor's key, e.g. `h.0.attn.c_attn.weight`.
    public let name: String
    /// The stored element type.
    public let dtype: SafeTensorsDType
    /// The shape (empty for a scalar).
    public let shape: [Int]
    /// The number of elements (the product of `shape`; 1 for a scalar).
    public let elementCount: Int
    /// Where the tensor's bytes start, counted from the start of the file.
    public let byteOffset: Int
    /// How many bytes the tensor occupies.
    public let byteCount: Int
}

/// A safetensors file opened for reading (memory-mapped where the platform allows).
///
/// Opening checks the whole header: the length prefix, UTF-8 and JSON validity, duplicate keys, known
/// dtypes, that every shape matches its byte count, and that the tensors tile the data buffer exactly
/// (no gaps, overlaps or trailing bytes), so reading a tensor afterwards cannot go out of bounds.
/// Every failure is a ``SafeTensorsError``.
///
/// ```swift
/// let file = try SafeTensorsFile(contentsOf: url)
/// let weight = try file.floats("wte.weight")   // F32, F16, BF16 or F64, as Float
/// ```
public struct SafeTensorsFile: Sendable {
    /// The largest header accepted, as in the reference implementation (100 MB).
    public static let maxHeaderLength: UInt64 = 100_000_000
    /// The deepest nesting of JSON arrays and objects accepted in a header (a valid one nests 3 deep).
    public static let maxHeaderDepth = 32

    /// The path of the file (or the name given to in-memory data), used in errors.
    public let file: String
    /// The free-form `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// The tensors in the order of their bytes in the file.
    public let entries: [SafeTensorsEntry]
    private let index: [String: Int]
    private let data: Data

    /// Opens and validates the safetensors file at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError.unreadable(file: url.path, reason: "\(error)")
        }
        try self.init(data: data, name: url.path)
    }

    /// Validates safetensors bytes held in memory; `name` stands for the file in errors.
    public init(data: Data, name: String = "<memory>") throws {
        self.file = name
        self.data = data
        let size = data.count
        guard size >= 8 else { throw SafeTensorsError.tooShort(file: name, size: size) }
        let headerLength: UInt64 = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= Self.maxHeaderLength, headerLength <= UInt64(size - 8) else {
            throw SafeTensorsError.headerLengthPastEnd(file: name, headerLength: headerLength, fileSize: size)
        }
        let dataStart = 8 + Int(headerLength)
        let header: [UInt8] = data.withUnsafeBytes { Array($0[8..<dataStart]) }
        guard Self.isValidUTF8(header) else { throw SafeTensorsError.headerNotUTF8(file: name) }
        let json: JSONValue
        do {
            json = try JSONValue.parse(header, maxDepth: Self.maxHeaderDepth)
        } catch let error as JSONError {
            if case let .duplicateKey(key, _) = error { throw SafeTensorsError.duplicateKey(file: name, key: key) }
            // Offsets in the header count from byte 8 of the file.
            throw SafeTensorsError.invalidJSON(file: name, byteOffset: 8 + error.byteOffset, reason: error.reason)
        }
        guard case let .object(members) = json else {
            throw SafeTensorsError.invalidHeader(
                file: name, key: nil, reason: "the header is \(json.kindName), not an object")
        }
        let bufferSize = size - dataStart
        var metadata: [String: String] = [:]
        var parsed: [(entry: SafeTensorsEntry, begin: Int, end: Int)] = []
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try Self.parseMetadata(value, file: name)
                continue
            }
            parsed.append(
                try Self.parseEntry(key: key, value: value, file: name, dataStart: dataStart, bufferSize: bufferSize))
        }
        // The tensors must tile the data buffer: sorted by offset, each starts where the last ended.
        parsed.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        var previous: String?
        for item in parsed {
            if item.begin < cursor, let previous {
                throw SafeTensorsError.overlappingOffsets(
                    file: name, key: item.entry.name, otherKey: previous, byteOffset: dataStart + item.begin)
            }
            if item.begin > cursor {
                throw SafeTensorsError.notContiguous(file: name, key: item.entry.name, byteOffset: dataStart + cursor)
            }
            cursor = item.end
            previous = item.entry.name
        }
        if cursor != bufferSize {
            throw SafeTensorsError.notContiguous(file: name, key: previous, byteOffset: dataStart + cursor)
        }
        self.metadata = metadata
        self.entries = parsed.map(\.entry)
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() { index[entry.name] = i }
        self.index = index
    }

    /// The tensor keys in file order.
    public var names: [String] { entries.map(\.name) }

    /// The entry named `name`, or nil.
    public subscript(name: String) -> SafeTensorsEntry? {
        index[name].map { entries[$0] }
    }

    /// The entry named `name`; throws ``SafeTensorsError/missingTensor(file:key:)`` when absent.
    public func entry(_ name: String) throws -> SafeTensorsEntry {
        guard let i = index[name] else { throw SafeTensorsError.missingTensor(file: file, key: name) }
        return entries[i]
    }

    /// The tensor's raw little-endian bytes.
    public func rawBytes(_ name: String) throws -> Data {
        let e = try entry(name)
        return data.withUnsafeBytes { Data($0[e.byteOffset..<(e.byteOffset + e.byteCount)]) }
    }

    /// The tensor's values as `Float` (from F32, F16, BF16 or F64), in row-major order.
    public func floats(_ name: String) throws -> [Float] {
        let e = try entry(name)
        guard e.dtype.isFloatReadable else {
            throw SafeTensorsError.unsupportedConversion(
                file: file, key: name, dtype: e.dtype.rawValue, target: "Float")
        }
        return try [Float](unsafeUninitializedCapacity: e.elementCount) { buffer, initialized in
            try copyFloats(name, into: buffer)
            initialized = e.elementCount
        }
    }

    /// Converts the tensor to `Float` into `destination`, which must hold exactly its element count.
    public func copyFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let e = try entry(name)
        guard e.dtype.isFloatReadable else {
            throw SafeTensorsError.unsupportedConversion(
                file: file, key: name, dtype: e.dtype.rawValue, target: "Float")
        }
        guard destination.count == e.elementCount else {
            throw SafeTensorsError.destinationSizeMismatch(
                key: name, expected: e.elementCount, actual: destination.count)
        }
        guard e.elementCount > 0 else { return }
        data.withUnsafeBytes { raw in
            let source = UnsafeRawBufferPointer(rebasing: raw[e.byteOffset..<(e.byteOffset + e.byteCount)])
            switch e.dtype {
            case .float32:
                #if _endian(little)
                    UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
                #else
                    for i in 0..<e.elementCount {
                        destination[i] = Float(
                            bitPattern: UInt32(
                                littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                #endif
            case .float16:
                HalfFloat.widenFloat16(source, into: destination)
            case .bfloat16:
                HalfFloat.widenBFloat16(source, into: destination)
            default:  // .float64
                for i in 0..<e.elementCount {
                    let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    destination[i] = Float(Double(bitPattern: bits))
                }
            }
        }
    }

    /// The tensor's values as `Int32` (from any integer dtype or BOOL), for token ids and masks.
    /// Throws ``SafeTensorsError/valueOutOfRange(file:key:index:)`` for a value outside `Int32`.
    public func int32s(_ name: String) throws -> [Int32] {
        let e = try entry(name)
        guard e.dtype.isIntegerReadable else {
            throw SafeTensorsError.unsupportedConversion(
                file: file, key: name, dtype: e.dtype.rawValue, target: "Int32")
        }
        let file = self.file
        return try data.withUnsafeBytes { raw -> [Int32] in
            let s = UnsafeRawBufferPointer(rebasing: raw[e.byteOffset..<(e.byteOffset + e.byteCount)])
            var out = [Int32]()
            out.reserveCapacity(e.elementCount)
            for i in 0..<e.elementCount {
                let wide: Int64
                switch e.dtype {
                case .bool: wide = s[i] == 0 ? 0 : 1
                case .uint8: wide = Int64(s[i])
                case .int8: wide = Int64(Int8(bitPattern: s[i]))
                case .int16: wide = Int64(Int16(littleEndian: s.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                case .uint16:
                    wide = Int64(UInt16(littleEndian: s.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                case .int32: wide = Int64(Int32(littleEndian: s.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case .uint32:
                    wide = Int64(UInt32(littleEndian: s.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case .int64: wide = Int64(littleEndian: s.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                default:  // .uint64
                    let u = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    wide = u > UInt64(Int32.max) ? Int64.max : Int64(u)
                }
                guard let narrow = Int32(exactly: wide) else {
                    throw SafeTensorsError.valueOutOfRange(file: file, key: e.name, index: i)
                }
                out.append(narrow)
            }
            return out
        }
    }

    // MARK: Header parsing

    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws -> [String: String] {
        switch value {
        case .null:
            return [:]
        case let .object(members):
            var map: [String: String] = [:]
            for (key, value) in members {
                guard case let .string(text) = value else {
                    throw SafeTensorsError.invalidHeader(
                        file: file, key: "__metadata__",
                        reason: "value of '\(key)' is \(value.kindName), not a string")
                }
                map[key] = text
            }
            return map
        default:
            throw SafeTensorsError.invalidHeader(
                file: file, key: "__metadata__", reason: "is \(value.kindName), not an object")
        }
    }

    /// An integer literal that fits `UInt64` (not `2.0`, not `1e3`: the reference reader takes neither).
    private static func nonNegativeInteger(_ value: JSONValue) -> UInt64? {
        switch value {
        case .int, .bigInteger: return value.integer(as: UInt64.self)
        default: return nil
        }
    }

    private static func parseEntry(
        key: String, value: JSONValue, file: String, dataStart: Int, bufferSize: Int
    ) throws -> (entry: SafeTensorsEntry, begin: Int, end: Int) {
        func bad(_ reason: String) -> SafeTensorsError { .invalidHeader(file: file, key: key, reason: reason) }
        guard case let .object(fields) = value else {
            throw bad("the entry is \(value.kindName), not an object")
        }
        var dtypeText: String?
        var shapeValue: [JSONValue]?
        var offsetsValue: [JSONValue]?
        for (field, fieldValue) in fields {
            switch field {
            case "dtype":
                guard case let .string(text) = fieldValue else {
                    throw bad("dtype is \(fieldValue.kindName), not a string")
                }
                dtypeText = text
            case "shape":
                guard case let .array(items) = fieldValue else {
                    throw bad("shape is \(fieldValue.kindName), not an array")
                }
                shapeValue = items
            case "data_offsets":
                guard case let .array(items) = fieldValue else {
                    throw bad("data_offsets is \(fieldValue.kindName), not an array")
                }
                offsetsValue = items
            default:
                continue  // unknown fields are ignored, as by the reference reader
            }
        }
        guard let dtypeText else { throw bad("missing dtype") }
        guard let shapeValue else { throw bad("missing shape") }
        guard let offsetsValue else { throw bad("missing data_offsets") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeText) else {
            throw SafeTensorsError.unknownDType(file: file, key: key, dtype: dtypeText)
        }
        var shape: [Int] = []
        var count = 1
        for item in shapeValue {
            guard let dim = nonNegativeInteger(item), dim <= UInt64(Int.max) else {
                throw bad("shape entries must be non-negative integers")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dim))
            guard !overflow else { throw bad("shape has too many elements") }
            shape.append(Int(dim))
            count = product
        }
        guard offsetsValue.count == 2, let begin = nonNegativeInteger(offsetsValue[0]),
            let end = nonNegativeInteger(offsetsValue[1])
        else { throw bad("data_offsets must be two non-negative integers") }
        guard begin <= end, end <= UInt64(bufferSize) else {
            throw SafeTensorsError.offsetsOutOfRange(
                file: file, key: key, begin: begin, end: end, bufferSize: bufferSize)
        }
        let actual = Int(end - begin)
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, expected == actual else {
            throw SafeTensorsError.byteCountMismatch(
                file: file, key: key, shape: shape, dtype: dtype.rawValue,
                expectedBytes: overflow ? Int.max : expected, actualBytes: actual)
        }
        let entry = SafeTensorsEntry(
            name: key, dtype: dtype, shape: shape, elementCount: count,
            byteOffset: dataStart + Int(begin), byteCount: actual)
        return (entry, Int(begin), Int(end))
    }
}
