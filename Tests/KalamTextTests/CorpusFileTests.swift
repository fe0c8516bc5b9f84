import Foundation
import Testing

@testable import KalamText

/// A fresh temporary folder for one test.
func makeTemporaryFolder(_ tag: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("kalam-\(tag)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct CorpusFileTests {
    @Test func validUTF8HasNoInvalidOffset() {
        #expect(CorpusFile.firstInvalidUTF8(Array("plain ascii".utf8)) == nil)
        #expect(CorpusFile.firstInvalidUTF8(Array("سلام دنیا، £5 and 😀".utf8)) == nil)
    }

    @Test func invalidUTF8OffsetsAreExact() {
        // A lone Latin-1 byte, a truncated sequence, an overlong "/", a surrogate, a stray continuation.
        #expect(CorpusFile.firstInvalidUTF8([0x61, 0x62, 0xA3, 0x31]) == 2)
        #expect(CorpusFile.firstInvalidUTF8([0x61, 0xE2, 0x82]) == 1)
        #expect(CorpusFile.firstInvalidUTF8([0xC0, 0xAF]) == 0)
        #expect(CorpusFile.firstInvalidUTF8([0x41, 0xED, 0xA0, 0x80]) == 1)
        #expect(CorpusFile.firstInvalidUTF8([0x41, 0x42, 0x43, 0x80]) == 3)
        #expect(CorpusFile.firstInvalidUTF8([0xF4, 0x90, 0x80, 0x80]) == 0)  // above U+10FFFF
        #expect(CorpusFile.firstInvalidUTF8([0xE2, 0x28, 0xA1]) == 0)
    }

    @Test func strictDecodingRejectsWithPathAndOffset() throws {
        let folder = try makeTemporaryFolder("utf8")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("latin1.txt")
        try Data([0x50, 0x72, 0x69, 0x63, 0x65, 0x3A, 0x20, 0xA3, 0x35]).write(to: file)  // "Price: £5" in Latin-1
        #expect(throws: CorpusError.invalidUTF8(path: file.path, byteOffset: 7)) {
            try CorpusFile.text(file)
        }
        #expect(try CorpusFile.text(file, decoding: .latin1Fallback) == "Price: £5")
        #expect(throws: CorpusError.invalidUTF8(path: file.path, byteOffset: 7)) {
            try PlainTextCorpus.load(file)
        }
    }

    @Test func byteOrderMarkIsDropped() throws {
        #expect(try CorpusFile.decode([0xEF, 0xBB, 0xBF, 0x68, 0x69], path: "x") == "hi")
    }

    @Test func missingFileAndFolderErrors() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/kalam/corpus.txt")
        #expect(throws: CorpusError.fileNotFound(path: missing.path)) { try CorpusFile.text(missing) }
        let folder = try makeTemporaryFolder("dir")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: CorpusError.unreadable(path: folder.path, reason: "is a folder, expected a file")) {
            try CorpusFile.text(folder)
        }
    }
}
