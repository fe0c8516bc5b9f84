import Foundation
import KalamCore
import KalamModels
import Testing

@testable import KalamTraining

@Suite struct TrainingErrorTests {
    @Test func aLossThatIsNotFiniteStopsTheRunAtItsStep() throws {
        let (trainer, model) = try TinyRun.trainer(directory: nil)
        let norm = try #require(model.namedParameters().first { $0.key == "transformer.ln_f.weight" })
        norm.tensor.storage.buffer[0] = .nan
        #expect(throws: TrainingError.nonFiniteLoss(step: 1)) { _ = try trainer.run() }
        #expect(
            TrainingError.nonFiniteLoss(step: 1).description
                == "the loss is not finite at step 1; lower the learning rate or enable clipping")
    }

    @Test func aLabelledFileWithoutExamplesIsAnError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-empty-\(UUID().uuidString).tsv")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("\n\n".utf8).write(to: url)
        #expect(throws: FineTuningError.noExamples(source: url.path)) { _ = try ClassificationTask.loadFile(url) }
    }
}
