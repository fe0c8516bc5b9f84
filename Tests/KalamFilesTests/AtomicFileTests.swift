import Foundation
import KalamFiles
import Testing

@Suite struct AtomicFileTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kalam-files-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func writesANewFileAndReplacesAnExistingOne() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("notes.txt")
        try AtomicFile.write("first version\n", to: file)
        #expect(FileManager.default.contents(atPath: file.path) == Data("first version\n".utf8))
        try AtomicFile.write(Data([0, 1, 2, 255]), to: file)
        #expect(FileManager.default.contents(atPath: file.path) == Data([0, 1, 2, 255]))
        try AtomicFile.write(Data(), to: file)
        #expect(FileManager.default.contents(atPath: file.path) == Data())
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
    }

    @Test func aFolderWhereTheFileShouldBeIsAnErrorAndStaysAsItWas() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("model.safetensors")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: target.appendingPathComponent("inside.txt"))
        let error = #expect(throws: FileWriteError.self) { try AtomicFile.write("new", to: target) }
        #expect(error?.path == target.path)
        #expect(error?.reason == "cannot replace the file: Is a directory")
        #expect(
            FileManager.default.contents(atPath: target.appendingPathComponent("inside.txt").path)
                == Data("keep me".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
    }

    @Test func aMissingFolderOrAFileInPlaceOfTheFolderIsAnError() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("absent/config.json")
        let error = #expect(throws: FileWriteError.self) { try AtomicFile.write("{}", to: missing) }
        #expect(error?.path == missing.path)
        #expect(error?.reason == "cannot create a temporary file in \(folder.path)/absent: No such file or directory")

        let plain = folder.appendingPathComponent("run")
        try Data("a file, not a folder".utf8).write(to: plain)
        let inside = plain.appendingPathComponent("config.json")
        let error2 = #expect(throws: FileWriteError.self) { try AtomicFile.write("{}", to: inside) }
        #expect(error2?.reason == "cannot create a temporary file in \(plain.path): Not a directory")
        #expect(FileManager.default.contents(atPath: plain.path) == Data("a file, not a folder".utf8))
        #expect(
            error2?.description
                == "cannot write \(inside.path): cannot create a temporary file in \(plain.path): Not a directory")
    }
}
