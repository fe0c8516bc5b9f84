import Foundation
import KalamFiles

/// One record of the JSONL metrics log.
public struct MetricsRecord: Codable, Sendable, Equatable {
    /// `train`, `eval` or `summary`.
    public var kind: String
    /// The optimizer step the record belongs to.
    public var step: Int
    /// Training loss (mean over the step's micro-batches).
    public var loss: Float?
    /// The learning rate of the step.
    public var learningRate: Float?
    /// The global gradient norm before clipping.
    public var gradNorm: Float?
    /// Training throughput over the last reporting interval (target tokens per second).
    public var tokensPerSecond: Double?
    /// Validation loss.
    public var validationLoss: Float?
    /// `exp(validationLoss)`.
    public var validationPerplexity: Double?
    /// Seconds since the run (or the resumed part) started.
    public var elapsed: Double?
    /// Free-form values of a summary (the unigram baseline, the stop reason …).
    public var extra: [String: String]?

    enum CodingKeys: String, CodingKey {
        case kind = "type"
        case step, loss, extra, elapsed
        case learningRate = "lr"
        case gradNorm = "grad_norm"
        case tokensPerSecond = "tokens_per_second"
        case validationLoss = "val_loss"
        case validationPerplexity = "val_perplexity"
    }

    /// A record of `kind` at `step`; fill the rest as needed.
    public init(kind: String, step: Int) {
        self.kind = kind
        self.step = step
    }
}

/// An append-only JSONL file of ``MetricsRecord``s, one per line, flushed after every record.
public final class MetricsLog {
    /// The log file.
    public let url: URL
    private let handle: FileHandle
    private let encoder: JSONEncoder

    /// Opens (creating) `url` for appending. When `truncatingAfter` is given, records of later steps
    /// (written by a run that was interrupted after its last checkpoint) are dropped first, so a resumed
    /// run's log reads like an uninterrupted one.
    public init(url: URL, truncatingAfter step: Int? = nil) throws {
        self.url = url
        let fm = FileManager.default
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            try AtomicFile.createFolder(url.deletingLastPathComponent())
            if let step, let data = fm.contents(atPath: url.path) {
                let decoder = JSONDecoder()
                let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
                    guard let r = try? decoder.decode(MetricsRecord.self, from: Data(line.utf8)) else { return false }
                    return r.step <= step && r.kind != "summary"
                }
                let text = kept.map { $0 + "\n" }.joined()
                try AtomicFile.write(text, to: url)
            } else if step == nil {
                try AtomicFile.write(Data(), to: url)
            }
            if !fm.fileExists(atPath: url.path) { _ = fm.createFile(atPath: url.path, contents: nil) }
            handle = try FileHandle(forWritingTo: url)
            handle.seekToEndOfFile()
        } catch {
            throw TrainingError.writeFailure(error, path: url.path)
        }
    }

    deinit { try? handle.close() }

    /// Appends one record.
    /// - Throws: ``TrainingError/writeFailed(path:reason:)`` when the file system refuses (a full disk).
    public func append(_ record: MetricsRecord) throws {
        guard let data = try? encoder.encode(record) else { return }
        do {
            try handle.write(contentsOf: data + Data("\n".utf8))
        } catch {
            throw TrainingError.writeFailure(error, path: url.path)
        }
    }

    /// Reads every record of a log file.
    public static func read(_ url: URL) throws -> [MetricsRecord] {
        let data = try Data(contentsOf: url)
        let decoder = JSONDecoder()
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try decoder.decode(MetricsRecord.self, from: Data($0.utf8))
        }
    }
}
