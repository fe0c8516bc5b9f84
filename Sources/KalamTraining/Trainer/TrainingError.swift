import Foundation
import KalamCore
import KalamFiles

/// Every error the trainer throws: bad options, checkpoints that are missing, corrupt or of another
/// model, and failures writing checkpoints or logs. Each case names what is wrong, and
/// ``description`` is one readable line.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An option out of range (`steps`, `batchSize`, `evalEvery`, …).
    case invalidOption(name: String, value: String, reason: String)
    /// No checkpoint where one was asked for (a missing folder, or a run folder with none saved).
    case checkpointNotFound(path: String)
    /// A checkpoint folder that cannot be read back: a missing or unreadable file, or bad contents.
    case corruptCheckpoint(path: String, reason: String)
    /// A checkpoint saved from another model architecture or configuration.
    case architectureMismatch(expected: String, found: String)
    /// Writing a checkpoint, the metrics log or the model failed.
    case writeFailed(path: String, reason: String)
    /// The loss became NaN or infinite at `step`.
    case nonFiniteLoss(step: Int)
    /// A resumed run's settings differ from the checkpoint's; each entry names a setting and both values.
    case configurationMismatch(fields: [String])
    /// A preset name that is neither a known preset nor an existing configuration file.
    case unknownPreset(name: String, known: [String])
    /// An architecture the trainer cannot build.
    case unknownArchitecture(name: String, known: [String])
    /// A tokenizer argument that is neither `train:SIZE` nor an existing tokenizer file or folder.
    case invalidTokenizer(spec: String, reason: String)
    /// The tokenizer lacks a token an objective needs (`[MASK]` for masking, `<extra_id_0>` for span
    /// corruption, `</s>`).
    case missingSpecialToken(token: String, purpose: String)
    /// A sequence too short for the objective (span corruption needs room for one noise span).
    case sequenceTooShort(length: Int, minimum: Int)

    /// One readable line.
    public var description: String {
        switch self {
        case let .invalidOption(name, value, reason):
            return "invalid \(name) \(value): \(reason)"
        case let .checkpointNotFound(path):
            return "no checkpoint found at \(path)"
        case let .corruptCheckpoint(path, reason):
            return "checkpoint \(path) is corrupt: \(reason)"
        case let .architectureMismatch(expected, found):
            return "checkpoint is of another architecture: expected \(expected), found \(found)"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason)"
        case let .configurationMismatch(fields):
            return "the settings differ from the checkpoint's: " + fields.joined(separator: "; ")
        case let .nonFiniteLoss(step):
            return "the loss is not finite at step \(step); lower the learning rate or enable clipping"
        case let .unknownPreset(name, known):
            return "unknown preset '\(name)' (not a file either); known presets: \(known.joined(separator: ", "))"
        case let .unknownArchitecture(name, known):
            return "unknown architecture '\(name)'; known: \(known.joined(separator: ", "))"
        case let .invalidTokenizer(spec, reason):
            return "invalid tokenizer '\(spec)': \(reason)"
        case let .missingSpecialToken(token, purpose):
            return "the tokenizer has no \(token) token, needed for \(purpose)"
        case let .sequenceTooShort(length, minimum):
            return "a sequence of \(length) tokens is too short to hold one span (needs at least \(minimum))"
        }
    }
}

extension TrainingError {
    /// A failed write of `path` as ``writeFailed(path:reason:)``, with the writer's own reason (a
    /// safetensors or atomic-file failure) rather than its whole message.
    static func writeFailure(_ error: Error, path: String) -> TrainingError {
        switch error {
        case let error as TrainingError: return error
        case let error as FileWriteError: return .writeFailed(path: error.path, reason: error.reason)
        case let SafeTensorsError.writeFailed(file, reason): return .writeFailed(path: file, reason: reason)
        case let error as CocoaError: return .writeFailed(path: path, reason: error.localizedDescription)
        default: return .writeFailed(path: path, reason: "\(error)")
        }
    }
}
