import Foundation
import KalamCore
import KalamModels
import Testing

@testable import KalamCLI
@testable import KalamTraining

/// Checkpoint writes that fail — a full disk, a file where a folder should be — and resumes from a
/// damaged checkpoint: each is one clear error, and what was on disk before stays as it was.
@Suite(.serialized) struct CheckpointFailureTests {
    /// Every file under `root` with its bytes.
    static func files(_ root: URL) -> [String: Data] {
        var result: [String: Data] = [:]
        let base = root.standardizedFileURL.path
        for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) ?? .init()
        {
            if let data = FileManager.default.contents(atPath: url.path) {
                result[String(url.standardizedFileURL.path.dropFirst(base.count))] = data
            }
        }
        return result
    }

    /// Runs the kalam binary through `/bin/sh -c script` (the arguments follow as `$@`); returns the
    /// exit status and standard error.
    static func kalam(script: String, _ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "sh", PretrainFixture.kalamBinary!.path] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Whether this process may mount a small tmpfs (root with CAP_SYS_ADMIN), for a real full disk.
    static let canMountTmpfs: Bool = {
        guard let dir = try? PretrainFixture.temporaryDirectory() else { return false }
        defer { try? FileManager.default.removeItem(at: dir) }
        guard (try? mountTmpfs(dir, size: "64k")) == true else { return false }
        _ = umount(dir.path)
        return true
    }()

    /// Mounts a tmpfs of `size` on `dir`; false when mounting is not allowed here.
    static func mountTmpfs(_ dir: URL, size: String) throws -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/bin/mount") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/mount")
        process.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir.path]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test(.enabled(if: PretrainFixture.kalamBinary != nil, "the kalam binary was not built next to the tests"))
    func aCheckpointWriteBeyondTheFileSizeLimitIsAnErrorAndKeepsThePreviousCheckpoint() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        try PretrainFixture.pretrain(PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 2))
        let checkpoints = out.appendingPathComponent("checkpoints")
        let before = Self.files(checkpoints)
        #expect(before.keys.contains("/step-00000002/model.safetensors"))

        // Files limited to 40 blocks (20 or 40 KB): the log fits, the checkpoint's 140 KB model does not.
        // SIGXFSZ is ignored, so the write fails with EFBIG as it would on a full disk.
        let args =
            ["pretrain"] + PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 4) + ["--resume"]
        let (status, errors) = try Self.kalam(script: #"trap "" XFSZ; ulimit -f 40; exec "$@""#, args)
        #expect(status == 1)
        let last = errors.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("Error: "))
        #expect(last.contains("/checkpoints/.tmp-step-00000004-"))
        #expect(last.hasSuffix("model.safetensors: writing failed: File too large"))
        // The step-2 checkpoint is untouched and no temporary folder is left.
        #expect(Self.files(checkpoints) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints.path) == ["step-00000002"])
        // Given room, the run resumes from it.
        let lines = try PretrainFixture.pretrain(
            PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 4) + ["--resume"])
        #expect(lines.contains { $0.contains("after 4 steps") })
    }

    @Test(
        .enabled(if: PretrainFixture.kalamBinary != nil, "the kalam binary was not built next to the tests"),
        .enabled(if: canMountTmpfs, "mounting a tmpfs needs root with CAP_SYS_ADMIN"))
    func aFullDiskDuringACheckpointWriteIsAnErrorAndKeepsThePreviousCheckpoint() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let disk = dir.appendingPathComponent("disk", isDirectory: true)
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        // Room for the tokenizer, the log and one checkpoint (about 450 KB), not for a second.
        #expect(try Self.mountTmpfs(disk, size: "700k"))
        defer { _ = umount(disk.path) }
        let out = disk.appendingPathComponent("run")
        let args = ["pretrain"] + PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 4)
        let (status, errors) = try Self.kalam(script: #"exec "$@""#, args)
        #expect(status == 1)
        let last = errors.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("Error: "))
        #expect(last.contains("/checkpoints/.tmp-step-00000004-"))
        #expect(last.hasSuffix("No space left on device"))
        let checkpoints = out.appendingPathComponent("checkpoints")
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints.path) == ["step-00000002"])
        let step2 = checkpoints.appendingPathComponent("step-00000002")
        #expect(try Trainer.readState(from: step2).step == 2)
        let model = try GPT2LMHeadModel(config: try GPT2Config.load(from: step2), seed: 1)
        try model.loadWeights(from: step2.appendingPathComponent("model.safetensors"))
    }

    @Test func aFileWhereTheCheckpointFolderShouldBeIsAnError() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let checkpoints = out.appendingPathComponent("checkpoints")
        try Data("not a folder".utf8).write(to: checkpoints)
        let error = #expect(throws: TrainingError.self) {
            try PretrainFixture.pretrain(PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 2))
        }
        #expect(
            error
                == .writeFailed(
                    path: checkpoints.path, reason: "cannot create the folder: a file of that name is in the way"))
        #expect(FileManager.default.contents(atPath: checkpoints.path) == Data("not a folder".utf8))
    }

    @Test func resumingFromADamagedCheckpointReportsItAndChangesNothing() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, preset) = try PretrainFixture.write(into: dir)
        let out = dir.appendingPathComponent("run")
        try PretrainFixture.pretrain(PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 4))
        let newest = out.appendingPathComponent("checkpoints/step-00000004")
        for (name, keep) in [("model.safetensors", 100), ("optimizer.safetensors", 9), ("trainer_state.json", 20)] {
            let file = newest.appendingPathComponent(name)
            let original = try Data(contentsOf: file)
            try original.prefix(keep).write(to: file)
            let before = Self.files(out)
            let error = #expect(throws: TrainingError.self) {
                try PretrainFixture.pretrain(
                    PretrainFixture.arguments(corpus: corpus, preset: preset, out: out, steps: 6) + ["--resume"])
            }
            guard case let .corruptCheckpoint(path, reason) = error else {
                Issue.record("wrong error for a damaged \(name): \(String(describing: error))")
                continue
            }
            #expect(path == newest.path)
            #expect(reason.hasPrefix(name))
            #expect(Self.files(out) == before, "resuming from a damaged \(name) changed files")
            try original.write(to: file)
        }
    }
}
