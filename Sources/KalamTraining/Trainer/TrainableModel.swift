import Foundation
import KalamCore
import KalamModels

/// What the trainer needs from a model: its parameters by checkpoint key, a training/evaluation switch,
/// the generator its dropout draws from (saved in checkpoints so a resumed run draws the same masks),
/// and a description of its architecture (checked when a checkpoint is loaded).
///
/// `GPT2LMHeadModel` and the other `PretrainedModel`s conform; a `Module` from KalamNN can be wrapped
/// in a small class.
public protocol TrainableModel: AnyObject {
    /// Every trainable parameter under its checkpoint key (a tied tensor once).
    var namedParameters: [(key: String, tensor: Tensor)] { get }
    /// Whether dropout is active.
    var isTraining: Bool { get set }
    /// The dropout generator.
    var rng: KalamRandom { get set }
    /// The architecture and its configuration as one string (e.g. `GPT2LMHeadModel` + config JSON);
    /// a checkpoint whose descriptor differs is ``TrainingError/architectureMismatch(expected:found:)``.
    var architectureDescriptor: String { get }
}

extension GPT2LMHeadModel: TrainableModel {
    /// `GPT2LMHeadModel` followed by the configuration's JSON (keys sorted).
    public var architectureDescriptor: String {
        var c = config
        c.architectures = nil
        let json = (try? c.jsonData()).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Self.architecture + " " + json
    }
}

extension TrainableModel {
    /// The number of parameter values.
    public var trainableValueCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }

    /// Writes the parameters as F32 safetensors (temporary file, then rename).
    func saveParameters(to url: URL) throws {
        let tensors = namedParameters.map {
            SafeTensors.TensorData.float32(name: $0.key, shape: $0.tensor.shape, values: $0.tensor.scalars)
        }
        do {
            try SafeTensors.write(tensors: tensors, metadata: ["format": "pt"], to: url)
        } catch {
            throw TrainingError.writeFailed(path: url.path, reason: "\(error)")
        }
    }

    /// Reads parameters saved by ``saveParameters(to:)``: every key present with its shape, no other
    /// key. Nothing is changed unless every tensor fits.
    func loadParameters(from url: URL) throws {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(contentsOf: url)
        } catch {
            throw TrainingError.corruptCheckpoint(
                path: url.deletingLastPathComponent().path, reason: "\(url.lastPathComponent): \(error)")
        }
        let parameters = namedParameters
        let keys = Set(parameters.map(\.key))
        for entry in file.entries where !keys.contains(entry.name) {
            throw TrainingError.parameterMismatch(key: entry.name, reason: "is not a parameter of the model")
        }
        for (key, tensor) in parameters {
            guard let entry = file[key] else { throw TrainingError.parameterMismatch(key: key, reason: "is missing") }
            guard entry.shape == tensor.shape else {
                throw TrainingError.parameterMismatch(
                    key: key, reason: "has shape \(entry.shape), the model expects \(tensor.shape)")
            }
        }
        for (key, tensor) in parameters {
            do {
                try file.copyFloats(key, into: UnsafeMutableBufferPointer(start: tensor.data, count: tensor.count))
            } catch {
                throw TrainingError.corruptCheckpoint(
                    path: url.deletingLastPathComponent().path, reason: "\(key): \(error)")
            }
        }
    }
}
