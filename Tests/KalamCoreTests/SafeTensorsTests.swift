import Foundation
import Testing

@testable import KalamCore

@Suite struct SafeTensorsTests {
    /// Keep in step with KALAM_CONTENT / KALAM_METADATA in scripts/fixtures/safetensors_parity.py.
    static let kalamFixtureEntries: [(name: String, shape: [Int], data: [Float])] = [
        ("wte.weight", [4, 3], (0..<12).map { Float($0) * 0.5 - 2.75 }),
        ("h.0.ln_1.bias", [3], [0.1, -0.2, 1e-8]),
        ("h.10.mlp.c_fc.weight", [2, 2], [1, -1, 3.4e38, -0x1p-127]),
        ("scalar", [], [3.25]),
    ]
    static let kalamFixtureMetadata = ["format": "pt", "source": "kalam"]

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func writesTheHeaderExactlyAsTheHuggingFaceLibrary() throws {
        // The header Python `safetensors.torch.save_file` wrote for these tensors (safetensors 0.8.0).
        let tensors = [
            SafeTensors.TensorData.float32(name: "b", shape: [3], values: [0, 0, 0]),
            SafeTensors.TensorData(name: "a", dtype: .float16, shape: [2], bytes: [0, 0, 0, 0]),
            SafeTensors.TensorData(name: "c.x", dtype: .int64, shape: [1], bytes: [0, 0, 0, 0, 0, 0, 0, 0]),
            SafeTensors.TensorData.float32(name: "aa", shape: [], values: [0]),
        ]
        let bytes = try SafeTensors.serialize(tensors: tensors, metadata: ["z": "1", "format": "pt"])
        let expected =
            #"{"__metadata__":{"format":"pt","z":"1"},"c.x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"#
            + #""aa":{"dtype":"F32","shape":[],"data_offsets":[8,12]},"b":{"dtype":"F32","shape":[3],"data_offsets":[12,24]},"#
            + #""a":{"dtype":"F16","shape":[2],"data_offsets":[24,28]}}     "#
        #expect(Array(bytes[0..<8]) == [8, 1, 0, 0, 0, 0, 0, 0])  // 264
        #expect(String(decoding: bytes[8..<272], as: UTF8.self) == expected)
        #expect(bytes.count == 272 + 28)
    }

    @Test func roundTripsThroughAFileWithoutLeavingTemporaries() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        var rng = KalamRandom(seed: 8)
        let w = rng.normalArray(count: 6 * 5)
        let name = "odd \"name\" \\ with\nnewline, tab\t and فارسی"
        try SafeTensors.write(
            [(name: "w", shape: [6, 5], data: w), (name: name, shape: [1], data: [-0.0])],
            metadata: ["epoch": "3", "q\"uote": "\u{01}"], to: url)
        try SafeTensors.write(
            [(name: "w", shape: [6, 5], data: w), (name: name, shape: [1], data: [-0.0])],
            metadata: ["epoch": "3", "q\"uote": "\u{01}"], to: url)  // replaces in place
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(try file.floats("w") == w)
        #expect(try file.floats(name).map(\.bitPattern) == [0x8000_0000])
        #expect(file.metadata == ["epoch": "3", "q\"uote": "\u{01}"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
    }

    @Test func rejectsBadTensorsToWrite() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.safetensors")
        #expect(throws: SafeTensorsError.shapeMismatch(key: "w", shape: [2, 2], count: 3)) {
            try SafeTensors.write([(name: "w", shape: [2, 2], data: [1, 2, 3])], to: url)
        }
        #expect(throws: SafeTensorsError.duplicateKey(file: url.path, key: "w")) {
            try SafeTensors.write([(name: "w", shape: [1], data: [1]), (name: "w", shape: [1], data: [2])], to: url)
        }
        #expect(throws: SafeTensorsError.shapeMismatch(key: "n", shape: [-1], count: -1)) {
            try SafeTensors.write([(name: "n", shape: [-1], data: [])], to: url)
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        let missing = URL(fileURLWithPath: "/nonexistent-kalam-folder/m.safetensors")
        #expect {
            try SafeTensors.write([(name: "w", shape: [1], data: [1])], to: missing)
        } throws: { error in
            guard case let .writeFailed(file, reason) = error as? SafeTensorsError else { return false }
            return file == missing.path && reason.contains("cannot create")
        }
    }

    @Test func kalamFileIsByteIdenticalToTheOnePythonChecked() throws {
        let folder = fixturesFolder.appendingPathComponent("safetensors")
        let url = folder.appendingPathComponent("kalam.safetensors")
        if ProcessInfo.processInfo.environment["KALAM_WRITE_FIXTURES"] == "1" {
            try SafeTensors.write(Self.kalamFixtureEntries, metadata: Self.kalamFixtureMetadata, to: url)
        }
        let written = try SafeTensors.serialize(Self.kalamFixtureEntries, metadata: Self.kalamFixtureMetadata)
        #expect(written == Array(try Data(contentsOf: url)))
        // The verdict of scripts/fixtures/safetensors_parity.py, which read that file with Python.
        let verdict =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("kalam_read_by_python.json"))) as! [String: Any]
        for key in [
            "metadata_equal", "names_equal", "tensors_equal", "same_layout_as_save_file",
            "header_bytes_identical_after_sorting_metadata",
        ] {
            #expect(verdict[key] as? Bool == true, "\(key)")
        }
    }
}
