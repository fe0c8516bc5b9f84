import Foundation
import KalamCore
import KalamFiles
import KalamNN

extension Trainer {
    /// The file names inside a checkpoint folder.
    public enum CheckpointFile {
        /// The parameters.
        public static let model = "model.safetensors"
        /// AdamW's moments and step counts.
        public static let optimizer = "optimizer.safetensors"
        /// ``TrainerState`` as JSON.
        public static let state = "trainer_state.json"
        /// The plug-ins' state tensors, keyed `<plugin name>/<key>`.
        public static let plugins = "plugins.safetensors"
    }

    /// Saves a checkpoint of the current step into ``checkpointStore`` (atomically).
    /// - Returns: the checkpoint folder.
    @discardableResult
    public func saveCheckpoint() throws -> URL {
        guard let store = checkpointStore else {
            throw TrainingError.invalidOption(
                name: "run directory", value: "none", reason: "checkpoints need a run directory")
        }
        let state = try currentState()
        return try store.save(step: currentStep, beforeRename: beforeCheckpointRename) { folder in
            try model.writeCheckpointParameters(to: folder.appendingPathComponent(CheckpointFile.model))
            if !plugins.isEmpty {
                let pluginURL = folder.appendingPathComponent(CheckpointFile.plugins)
                let tensors = plugins.flatMap { plugin in
                    plugin.stateTensors().sorted { $0.key < $1.key }.map {
                        SafeTensors.TensorData.float32(
                            name: plugin.name + "/" + $0.key, shape: $0.value.shape, values: $0.value.scalars)
                    }
                }
                do {
                    try SafeTensors.write(tensors: tensors, to: pluginURL)
                } catch {
                    throw TrainingError.writeFailure(error, path: pluginURL.path)
                }
            }
            let optimizerURL = folder.appendingPathComponent(CheckpointFile.optimizer)
            do {
                try optimizer.saveState(to: optimizerURL)
            } catch {
                throw TrainingError.writeFailure(error, path: optimizerURL.path)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            let stateURL = folder.appendingPathComponent(CheckpointFile.state)
            do {
                try AtomicFile.write(try encoder.encode(state), to: stateURL)
            } catch {
                throw TrainingError.writeFailure(error, path: stateURL.path)
            }
            try writeExtraCheckpointFiles?(folder)
        }
    }

    /// Reads a checkpoint's ``TrainerState`` without touching the trainer.
    /// - Throws: ``TrainingError/checkpointNotFound(path:)`` when the folder is missing,
    ///   ``TrainingError/corruptCheckpoint(path:reason:)`` when the state file is missing or unreadable.
    public static func readState(from checkpoint: URL) throws -> TrainerState {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkpoint.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw TrainingError.checkpointNotFound(path: checkpoint.path)
        }
        let url = checkpoint.appendingPathComponent(CheckpointFile.state)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.corruptCheckpoint(path: checkpoint.path, reason: "\(CheckpointFile.state) is missing")
        }
        do {
            return try JSONDecoder().decode(TrainerState.self, from: data)
        } catch {
            throw TrainingError.corruptCheckpoint(
                path: checkpoint.path, reason: "\(CheckpointFile.state) is not valid: \(Self.describe(error))")
        }
    }

    /// Continues from a checkpoint folder: parameters, optimizer state, step, generators, data position,
    /// early-stopping state and the loss curve so far. Nothing changes when it throws.
    /// - Throws: ``TrainingError/architectureMismatch(expected:found:)`` for a checkpoint of another
    ///   model, ``TrainingError/corruptCheckpoint(path:reason:)`` for a missing or unreadable file,
    ///   `ModuleError` naming a parameter that is missing, unexpected or misshapen, ``TrainingError/invalidOption(name:value:reason:)``
    ///   when the settings that shape the loss curve differ.
    public func restore(from checkpoint: URL) throws {
        let state = try Trainer.readState(from: checkpoint)
        guard state.architecture == model.architectureDescriptor else {
            let (expected, found) = Self.difference(model.architectureDescriptor, state.architecture)
            throw TrainingError.architectureMismatch(expected: expected, found: found)
        }
        try configuration.checkCompatible(with: state.configuration)
        guard configuration.steps >= state.step else {
            throw TrainingError.invalidOption(
                name: "steps", value: "\(configuration.steps)",
                reason: "is below the \(state.step) steps the checkpoint has already taken")
        }
        var restoredData = data
        do {
            try restoredData.restore(checkpointPosition: state.dataPosition)
        } catch {
            throw TrainingError.corruptCheckpoint(path: checkpoint.path, reason: "\(error)")
        }
        // Check every file before changing anything: the optimizer state into a scratch optimizer, the
        // plug-ins' tensors by reading them, then load the parameters (all or nothing).
        let optimizerURL = checkpoint.appendingPathComponent(CheckpointFile.optimizer)
        guard FileManager.default.fileExists(atPath: optimizerURL.path) else {
            throw TrainingError.corruptCheckpoint(
                path: checkpoint.path, reason: "\(CheckpointFile.optimizer) is missing")
        }
        let modelURL = checkpoint.appendingPathComponent(CheckpointFile.model)
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw TrainingError.corruptCheckpoint(path: checkpoint.path, reason: "\(CheckpointFile.model) is missing")
        }
        let pluginState = try readPluginState(checkpoint)
        do {
            try optimizer.loadState(from: optimizerURL, parameters: model.namedParameters())
        } catch {
            throw TrainingError.corruptCheckpoint(
                path: checkpoint.path, reason: "\(CheckpointFile.optimizer): \(Self.describe(error))")
        }
        try model.readCheckpointParameters(from: modelURL)
        for plugin in plugins { try plugin.restore(stateTensors: pluginState[plugin.name] ?? [:]) }
        model.randomSource.generator = state.modelRNG
        data = restoredData
        step = state.step
        tokensSeen = state.tokensSeen
        objectiveRNG = state.objectiveRNG
        bestValidationLoss = state.bestValidationLoss
        evaluationsWithoutImprovement = state.evaluationsWithoutImprovement
        if let evaluated = state.lastEvaluationStep, let loss = state.lastValidationLoss {
            lastEvaluation = (evaluated, loss)
        } else {
            lastEvaluation = nil
        }
        losses = state.losses
        // A run asked to go further than the checkpoint's: the curve so far is kept and decays from
        // the step reached to the new end.
        schedule =
            state.schedule.totalSteps == configuration.steps
            ? state.schedule : state.schedule.extended(from: state.step, to: configuration.steps)
    }

    /// The plug-ins' state tensors of a checkpoint, by plug-in name.
    private func readPluginState(_ checkpoint: URL) throws -> [String: [String: Tensor]] {
        guard !plugins.isEmpty else { return [:] }
        let url = checkpoint.appendingPathComponent(CheckpointFile.plugins)
        do {
            let file = try SafeTensorsFile(contentsOf: url)
            var result: [String: [String: Tensor]] = [:]
            for entry in file.entries {
                guard let slash = entry.name.firstIndex(of: "/") else { continue }
                let owner = String(entry.name[..<slash]), key = String(entry.name[entry.name.index(after: slash)...])
                result[owner, default: [:]][key] = try Tensor(try file.floats(entry.name), shape: entry.shape)
            }
            return result
        } catch {
            throw TrainingError.corruptCheckpoint(
                path: checkpoint.path, reason: "\(CheckpointFile.plugins): \(Self.describe(error))")
        }
    }

    /// The state that a checkpoint of the current step holds.
    func currentState() throws -> TrainerState {
        TrainerState(
            step: step, tokensSeen: tokensSeen, architecture: model.architectureDescriptor,
            configuration: configuration, dataPosition: try data.checkpointPosition(), schedule: schedule,
            objectiveRNG: objectiveRNG, modelRNG: model.randomSource.generator, bestValidationLoss: bestValidationLoss,
            evaluationsWithoutImprovement: evaluationsWithoutImprovement, lastEvaluationStep: lastEvaluation?.step,
            lastValidationLoss: lastEvaluation?.loss, losses: losses)
    }

    /// A readable form of an error (its `description` when it has one).
    static func describe(_ error: Error) -> String {
        String(describing: error)
    }

    /// Two architecture descriptors (`Name {config JSON}`) reduced to what differs: the names when they
    /// differ, else the name and the configuration keys whose values differ (`GPT2LMHeadModel n_layer=1`).
    static func difference(_ a: String, _ b: String) -> (String, String) {
        func split(_ s: String) -> (String, [String: Any]?) {
            let name = String(s.prefix { $0 != " " })
            let json = s.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
            let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
            return (name, object)
        }
        let (nameA, configA) = split(a), (nameB, configB) = split(b)
        guard nameA == nameB, let configA, let configB else {
            return (nameA.isEmpty ? a : nameA, nameB.isEmpty ? b : nameB)
        }
        let keys = Set(configA.keys).union(configB.keys).sorted().filter {
            "\(configA[$0] ?? "none")" != "\(configB[$0] ?? "none")"
        }
        func render(_ config: [String: Any]) -> String {
            ([nameA] + keys.map { "\($0)=\(config[$0] ?? "none")" }).joined(separator: " ")
        }
        return (render(configA), render(configB))
    }
}
