import Foundation
import Testing

@testable import KalamText

@Suite struct PlainTextCorpusTests {
    let text = "The river runs past the mill.\nIt never stops.\n\n\nA second paragraph here.\n   \nThird one.\n"

    @Test func splitsParagraphsLinesAndFiles() throws {
        let folder = try makeTemporaryFolder("plain")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("notes.txt")
        try Data(text.utf8).write(to: file)

        let paragraphs = try PlainTextCorpus.load(file, split: .paragraphs)
        #expect(
            paragraphs.map(\.text) == [
                "The river runs past the mill.\nIt never stops.", "A second paragraph here.", "Third one.",
            ])
        #expect(paragraphs.map(\.id) == ["notes.txt#0", "notes.txt#1", "notes.txt#2"])
        #expect(try PlainTextCorpus.load(file, split: .lines).count == 4)
        #expect(try PlainTextCorpus.load(file, split: .file).map(\.text) == [text])
    }

    @Test func readsAFolderInPathOrder() throws {
        let folder = try makeTemporaryFolder("plaindir")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("b"), withIntermediateDirectories: true)
        try Data("second file".utf8).write(to: folder.appendingPathComponent("b/z.txt"))
        try Data("first file".utf8).write(to: folder.appendingPathComponent("a.txt"))
        try Data("hidden".utf8).write(to: folder.appendingPathComponent(".hidden"))
        let documents = try PlainTextCorpus.load(folder, split: .file)
        #expect(
            documents == [
                TextDocument(id: "a.txt", text: "first file"), TextDocument(id: "b/z.txt", text: "second file"),
            ])
    }

    @Test func emptyCorpusIsAnError() throws {
        let folder = try makeTemporaryFolder("empty")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("blank.txt")
        try Data("\n  \n\t\n".utf8).write(to: file)
        #expect(throws: CorpusError.empty(path: file.path)) { try PlainTextCorpus.load(file) }
        #expect(throws: CorpusError.empty(path: file.path)) { try PlainTextCorpus.load(file, split: .file) }
    }

    @Test func jsonlReadsTextAndLabel() throws {
        let folder = try makeTemporaryFolder("jsonl")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("data.jsonl")
        let lines = [
            #"{"text": "Rain fell all night.", "label": "weather"}"#,
            "",
            #"{"text": "باران تمام شب بارید.", "label": 3}"#,
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        let documents = try JSONLCorpus.load(file, labelField: "label")
        #expect(
            documents == [
                TextDocument(id: "data.jsonl:1", text: "Rain fell all night.", label: "weather"),
                TextDocument(id: "data.jsonl:3", text: "باران تمام شب بارید.", label: "3"),
            ])
        #expect(try CorpusCatalog.documents(file.path).count == 2)
    }

    @Test func jsonlBadLinesNameTheLine() throws {
        let folder = try makeTemporaryFolder("jsonlbad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bad.jsonl")
        try Data("{\"text\": \"ok\"}\n{\"body\": \"no text\"}\n".utf8).write(to: file)
        #expect(throws: CorpusError.malformed(path: file.path, line: 2, reason: "no \"text\" field")) {
            try JSONLCorpus.load(file)
        }
        try Data("{\"text\": \"ok\"}\n[1, 2]\n".utf8).write(to: file)
        #expect(throws: CorpusError.malformed(path: file.path, line: 2, reason: "not a JSON object")) {
            try JSONLCorpus.load(file)
        }
        try Data("{\"text\": 5}\n".utf8).write(to: file)
        #expect(throws: CorpusError.malformed(path: file.path, line: 1, reason: "\"text\" is not a string")) {
            try JSONLCorpus.load(file)
        }
        try Data("{\"text\": \"unterminated\n".utf8).write(to: file)
        #expect(throws: CorpusError.malformed(path: file.path, line: 1, reason: "not valid JSON")) {
            try JSONLCorpus.load(file)
        }
    }

    @Test func unknownCorpusNameIsAnError() {
        #expect(throws: CorpusError.unknownCorpus(name: "no-such-corpus", known: CorpusCatalog.names)) {
            try CorpusCatalog.documents("no-such-corpus")
        }
    }
}
