import Foundation
import KalamFiles

/// One cell of an experiment: a pure function of its configuration. `values`, `series` and `texts`
/// are what the cell measured and repeat exactly for the same configuration; `timings` (seconds) and
/// `memory` vary from run to run and are reported apart.
public struct CellRecord: Codable, Sendable, Equatable {
    public var experiment: String
    /// The configuration, as strings (sorted by key when written).
    public var config: [String: String]
    public var values: [String: Double] = [:]
    public var series: [String: [Double]] = [:]
    public var texts: [String: [String]] = [:]
    public var timings: [String: Double] = [:]

    public init(experiment: String, config: [String: String]) {
        self.experiment = experiment
        self.config = config
    }

    /// `values[name]`, or NaN when the cell did not measure it.
    public func value(_ name: String) -> Double { values[name] ?? .nan }
}

/// Finished cells on disk, keyed by a hash of the experiment, the configuration and Kalam's version, so
/// an interrupted lab resumes and a rerun reuses what is done.
struct CellCache {
    let folder: URL
    let version: String

    /// The canonical text of a configuration: `key=value` lines sorted by key.
    static func canonical(_ experiment: String, _ config: [String: String], version: String) -> String {
        ([experiment, version] + config.keys.sorted().map { "\($0)=\(config[$0] ?? "")" }).joined(separator: "\n")
    }

    /// 64-bit FNV-1a of `text`, as 16 hexadecimal digits.
    static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    func file(_ experiment: String, _ config: [String: String]) -> URL {
        folder.appendingPathComponent(
            "\(experiment)-\(Self.hash(Self.canonical(experiment, config, version: version))).json")
    }

    /// The cached cell for `config`, if one was finished (a file whose configuration differs, or that does
    /// not decode, counts as absent and is recomputed).
    func load(_ experiment: String, _ config: [String: String]) -> CellRecord? {
        guard let data = FileManager.default.contents(atPath: file(experiment, config).path),
            let record = try? Self.decoder.decode(CellRecord.self, from: data),
            record.experiment == experiment, record.config == config
        else { return nil }
        return record
    }

    func store(_ record: CellRecord) throws {
        try AtomicFile.createFolder(folder)
        try AtomicFile.write(try Self.encoder.encode(record), to: file(record.experiment, record.config))
    }

    /// Sorted keys; a value that is not finite (a measure that could not be taken) as a string.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
