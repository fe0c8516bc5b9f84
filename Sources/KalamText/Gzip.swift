import CZlib
import Foundation

/// Why gzip data could not be decompressed.
public enum GzipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data does not start with the gzip magic bytes `1f 8b`.
    case notGzip
    /// The data ended before the gzip stream did; `byteOffset` is the length of the data.
    case truncated(byteOffset: Int)
    /// zlib rejected the stream (a bad header, block, back-reference, CRC-32 or length) near `byteOffset`.
    case corrupt(byteOffset: Int, reason: String)
    /// The decompressed data would be larger than `limit` bytes.
    case tooLarge(limit: Int)
    /// zlib failed for a reason unrelated to the data (`code` is its return code, e.g. out of memory).
    case zlibFailure(code: Int32)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .notGzip: return "not a gzip stream (no 1f 8b header)"
        case .truncated(let offset): return "compressed data ends early (at byte \(offset))"
        case let .corrupt(offset, reason): return "corrupt gzip data near byte \(offset): \(reason)"
        case .tooLarge(let limit): return "gzip data decompresses to more than \(limit) bytes"
        case .zlibFailure(let code): return "zlib failed with code \(code)"
        }
    }
}

/// gzip (RFC 1952) decompression through the system zlib.
///
/// Used for compressed files in installed packages, such as `denckring-en-pos`'s `tagger.json.gz`.
/// Concatenated members are decoded one after another, as `gunzip` does; zlib checks each member's
/// CRC-32 and length. The output is bounded, so a hostile file cannot exhaust memory.
public enum Gzip {
    /// The default bound on decompressed size: 1 GiB.
    public static let defaultOutputLimit = 1 << 30

    /// Whether `data` starts with the gzip magic bytes.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// Decompresses gzip data (one or more members); throws ``GzipError`` when it is not gzip, is cut
    /// short or corrupt, or would decompress to more than `outputLimit` bytes.
    public static func decompress(_ data: Data, outputLimit: Int = defaultOutputLimit) throws -> Data {
        guard data.count >= 2 else { throw GzipError.truncated(byteOffset: data.count) }
        guard isGzip(data) else { throw GzipError.notGzip }
        return try data.withUnsafeBytes { raw in
            try inflateMembers(raw.bindMemory(to: UInt8.self), outputLimit: outputLimit)
        }
    }

    private static func inflateMembers(_ input: UnsafeBufferPointer<UInt8>, outputLimit: Int) throws -> Data {
        var stream = z_stream()
        let initStatus = kalam_inflate_init_gzip(&stream)
        guard initStatus == Z_OK else { throw GzipError.zlibFailure(code: initStatus) }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var fed = 0  // input bytes handed to zlib so far
        while true {
            if stream.avail_in == 0, fed < input.count, let base = input.baseAddress {
                // avail_in is 32 bits: feed at most 1 GiB at a time.
                let count = min(input.count - fed, 1 << 30)
                stream.next_in = UnsafeMutablePointer(mutating: base + fed)
                stream.avail_in = uInt(count)
                fed += count
            }
            let status = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunk.count - Int(stream.avail_out)
            let position = fed - Int(stream.avail_in)
            guard produced <= outputLimit - output.count else { throw GzipError.tooLarge(limit: outputLimit) }
            output.append(chunk, count: produced)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                if position == input.count { return output }
                // Another member follows, or trailing bytes that are not gzip.
                guard input.count - position >= 2, input[position] == 0x1f, input[position + 1] == 0x8b else {
                    throw GzipError.corrupt(byteOffset: position, reason: "data after the end of the gzip stream")
                }
                let resetStatus = inflateReset(&stream)
                guard resetStatus == Z_OK else { throw GzipError.zlibFailure(code: resetStatus) }
            case Z_BUF_ERROR where stream.avail_in == 0 && fed == input.count:
                throw GzipError.truncated(byteOffset: input.count)
            case Z_DATA_ERROR, Z_NEED_DICT:
                let reason = stream.msg.map { String(cString: $0) } ?? "invalid data"
                throw GzipError.corrupt(byteOffset: position, reason: reason)
            default:
                throw GzipError.zlibFailure(code: status)
            }
        }
    }
}
