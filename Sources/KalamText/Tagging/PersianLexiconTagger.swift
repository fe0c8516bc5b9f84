import Foundation

/// A Persian tagger that looks words up in hazm's lexicon (`hazm/data/words.dat`, `verbs.dat`).
///
/// `words.dat` lines are `word<TAB>frequency<TAB>TAG[,TAG…]` (`0` when the word has no tag); its
/// tags (Bijankhan style) map to UPOS: `N`/`CL`/`NIN` → NOUN, `AJ`/`AJC`/`COMP`/`ZVR` → ADJ,
/// `ADV` → ADV, `NUM` → NUM, `P`/`POSTP` → ADP, `CONJ` → CCONJ (SCONJ for subordinators such as
/// `که`, `اگر`), `DET` → DET, `PRO`/`PR` → PRON, `INT`/`PS` → INTJ, `V` → VERB; `PL` and `RES`
/// are features, not parts of speech. Where a word has several tags, closed-class ones win
/// (pronoun, conjunction, adposition, determiner), else the first listed.
///
/// A word is tried, in order: as written (after normalising Arabic yeh/kaf, diacritics and
/// tatweel); as a verb form built from a `verbs.dat` stem pair (`past#present`) with the
/// prefixes `می`/`نمی`/`ب`/`ن` and personal endings; with a plural or pronoun suffix removed
/// (`ها`, `های`, `ان`, `م`, `ت`, `ش`, `مان`, …). Only then a fallback guesses: digits → NUM,
/// Latin letters → X, otherwise NOUN; such words are marked `isKnown == false`.
public struct PersianLexiconTagger: PartOfSpeechTagger {
    /// How a word's tag was found.
    public enum Source: String, Sendable, CaseIterable {
        /// The word itself is tagged in `words.dat`.
        case lexicon
        /// The word is a conjugated form of a `verbs.dat` verb, or a copula form (`است`, `نیست`).
        case verb
        /// The word minus a plural or possessive suffix is tagged in `words.dat`.
        case stem
        /// Not found: the fallback guessed.
        case fallback
    }

    private let tags: [String: [String]]
    private let pastStems: Set<String>
    private let presentStems: Set<String>
    /// The tokenizer (Persian rules: ZWNJ stays inside words).
    public let tokenizer = WordTokenizer(language: .persian)

    private static let subordinators: Set<String> = [
        "که", "اگر", "چون", "تا", "زیرا", "چنانکه", "چنان‌که", "وقتی", "هرچند", "اگرچه",
    ]
    private static let copula: Set<String> = ["است", "نیست", "هست", "بود", "باشد", "نبود", "بوَد", "ست"]
    private static let priority = ["PRO", "PR", "CONJ", "P", "POSTP", "DET"]
    private static let personalEndings = ["", "م", "ی", "د", "یم", "ید", "ند", "ست"]
    private static let suffixes = [
        "های", "ها", "هایی", "ان", "ات", "ای", "یی", "ی", "ام", "ات", "اش", "مان", "تان", "شان", "م", "ت", "ش", "ست",
    ]

    /// Builds a tagger from lexicon file contents (`words.dat`, and optionally `verbs.dat`).
    ///
    /// Throws ``TaggerError/malformedTrainingData(line:reason:)`` for a `words.dat` line that does not
    /// have three tab-separated fields.
    public init(words: String, verbs: String = "") throws {
        var tags: [String: [String]] = [:]
        var lineNumber = 0
        for line in words.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3 else {
                throw TaggerError.malformedTrainingData(line: lineNumber, reason: "expected word<TAB>count<TAB>tags")
            }
            let list = fields[2].split(separator: ",").map(String.init).filter { $0 != "0" }
            let word = Self.normalize(String(fields[0]))
            if !list.isEmpty || tags[word] == nil { tags[word] = list }
        }
        var past = Set<String>(), present = Set<String>()
        for line in verbs.split(separator: "\n") {
            let parts = line.split(separator: "#", omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            if !parts[0].isEmpty { past.insert(Self.normalize(String(parts[0]))) }
            if !parts[1].isEmpty { present.insert(Self.normalize(String(parts[1]))) }
        }
        self.tags = tags
        self.pastStems = past
        self.presentStems = present
    }

    /// Loads hazm's lexicon from the data cache (`pypi/hazm/hazm/data/`).
    public static func hazm() throws -> PersianLexiconTagger {
        let relative = "hazm/data/words.dat"
        guard let wordsURL = DataDirectory.pypiFile("hazm", relative) else {
            throw TaggerError.fileNotFound(path: DataDirectory.pypi("hazm").appendingPathComponent(relative).path)
        }
        func read(_ url: URL) throws -> String {
            do { return try String(contentsOf: url, encoding: .utf8) } catch {
                throw TaggerError.io(path: url.path, message: error.localizedDescription)
            }
        }
        let verbs = try DataDirectory.pypiFile("hazm", "hazm/data/verbs.dat").map(read) ?? ""
        return try PersianLexiconTagger(words: read(wordsURL), verbs: verbs)
    }

    /// Number of entries in the word lexicon.
    public var lexiconSize: Int { tags.count }

    /// Arabic yeh/kaf → Persian, heh with hamza → heh, diacritics and tatweel removed.
    public static func normalize(_ word: String) -> String {
        var out = String.UnicodeScalarView()
        for s in word.unicodeScalars {
            switch s.value {
            case 0x064A, 0x0649: out.append("\u{06CC}")
            case 0x0643: out.append("\u{06A9}")
            case 0x06C0: out.append("\u{0647}")
            case 0x064B...0x0652, 0x0670, 0x0640: continue
            default: out.append(s)
            }
        }
        return String(out)
    }

    /// The UPOS for one hazm tag (`nil` for features such as `PL` and `RES`).
    public static func universal(hazmTag tag: String, word: String = "") -> UniversalTag? {
        switch tag {
        case "N", "CL", "NIN": return .noun
        case "AJ", "AJC", "COMP", "ZVR": return .adj
        case "ADV": return .adv
        case "NUM": return .num
        case "P", "POSTP": return .adp
        case "CONJ": return subordinators.contains(word) ? .sconj : .cconj
        case "DET": return .det
        case "PRO", "PR": return .pron
        case "INT", "PS": return .intj
        case "V": return .verb
        default: return nil
        }
    }

    /// The chosen hazm tag and its UPOS for a lexicon entry's tag list.
    private static func choose(_ list: [String], word: String) -> (String, UniversalTag)? {
        for tag in priority where list.contains(tag) {
            if let upos = universal(hazmTag: tag, word: word) { return (tag, upos) }
        }
        for tag in list { if let upos = universal(hazmTag: tag, word: word) { return (tag, upos) } }
        return nil
    }

    private func lexiconTag(_ word: String) -> (String, UniversalTag)? {
        guard let list = tags[word], !list.isEmpty else { return nil }
        return Self.choose(list, word: word)
    }

    private func isVerb(_ word: String) -> Bool {
        if Self.copula.contains(word) { return true }
        var bodies = [word]
        for prefix in ["نمی\u{200C}", "می\u{200C}", "نمی", "می", "ب", "ن"] where word.hasPrefix(prefix) {
            bodies.append(String(word.dropFirst(prefix.count)))
        }
        for body in bodies where !body.isEmpty {
            for ending in Self.personalEndings where body.hasSuffix(ending) && body.count > ending.count {
                let stem = String(body.dropLast(ending.count))
                if presentStems.contains(stem) && !ending.isEmpty { return true }
                if pastStems.contains(stem) && ending != "ست" && ending != "د" { return true }
            }
            // Participles (رفته) and perfect forms written together (رفته‌ام).
            for ending in ["ه", "ه\u{200C}ام", "ه\u{200C}ای", "ه\u{200C}ایم", "ه\u{200C}اید", "ه\u{200C}اند"]
            where body.hasSuffix(ending) && pastStems.contains(String(body.dropLast(ending.count))) {
                return true
            }
        }
        return false
    }

    /// The label, UPOS and source of one word.
    public func analyze(_ raw: String) -> (label: String, upos: UniversalTag, source: Source) {
        let word = Self.normalize(raw)
        if let (tag, upos) = lexiconTag(word) { return (tag, upos, .lexicon) }
        if isVerb(word) { return ("V", Self.copula.contains(word) ? .aux : .verb, .verb) }
        let joined = word.replacingOccurrences(of: "\u{200C}", with: "")
        if joined != word, let (tag, upos) = lexiconTag(joined) { return (tag, upos, .lexicon) }
        for suffix in Self.suffixes {
            for candidate in [word, joined] where candidate.hasSuffix(suffix) && candidate.count > suffix.count + 1 {
                var stem = String(candidate.dropLast(suffix.count))
                if stem.hasSuffix("\u{200C}") { stem.removeLast() }
                if let (tag, upos) = lexiconTag(stem) { return (tag, upos, .stem) }
            }
        }
        if word.unicodeScalars.contains(where: { $0.properties.numericType != nil }) { return ("NUM", .num, .fallback) }
        if word.unicodeScalars.contains(where: { $0.isASCII && $0.properties.isAlphabetic }) {
            return ("X", .x, .fallback)
        }
        return ("N", .noun, .fallback)
    }

    /// Tokenizes and tags `text`. Empty text gives `[]`; punctuation is tagged `PUNCT` by rule.
    public func tag(text: String) -> [TaggedWord] {
        tokenizer.tokenize(text).map { token in
            guard token.isWordLike else {
                return TaggedWord(token: token, label: token.ruleTag.rawValue, upos: token.ruleTag, isKnown: true)
            }
            let (label, upos, source) = analyze(token.text)
            return TaggedWord(token: token, label: label, upos: upos, isKnown: source != .fallback)
        }
    }
}
