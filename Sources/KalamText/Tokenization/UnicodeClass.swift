import Foundation

/// Character classes the normalizers and pre-tokenizers need, looked up from a table built once
/// from Swift's Unicode properties (Basic Multilingual Plane) and computed directly above it.
enum UnicodeClass {
    /// General category L* (`\p{L}`).
    static let letter: UInt8 = 1
    /// General category N* (`\p{N}`).
    static let number: UInt8 = 2
    /// The White_Space property (`\s`, Rust `char::is_whitespace`).
    static let whitespace: UInt8 = 4
    /// General category P* (Unicode punctuation).
    static let punctuation: UInt8 = 8
    /// General category C* (Cc, Cf, Cn, Co, Cs): BERT's "control" class.
    static let other: UInt8 = 16
    /// General category Mn (non-spacing mark).
    static let nonspacingMark: UInt8 = 32
    /// Rust regex `\w`: Alphabetic, M*, Nd, Pc, Join_Control.
    static let word: UInt8 = 64
    /// Any character whose lowercase mapping is not itself.
    static let changesWhenLowercased: UInt8 = 128

    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 0x10000)
        for v in 0..<0x10000 {
            if let s = Unicode.Scalar(UInt32(v)) { t[v] = compute(s) } else { t[v] = other }
        }
        return t
    }()

    static func compute(_ s: Unicode.Scalar) -> UInt8 {
        let p = s.properties
        var f: UInt8 = 0
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            f |= letter
        case .decimalNumber, .letterNumber, .otherNumber: f |= number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            f |= punctuation
        case .control, .format, .unassigned, .privateUse, .surrogate: f |= other
        case .nonspacingMark: f |= nonspacingMark
        default: break
        }
        if p.isWhitespace { f |= whitespace }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            f |= word
        default:
            if p.isAlphabetic || p.isJoinControl { f |= word }
        }
        if p.changesWhenLowercased { f |= changesWhenLowercased }
        return f
    }

    /// The class flags of a scalar value.
    @inline(__always)
    static func flags(_ v: UInt32) -> UInt8 {
        if v < 0x10000 { return table[Int(v)] }
        guard let s = Unicode.Scalar(v) else { return other }
        return compute(s)
    }

    /// BERT's punctuation test: ASCII symbol ranges or Unicode P*.
    @inline(__always)
    static func isBertPunctuation(_ v: UInt32) -> Bool {
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        return flags(v) & punctuation != 0
    }

    /// BERT's CJK ideograph ranges.
    @inline(__always)
    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v)
            || (0x2B920...0x2CEAF).contains(v) || (0xF900...0xFAFF).contains(v)
            || (0x2F800...0x2FA1F).contains(v)
    }
}

/// A thread-safe memo of per-scalar mappings (lowercase, canonical decomposition, ...),
/// because Swift's mappings return `String`s and are slow to recompute per character.
final class ScalarMappingCache: @unchecked Sendable {
    private var map: [UInt32: [UInt32]] = [:]
    private let lock = NSLock()
    private let compute: (Unicode.Scalar) -> [UInt32]

    init(_ compute: @escaping (Unicode.Scalar) -> [UInt32]) { self.compute = compute }

    func mapping(_ v: UInt32) -> [UInt32] {
        lock.lock()
        if let m = map[v] {
            lock.unlock()
            return m
        }
        lock.unlock()
        let m = Unicode.Scalar(v).map(compute) ?? [v]
        lock.lock()
        map[v] = m
        lock.unlock()
        return m
    }

    static let lowercase = ScalarMappingCache { s in s.properties.lowercaseMapping.unicodeScalars.map(\.value) }
    static let nfd = ScalarMappingCache { s in
        String(Character(s)).decomposedStringWithCanonicalMapping.unicodeScalars.map(\.value)
    }
    static let nfkd = ScalarMappingCache { s in
        String(Character(s)).decomposedStringWithCompatibilityMapping.unicodeScalars.map(\.value)
    }
}
