import Foundation
import Testing

@testable import KalamText

@Suite("PerceptronTagger")
struct PerceptronTaggerTests {
    /// Kalam's tags vs denckring-en-pos's Python tagger and spaCy, on corpus units chosen by the fixture.
    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func agreementOnCorpora() throws {
        let tagger = try #require(TaggingFixtures.pretrained)
        let fixture = try TaggingFixtures.json("english_agreement.json")
        let classes = try #require(fixture["classes"] as? [String])
        let uposNames = try #require(fixture["upos"] as? [String])
        #expect(classes == tagger.classes)
        let sources = try #require(fixture["sources"] as? [[String: Any]])
        var total = 0, same = 0, spacySame = 0, sourcesRead: [String] = []
        for source in sources {
            let name = try #require(source["name"] as? String)
            guard let units = TaggingFixtures.units(source: name) else {
                print("PerceptronTaggerTests: corpus \(name) not installed, skipped")
                continue
            }
            #expect(units.count == source["unitCount"] as? Int, "corpus \(name) differs from the one the fixture read")
            sourcesRead.append(name)
            for entry in try #require(source["units"] as? [[String: Any]]) {
                let index = try #require(entry["index"] as? Int)
                let words = TaggingFixtures.words(units[index])
                let expected = (entry["tags"] as? String ?? "").unicodeScalars.map { classes[Int($0.value) - 97] }
                let spacy = (entry["spacy"] as? String ?? "").unicodeScalars.map { uposNames[Int($0.value) - 97] }
                #expect(words.count == entry["count"] as? Int, "\(name) unit \(index): tokenization differs")
                guard words.count == expected.count else { continue }
                let got = tagger.tag(words)
                for k in got.indices {
                    total += 1
                    if got[k] == expected[k] { same += 1 }
                    if UniversalTag(label: got[k])?.rawValue == spacy[k] { spacySame += 1 }
                }
            }
        }
        let agreement = Double(same) / Double(max(total, 1))
        let spacyAgreement = Double(spacySame) / Double(max(total, 1))
        print(
            "PerceptronTaggerTests: \(sourcesRead) \(total) tokens; vs denckring Python \(same)/\(total) = \(agreement); vs spaCy UPOS \(spacySame)/\(total) = \(spacyAgreement)"
        )
        #expect(total >= 2000)
        #expect(agreement >= 0.999)
        #expect(spacyAgreement >= 0.90)
    }

    /// The fixture's own sentences: the same labels as the Python tagger, token for token.
    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func sentencesMatchPython() throws {
        let tagger = try EnglishTagger(perceptron: try #require(TaggingFixtures.pretrained))
        let fixture = try TaggingFixtures.json("sentences.json")
        for record in try #require(fixture["english"] as? [[String: Any]]) {
            let text = try #require(record["text"] as? String)
            let labels = try #require(record["labels"] as? [String])
            let words = TaggingFixtures.words(text)
            #expect(tagger.tagWords(words) == labels, "\(text)")
        }
    }

    @Test(.enabled(if: TaggingFixtures.denckringInstalled, "denckring-en-pos is not installed in the data cache"))
    func pretrainedModelShape() throws {
        let tagger = try #require(TaggingFixtures.pretrained)
        #expect(tagger.classes.count == 20)
        #expect(tagger.classes.first == "ADJ|-")
        #expect(tagger.classes.last == "X|-")
        #expect(tagger.model.weights.count == 66441)
        #expect(tagger.model.tagdict.count == 480)
        #expect(tagger.model.vocabulary.count == 16494)
        #expect(tagger.model.weights["bias"]?["NOUN|-"] == 9.993)
        #expect(tagger.isKnown("The") && !tagger.isKnown("qwzxv"))
        #expect(tagger.tag([]) == [])
    }

    /// The compiled fast path must score exactly like the string-feature template.
    @Test func compiledMatchesTemplate() throws {
        // A small model over hand-picked features, including ties and t-1 w features.
        let model = PerceptronModel(
            classes: ["B", "A", "C"],
            tagdict: ["the": "A"],
            vocabulary: ["the", "dog", "runs"],
            weights: [
                "bias": ["A": 0.5, "B": 0.5],
                "suf2 gs": ["B": 1.25],
                "w dog": ["C": 2],
                "t-1 A": ["C": 0.5],
                "t-1 w C runs": ["B": 3],
                "w+1 runs": ["C": 0.25],
                "shape Xd": ["A": 5],
            ])
        let tagger = try PerceptronTagger(model: model)
        #expect(tagger.classes == ["A", "B", "C"])
        #expect(tagger.tag(["The", "dog", "runs"]) == ["A", "C", "B"])
        // Unknown word: bias ties A and B → the later label (B) wins, as in Python's max((score, label)).
        #expect(tagger.tag(["zzz"]) == ["B"])
        // Shape "Xd": upper-case first letter and a digit.
        #expect(tagger.tag(["R2"]) == ["A"])
        #expect(tagger.tag(["dogs"]) == ["B"])  // suf2 gs
    }

    @Test func corruptModelIsATypedError() throws {
        #expect(throws: TaggerError.self) { try PerceptronModel(data: Data("{\"classes\": [".utf8)) }
        do {
            _ = try PerceptronModel(data: Data("{\"classes\": [\"A\"], \"tagdict\": {}}".utf8), path: "m.json")
            Issue.record("expected an error")
        } catch let error as TaggerError {
            #expect(error == .corruptModel(path: "m.json", reason: "missing key 'vocabulary'"))
        }
        // A gzip stream cut short.
        let gz: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x4b, 0x4c]
        #expect(throws: TaggerError.corruptModel(path: "x.gz", reason: GzipError.truncated(byteOffset: 12).description))
        {
            try PerceptronModel(data: Data(gz), path: "x.gz")
        }
        #expect(throws: TaggerError.fileNotFound(path: "/nonexistent/tagger.json")) {
            try PerceptronModel(contentsOf: URL(fileURLWithPath: "/nonexistent/tagger.json"))
        }
        let empty = PerceptronModel(classes: [], tagdict: [:], vocabulary: [], weights: [:])
        #expect(throws: TaggerError.corruptModel(path: "<memory>", reason: "no classes")) {
            try PerceptronTagger(model: empty)
        }
    }

    @Test func tagSetMismatchIsATypedError() throws {
        let badTagdict = PerceptronModel(classes: ["A"], tagdict: ["x": "Z"], vocabulary: [], weights: [:])
        #expect(throws: TaggerError.tagSetMismatch(label: "Z", tagSet: "model classes", known: ["A"])) {
            try PerceptronTagger(model: badTagdict)
        }
        let badWeights = PerceptronModel(classes: ["A"], tagdict: [:], vocabulary: [], weights: ["bias": ["NN": 1]])
        #expect(throws: TaggerError.tagSetMismatch(label: "NN", tagSet: "model classes", known: ["A"])) {
            try PerceptronTagger(model: badWeights)
        }
        // A PTB-labelled model cannot drive the UPOS English tagger.
        let ptb = try PerceptronTagger(
            model: PerceptronModel(classes: ["NN", "VB"], tagdict: [:], vocabulary: [], weights: [:]))
        #expect(throws: TaggerError.self) { try EnglishTagger(perceptron: ptb) }
    }
}
