import Foundation
import Testing

@testable import KalamText

@Suite("PersianLexiconTagger")
struct PersianLexiconTaggerTests {
    static let hazm: PersianLexiconTagger? = try? PersianLexiconTagger.hazm()

    static var corporaInstalled: Bool {
        TaggingFixtures.hazmInstalled && DataDirectory.pypiFile("hafez", "hafez/data/hafez.json") != nil
            && DataDirectory.pypiFile("chatterbot-corpus", "chatterbot_corpus/data/persian") != nil
    }

    /// Verse lines of the first 30 ghazals.
    static func hafezLines() throws -> [String] {
        let url = try #require(DataDirectory.pypiFile("hafez", "hafez/data/hafez.json"))
        let poems = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
        return poems.prefix(30).flatMap { $0["poem"] as? [String] ?? [] }
    }

    /// Every conversation line of the Persian chatterbot topics.
    static func chatterbotLines() throws -> [String] {
        let folder = try #require(DataDirectory.pypiFile("chatterbot-corpus", "chatterbot_corpus/data/persian"))
        var lines: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        where name.hasSuffix(".yml") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for raw in text.split(separator: "\n") {
                var line = raw.trimmingCharacters(in: .whitespaces)
                guard line.hasPrefix("- ") else { continue }
                while line.hasPrefix("- ") { line = String(line.dropFirst(2)) }
                lines.append(line)
            }
        }
        return lines
    }

    @Test(.enabled(if: corporaInstalled, "hazm, hafez or chatterbot-corpus is not installed in the data cache"))
    func coverageOnHafezAndChatterbot() throws {
        let tagger = try #require(Self.hazm)
        var overall = (words: 0, known: 0)
        for (name, lines) in [("hafez", try Self.hafezLines()), ("chatterbot", try Self.chatterbotLines())] {
            var bySource: [PersianLexiconTagger.Source: Int] = [:]
            var words = 0
            for line in lines {
                for token in tagger.tokenizer.tokenize(line) where token.kind == .word {
                    words += 1
                    bySource[tagger.analyze(token.text).source, default: 0] += 1
                }
            }
            let known = words - bySource[.fallback, default: 0]
            let coverage = Double(known) / Double(words)
            let detail = PersianLexiconTagger.Source.allCases.map { "\($0.rawValue) \(bySource[$0, default: 0])" }
            print(
                "PersianLexiconTaggerTests: \(name) \(words) word tokens, lexicon coverage \(known)/\(words) = \(coverage) (\(detail.joined(separator: ", ")))"
            )
            #expect(words >= 300)
            overall.words += words
            overall.known += known
        }
        #expect(Double(overall.known) / Double(overall.words) >= 0.80)
    }

    @Test(.enabled(if: TaggingFixtures.hazmInstalled, "hazm is not installed in the data cache"))
    func knownWords() throws {
        let tagger = try #require(Self.hazm)
        #expect(tagger.lexiconSize > 190_000)
        let tagged = tagger.tag(text: "من به مدرسه می‌روم.")
        #expect(tagged.map(\.upos) == [.pron, .adp, .noun, .verb, .punct])
        #expect(tagged.map(\.isKnown) == [true, true, true, true, true])
        #expect(tagger.analyze("که").upos == .sconj)
        #expect(tagger.analyze("و").upos == .cconj)
        #expect(tagger.analyze("است").upos == .aux)
        #expect(tagger.analyze("كتاب").upos == .noun)  // Arabic kaf normalised
        #expect(tagger.analyze("کتاب‌ها").source == .stem)
        #expect(tagger.analyze("۱۲").upos == .num)
        #expect(tagger.analyze("Kalam").upos == .x)
        #expect(tagger.analyze("Kalam").source == .fallback)
    }

    @Test func smallLexicon() throws {
        let tagger = try PersianLexiconTagger(
            words: "سیب\t10\tN\nسرخ\t3\tAJ,N\nاز\t9\tP\nهم\t1\t0\n", verbs: "خورد#خور\n")
        #expect(tagger.tag(text: "سیب سرخ را خوردم").map(\.upos) == [.noun, .adj, .noun, .verb])
        #expect(tagger.tag(text: "سیب سرخ را خوردم").map(\.isKnown) == [true, true, false, true])
        #expect(tagger.analyze("می‌خورند").source == .verb)
        #expect(tagger.analyze("سیب‌ها").source == .stem)
        #expect(tagger.analyze("هم").source == .fallback)  // in the list, but without a tag
        #expect(tagger.tag(text: "") == [])
        #expect(tagger.tag(text: "؟! ،").map(\.upos) == [.punct, .punct, .punct])
    }

    @Test func malformedLexiconIsATypedError() {
        #expect(throws: TaggerError.malformedTrainingData(line: 2, reason: "expected word<TAB>count<TAB>tags")) {
            try PersianLexiconTagger(words: "سیب\t10\tN\nبدون‌ستون\n")
        }
    }
}
