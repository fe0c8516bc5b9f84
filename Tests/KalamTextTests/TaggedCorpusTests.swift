import Testing

@testable import KalamText

@Suite("TaggedCorpus")
struct TaggedCorpusTests {
    @Test func conllu() throws {
        let text = """
            # sent_id = 1
            # text = I don't know.
            1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_
            2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
            2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
            3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
            4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\t_
            4.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t_\t_

            1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_
            """
        let upos = try TaggedCorpus.parseCoNLLU(text)
        #expect(upos.count == 2)
        #expect(upos[0].map(\.word) == ["I", "do", "n't", "know"])
        #expect(upos[0].map(\.tag) == ["PRON", "AUX", "PART", "VERB"])
        let xpos = try TaggedCorpus.parseCoNLLU(text, column: .xpos)
        #expect(xpos[1].map(\.tag) == ["UH"])
    }

    @Test func conlluErrors() {
        #expect(
            throws: TaggerError.malformedTrainingData(line: 2, reason: "expected 10 tab-separated columns, found 3")
        ) {
            try TaggedCorpus.parseCoNLLU("1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n2\tb\tc\n")
        }
        #expect(throws: TaggerError.malformedTrainingData(line: 1, reason: "token id 'x' is not an integer")) {
            try TaggedCorpus.parseCoNLLU("x\ta\ta\tX\tX\t_\t0\troot\t_\t_\n")
        }
        #expect(throws: TaggerError.malformedTrainingData(line: 1, reason: "no tag in column 4")) {
            try TaggedCorpus.parseCoNLLU("1\ta\ta\t_\tX\t_\t0\troot\t_\t_\n")
        }
    }

    @Test func slashTagged() throws {
        let s = try TaggedCorpus.parseSlashTagged("the/DT 1/2/CD cats/NNS\n\nrun/VBP\n")
        #expect(s.count == 2)
        #expect(s[0].map(\.word) == ["the", "1/2", "cats"])
        #expect(s[0].map(\.tag) == ["DT", "CD", "NNS"])
        #expect(TaggedCorpus.formatSlashTagged(s) == "the/DT 1/2/CD cats/NNS\nrun/VBP\n")
        #expect(throws: TaggerError.malformedTrainingData(line: 2, reason: "'dogs' has no /TAG")) {
            try TaggedCorpus.parseSlashTagged("a/DT\ndogs run/VBP")
        }
        #expect(throws: TaggerError.malformedTrainingData(line: 1, reason: "'a/' needs a word and a tag")) {
            try TaggedCorpus.parseSlashTagged("a/")
        }
    }
}
