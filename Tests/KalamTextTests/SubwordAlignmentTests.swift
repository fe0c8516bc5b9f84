import Testing

@testable import KalamText

@Suite("SubwordAlignment")
struct SubwordAlignmentTests {
    @Test func wordPieceLikeOffsets() {
        // "unbelievable news!" → words [0,12) [13,17) [17,18)
        let words = [(start: 0, end: 12), (start: 13, end: 17), (start: 17, end: 18)]
        // [CLS] un ##believ ##able news ! [SEP]
        let tokens = [
            (start: 0, end: 0), (start: 0, end: 2), (start: 2, end: 8), (start: 8, end: 12),
            (start: 13, end: 17), (start: 17, end: 18), (start: 0, end: 0),
        ]
        #expect(SubwordAlignment.wordIndices(words: words, tokens: tokens) == [nil, 0, 0, 0, 1, 2, nil])
    }

    @Test func byteLevelOffsetsWithSpaces() {
        // GPT-2 style tokens carry the leading space: " news" = [12, 17).
        let words = [(start: 0, end: 12), (start: 13, end: 17)]
        let tokens = [(start: 0, end: 5), (start: 5, end: 12), (start: 12, end: 17), (start: 17, end: 18)]
        #expect(SubwordAlignment.wordIndices(words: words, tokens: tokens) == [0, 0, 1, nil])
    }

    @Test func tokenSpanningTwoWordsTakesLargestOverlap() {
        let words = [(start: 0, end: 2), (start: 2, end: 5)]  // "ca" "n't"
        let tokens = [(start: 0, end: 3), (start: 1, end: 5), (start: 3, end: 2)]
        #expect(SubwordAlignment.wordIndices(words: words, tokens: tokens) == [0, 1, nil])
        let none: [(start: Int, end: Int)] = []
        #expect(SubwordAlignment.wordIndices(words: none, tokens: tokens) == [nil, nil, nil])
    }

    @Test func taggedWordsGiveTokenTags() {
        let tagged = WordTokenizer(language: .english).tokenize("I ran.").map {
            TaggedWord(token: $0, label: "", upos: $0.isWordLike ? .noun : .punct, isKnown: true)
        }
        let tags = SubwordAlignment.universalTags(words: tagged, tokens: [(0, 1), (1, 5), (5, 6)])
        #expect(tags == [.noun, .noun, .punct])
    }
}
