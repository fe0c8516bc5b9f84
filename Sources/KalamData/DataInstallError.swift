/// An error installing data: an unknown name, an unreachable registry, a package the registry does not
/// have, a missing tool, or a command that failed. Each names the package.
public enum DataInstallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A name that is neither a data set nor one of their packages.
    case unknownDataSet(name: String, known: [String])
    /// The registry could not be reached (no network, DNS failure, proxy, …).
    case registryUnreachable(package: String, registry: DataRegistry, message: String)
    /// The registry answered but has no such package (for Debian: maybe `apt-get update` is needed).
    case packageNotFound(package: String, registry: DataRegistry, message: String)
    /// A program the installer needs is not on this machine.
    case toolMissing(tool: String, package: String, hint: String)
    /// A command exited with a non-zero status.
    case commandFailed(package: String, command: String, status: Int32, message: String)
    /// A local package folder (used instead of the registries) holds no archive for the package.
    case archiveNotFound(package: String, folder: String)
    /// Deriving a corpus from installed packages failed.
    case derivationFailed(dataSet: String, reason: String)

    /// One readable line naming the package.
    public var description: String {
        switch self {
        case .unknownDataSet(let name, let known):
            return "unknown data set '\(name)'; known: \(known.joined(separator: ", "))"
        case .registryUnreachable(let package, let registry, let message):
            return "cannot reach \(registry.displayName) to fetch \(package): \(message)"
        case .packageNotFound(let package, let registry, let message):
            let hint = registry == .debian ? " (run `apt-get update` first?)" : ""
            return "\(registry.displayName) has no package \(package)\(hint): \(message)"
        case .toolMissing(let tool, let package, let hint):
            return "\(tool) is needed to install \(package) but was not found; \(hint)"
        case .commandFailed(let package, let command, let status, let message):
            return "installing \(package): `\(command)` exited with status \(status): \(message)"
        case .archiveNotFound(let package, let folder):
            return "no archive for \(package) in \(folder)"
        case .derivationFailed(let dataSet, let reason):
            return "deriving \(dataSet): \(reason)"
        }
    }
}
