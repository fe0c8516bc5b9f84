import Foundation

/// Where Kalam finds the corpora and models installed by `kalam data install`.
///
/// The cache root is `$KALAM_DATA` when set, else `~/.cache/kalam`. Inside it:
/// - `pypi/<name>/` holds a PyPI package unpacked (a wheel's contents, or an sdist with its
///   top-level folder stripped), e.g. `pypi/hazm/hazm/data/words.dat`;
/// - `debian/<name>/` holds a Debian package extracted with `dpkg-deb -x`, e.g.
///   `debian/wordnet-base/usr/share/wordnet/`;
/// - `corpora/<name>/` holds text Kalam derived from a package (e.g. the KJV dumped to plain text);
/// - `downloads/` keeps the fetched archives (`.deb`, `.whl`, `.tar.gz`), so a reinstall needs no network.
///
/// Each installed folder holds a `.kalam-installed` marker, written last (see KalamData's `DataInstaller`); a
/// folder without one is a half-finished install that `kalam data install` redoes.
public enum DataDirectory {
    /// The cache root: `$KALAM_DATA`, or `~/.cache/kalam`.
    public static var root: URL {
        if let custom = ProcessInfo.processInfo.environment["KALAM_DATA"], !custom.isEmpty {
            return URL(fileURLWithPath: custom, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/kalam", isDirectory: true)
    }

    /// The folder of an unpacked PyPI package.
    public static func pypi(_ name: String) -> URL {
        root.appendingPathComponent("pypi/\(name)", isDirectory: true)
    }

    /// The folder of an extracted Debian package.
    public static func debian(_ name: String) -> URL {
        root.appendingPathComponent("debian/\(name)", isDirectory: true)
    }

    /// The folder of a corpus Kalam derived from an installed package.
    public static func corpus(_ name: String) -> URL {
        root.appendingPathComponent("corpora/\(name)", isDirectory: true)
    }

    /// A file inside an installed PyPI package, or `nil` when it is not installed.
    public static func pypiFile(_ package: String, _ relativePath: String) -> URL? {
        existing(pypi(package).appendingPathComponent(relativePath))
    }

    /// A file inside an extracted Debian package, or `nil` when it is not installed.
    public static func debianFile(_ package: String, _ relativePath: String) -> URL? {
        existing(debian(package).appendingPathComponent(relativePath))
    }

    private static func existing(_ url: URL) -> URL? {
        FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}
