import Foundation
import KalamText
import Testing

@testable import KalamCLI

@Suite("TagCommand")
struct TagCommandTests {
    @Test func parsesOptions() throws {
        let command = try TagCommand.parse(["--lang", "fa", "--json"])
        #expect(command.lang == .fa && command.json && !command.labels && command.model == nil)
        #expect(throws: (any Error).self) { try TagCommand.parse(["--lang", "de"]) }
        let root = try KalamCommand.parseAsRoot(["tag", "--lang", "en"])
        #expect(root is TagCommand)
    }

    @Test func rendersWordTagAndJSON() throws {
        let token = WordToken(text: "dog", start: 4, end: 7, kind: .word)
        let tagged = [TaggedWord(token: token, label: "NOUN|-", upos: .noun, isKnown: true)]
        #expect(TagCommand.render(tagged, lineNumber: 1, json: false, labels: false) == "dog/NOUN")
        #expect(TagCommand.render(tagged, lineNumber: 1, json: false, labels: true) == "dog/NOUN|-")
        #expect(TagCommand.render([], lineNumber: 2, json: false, labels: false) == "")
        let json = TagCommand.render(tagged, lineNumber: 3, json: true, labels: false)
        #expect(
            json
                == #"{"line":3,"words":[{"end":7,"known":true,"label":"NOUN|-","start":4,"text":"dog","upos":"NOUN"}]}"#
        )
    }

    @Test func missingModelIsATypedError() throws {
        let command = try TagCommand.parse(["--model", "/nonexistent/model.json"])
        #expect(throws: TaggerError.fileNotFound(path: "/nonexistent/model.json")) { try command.makeTagger() }
    }
}
