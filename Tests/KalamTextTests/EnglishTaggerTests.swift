import Testing

@testable import KalamText

@Suite("EnglishTagger")
struct EnglishTaggerTests {
    static let tagger: EnglishTagger? = TaggingFixtures.pretrained.flatMap { try? EnglishTagger(perceptron: $0) }

    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func tagsText() throws {
        let tagger = try #require(Self.tagger)
        let tagged = tagger.tag(text: "The dog didn't bark.")
        #expect(tagged.map(\.text) == ["The", "dog", "did", "n't", "bark", "."])
        #expect(tagged.map(\.upos) == [.det, .noun, .aux, .part, .verb, .punct])
        #expect(tagged.map(\.label) == ["DET|-", "NOUN|-", "AUX|Fin", "PART|-", "VERB|Inf", "PUNCT"])
        #expect(tagged[1].token.start == 4 && tagged[1].token.end == 7)
    }

    /// Documented results: empty text → no words; punctuation only → all PUNCT / SYM, no model call.
    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func degenerateInput() throws {
        let tagger = try #require(Self.tagger)
        #expect(tagger.tag(text: "").isEmpty)
        #expect(tagger.tag(text: "  \n ").isEmpty)
        let punct = tagger.tag(text: "... ?! -- $")
        #expect(punct.map(\.upos) == [.punct, .punct, .punct, .punct, .sym])
        #expect(punct.map(\.label) == ["PUNCT", "PUNCT", "PUNCT", "PUNCT", "SYM"])
    }

    /// Sentences are tagged separately: the same sentence gets the same tags wherever it stands.
    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func sentenceSplitting() throws {
        let tagger = try #require(Self.tagger)
        let one = tagger.tag(text: "Time flies like an arrow.").map(\.label)
        let two = tagger.tag(text: "Fruit flies like a banana. Time flies like an arrow.").map(\.label)
        #expect(Array(two.suffix(one.count)) == one)
        let lines = tagger.tag(text: "Time flies like an arrow\nTime flies like an arrow").map(\.label)
        #expect(Array(lines.prefix(5)) == Array(one.prefix(5)) && Array(lines.suffix(5)) == Array(one.prefix(5)))
    }
}
