/// The Penn Treebank tag set and its mapping to and from Universal POS tags.
///
/// PTB → UPOS follows the Universal Dependencies conversion used for English treebanks
/// (`MD` → AUX, `TO` and `POS` → PART, `RP` → ADP, `$`/`#` → SYM, punctuation → PUNCT). spaCy's
/// extra tags (`ADD`, `AFX`, `HYPH`, `NFP`, `XX`, `_SP`) are included. The mapping back,
/// UPOS → PTB, is lossy: it returns the most common PTB tag for a UPOS, refined by the verb form
/// when one is given (`VERB` + `Ger` → `VBG`).
public enum PennTreebank {
    /// Every PTB tag this mapping knows, with its UPOS.
    public static let toUniversal: [String: UniversalTag] = [
        "CC": .cconj, "CD": .num, "DT": .det, "EX": .pron, "FW": .x, "IN": .adp,
        "JJ": .adj, "JJR": .adj, "JJS": .adj, "LS": .x, "MD": .aux,
        "NN": .noun, "NNS": .noun, "NNP": .propn, "NNPS": .propn, "PDT": .det, "POS": .part,
        "PRP": .pron, "PRP$": .pron, "RB": .adv, "RBR": .adv, "RBS": .adv, "RP": .adp,
        "SYM": .sym, "TO": .part, "UH": .intj,
        "VB": .verb, "VBD": .verb, "VBG": .verb, "VBN": .verb, "VBP": .verb, "VBZ": .verb,
        "WDT": .det, "WP": .pron, "WP$": .pron, "WRB": .adv,
        ".": .punct, ",": .punct, ":": .punct, "``": .punct, "''": .punct, "\"": .punct,
        "-LRB-": .punct, "-RRB-": .punct, "(": .punct, ")": .punct, "HYPH": .punct, "NFP": .punct,
        "$": .sym, "#": .sym,
        "ADD": .x, "AFX": .adj, "GW": .x, "XX": .x, "NIL": .x, "_SP": .x,
    ]

    /// The UPOS of a PTB tag; throws ``TaggerError/tagSetMismatch(label:tagSet:known:)`` for an unknown tag.
    public static func universal(_ tag: String) throws -> UniversalTag {
        guard let upos = toUniversal[tag] else {
            throw TaggerError.tagSetMismatch(label: tag, tagSet: "Penn Treebank", known: toUniversal.keys.sorted())
        }
        return upos
    }

    /// The most common PTB tag for a UPOS, refined by a UD `VerbForm` value (`Fin`, `Inf`, `Ger`, `Part`).
    public static func pennTag(for upos: UniversalTag, verbForm: String? = nil) -> String {
        switch upos {
        case .adj: return "JJ"
        case .adp: return "IN"
        case .adv: return "RB"
        case .aux:
            switch verbForm {
            case "Inf": return "VB"
            case "Part": return "VBN"
            case "Ger": return "VBG"
            case "Fin": return "VBP"
            default: return "MD"
            }
        case .cconj: return "CC"
        case .det: return "DT"
        case .intj: return "UH"
        case .noun: return "NN"
        case .num: return "CD"
        case .part: return "RP"
        case .pron: return "PRP"
        case .propn: return "NNP"
        case .punct: return "."
        case .sconj: return "IN"
        case .sym: return "SYM"
        case .verb:
            switch verbForm {
            case "Fin": return "VBP"
            case "Ger": return "VBG"
            case "Part": return "VBN"
            default: return "VB"
            }
        case .x: return "FW"
        }
    }

    /// The PTB tag for a joint label such as `"VERB|Ger"` (as the English perceptron emits) or a bare UPOS.
    public static func pennTag(forLabel label: String) throws -> String {
        guard let upos = UniversalTag(label: label) else {
            throw TaggerError.tagSetMismatch(
                label: label, tagSet: "Universal POS", known: UniversalTag.allCases.map(\.rawValue))
        }
        let parts = label.split(separator: "|", maxSplits: 1)
        let form = parts.count == 2 && parts[1] != "-" ? String(parts[1]) : nil
        return pennTag(for: upos, verbForm: form)
    }
}
