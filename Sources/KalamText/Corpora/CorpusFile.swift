import Foundation

/// Reading corpus files: existence checks, strict UTF-8 decoding with the offset of the first bad
/// byte, and listing the regular files of a folder in a stable order.
public enum CorpusFile {
    /// The bytes of a file, or ``CorpusError/fileNotFound(path:)`` / ``CorpusError/unreadable(path:reason:)``.
    public static func bytes(_ url: URL) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CorpusError.fileNotFound(path: url.path)
        }
        if isDirectory.boolValue {
            throw CorpusError.unreadable(path: url.path, reason: "is a folder, expected a file")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CorpusError.unreadable(path: url.path, reason: "permission denied or I/O error")
        }
        return [UInt8](data)
    }

    /// The text of a file. A leading UTF-8 byte-order mark is dropped. Invalid UTF-8 is rejected with the
    /// byte offset of the first invalid byte, unless `decoding` is ``TextDecoding/latin1Fallback``.
    public static func text(_ url: URL, decoding: TextDecoding = .strict) throws -> String {
        try decode(bytes(url), path: url.path, decoding: decoding)
    }

    /// Decodes bytes as UTF-8 (see ``text(_:decoding:)``); `path` names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String, decoding: TextDecoding = .strict) throws -> String {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        if let offset = firstInvalidUTF8(bytes, from: start) {
            switch decoding {
            case .strict:
                throw CorpusError.invalidUTF8(path: path, byteOffset: offset)
            case .latin1Fallback:
                return String(bytes[start...].map { Character(Unicode.Scalar($0)) })
            }
        }
        return String(decoding: bytes[start...], as: UTF8.self)
    }

    /// The offset of the first byte that breaks UTF-8 (overlong forms, surrogates and code points above
    /// U+10FFFF count as invalid; a truncated sequence reports its first byte), or `nil` when valid.
    public static func firstInvalidUTF8(_ bytes: [UInt8], from start: Int = 0) -> Int? {
        let n = bytes.count
        var i = start
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                upper = 0x9F
            case 0xF0:
                length = 4
                lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                upper = 0x8F
            default: return i
            }
            guard i + length <= n else { return i }
            let b1 = bytes[i + 1]
            guard b1 >= lower, b1 <= upper else { return i }
            var k = 2
            while k < length {
                guard bytes[i + k] & 0xC0 == 0x80 else { return i }
                k += 1
            }
            i += length
        }
        return nil
    }

    /// The regular files under a folder (recursively, hidden files skipped), sorted by relative path,
    /// or the file itself when `url` is a file.
    public static func files(under url: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CorpusError.fileNotFound(path: url.path)
        }
        guard isDirectory.boolValue else { return [url] }
        guard
            let enumerator = FileManager.default.enumerator(
                at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]
            )
        else {
            throw CorpusError.unreadable(path: url.path, reason: "cannot list folder")
        }
        var found: [URL] = []
        for case let file as URL in enumerator {
            let values = try? file.resourceValues(forKeys: [.isRegularFileKey])
            if values?.isRegularFile == true { found.append(file) }
        }
        return found.sorted { $0.path < $1.path }
    }

    /// Throws ``CorpusError/notInstalled(corpus:path:)`` unless `url` exists.
    static func requireInstalled(_ url: URL, corpus: String) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CorpusError.notInstalled(corpus: corpus, path: url.path)
        }
    }

    /// Splits text into lines on `\n`, dropping a trailing `\r` from each line.
    public static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
    }
}
