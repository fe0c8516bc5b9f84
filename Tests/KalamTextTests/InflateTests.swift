import Foundation
import Testing

@testable import KalamText

@Suite("Inflate")
struct InflateTests {
    @Test func fixtureStreams() throws {
        let fixture = try TaggingFixtures.json("inflate.json")
        let cases = try #require(fixture["cases"] as? [[String: Any]])
        #expect(cases.count == 9)
        for item in cases {
            let name = item["name"] as? String ?? "?"
            let data = try #require(Data(base64Encoded: item["data"] as? String ?? ""))
            let raw = item["raw"] as? Bool ?? false
            let out = raw ? try Inflate.inflate([UInt8](data)) : try Inflate.gunzip([UInt8](data))
            #expect(out.count == item["length"] as? Int, "\(name)")
            #expect(Int(CRC32.checksum(out)) == item["crc32"] as? Int, "\(name)")
            let prefix = try #require(Data(base64Encoded: item["prefix"] as? String ?? ""))
            #expect(Array(out.prefix(64)) == [UInt8](prefix), "\(name)")
        }
    }

    @Test func crcOfKnownString() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func installedTaggerFile() throws {
        let url = try #require(KalamData.pypiFile("denckring-en-pos", "denckring_en_pos/data/tagger.json.gz"))
        let out = try Inflate.gunzip(Data(contentsOf: url))
        #expect(out.starts(with: Data("{\"classes\":[\"ADJ|-\"".utf8)))
        #expect(out.last == UInt8(ascii: "}"))
    }

    @Test func badInputIsATypedError() throws {
        let fixture = try TaggingFixtures.json("inflate.json")
        let cases = try #require(fixture["cases"] as? [[String: Any]])
        let good = [UInt8](try #require(Data(base64Encoded: cases[2]["data"] as? String ?? "")))  // gzip-level9

        #expect(throws: InflateError.notGzip(offset: 0)) { try Inflate.gunzip(Array("plain text".utf8)) }
        #expect(throws: InflateError.truncated(offset: 5)) { try Inflate.gunzip(Array(good.prefix(5))) }
        #expect(throws: InflateError.self) { try Inflate.gunzip(Array(good.prefix(good.count - 12))) }
        var badCRC = good
        badCRC[badCRC.count - 8] ^= 0xff
        #expect(throws: InflateError.self) { try Inflate.gunzip(badCRC) }
        do {
            _ = try Inflate.gunzip(badCRC)
        } catch InflateError.checksumMismatch(let expected, let actual) {
            #expect(expected != actual)
        }
        var badSize = good
        badSize[badSize.count - 1] ^= 0x01
        #expect(throws: InflateError.self) { try Inflate.gunzip(badSize) }
        // BFINAL = 1, BTYPE = 3 (reserved).
        #expect(throws: InflateError.invalidBlockType(offset: 1)) { try Inflate.inflate([0x07]) }
        // A stored block whose length and complement disagree.
        #expect(throws: InflateError.storedLengthMismatch(offset: 5)) {
            try Inflate.inflate([0x01, 0x05, 0x00, 0x00, 0x00])
        }
        // Fixed block: a match at distance 1 with nothing decoded yet.
        #expect(throws: InflateError.self) { try Inflate.inflate([0x03, 0x02, 0x00]) }
        #expect(try Inflate.inflate([0x03, 0x00]) == [])  // empty fixed block
        #expect(try Inflate.inflate([0x01, 0x02, 0x00, 0xfd, 0xff, 0x68, 0x69]) == Array("hi".utf8))  // stored
    }
}
