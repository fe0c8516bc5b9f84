import ArgumentParser
import Foundation
import KalamCore
import KalamLab

/// The `kalam` command: pretrain, adapt and decode transformer language models.
///
/// Each subcommand lives in its own file (`PretrainCommand.swift`, `GenerateCommand.swift`, …)
/// and is listed here. Library errors reach this layer as typed errors and are printed as one
/// line with a non-zero exit code.
public struct KalamCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kalam",
        abstract: "Pretrain, adapt and decode transformer language models.",
        version: Lab.version,
        subcommands: [
            DataCommand.self, PretrainCommand.self, EvaluateCommand.self, GenerateCommand.self, TagCommand.self,
            EmbedCommand.self, TokenizerCommand.self, MaskCommand.self, FinetuneCommand.self, ClassifyCommand.self,
            ContinualCommand.self, LabCommand.self, BenchCommand.self,
        ]
    )

    public init() {}
}

extension KalamCommand {
    /// Runs the command line like `main()`, except that a Foundation file error that reaches the top
    /// (one no Kalam error type wrapped) is printed as its message and path on one `Error:` line rather
    /// than as an `NSError` dump.
    public static func mainPrintingFileErrors() {
        do {
            try BLAS.checkEnvironment()
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CocoaError {
            exit(withError: FileSystemError(error))
        } catch {
            exit(withError: error)
        }
    }
}

/// A Foundation file error as one readable line: `<message> (<path>)`.
struct FileSystemError: Error, CustomStringConvertible {
    let description: String

    init(_ error: CocoaError) {
        let path = error.filePath ?? error.url?.path
        description = error.localizedDescription + (path.map { " (\($0))" } ?? "")
    }
}
