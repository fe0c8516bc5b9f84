import Foundation
import KalamData
import Testing

@testable import KalamCLI
@testable import KalamText

@Suite struct DataCommandTests {
    @Test func unknownNameIsATypedError() throws {
        let command = try DataCommand.Install.parse(["no-such-set", "--data-dir", "/tmp/kalam-cli-unused"])
        #expect(throws: DataInstallError.unknownDataSet(name: "no-such-set", known: DataCatalog.all.map(\.name))) {
            try command.run()
        }
    }

    @Test func optionsParse() throws {
        let command = try DataCommand.Install.parse([
            "kjv", "bible-kjv", "--force", "--from", "/srv/archives", "--data-dir", "/d",
        ])
        #expect(command.names == ["kjv", "bible-kjv"])
        #expect(command.force && !command.all)
        #expect(command.from == "/srv/archives")
        #expect(command.location.root.path == "/d")
        let list = try DataCommand.List.parse([])
        #expect(list.location.root == DataDirectory.root)
    }
}
