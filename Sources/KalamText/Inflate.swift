import Foundation

/// Why a gzip or DEFLATE stream could not be decoded.
public enum InflateError: Error, Equatable, CustomStringConvertible {
    /// The data ended before the stream did; `offset` is the byte where more was needed.
    case truncated(offset: Int)
    /// The gzip header is not `1f 8b` followed by method 8 (DEFLATE).
    case notGzip(offset: Int)
    /// A DEFLATE block has the reserved block type 3.
    case invalidBlockType(offset: Int)
    /// A stored block's length and its one's complement disagree.
    case storedLengthMismatch(offset: Int)
    /// A Huffman code table is over-subscribed or otherwise unusable.
    case invalidCodeLengths(offset: Int)
    /// The bit stream holds a code that no symbol has, or a symbol out of range.
    case invalidSymbol(offset: Int)
    /// A back-reference points before the start of the output.
    case distanceTooFar(offset: Int, distance: Int, available: Int)
    /// The gzip trailer's CRC-32 or length does not match the decoded data.
    case checksumMismatch(expected: UInt32, actual: UInt32)
    /// The gzip trailer's length (modulo 2^32) does not match the decoded data.
    case lengthMismatch(expected: UInt32, actual: UInt32)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .truncated(let offset): return "compressed data ends early (at byte \(offset))"
        case .notGzip(let offset): return "not a gzip stream (bad header at byte \(offset))"
        case .invalidBlockType(let offset): return "invalid DEFLATE block type near byte \(offset)"
        case .storedLengthMismatch(let offset): return "stored block length check fails at byte \(offset)"
        case .invalidCodeLengths(let offset): return "invalid Huffman code lengths near byte \(offset)"
        case .invalidSymbol(let offset): return "invalid Huffman code near byte \(offset)"
        case let .distanceTooFar(offset, distance, available):
            return
                "back-reference distance \(distance) exceeds the \(available) bytes decoded so far (near byte \(offset))"
        case let .checksumMismatch(expected, actual):
            return
                "gzip CRC-32 mismatch: trailer says \(String(expected, radix: 16)), data gives \(String(actual, radix: 16))"
        case let .lengthMismatch(expected, actual):
            return "gzip length mismatch: trailer says \(expected) bytes, decoded \(actual)"
        }
    }
}

/// A DEFLATE (RFC 1951) and gzip (RFC 1952) decoder.
///
/// Foundation on Linux has no gzip decoder, so Kalam carries this one for the compressed files
/// in installed packages (such as `denckring-en-pos`'s `tagger.json.gz`). It decodes with
/// table lookups (one table per Huffman code, indexed by the next `maxLength` bits), checks
/// every length and distance, and verifies the gzip CRC-32 and size.
public enum Inflate {
    /// Decodes a gzip file (one or more concatenated members) and checks its trailers.
    public static func gunzip(_ data: Data) throws -> Data {
        Data(try gunzip([UInt8](data)))
    }

    /// Decodes a gzip byte array (one or more concatenated members) and checks its trailers.
    public static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 4)
        var position = 0
        repeat {
            let memberStart = output.count
            position = try skipGzipHeader(bytes, at: position)
            var reader = BitReader(bytes: bytes, position: position)
            try inflateStream(&reader, into: &output)
            position = reader.alignedPosition
            guard position + 8 <= bytes.count else { throw InflateError.truncated(offset: bytes.count) }
            let expectedCRC = readLE32(bytes, position)
            let expectedSize = readLE32(bytes, position + 4)
            position += 8
            let actualCRC = output.withUnsafeBufferPointer {
                CRC32.checksum(UnsafeBufferPointer(rebasing: $0[memberStart...]))
            }
            guard actualCRC == expectedCRC else {
                throw InflateError.checksumMismatch(expected: expectedCRC, actual: actualCRC)
            }
            let actualSize = UInt32(truncatingIfNeeded: output.count - memberStart)
            guard actualSize == expectedSize else {
                throw InflateError.lengthMismatch(expected: expectedSize, actual: actualSize)
            }
            // Trailing zero padding after the last member is tolerated, as gzip(1) does.
        } while position < bytes.count && bytes[position...].contains(where: { $0 != 0 })
        return output
    }

    /// Decodes a raw DEFLATE stream (no zlib or gzip wrapper).
    public static func inflate(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 4)
        var reader = BitReader(bytes: bytes, position: 0)
        try inflateStream(&reader, into: &output)
        return output
    }

    /// True when `data` starts with the gzip magic bytes `1f 8b`.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    // MARK: - gzip framing

    private static func readLE32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    private static func skipGzipHeader(_ bytes: [UInt8], at start: Int) throws -> Int {
        guard start + 10 <= bytes.count else { throw InflateError.truncated(offset: bytes.count) }
        guard bytes[start] == 0x1f, bytes[start + 1] == 0x8b, bytes[start + 2] == 8 else {
            throw InflateError.notGzip(offset: start)
        }
        let flags = bytes[start + 3]
        var position = start + 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard position + 2 <= bytes.count else { throw InflateError.truncated(offset: bytes.count) }
            position += 2 + (Int(bytes[position]) | Int(bytes[position + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while position < bytes.count && bytes[position] != 0 { position += 1 }
            position += 1
        }
        if flags & 0x02 != 0 { position += 2 }  // FHCRC
        guard position <= bytes.count else { throw InflateError.truncated(offset: bytes.count) }
        return position
    }

    // MARK: - DEFLATE

    private static let lengthBase: [Int] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    private static let lengthExtra: [Int] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]
    private static let distanceBase: [Int] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
        4097, 6145, 8193, 12289, 16385, 24577,
    ]
    private static let distanceExtra: [Int] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]
    /// The order in which code-length code lengths are sent (RFC 1951 §3.2.7).
    private static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    private static let fixedLiteralTable: HuffmanTable = {
        var lengths = [UInt8](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        // The fixed code is complete, so building it cannot fail.
        return (try? HuffmanTable(lengths: lengths, offset: 0)) ?? HuffmanTable.empty
    }()
    private static let fixedDistanceTable: HuffmanTable = {
        (try? HuffmanTable(lengths: [UInt8](repeating: 5, count: 30), offset: 0)) ?? HuffmanTable.empty
    }()

    private static func inflateStream(_ reader: inout BitReader, into output: inout [UInt8]) throws {
        var isFinal = false
        while !isFinal {
            isFinal = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0: try storedBlock(&reader, into: &output)
            case 1: try huffmanBlock(&reader, fixedLiteralTable, fixedDistanceTable, into: &output)
            case 2:
                let (literals, distances) = try dynamicTables(&reader)
                try huffmanBlock(&reader, literals, distances, into: &output)
            default: throw InflateError.invalidBlockType(offset: reader.byteOffset)
            }
        }
    }

    private static func storedBlock(_ reader: inout BitReader, into output: inout [UInt8]) throws {
        reader.alignToByte()
        let length = try reader.bits(16)
        let complement = try reader.bits(16)
        guard length == ~complement & 0xffff else { throw InflateError.storedLengthMismatch(offset: reader.byteOffset) }
        try reader.copyBytes(length, into: &output)
    }

    private static func dynamicTables(_ reader: inout BitReader) throws -> (HuffmanTable, HuffmanTable) {
        let literalCount = try reader.bits(5) + 257
        let distanceCount = try reader.bits(5) + 1
        let codeLengthCount = try reader.bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else {
            throw InflateError.invalidCodeLengths(offset: reader.byteOffset)
        }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengthLengths[codeLengthOrder[i]] = UInt8(try reader.bits(3)) }
        let codeLengthTable = try HuffmanTable(lengths: codeLengthLengths, offset: reader.byteOffset)

        var lengths = [UInt8](repeating: 0, count: literalCount + distanceCount)
        var index = 0
        while index < lengths.count {
            let symbol = try codeLengthTable.decode(&reader)
            var repeatValue: UInt8 = 0
            var repeatCount = 0
            switch symbol {
            case 0...15:
                lengths[index] = UInt8(symbol)
                index += 1
                continue
            case 16:
                guard index > 0 else { throw InflateError.invalidCodeLengths(offset: reader.byteOffset) }
                repeatValue = lengths[index - 1]
                repeatCount = 3 + (try reader.bits(2))
            case 17: repeatCount = 3 + (try reader.bits(3))
            default: repeatCount = 11 + (try reader.bits(7))
            }
            guard index + repeatCount <= lengths.count else {
                throw InflateError.invalidCodeLengths(offset: reader.byteOffset)
            }
            for _ in 0..<repeatCount {
                lengths[index] = repeatValue
                index += 1
            }
        }
        guard lengths[256] != 0 else { throw InflateError.invalidCodeLengths(offset: reader.byteOffset) }
        let literals = try HuffmanTable(lengths: Array(lengths[0..<literalCount]), offset: reader.byteOffset)
        let distances = try HuffmanTable(lengths: Array(lengths[literalCount...]), offset: reader.byteOffset)
        return (literals, distances)
    }

    private static func huffmanBlock(
        _ reader: inout BitReader, _ literals: HuffmanTable, _ distances: HuffmanTable, into output: inout [UInt8]
    ) throws {
        while true {
            let symbol = try literals.decode(&reader)
            if symbol < 256 {
                output.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < 29 else { throw InflateError.invalidSymbol(offset: reader.byteOffset) }
            let length = lengthBase[lengthIndex] + (try reader.bits(lengthExtra[lengthIndex]))
            let distanceSymbol = try distances.decode(&reader)
            guard distanceSymbol < 30 else { throw InflateError.invalidSymbol(offset: reader.byteOffset) }
            let distance = distanceBase[distanceSymbol] + (try reader.bits(distanceExtra[distanceSymbol]))
            guard distance <= output.count else {
                throw InflateError.distanceTooFar(
                    offset: reader.byteOffset, distance: distance, available: output.count)
            }
            var from = output.count - distance
            for _ in 0..<length {  // byte by byte: a copy may overlap its own output
                output.append(output[from])
                from += 1
            }
        }
    }
}

/// Reads a DEFLATE bit stream, least significant bit first.
private struct BitReader {
    let bytes: [UInt8]
    var position: Int
    var buffer: UInt64 = 0
    var count = 0

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// The byte the reader is about to consume (for error messages).
    var byteOffset: Int { position - count / 8 }

    /// The byte position after discarding the bits left in the current byte.
    var alignedPosition: Int { position - count / 8 }

    /// Fills the buffer with as many whole bytes as fit; past the end it stays short.
    @inline(__always) mutating func refill() {
        while count <= 56 && position < bytes.count {
            buffer |= UInt64(bytes[position]) << UInt64(count)
            position += 1
            count += 8
        }
    }

    @inline(__always) mutating func bits(_ n: Int) throws -> Int {
        if n == 0 { return 0 }
        if count < n {
            refill()
            guard count >= n else { throw InflateError.truncated(offset: bytes.count) }
        }
        let value = Int(buffer & ((1 << UInt64(n)) - 1))
        buffer >>= UInt64(n)
        count -= n
        return value
    }

    /// The next `n` bits without consuming them, zero-padded past the end of the data.
    @inline(__always) mutating func peek(_ n: Int) -> Int {
        if count < n { refill() }
        return Int(buffer & ((1 << UInt64(n)) - 1))
    }

    @inline(__always) mutating func consume(_ n: Int) throws {
        guard n <= count else { throw InflateError.truncated(offset: bytes.count) }
        buffer >>= UInt64(n)
        count -= n
    }

    mutating func alignToByte() {
        let drop = count % 8
        buffer >>= UInt64(drop)
        count -= drop
    }

    mutating func copyBytes(_ n: Int, into output: inout [UInt8]) throws {
        // After alignment the buffer holds whole bytes; hand those out first.
        var remaining = n
        while remaining > 0 && count >= 8 {
            output.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
            remaining -= 1
        }
        guard position + remaining <= bytes.count else { throw InflateError.truncated(offset: bytes.count) }
        output.append(contentsOf: bytes[position..<(position + remaining)])
        position += remaining
    }
}

/// A canonical Huffman code as a lookup table indexed by the next `maxLength` input bits.
private struct HuffmanTable {
    /// Entry = symbol << 4 | code length; a length of 0 marks a bit pattern no code has.
    var table: [UInt32]
    var maxLength: Int

    static let empty = HuffmanTable(table: [0, 0], maxLength: 1)

    private init(table: [UInt32], maxLength: Int) {
        self.table = table
        self.maxLength = maxLength
    }

    init(lengths: [UInt8], offset: Int) throws {
        var counts = [Int](repeating: 0, count: 16)
        for length in lengths { counts[Int(length)] += 1 }
        counts[0] = 0
        // Kraft check: an over-subscribed code is invalid; an incomplete one leaves holes.
        var left = 1
        for length in 1...15 {
            left <<= 1
            left -= counts[length]
            guard left >= 0 else { throw InflateError.invalidCodeLengths(offset: offset) }
        }
        let maxLength = max(1, lengths.map(Int.init).max() ?? 1)
        var nextCode = [Int](repeating: 0, count: 16)
        var code = 0
        for length in 1...15 {
            code = (code + counts[length - 1]) << 1
            nextCode[length] = code
        }
        var table = [UInt32](repeating: 0, count: 1 << maxLength)
        for (symbol, lengthByte) in lengths.enumerated() where lengthByte != 0 {
            let length = Int(lengthByte)
            let value = nextCode[length]
            nextCode[length] += 1
            var reversed = 0
            for bit in 0..<length where value & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
            let entry = UInt32(symbol) << 4 | UInt32(length)
            var index = reversed
            while index < table.count {
                table[index] = entry
                index += 1 << length
            }
        }
        self.table = table
        self.maxLength = maxLength
    }

    @inline(__always) func decode(_ reader: inout BitReader) throws -> Int {
        let entry = table[reader.peek(maxLength)]
        let length = Int(entry & 0xf)
        guard length != 0 else { throw InflateError.invalidSymbol(offset: reader.byteOffset) }
        try reader.consume(length)
        return Int(entry >> 4)
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as gzip uses it.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return ~crc
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { checksum($0) }
    }
}
