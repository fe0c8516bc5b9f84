import Foundation
import Testing

@testable import KalamCLI

@Suite struct EmbedCommandTests {
    @Test func parsesOptions() throws {
        let command = try EmbedCommand.parse(["--model", "/tmp/m", "--json", "--batch-size", "4"])
        #expect(command.model == "/tmp/m")
        #expect(command.json)
        #expect(command.batchSize == 4)
        #expect(throws: (any Error).self) { try EmbedCommand.parse(["--json"]) }  // --model is required
    }

    @Test func rendersOneLinePerEmbedding() {
        #expect(EmbedCommand.render([0.5, -0.25, 1], json: true) == "[0.5,-0.25,1.0]")
        #expect(EmbedCommand.render([0.5, -0.25], json: false) == "0.5 -0.25")
        let parsed =
            try? JSONSerialization.jsonObject(with: Data(EmbedCommand.render([0.125, 2], json: true).utf8)) as? [Double]
        #expect(parsed == [0.125, 2])
    }

    @Test func isASubcommandOfKalam() {
        #expect(KalamCommand.configuration.subcommands.contains { $0 == EmbedCommand.self })
    }
}
