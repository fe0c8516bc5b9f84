// Writing safetensors files the way the Hugging Face library does: `__metadata__` first, tensors
// ordered by dtype (widest first) then by name, the header padded with spaces to a multiple of 8
// bytes, and the file written to a temporary name in the same folder and renamed into place.

import Foundation
import KalamFiles

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writing safetensors files (reading is ``SafeTensorsFile``).
///
/// ```swift
/// try SafeTensors.write([(name: "w", shape: [2, 3], data: values)], metadata: ["format": "pt"], to: url)
/// ```
public enum SafeTensors {
    /// One tensor to write: its key, dtype, shape, and raw little-endian bytes.
    public struct TensorData: Sendable, Equatable {
        /// The key, e.g. `h.0.attn.c_attn.weight`.
        public let name: String
        /// The element type the bytes hold.
        public let dtype: SafeTensorsDType
        /// The shape (empty for a scalar).
        public let shape: [Int]
        /// The elements, little-endian, row-major.
        public let bytes: [UInt8]

        /// A tensor from raw little-endian bytes (checked against shape and dtype when written).
        public init(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// A float32 tensor.
        public static func float32(name: String, shape: [Int], values: [Float]) -> TensorData {
            var bytes = [UInt8]()
            bytes.reserveCapacity(values.count * 4)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            return TensorData(name: name, dtype: .float32, shape: shape, bytes: bytes)
        }

        /// An int32 tensor (token ids, masks).
        public static func int32(name: String, shape: [Int], values: [Int32]) -> TensorData {
            var bytes = [UInt8]()
            bytes.reserveCapacity(values.count * 4)
            for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
            return TensorData(name: name, dtype: .int32, shape: shape, bytes: bytes)
        }
    }

    /// Writes float32 tensors and `metadata` to `url` atomically (temporary file, then rename).
    ///
    /// Throws ``SafeTensorsError/shapeMismatch(key:shape:count:)`` when a shape does not match its
    /// data, ``SafeTensorsError/duplicateKey(file:key:)`` for a repeated name, and
    /// ``SafeTensorsError/writeFailed(file:reason:)`` when the file system refuses.
    public static func write(
        _ entries: [(name: String, shape: [Int], data: [Float])],
        metadata: [String: String] = [:], to url: URL
    ) throws {
        let tensors = entries.map { TensorData.float32(name: $0.name, shape: $0.shape, values: $0.data) }
        try write(tensors: tensors, metadata: metadata, to: url)
    }

    /// Writes tensors of any dtype and `metadata` to `url` atomically.
    public static func write(tensors: [TensorData], metadata: [String: String] = [:], to url: URL) throws {
        let bytes = try serialize(tensors: tensors, metadata: metadata, file: url.path)
        try writeAtomically(bytes, to: url)
    }

    /// The bytes of a safetensors file holding float32 `entries` and `metadata`.
    public static func serialize(
        _ entries: [(name: String, shape: [Int], data: [Float])], metadata: [String: String] = [:]
    ) throws -> [UInt8] {
        try serialize(
            tensors: entries.map { TensorData.float32(name: $0.name, shape: $0.shape, values: $0.data) },
            metadata: metadata)
    }

    /// The bytes of a safetensors file holding `tensors` and `metadata`, laid out as the Hugging Face
    /// library lays them out: byte-identical to its output when `metadata` has at most one key (it writes
    /// metadata keys in hash order, which varies from run to run; Kalam sorts them by UTF-8 bytes).
    public static func serialize(
        tensors: [TensorData], metadata: [String: String] = [:], file: String = "<memory>"
    ) throws -> [UInt8] {
        var seen = Set<String>()
        for t in tensors {
            guard t.name != "__metadata__" else {
                throw SafeTensorsError.invalidHeader(
                    file: file, key: t.name, reason: "a tensor cannot be named __metadata__")
            }
            guard seen.insert(t.name).inserted else { throw SafeTensorsError.duplicateKey(file: file, key: t.name) }
            var count = 1
            for d in t.shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard d >= 0, !overflow else {
                    throw SafeTensorsError.shapeMismatch(key: t.name, shape: t.shape, count: -1)
                }
                count = p
            }
            guard count * t.dtype.byteSize == t.bytes.count else {
                throw SafeTensorsError.shapeMismatch(
                    key: t.name, shape: t.shape, count: t.bytes.count / t.dtype.byteSize)
            }
        }
        // Widest dtype first (the reference orders by its dtype enum, descending), then by name bytes.
        let rank = Dictionary(uniqueKeysWithValues: SafeTensorsDType.allCases.enumerated().map { ($1, $0) })
        let ordered = tensors.sorted { a, b in
            let (ra, rb) = (rank[a.dtype]!, rank[b.dtype]!)
            if ra != rb { return ra > rb }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            header += keys.map { jsonString($0) + ":" + jsonString(metadata[$0]!) }.joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for t in ordered {
            if !first { header += "," }
            first = false
            let shape = t.shape.map(String.init).joined(separator: ",")
            header += "\(jsonString(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],"
            header += "\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}"
            offset += t.bytes.count
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for t in ordered { out.append(contentsOf: t.bytes) }
        return out
    }

    /// A JSON string literal escaped as serde_json escapes it.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Writes `bytes` to `url` with ``AtomicFile``: readers see either the old file or the complete new one.
    public static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        do {
            try bytes.withUnsafeBytes { try AtomicFile.write(bytes: $0, to: url) }
        } catch let error as FileWriteError {
            throw SafeTensorsError.writeFailed(file: error.path, reason: error.reason)
        }
    }
}
