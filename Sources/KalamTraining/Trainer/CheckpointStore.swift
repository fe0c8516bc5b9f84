import Foundation

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

    /// The complete checkpoints, oldest first, with their steps.
    public func checkpoints() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)) else { return nil }
            return (step, directory.appendingPathComponent(name, isDirectory: true))
        }.sorted { $0.0 < $1.0 }
    }

    /// The newest complete checkpoint, or nil.
    public var latest: URL? { checkpoints().last?.url }

    /// Writes a checkpoint for `step`: `write` fills a temporary folder, which is then renamed to
    /// `step-…` (replacing an older one of the same step), and old checkpoints beyond ``keep`` are
    /// removed. `beforeRename` runs between the two (tests use it to stop a process mid-write).
    @discardableResult
    public func save(step: Int, beforeRename: ((URL) -> Void)? = nil, _ write: (URL) throws -> Void) throws -> URL {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.writeFailed(path: directory.path, reason: "\(error.localizedDescription)")
        }
        removeTemporaryFolders()
        let final = directory.appendingPathComponent(Self.name(step: step), isDirectory: true)
        let temporary = directory.appendingPathComponent(
            ".tmp-\(Self.name(step: step))-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.writeFailed(path: temporary.path, reason: "\(error.localizedDescription)")
        }
        do {
            try write(temporary)
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
        beforeRename?(temporary)
        if fm.fileExists(atPath: final.path) {
            // Same step saved again (e.g. the end of a run resumed from its last checkpoint): move the old
            // one aside first so a complete checkpoint exists at every moment.
            let old = directory.appendingPathComponent(".old-\(Self.name(step: step))", isDirectory: true)
            try? fm.removeItem(at: old)
            try? fm.moveItem(at: final, to: old)
            try? fm.removeItem(at: old)
        }
        guard rename(temporary.path, final.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(at: temporary)
            throw TrainingError.writeFailed(path: final.path, reason: reason)
        }
        for old in checkpoints().dropLast(keep) { try? fm.removeItem(at: old.url) }
        return final
    }

    /// Removes temporary folders left by interrupted saves.
    func removeTemporaryFolders() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasPrefix(".tmp-") || name.hasPrefix(".old-") {
            try? fm.removeItem(at: directory.appendingPathComponent(name))
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
