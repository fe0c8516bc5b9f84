import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#else
    import Darwin
    private let systemWrite = Darwin.write
#endif

/// A file that could not be written: the path and the system's reason. Nothing at the path changed.
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file that was to be written.
    public let path: String
    /// What failed (the step and `strerror`).
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write \(path): \(reason)" }
}

/// The one way Kalam writes a file: the bytes go to a hidden temporary file beside the target, are
/// flushed to disk, and the temporary file is renamed over the target with `rename(2)`. A reader sees
/// the old file or the complete new one; a failure (a full disk, a folder where the file should be, a
/// missing folder) leaves the old file as it was and no temporary file behind. (Foundation's
/// `replaceItemAt` on Linux removed the old file and then failed.)
public enum AtomicFile {
    /// Writes `data` to `url` atomically.
    /// - Throws: ``FileWriteError`` naming the file.
    public static func write(_ data: Data, to url: URL) throws {
        try data.withUnsafeBytes { try write(bytes: $0, to: url) }
    }

    /// Writes `text` as UTF-8 to `url` atomically.
    /// - Throws: ``FileWriteError`` naming the file.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Writes raw bytes to `url` atomically.
    /// - Throws: ``FileWriteError`` naming the file.
    public static func write(bytes: UnsafeRawBufferPointer, to url: URL) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        func failure(_ what: String) -> FileWriteError {
            FileWriteError(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create a temporary file in \(folder)") }
        var written = 0
        var ok = true
        while written < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                ok = false
                break
            }
            written += n
        }
        if !ok || fsync(fd) != 0 {
            let error = failure("writing failed")
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else {
            let error = failure("writing failed")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot replace the file")
            unlink(temporary)
            throw error
        }
    }
}

extension AtomicFile {
    /// Creates `folder` and any missing parents; a folder that exists already is fine.
    /// - Throws: ``FileWriteError`` naming the folder (or the parent) that could not be made: a file
    ///   in the way, a read-only or full file system.
    public static func createFolder(_ folder: URL) throws {
        let path = folder.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw FileWriteError(path: path, reason: "cannot create the folder: a file of that name is in the way")
            }
            return
        }
        let parent = folder.standardizedFileURL.deletingLastPathComponent()
        if parent.path != path { try createFolder(parent) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw FileWriteError(path: path, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
        }
    }
}
