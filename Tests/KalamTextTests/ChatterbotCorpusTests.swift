import Foundation
import Testing

@testable import KalamText

@Suite struct ChatterbotCorpusTests {
    @Test func parsesTheTopicFormat() throws {
        let yaml = """
            categories:
            - travel
            - 'plans'
            conversations:
            - - Where are you going?
              - To the coast,
                by train.
            - - "Tab\\tand quote \\" here"
              - 'It''s folded
                onto one line.

                With a paragraph.'
            - - Show code
              - |
                line one
                  indented
                # not a comment

              - >-
                folded
                text
            # a comment line
            - - plain # trailing comment
              - time is 10:30 now
            """
        let topic = try ChatterbotCorpus.parse(yaml, language: "english", topic: "travel", path: "t.yml")
        #expect(topic.categories == ["travel", "plans"])
        #expect(
            topic.conversations == [
                ["Where are you going?", "To the coast, by train."],
                ["Tab\tand quote \" here", "It's folded onto one line.\nWith a paragraph."],
                ["Show code", "line one\n  indented\n# not a comment\n", "folded text"],
                ["plain", "time is 10:30 now"],
            ])
    }

    @Test func indentedCategoriesAndPersianText() throws {
        let yaml = "categories:\n  - غذا\nconversations:\n- - چه میخوری؟\n  - نان و پنیر\n"
        let topic = try ChatterbotCorpus.parse(yaml, language: "persian", topic: "food", path: "f.yml")
        #expect(topic.categories == ["غذا"])
        #expect(topic.conversations == [["چه میخوری؟", "نان و پنیر"]])
    }

    @Test func errorsNameTheLine() {
        #expect(
            throws: CorpusError.malformed(
                path: "bad.yml", line: 3, reason: "while scanning a quoted scalar: found unexpected end of stream")
        ) {
            try ChatterbotCorpus.parse(
                "conversations:\n- - ok\n  - 'never closed\n", language: "x", topic: "t", path: "bad.yml")
        }
        #expect(
            throws: CorpusError.malformed(
                path: "bad.yml", line: 3,
                reason: "while parsing a block mapping (line 1): did not find expected key")
        ) {
            try ChatterbotCorpus.parse("conversations:\n  - a\n - b\n", language: "x", topic: "t", path: "bad.yml")
        }
        #expect(
            throws: CorpusError.malformed(
                path: "bad.yml", line: 2, reason: "conversation 1 is not a list of turns: a mapping")
        ) {
            try ChatterbotCorpus.parse("conversations:\n- key: value\n", language: "x", topic: "t", path: "bad.yml")
        }
        #expect(
            throws: CorpusError.malformed(
                path: "bad.yml", line: 1, reason: "expected a mapping with categories and conversations")
        ) {
            try ChatterbotCorpus.parse("- a\n- b\n", language: "x", topic: "t", path: "bad.yml")
        }
        #expect(
            throws: CorpusError.malformed(
                path: "bad.yml", line: 1, reason: "categories is not a list: the string \"food\"")
        ) {
            try ChatterbotCorpus.parse("categories: food\n", language: "x", topic: "t", path: "bad.yml")
        }
    }

    struct FixtureTopic: Decodable {
        let language: String
        let topic: String
        let categories: Int
        let categoriesHash: String
        let conversations: Int
        let strings: Int
        let conversationsHash: String
    }

    struct Fixture: Decodable { let topics: [FixtureTopic] }

    /// FNV-1a 64 over UTF-8 chunks, as in scripts/fixtures/corpora.py.
    static func fnv1a(_ chunks: [[UInt8]]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for chunk in chunks {
            for byte in chunk {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01B3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Every English and Persian topic parses to exactly what PyYAML gives (counts and string hashes).
    @Test(.enabled(if: Installed.chatterbot, "chatterbot-corpus not installed: run `kalam data install chatterbot`"))
    func installedTopicsMatchPyYAML() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/corpora/chatterbot.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        var topics: [ChatterbotTopic] = []
        for language in ["english", "persian"] { topics += try ChatterbotCorpus.load(language: language) }
        #expect(topics.count == 38)
        #expect(topics.filter { $0.language == "english" }.reduce(0) { $0 + $1.conversations.count } == 2_026)
        #expect(topics.filter { $0.language == "persian" }.reduce(0) { $0 + $1.conversations.count } == 773)
        try #require(topics.count == fixture.topics.count)
        for (topic, expected) in zip(topics, fixture.topics) {
            #expect(topic.language == expected.language && topic.topic == expected.topic)
            #expect(topic.categories.count == expected.categories)
            #expect(topic.conversations.count == expected.conversations, "\(topic.topic)")
            #expect(topic.conversations.reduce(0) { $0 + $1.count } == expected.strings, "\(topic.topic)")
            #expect(
                Self.fnv1a(topic.categories.map { Array($0.utf8) + [0x1F] }) == expected.categoriesHash,
                "\(topic.topic)")
            var chunks: [[UInt8]] = []
            for conversation in topic.conversations {
                for turn in conversation { chunks.append(Array(turn.utf8) + [0x1F]) }
                chunks.append([0x1E])
            }
            #expect(Self.fnv1a(chunks) == expected.conversationsHash, "\(expected.language)/\(topic.topic)")
        }
    }
}
