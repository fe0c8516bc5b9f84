import ArgumentParser

/// The `kalam` command: pretrain, adapt and decode transformer language models.
///
/// Each subcommand lives in its own file (`PretrainCommand.swift`, `GenerateCommand.swift`, …)
/// and is listed here. Library errors reach this layer as typed errors and are printed as one
/// line with a non-zero exit code.
public struct KalamCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kalam",
        abstract: "Pretrain, adapt and decode transformer language models.",
        version: "0.1.0",
        subcommands: [
            DataCommand.self, PretrainCommand.self, EvaluateCommand.self, GenerateCommand.self, TagCommand.self,
            EmbedCommand.self, TokenizerCommand.self, MaskCommand.self, FinetuneCommand.self, ClassifyCommand.self,
            ContinualCommand.self, BenchCommand.self,
        ]
    )

    public init() {}
}
