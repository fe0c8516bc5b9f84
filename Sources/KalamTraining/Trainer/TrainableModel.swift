import Foundation
import KalamCore
import KalamModels
import KalamNN

/// What the trainer needs from a model: a KalamNN `Module` (parameters by checkpoint key, train/eval,
/// freezing, the one strict loader), the generator its dropout draws from (saved in checkpoints so a
/// resumed run draws the same masks), and a description of its architecture (checked when a checkpoint
/// is loaded).
///
/// Every `PretrainedModel` of KalamModels conforms; so can any `Module` of your own.
public protocol TrainableModel: Module {
    /// The dropout generator.
    var randomSource: RandomSource { get }
    /// The architecture and its configuration as one string (e.g. `GPT2LMHeadModel` + config JSON);
    /// a checkpoint whose descriptor differs is ``TrainingError/architectureMismatch(expected:found:)``.
    var architectureDescriptor: String { get }
}

extension GPT2LMHeadModel: TrainableModel {}
extension BertModel: TrainableModel {}
extension BertForMaskedLM: TrainableModel {}
extension BertForSequenceClassification: TrainableModel {}
extension BertForTokenClassification: TrainableModel {}
extension T5ForConditionalGeneration: TrainableModel {}

extension TrainableModel {
    /// Writes the parameters as F32 safetensors (temporary file, then rename).
    func writeCheckpointParameters(to url: URL) throws {
        do {
            try saveParameters(to: url)
        } catch {
            throw TrainingError.writeFailure(error, path: url.path)
        }
    }

    /// Reads parameters saved by ``writeCheckpointParameters(to:)`` through the one strict loader:
    /// every key present with its shape, no other key; nothing changes unless every tensor fits.
    func readCheckpointParameters(from url: URL) throws {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(contentsOf: url)
        } catch {
            throw TrainingError.corruptCheckpoint(
                path: url.deletingLastPathComponent().path, reason: "\(url.lastPathComponent): \(error)")
        }
        try load(from: file)
    }
}
