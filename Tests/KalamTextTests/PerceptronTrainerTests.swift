import Foundation
import Testing

@testable import KalamText

@Suite("PerceptronTrainer")
struct PerceptronTrainerTests {
    /// Silver data: corpus units tagged by the pretrained tagger; train on 80%, test on the rest.
    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func learnsSilverTags() throws {
        let pretrained = try #require(TaggingFixtures.pretrained)
        var units: [String] = []
        for source in ["wordnet", "bbc", "fortunes", "kjv"] {
            guard let all = TaggingFixtures.units(source: source) else { continue }
            units += stride(from: 0, to: all.count, by: max(1, all.count / 2500)).prefix(2500).map { all[$0] }
        }
        let sentences: [TaggedCorpus.Sentence] = units.compactMap { text in
            let words = TaggingFixtures.words(text)
            guard words.count >= 3 && words.count <= 60 else { return nil }
            return Array(zip(words, pretrained.tag(words)).map { (word: $0.0, tag: $0.1) })
        }
        #expect(sentences.count >= 2000)
        let held = sentences.enumerated().filter { $0.offset % 5 == 0 }.map(\.element)
        let train = sentences.enumerated().filter { $0.offset % 5 != 0 }.map(\.element)
        let model = try PerceptronTrainer(iterations: 5, seed: 7).train(train)
        let tagger = try PerceptronTagger(model: model)
        var total = 0, same = 0
        for sentence in held {
            let got = tagger.tag(sentence.map(\.word))
            total += got.count
            same += zip(got, sentence.map(\.tag)).filter { $0 == $1 }.count
        }
        let agreement = Double(same) / Double(total)
        print(
            "PerceptronTrainerTests: trained on \(train.count) silver sentences, held-out \(held.count) (\(total) tokens): agreement \(agreement)"
        )
        #expect(agreement >= 0.93)
    }

    static let toy = """
        the/DET dog/NOUN runs/VERB ./PUNCT
        a/DET cat/NOUN sleeps/VERB
        the/DET cat/NOUN runs/VERB fast/ADV
        """

    @Test func sameSeedSameModelAndSaveLoad() throws {
        let data = try TaggedCorpus.parseSlashTagged(Self.toy)
        let a = try PerceptronTrainer(iterations: 4, seed: 3, tagdictMinFrequency: 2).train(data)
        let b = try PerceptronTrainer(iterations: 4, seed: 3, tagdictMinFrequency: 2).train(data)
        #expect(a == b)
        #expect(a.classes == ["ADV", "DET", "NOUN", "PUNCT", "VERB"])
        #expect(a.tagdict["the"] == "DET" && a.tagdict["cat"] == "NOUN" && a.tagdict["dog"] == nil)
        let tagger = try PerceptronTagger(model: a)
        #expect(tagger.tag(["the", "dog", "runs"]) == ["DET", "NOUN", "VERB"])

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-pos-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try a.save(to: url)
        let loaded = try PerceptronModel(contentsOf: url)
        #expect(loaded == a)
        try a.save(to: url)  // overwriting goes through the same temporary-file path
        #expect(try PerceptronModel(contentsOf: url) == a)
    }

    @Test func badTrainingInput() throws {
        #expect(throws: TaggerError.noTrainingData) { try PerceptronTrainer().train([]) }
        #expect(throws: TaggerError.invalidArgument(name: "iterations", reason: "must be at least 1")) {
            try PerceptronTrainer(iterations: 0).train([[("a", "X")]])
        }
    }
}
