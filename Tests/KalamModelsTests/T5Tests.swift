import Foundation
import KalamCore
import KalamNN
import Testing

@testable import KalamModels

@Suite struct T5Tests {
    @Test(arguments: ["t5_v1_0", "t5_v1_1"])
    func matchesTransformersLogitsLossAndGradients(_ name: String) throws {
        let fx = try ParityFixture(name)
        let model = try T5ForConditionalGeneration.load(from: fx.directory)
        #expect(model.config.scalesDecoderOutput == (name == "t5_v1_0"))
        let labels = try fx.ids("labels")
        #expect(try model.shiftRight(labels) == fx.ids("decoder_input_ids"))
        let out = try model(inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"), labels: labels)
        try fx.expectClose(out.logits, "logits", tolerance: 1e-4)
        let loss = try #require(out.loss)
        #expect(abs(Double(try loss.item()) - fx.loss) <= 1e-4 * fx.loss)
        try loss.backward()
        try fx.expectGradients(model)
    }

    @Test func relativePositionBucketsMatchTransformers() {
        let positions = [
            -300, -128, -100, -64, -33, -20, -16, -9, -8, -7, -5, -4, -3, -2, -1, 0,
            1, 2, 3, 4, 5, 7, 8, 9, 16, 20, 33, 64, 100, 128, 300,
        ]
        // T5Attention._relative_position_bucket from transformers 5.24.
        let expected: [(Bool, Int, Int, [Int])] = [
            (
                true, 32, 128,
                [
                    15, 15, 15, 14, 12, 10, 10, 8, 8, 7, 5, 4, 3, 2, 1, 0, 17, 18, 19, 20, 21, 23, 24, 24, 26, 26, 28,
                    30, 31, 31, 31,
                ]
            ),
            (
                true, 8, 20,
                [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 0, 5, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]
            ),
            (
                false, 32, 128,
                [31, 31, 30, 26, 21, 17, 16, 9, 8, 7, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            ),
            (
                false, 8, 20,
                [7, 7, 7, 7, 7, 7, 7, 6, 5, 5, 4, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            ),
        ]
        for (bidirectional, buckets, distance, want) in expected {
            let got = positions.map {
                T5Attention.relativePositionBucket(
                    $0, bidirectional: bidirectional, numBuckets: buckets, maxDistance: distance)
            }
            #expect(got == want, "bidirectional \(bidirectional), \(buckets) buckets, max distance \(distance)")
        }
    }

    @Test func encodeThenDecodeEqualsTheFullForward() throws {
        let fx = try ParityFixture("t5_v1_0")
        let model = try T5ForConditionalGeneration.load(from: fx.directory)
        let ids = try fx.ids("input_ids"), mask = try fx.ids("attention_mask"), dec = try fx.ids("decoder_input_ids")
        let full = try model(inputIds: ids, attentionMask: mask, decoderInputIds: dec).logits
        let states = try model.encode(inputIds: ids, attentionMask: mask)
        let split = try model.decode(decoderInputIds: dec, encoderHiddenStates: states, attentionMask: mask)
        #expect(full.scalars == split.scalars)
    }

    @Test func badInputIsATypedError() throws {
        let model = try T5ForConditionalGeneration.load(from: ModelFixtures.directory("t5_v1_1"))
        let ids = try IndexTensor([5, 6, 120, 8], shape: [1, 4])
        #expect(throws: ModelError.tokenOutOfRange(id: 120, vocabSize: 99, row: 0, position: 2)) {
            try model(inputIds: ids, labels: IndexTensor([3, 4], shape: [1, 2]))
        }
        let good = try IndexTensor([5, 6, 7, 8], shape: [1, 4])
        #expect(throws: ModelError.invalidInput(name: "decoder_input_ids", reason: "give decoder_input_ids or labels"))
        {
            try model(inputIds: good)
        }
        #expect(
            throws: ModelError.invalidInput(name: "labels", reason: "label 99 is outside 0..<99 (use -100 to ignore)")
        ) {
            try model(inputIds: good, labels: IndexTensor([3, 99], shape: [1, 2]))
        }
        #expect(throws: ModelError.wrongFamily(expected: "t5", found: "model_type \"bert\"")) {
            try T5ForConditionalGeneration.load(from: ModelFixtures.directory("bert_mlm"))
        }
        let fresh = try T5ForConditionalGeneration(config: model.config, seed: 2)
        #expect(throws: ModelError.wrongFamily(expected: "t5", found: "a gpt2 checkpoint")) {
            try fresh.loadWeights(from: ModelFixtures.directory("gpt2").appendingPathComponent("model.safetensors"))
        }
        // A v1.0 checkpoint (relu feed-forward) read as v1.1 lacks the gated projections.
        #expect(throws: ModuleError.missingKey("encoder.block.0.layer.1.DenseReluDense.wi_0.weight")) {
            try fresh.loadWeights(from: ModelFixtures.directory("t5_v1_0").appendingPathComponent("model.safetensors"))
        }
    }
}
