import Foundation
import KalamFiles

/// The checkpoints of one run: folders `step-00000100` under ``directory``, each holding
/// `model.safetensors`, `optimizer.safetensors`, `trainer_state.json` and whatever extra files the
/// caller adds (a model's `config.json`, a `tokenizer.json`).
///
/// A checkpoint is written into a hidden temporary folder and renamed into place, so a folder named
/// `step-…` is always complete: a process killed mid-write leaves only a temporary folder, which is
/// ignored and removed by the next save. After each save only the newest ``keep`` checkpoints stay.
public struct CheckpointStore: Sendable {
    /// The folder holding the checkpoints.
    public let directory: URL
    /// How many checkpoints to keep.
    public let keep: Int

    /// A store in `directory` keeping the newest `keep` checkpoints.
    public init(directory: URL, keep: Int) {
        self.directory = directory
        self.keep = max(1, keep)
    }

    /// The folder name of the checkpoint after `step` steps.
    public static func name(step: Int) -> String { String(format: "step-%08d", step) }

    /// The complete checkpoints, oldest first, with their steps. A checkpoint moved aside to be replaced
    /// by a new save of the same step (`.old-step-…`) counts while its replacement is not in place yet.
    public func checkpoints() -> [(step: Int, url: URL)] {
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        return names.compactMap { name -> (Int, URL)? in
            let complete = name.hasPrefix("step-") ? name : name.hasPrefix(".old-") ? String(name.dropFirst(5)) : nil
            guard let complete, let step = Self.step(ofName: complete) else { return nil }
            if name.hasPrefix(".old-"), names.contains(complete) { return nil }
            return (step, directory.appendingPathComponent(name, isDirectory: true))
        }.sorted { $0.0 < $1.0 }
    }

    /// The step of a folder name `step-00000100`, or nil for any other name.
    static func step(ofName name: String) -> Int? {
        guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0 else { return nil }
        return step
    }

    /// The newest complete checkpoint, or nil.
    public var latest: URL? { checkpoints().last?.url }

    /// Writes a checkpoint for `step`: `write` fills a temporary folder, which is then renamed to
    /// `step-…` (replacing an older one of the same step), and old checkpoints beyond ``keep`` are
    /// removed. `beforeRename` runs between the two (tests use it to stop a process mid-write).
    @discardableResult
    public func save(step: Int, beforeRename: ((URL) -> Void)? = nil, _ write: (URL) throws -> Void) throws -> URL {
        let fm = FileManager.default
        try Self.createFolder(directory)
        recoverInterruptedSaves()
        let name = Self.name(step: step)
        let final = directory.appendingPathComponent(name, isDirectory: true)
        let temporary = directory.appendingPathComponent(
            ".tmp-\(name)-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try Self.createFolder(temporary)
        do {
            try write(temporary)
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
        beforeRename?(temporary)
        // Same step saved again (e.g. the end of a run resumed from its last checkpoint): the old folder
        // is renamed aside first and stays a complete checkpoint (see `checkpoints()`) until the new
        // one is in place, so a complete checkpoint of the step exists at every moment.
        let old = directory.appendingPathComponent(".old-\(name)", isDirectory: true)
        if fm.fileExists(atPath: final.path) {
            guard rename(final.path, old.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(at: temporary)
                throw TrainingError.writeFailed(path: final.path, reason: reason)
            }
        }
        guard rename(temporary.path, final.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(at: temporary)
            if fm.fileExists(atPath: old.path) { _ = rename(old.path, final.path) }
            throw TrainingError.writeFailed(path: final.path, reason: reason)
        }
        remove(old)
        for old in checkpoints().dropLast(keep) { remove(old.url) }
        return final
    }

    /// Creates `folder` (and its parents).
    /// - Throws: ``TrainingError/writeFailed(path:reason:)``.
    static func createFolder(_ folder: URL) throws {
        do {
            try AtomicFile.createFolder(folder)
        } catch {
            throw TrainingError.writeFailure(error, path: folder.path)
        }
    }

    /// Deletes a folder so that it is never seen half-deleted: renamed to `.del-…` first (one atomic
    /// step), then removed; a process killed while removing leaves only the hidden `.del-` folder.
    private func remove(_ folder: URL) {
        let fm = FileManager.default
        guard fm.fileExists(atPath: folder.path) else { return }
        let doomed = directory.appendingPathComponent(".del-\(folder.lastPathComponent)", isDirectory: true)
        try? fm.removeItem(at: doomed)
        guard rename(folder.path, doomed.path) == 0 else { return }
        try? fm.removeItem(at: doomed)
    }

    /// Cleans up after saves that were interrupted: temporary and half-deleted folders are removed, and
    /// a checkpoint moved aside for a replacement that never arrived is put back.
    func recoverInterruptedSaves() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let url = directory.appendingPathComponent(name)
            if name.hasPrefix(".tmp-") || name.hasPrefix(".del-") {
                try? fm.removeItem(at: url)
            } else if name.hasPrefix(".old-") {
                let original = directory.appendingPathComponent(String(name.dropFirst(5)), isDirectory: true)
                if fm.fileExists(atPath: original.path) { remove(url) } else { _ = rename(url.path, original.path) }
            }
        }
    }

    /// Resolves what a user gave to resume from: a checkpoint folder (holding `trainer_state.json`), or
    /// a run folder / checkpoints folder whose newest checkpoint is taken.
    /// - Throws: ``TrainingError/checkpointNotFound(path:)``.
    public static func resolve(_ url: URL) throws -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainingError.checkpointNotFound(path: url.path)
        }
        if fm.fileExists(atPath: url.appendingPathComponent("trainer_state.json").path) { return url }
        for candidate in [url, url.appendingPathComponent("checkpoints", isDirectory: true)] {
            if let latest = CheckpointStore(directory: candidate, keep: 1).latest { return latest }
        }
        throw TrainingError.checkpointNotFound(path: url.path)
    }
}
