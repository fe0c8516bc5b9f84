import Foundation
import KalamCore
import KalamNN
import Testing

@testable import KalamModels

@Suite struct GPT2Tests {
    @Test func matchesTransformersLogitsLossAndGradients() throws {
        let fx = try ParityFixture("gpt2")
        let model = try GPT2LMHeadModel.load(from: fx.directory)
        #expect(
            model.parameterCount == 2 * (32 * 96 + 96 + 32 * 32 + 32 + 32 * 19 + 19 + 19 * 32 + 32 + 4 * 32) + 99 * 32
                + 16 * 32 + 64)
        let out = try model(
            inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"), labels: fx.ids("labels"))
        try fx.expectClose(out.logits, "logits", tolerance: 1e-4)
        let loss = try #require(out.loss)
        #expect(abs(Double(try loss.item()) - fx.loss) <= 1e-4 * fx.loss)
        try loss.backward()
        try fx.expectGradients(model)
    }

    @Test func badInputIsATypedError() throws {
        let model = try GPT2LMHeadModel.load(from: ModelFixtures.directory("gpt2"))
        let long = try IndexTensor([Int32](repeating: 3, count: 17), shape: [1, 17])
        #expect(throws: ModelError.sequenceTooLong(length: 17, maximum: 16)) { try model(inputIds: long) }
        let outside = try IndexTensor([1, 2, 99, 4], shape: [2, 2])
        #expect(throws: ModelError.tokenOutOfRange(id: 99, vocabSize: 99, row: 1, position: 0)) {
            try model(inputIds: outside)
        }
        let negative = try IndexTensor([1, -1], shape: [1, 2])
        #expect(throws: ModelError.tokenOutOfRange(id: -1, vocabSize: 99, row: 0, position: 1)) {
            try model(inputIds: negative)
        }
        let ids = try IndexTensor([1, 2, 3, 4], shape: [2, 2])
        #expect(throws: ModelError.invalidInput(name: "attention_mask", reason: "shape [4], expected [2, 2]")) {
            try model(inputIds: ids, attentionMask: IndexTensor([1, 1, 1, 1]))
        }
        #expect(
            throws: ModelError.invalidInput(name: "labels", reason: "label 120 is outside 0..<99 (use -100 to ignore)")
        ) {
            try model(inputIds: ids, labels: IndexTensor([1, 2, 120, -100], shape: [2, 2]))
        }
    }

    @Test func badPositionIdsAreATypedError() throws {
        let model = try GPT2LMHeadModel.load(from: ModelFixtures.directory("gpt2"))
        let ids = try IndexTensor([1, 2], shape: [1, 2])
        #expect(throws: ModelError.invalidInput(name: "position_ids", reason: "position 16 is outside 0..<16")) {
            try model.hiddenStates(inputIds: ids, positionIds: IndexTensor([0, 16], shape: [1, 2]))
        }
        #expect(throws: ModelError.invalidInput(name: "position_ids", reason: "shape [2], expected [1, 2]")) {
            try model.hiddenStates(inputIds: ids, positionIds: IndexTensor([0, 1]))
        }
    }

    @Test func anotherFamilysCheckpointIsATypedError() throws {
        #expect(throws: ModelError.wrongFamily(expected: "gpt2", found: "model_type \"bert\"")) {
            try GPT2LMHeadModel.load(from: ModelFixtures.directory("bert"))
        }
        // A GPT-2 config over BERT weights: the keys give it away.
        let model = try GPT2LMHeadModel(config: GPT2Config.load(from: ModelFixtures.directory("gpt2")), seed: 1)
        #expect(throws: ModelError.wrongFamily(expected: "gpt2", found: "a bert checkpoint")) {
            try model.loadWeights(from: ModelFixtures.directory("bert").appendingPathComponent("model.safetensors"))
        }
    }

    @Test func aCheckpointWithOneWrongShapeChangesNothing() throws {
        // The wrong shape is the last tensor, so a loader copying as it goes would have changed the rest.
        let model = try GPT2LMHeadModel(config: GPT2Config.load(from: ModelFixtures.directory("gpt2")), seed: 1)
        let before = model.namedParameters().map { $0.tensor.scalars }
        let source = try SafeTensorsFile(
            contentsOf: ModelFixtures.directory("gpt2").appendingPathComponent("model.safetensors"))
        var tensors = try source.entries.map {
            SafeTensors.TensorData.float32(name: $0.name, shape: $0.shape, values: try source.floats($0.name))
        }
        let last = model.namedParameters().last!.key
        let index = try #require(tensors.firstIndex { $0.name == last })
        tensors[index] = .float32(name: last, shape: [33], values: [Float](repeating: 1, count: 33))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-shape-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensors.write(tensors: tensors, to: url)
        #expect(throws: ModuleError.shapeMismatch(key: last, expected: [32], found: [33])) {
            try model.loadWeights(from: url)
        }
        #expect(model.namedParameters().map { $0.tensor.scalars } == before)
    }
}
