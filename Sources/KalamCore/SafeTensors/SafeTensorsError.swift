// The one error type of safetensors reading and writing. Every case names the file and, where it
// applies, the tensor key and the byte offset in the file, so a bad checkpoint can be found and fixed.

/// Why a safetensors file could not be read or written.
///
/// `file` is the path (or the name given to in-memory data); byte offsets count from the start of the
/// file (the 8-byte length prefix is bytes 0-7, the JSON header starts at byte 8).
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file is shorter than the 8-byte header length prefix.
    case tooShort(file: String, size: Int)
    /// The header length in bytes 0-7 points past the end of the file (or beyond the 100 MB limit).
    case headerLengthPastEnd(file: String, headerLength: UInt64, fileSize: Int)
    /// The header is not valid UTF-8.
    case headerNotUTF8(file: String)
    /// The header is not valid JSON; `byteOffset` is where parsing stopped.
    case invalidJSON(file: String, byteOffset: Int, reason: String)
    /// The header is JSON but not a valid safetensors header (`key` is nil for top-level problems).
    case invalidHeader(file: String, key: String?, reason: String)
    /// The same key appears twice in one JSON object of the header (or twice among written tensors).
    case duplicateKey(file: String, key: String)
    /// A tensor has a dtype this reader does not know.
    case unknownDType(file: String, key: String, dtype: String)
    /// A tensor's `data_offsets` are reversed or reach past the end of the data buffer.
    case offsetsOutOfRange(file: String, key: String, begin: UInt64, end: UInt64, bufferSize: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingOffsets(file: String, key: String, otherKey: String, byteOffset: Int)
    /// The tensors do not tile the data buffer: a gap before `key` (at `byteOffset`), or unused bytes
    /// after the last tensor (`key` is then the last tensor, or nil when there are no tensors).
    case notContiguous(file: String, key: String?, byteOffset: Int)
    /// Shape × dtype size disagrees with the byte count given by `data_offsets`.
    case byteCountMismatch(file: String, key: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    /// No tensor with this key is in the file.
    case missingTensor(file: String, key: String)
    /// The tensor's dtype cannot be converted to the requested element type.
    case unsupportedConversion(file: String, key: String, dtype: String, target: String)
    /// An integer tensor holds a value that does not fit the requested element type.
    case valueOutOfRange(file: String, key: String, index: Int)
    /// The destination buffer has a different number of elements than the tensor.
    case destinationSizeMismatch(key: String, expected: Int, actual: Int)
    /// A tensor to write has a shape whose element count differs from its data count.
    case shapeMismatch(key: String, shape: [Int], count: Int)
    /// Writing the file failed.
    case writeFailed(file: String, reason: String)

    /// A readable one-line description of the problem.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "safetensors \(file): cannot read the file: \(reason)"
        case let .tooShort(file, size):
            return "safetensors \(file): \(size) bytes is too short for the 8-byte header length"
        case let .headerLengthPastEnd(file, length, size):
            return
                "safetensors \(file): header length \(length) (bytes 0-7) reaches past the end of the \(size)-byte file or the 100 MB header limit"
        case let .headerNotUTF8(file):
            return "safetensors \(file): the header is not valid UTF-8"
        case let .invalidJSON(file, offset, reason):
            return "safetensors \(file): invalid JSON header at byte \(offset): \(reason)"
        case let .invalidHeader(file, key, reason):
            return "safetensors \(file): invalid header\(key.map { " at key '\($0)'" } ?? ""): \(reason)"
        case let .duplicateKey(file, key):
            return "safetensors \(file): key '\(key)' appears twice"
        case let .unknownDType(file, key, dtype):
            return "safetensors \(file): tensor '\(key)' has unknown dtype '\(dtype)'"
        case let .offsetsOutOfRange(file, key, begin, end, size):
            return
                "safetensors \(file): tensor '\(key)' data_offsets [\(begin), \(end)] are outside the \(size)-byte data buffer"
        case let .overlappingOffsets(file, key, other, offset):
            return "safetensors \(file): tensor '\(key)' overlaps tensor '\(other)' at file byte \(offset)"
        case let .notContiguous(file, key, offset):
            if let key {
                return "safetensors \(file): tensor data is not contiguous near tensor '\(key)' (file byte \(offset))"
            }
            return "safetensors \(file): unused bytes in the data buffer at file byte \(offset)"
        case let .byteCountMismatch(file, key, shape, dtype, expected, actual):
            return
                "safetensors \(file): tensor '\(key)' of shape \(shape) and dtype \(dtype) needs \(expected) bytes but data_offsets give \(actual)"
        case let .missingTensor(file, key):
            return "safetensors \(file): no tensor named '\(key)'"
        case let .unsupportedConversion(file, key, dtype, target):
            return "safetensors \(file): tensor '\(key)' of dtype \(dtype) cannot be read as \(target)"
        case let .valueOutOfRange(file, key, index):
            return "safetensors \(file): tensor '\(key)' element \(index) does not fit in the requested type"
        case let .destinationSizeMismatch(key, expected, actual):
            return "safetensors: tensor '\(key)' has \(expected) elements but the destination holds \(actual)"
        case let .shapeMismatch(key, shape, count):
            return "safetensors: tensor '\(key)' has shape \(shape) but \(count) values"
        case let .writeFailed(file, reason):
            return "safetensors \(file): write failed: \(reason)"
        }
    }
}
