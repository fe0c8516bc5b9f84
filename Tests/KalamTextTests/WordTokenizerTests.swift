import Foundation
import Testing

@testable import KalamText

@Suite("WordTokenizer")
struct WordTokenizerTests {
    private func check(_ records: [[String: Any]], _ language: WordTokenizer.Language) throws {
        let tokenizer = WordTokenizer(language: language)
        for record in records {
            let text = try #require(record["text"] as? String)
            let expected = try #require(record["tokens"] as? [[String: Any]])
            let got = tokenizer.tokenize(text)
            #expect(got.map(\.text) == expected.map { $0["text"] as? String ?? "" }, "\(text)")
            #expect(got.map(\.start) == expected.map { $0["start"] as? Int ?? -1 }, "\(text)")
            #expect(got.map(\.end) == expected.map { $0["end"] as? Int ?? -1 }, "\(text)")
            #expect(got.map(\.kind.rawValue) == expected.map { $0["kind"] as? String ?? "" }, "\(text)")
        }
    }

    /// Same tokens and offsets as the Python mirror in scripts/fixtures/pos.py.
    @Test func matchesFixture() throws {
        let fixture = try TaggingFixtures.json("sentences.json")
        try check(try #require(fixture["english"] as? [[String: Any]]), .english)
        try check(try #require(fixture["persian"] as? [[String: Any]]), .persian)
    }

    @Test func englishClitics() {
        let t = WordTokenizer(language: .english)
        #expect(t.tokenize("I don't know").map(\.text) == ["I", "do", "n't", "know"])
        #expect(t.tokenize("Can't WON'T cannot").map(\.text) == ["Ca", "n't", "WO", "N'T", "can", "not"])
        #expect(
            t.tokenize("we'll they're I'm she'd you've it's").map(\.text)
                == ["we", "'ll", "they", "'re", "I", "'m", "she", "'d", "you", "'ve", "it", "'s"])
        #expect(t.tokenize("shouldn't've").map(\.text) == ["should", "n't", "'ve"])
        #expect(t.tokenize("Don’t").map(\.text) == ["Do", "n’t"])
        #expect(
            t.tokenize("o'clock rock-and-roll 'quoted'").map(\.text) == [
                "o'clock", "rock-and-roll", "'", "quoted", "'",
            ])
        let offsets = t.tokenize("é don't").map { [$0.start, $0.end] }
        #expect(offsets == [[0, 1], [2, 4], [4, 7]])
    }

    @Test func numbersAndPunctuation() {
        let t = WordTokenizer(language: .english)
        let tokens = t.tokenize("Pay $1,000.50 now... ok?! 3.")
        #expect(tokens.map(\.text) == ["Pay", "$", "1,000.50", "now", "...", "ok", "?", "!", "3", "."])
        #expect(
            tokens.map(\.kind) == [
                .word, .symbol, .number, .word, .punctuation, .word, .punctuation, .punctuation, .number, .punctuation,
            ])
    }

    @Test func persianZWNJStaysInside() {
        let t = WordTokenizer(language: .persian)
        let tokens = t.tokenize("می\u{200C}روم کتاب\u{200C}ها\u{200C} را")
        #expect(tokens.map(\.text) == ["می\u{200C}روم", "کتاب\u{200C}ها", "را"])
        #expect(tokens.map(\.start) == [0, 7, 16])  // the stray ZWNJ at 14 is dropped
        // Persian clitics are not split like English ones.
        #expect(t.tokenize("don't").map(\.text) == ["don't"])
    }

    @Test func emptyAndWhitespace() {
        let t = WordTokenizer(language: .english)
        #expect(t.tokenize("").isEmpty)
        #expect(t.tokenize(" \n\t ").isEmpty)
        #expect(t.tokenize("?!").map(\.kind) == [.punctuation, .punctuation])
    }
}
