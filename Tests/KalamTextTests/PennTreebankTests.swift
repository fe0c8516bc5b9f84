import Testing

@testable import KalamText

@Suite("PennTreebank")
struct PennTreebankTests {
    @Test func toUniversal() throws {
        #expect(try PennTreebank.universal("NNS") == .noun)
        #expect(try PennTreebank.universal("MD") == .aux)
        #expect(try PennTreebank.universal("TO") == .part)
        #expect(try PennTreebank.universal("RP") == .adp)
        #expect(try PennTreebank.universal("PRP$") == .pron)
        #expect(try PennTreebank.universal("WDT") == .det)
        #expect(try PennTreebank.universal("-LRB-") == .punct)
        #expect(try PennTreebank.universal("$") == .sym)
        // Every UPOS but SCONJ (PTB has no tag of its own for it: IN covers both).
        #expect(Set(UniversalTag.allCases).subtracting(PennTreebank.toUniversal.values) == [.sconj])
    }

    @Test func unknownTagIsATypedError() {
        #expect(
            throws: TaggerError.tagSetMismatch(
                label: "NOUN", tagSet: "Penn Treebank", known: PennTreebank.toUniversal.keys.sorted())
        ) {
            try PennTreebank.universal("NOUN")
        }
        #expect(throws: TaggerError.self) { try PennTreebank.pennTag(forLabel: "NN") }
    }

    @Test func fromUniversal() throws {
        #expect(try PennTreebank.pennTag(forLabel: "VERB|Ger") == "VBG")
        #expect(try PennTreebank.pennTag(forLabel: "VERB|Part") == "VBN")
        #expect(try PennTreebank.pennTag(forLabel: "AUX|Fin") == "VBP")
        #expect(try PennTreebank.pennTag(forLabel: "NOUN|-") == "NN")
        #expect(try PennTreebank.pennTag(forLabel: "PROPN") == "NNP")
        // Every UPOS maps to a PTB tag that maps back to it (except SCONJ → IN → ADP and PART → RP → ADP).
        for upos in UniversalTag.allCases where upos != .sconj && upos != .part {
            #expect(try PennTreebank.universal(PennTreebank.pennTag(for: upos)) == upos)
        }
        #expect(UniversalTag(label: "VERB|Fin") == .verb)
        #expect(UniversalTag(label: "VB") == nil)
    }
}
