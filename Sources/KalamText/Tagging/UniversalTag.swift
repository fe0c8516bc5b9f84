/// The 17 Universal Dependencies part-of-speech tags (UPOS).
///
/// Masking weights are given per UPOS, so every tagger in Kalam maps its own labels onto this set:
/// the English perceptron's `"UPOS|VerbForm"` labels, Penn Treebank tags through ``PennTreebank``,
/// and hazm's Persian lexicon tags through ``PersianLexiconTagger``.
public enum UniversalTag: String, CaseIterable, Codable, Sendable, Comparable {
    /// Adjective.
    case adj = "ADJ"
    /// Adposition (preposition, postposition).
    case adp = "ADP"
    /// Adverb.
    case adv = "ADV"
    /// Auxiliary verb.
    case aux = "AUX"
    /// Coordinating conjunction.
    case cconj = "CCONJ"
    /// Determiner.
    case det = "DET"
    /// Interjection.
    case intj = "INTJ"
    /// Noun.
    case noun = "NOUN"
    /// Numeral.
    case num = "NUM"
    /// Particle.
    case part = "PART"
    /// Pronoun.
    case pron = "PRON"
    /// Proper noun.
    case propn = "PROPN"
    /// Punctuation.
    case punct = "PUNCT"
    /// Subordinating conjunction.
    case sconj = "SCONJ"
    /// Symbol.
    case sym = "SYM"
    /// Verb.
    case verb = "VERB"
    /// Other (foreign words, typos, unanalysable tokens).
    case x = "X"

    /// Reads a UPOS tag, or a joint `"UPOS|Feature"` label such as `"VERB|Fin"` (the part before `|`).
    ///
    /// Returns `nil` for anything that is not one of the 17 tags.
    public init?(label: String) {
        let head =
            label.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? label
        self.init(rawValue: head)
    }

    /// Orders tags by their UPOS name.
    public static func < (lhs: UniversalTag, rhs: UniversalTag) -> Bool { lhs.rawValue < rhs.rawValue }

    /// True for open-class content words (nouns, proper nouns, verbs, adjectives, adverbs).
    public var isContentWord: Bool {
        switch self {
        case .noun, .propn, .verb, .adj, .adv: return true
        default: return false
        }
    }
}
