import Foundation
import KalamCore

/// What is saved next to the state tensors, as JSON in the safetensors metadata under
/// `kalam_optimizer`.
struct OptimizerStateMetadata: Codable, Equatable {
    var kind: String
    var step: Int
    var learningRate: Float
    var hyperparameters: [String: Double]
    var parameterSteps: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case kind, step, hyperparameters
        case learningRate = "learning_rate"
        case parameterSteps = "parameter_steps"
    }
}

extension Optimizer {
    /// The metadata key under which the JSON description is stored.
    static var metadataKey: String { "kalam_optimizer" }

    /// Saves the optimizer state to a safetensors file: one F32 tensor per parameter and state name,
    /// keyed `<parameter key>.<state name>` (`h.0.attn.c_attn.weight.exp_avg`), and JSON metadata
    /// (`kind`, `step`, `learning_rate`, `hyperparameters`, and `parameter_steps` when the optimizer
    /// counts steps per parameter). Written to a temporary file, then renamed.
    /// - Throws: `SafeTensorsError.writeFailed` when the file system refuses.
    public func saveState(to url: URL) throws {
        var tensors: [SafeTensors.TensorData] = []
        for key in state.keys.sorted() {
            for name in Self.stateNames {
                guard let t = state[key]?[name] else { continue }
                tensors.append(.float32(name: "\(key).\(name)", shape: t.shape, values: t.scalars))
            }
        }
        let meta = OptimizerStateMetadata(
            kind: Self.kind, step: stepCount, learningRate: learningRate, hyperparameters: hyperparameters,
            parameterSteps: parameterSteps.isEmpty ? nil : parameterSteps)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(meta), as: UTF8.self)
        try SafeTensors.write(tensors: tensors, metadata: ["format": "kalam", Self.metadataKey: json], to: url)
    }

    /// Loads state saved by `saveState(to:)` for `parameters`, replacing `state`, `stepCount` and
    /// `learningRate`. Nothing changes when it throws. The hyperparameters stay the ones this optimizer
    /// was made with (the saved ones are a record).
    /// - Throws: `OptimizerError.optimizerMismatch` for state of another optimizer kind,
    ///   `.invalidMetadata` when the JSON is missing or unreadable, `.unexpectedState` for a tensor whose
    ///   key is not a parameter or whose state name is unknown, `.stateShapeMismatch` for a wrong shape,
    ///   `.missingState` when a parameter has only some of its state tensors; `SafeTensorsError` for an
    ///   unreadable file.
    public func loadState(from url: URL, parameters: NamedParameters) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        guard let json = file.metadata[Self.metadataKey] else {
            throw OptimizerError.invalidMetadata(file: url.path, reason: "no \(Self.metadataKey) metadata")
        }
        let meta: OptimizerStateMetadata
        do {
            meta = try JSONDecoder().decode(OptimizerStateMetadata.self, from: Data(json.utf8))
        } catch {
            throw OptimizerError.invalidMetadata(
                file: url.path, reason: "unreadable \(Self.metadataKey) JSON: \(error)")
        }
        guard meta.kind == Self.kind else {
            throw OptimizerError.optimizerMismatch(expected: Self.kind, found: meta.kind)
        }
        guard meta.step >= 0 else {
            throw OptimizerError.invalidMetadata(file: url.path, reason: "negative step count \(meta.step)")
        }
        var shapes: [String: [Int]] = [:]
        for (key, t) in parameters where shapes[key] == nil { shapes[key] = t.shape }
        var loaded: [String: [String: Tensor]] = [:]
        for entry in file.entries {
            guard let name = Self.stateNames.first(where: { entry.name.hasSuffix(".\($0)") }) else {
                throw OptimizerError.unexpectedState(key: entry.name)
            }
            let key = String(entry.name.dropLast(name.count + 1))
            guard let shape = shapes[key] else { throw OptimizerError.unexpectedState(key: entry.name) }
            guard entry.shape == shape else {
                throw OptimizerError.stateShapeMismatch(key: entry.name, expected: shape, found: entry.shape)
            }
            let t = Tensor(uninitializedShape: shape)
            try file.copyFloats(entry.name, into: UnsafeMutableBufferPointer(start: t.data, count: t.count))
            loaded[key, default: [:]][name] = t
        }
        let steps = meta.parameterSteps ?? [:]
        for (key, tensors) in loaded {
            for name in Self.stateNames where tensors[name] == nil {
                throw OptimizerError.missingState(key: key, name: name)
            }
            if meta.parameterSteps != nil, steps[key] == nil {
                throw OptimizerError.missingState(key: key, name: "step")
            }
        }
        for (key, n) in steps where shapes[key] == nil || n < 0 {
            throw OptimizerError.unexpectedState(key: "\(key).step")
        }
        state = loaded
        parameterSteps = steps
        stepCount = meta.step
        learningRate = meta.learningRate
    }
}
