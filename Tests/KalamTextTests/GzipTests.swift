import CZlib
import Foundation
import Testing

@testable import KalamText

@Suite("Gzip")
struct GzipTests {
    /// Compresses `bytes` into one gzip member with zlib's deflate at `level`.
    static func gzip(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        try #require(kalam_deflate_init_gzip(&stream, level) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        try #require(status == Z_STREAM_END)
        return Array(output.prefix(Int(stream.total_out)))
    }

    static func crc32(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { Int(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    static let text = Array(
        (0..<200).map { "line \($0): the tagger reads gzip, ünïcödé included.\n" }.joined().utf8)

    @Test func roundTripsAStreamMadeHere() throws {
        for level: Int32 in [0, 1, 9] {
            let compressed = try Self.gzip(Self.text, level: level)
            #expect(Gzip.isGzip(Data(compressed)))
            #expect(try Gzip.decompress(Data(compressed)) == Data(Self.text), "level \(level)")
        }
        #expect(try Gzip.decompress(Data(try Self.gzip([]))) == Data())
        // Concatenated members decode one after another, as gunzip does.
        let two = try Self.gzip(Array("first ".utf8)) + Self.gzip(Array("second".utf8))
        #expect(try Gzip.decompress(Data(two)) == Data("first second".utf8))
        // A Data slice that does not start at index 0.
        let padded = Data([0, 0, 0] + (try Self.gzip(Self.text)))
        #expect(try Gzip.decompress(padded.dropFirst(3)) == Data(Self.text))
    }

    /// Streams written by Python's gzip module (scripts/fixtures/pos.py): stored, fixed and dynamic
    /// blocks, a header with a file name, an empty member, two members, a long run.
    @Test func fixtureStreams() throws {
        let fixture = try TaggingFixtures.json("gzip.json")
        let cases = try #require(fixture["cases"] as? [[String: Any]])
        #expect(cases.count == 8)
        for item in cases {
            let name = item["name"] as? String ?? "?"
            let data = try #require(Data(base64Encoded: item["data"] as? String ?? ""))
            let out = [UInt8](try Gzip.decompress(data))
            #expect(out.count == item["length"] as? Int, "\(name)")
            #expect(Self.crc32(out) == item["crc32"] as? Int, "\(name)")
            let prefix = try #require(Data(base64Encoded: item["prefix"] as? String ?? ""))
            #expect(Array(out.prefix(64)) == [UInt8](prefix), "\(name)")
        }
    }

    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func installedTaggerFile() throws {
        let url = try #require(DataDirectory.pypiFile("denckring-en-pos", "denckring_en_pos/data/tagger.json.gz"))
        let out = try Gzip.decompress(Data(contentsOf: url))
        #expect(out.starts(with: Data("{\"classes\":[\"ADJ|-\"".utf8)))
        #expect(out.last == UInt8(ascii: "}"))
    }

    @Test func badInputIsATypedError() throws {
        let good = try Self.gzip(Self.text, level: 9)
        #expect(throws: GzipError.notGzip) { try Gzip.decompress(Data("plain text".utf8)) }
        #expect(throws: GzipError.truncated(byteOffset: 0)) { try Gzip.decompress(Data()) }
        #expect(throws: GzipError.truncated(byteOffset: 5)) { try Gzip.decompress(Data(good.prefix(5))) }
        #expect(throws: GzipError.truncated(byteOffset: good.count - 12)) {
            try Gzip.decompress(Data(good.prefix(good.count - 12)))
        }
        #expect(throws: GzipError.truncated(byteOffset: good.count - 1)) {
            try Gzip.decompress(Data(good.dropLast()))
        }
        var badCRC = good
        badCRC[badCRC.count - 8] ^= 0xff
        #expect(throws: GzipError.corrupt(byteOffset: good.count - 4, reason: "incorrect data check")) {
            try Gzip.decompress(Data(badCRC))
        }
        var badSize = good
        badSize[badSize.count - 1] ^= 0x01
        #expect(throws: GzipError.corrupt(byteOffset: good.count, reason: "incorrect length check")) {
            try Gzip.decompress(Data(badSize))
        }
        var badMethod = good
        badMethod[2] = 7  // compression method 7 is not DEFLATE
        #expect(throws: GzipError.corrupt(byteOffset: 4, reason: "unknown compression method")) {
            try Gzip.decompress(Data(badMethod))
        }
        // BFINAL = 1, BTYPE = 3 (reserved) right after a 10-byte header.
        let header: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
        #expect(throws: GzipError.corrupt(byteOffset: 11, reason: "invalid block type")) {
            try Gzip.decompress(Data(header + [0x07, 0, 0, 0, 0, 0, 0, 0, 0]))
        }
        #expect(throws: GzipError.corrupt(byteOffset: good.count, reason: "data after the end of the gzip stream")) {
            try Gzip.decompress(Data(good + [0x00, 0x00]))
        }
        #expect(GzipError.truncated(byteOffset: 12).description == "compressed data ends early (at byte 12)")
    }

    /// A small file that inflates past the limit stops with an error instead of filling memory.
    @Test func outputIsBounded() throws {
        let zeros = [UInt8](repeating: 0, count: 4 << 20)
        let bomb = try Self.gzip(zeros, level: 9)
        #expect(bomb.count < 10_000)
        #expect(throws: GzipError.tooLarge(limit: 1 << 20)) { try Gzip.decompress(Data(bomb), outputLimit: 1 << 20) }
        #expect(try Gzip.decompress(Data(bomb), outputLimit: 4 << 20).count == 4 << 20)
        #expect(Gzip.defaultOutputLimit == 1 << 30)
    }
}
