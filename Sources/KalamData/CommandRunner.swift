import Foundation
import KalamFiles

/// Runs an external program found on `PATH` (through `/usr/bin/env`), with its output captured in
/// temporary files (so a large output cannot block on a full pipe).
struct CommandRunner {
    /// What a finished command left.
    struct Result {
        /// The exit status (127: the program was not found).
        var status: Int32
        /// Standard output.
        var output: Data
        /// Standard error, as text.
        var errorText: String

        /// The last non-empty line of standard error (or output), for one-line messages.
        var lastLine: String {
            let source = errorText.isEmpty ? String(decoding: output.suffix(4096), as: UTF8.self) : errorText
            let lines = source.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            // Prefer an error line over warnings printed after it.
            if let error = lines.last(where: { $0.hasPrefix("E:") || $0.hasPrefix("ERROR:") || $0.hasPrefix("error:") })
            {
                return error
            }
            return lines.last(where: { !$0.isEmpty }) ?? ""
        }
    }

    /// Runs `arguments[0]` with the rest as arguments, in `directory` when given.
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        let process = Process()
        if arguments[0].hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("kalam-cmd-\(UUID().uuidString)", isDirectory: true)
        try AtomicFile.createFolder(scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            try? outHandle.close()
            try? errHandle.close()
            return Result(status: 127, output: Data(), errorText: "\(arguments[0]): \(error)")
        }
        process.waitUntilExit()
        try? outHandle.close()
        try? errHandle.close()
        let output = (try? Data(contentsOf: outURL)) ?? Data()
        let errorText = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return Result(status: process.terminationStatus, output: output, errorText: errorText)
    }

    /// Whether `tool` is on `PATH`.
    static func exists(_ tool: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { directory in
            FileManager.default.isExecutableFile(atPath: "\(directory)/\(tool)")
        }
    }
}
