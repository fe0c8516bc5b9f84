import Foundation
import KalamCore
import KalamNN
import Testing

@testable import KalamModels

@Suite struct BertTests {
    @Test func bertModelMatchesTransformers() throws {
        let fx = try ParityFixture("bert")
        let model = try BertModel.load(from: fx.directory)
        let out = try model(
            inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
            tokenTypeIds: fx.ids("token_type_ids"))
        try fx.expectClose(out.lastHiddenState, "last_hidden_state", tolerance: 1e-4)
        let pooled = try #require(out.poolerOutput)
        try fx.expectClose(pooled, "pooler_output", tolerance: 1e-4)
        // The fixture's scalar: sum(last_hidden_state * probe.hidden) + sum(pooler_output * probe.pooled).
        let probeHidden = try Tensor(fx.values("probe.hidden"), shape: fx.shape("probe.hidden"))
        let probePooled = try Tensor(fx.values("probe.pooled"), shape: fx.shape("probe.pooled"))
        let loss = try (out.lastHiddenState * probeHidden).sum() + (pooled * probePooled).sum()
        #expect(abs(Double(try loss.item()) - fx.loss) <= 1e-4 * abs(fx.loss))
        try loss.backward()
        try fx.expectGradients(model)
    }

    @Test func maskedLMMatchesTransformers() throws {
        let fx = try ParityFixture("bert_mlm")
        let model = try BertForMaskedLM.load(from: fx.directory)
        let out = try model(
            inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
            tokenTypeIds: fx.ids("token_type_ids"), labels: fx.ids("labels"))
        try fx.expectClose(out.logits, "logits", tolerance: 1e-4)
        let loss = try #require(out.loss)
        #expect(abs(Double(try loss.item()) - fx.loss) <= 1e-4 * fx.loss)
        try loss.backward()
        try fx.expectGradients(model)
    }

    @Test func sequenceClassificationMatchesTransformers() throws {
        let fx = try ParityFixture("bert_seqcls")
        let model = try BertForSequenceClassification.load(from: fx.directory)
        #expect(model.config.numLabels == 3)
        let out = try model(
            inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
            tokenTypeIds: fx.ids("token_type_ids"), labels: fx.ids("labels"))
        try fx.expectClose(out.logits, "logits", tolerance: 1e-4)
        let loss = try #require(out.loss)
        #expect(abs(Double(try loss.item()) - fx.loss) <= 1e-4 * fx.loss)
        try loss.backward()
        try fx.expectGradients(model)
    }

    @Test func tokenClassificationMatchesTransformers() throws {
        let fx = try ParityFixture("bert_tokcls")
        let model = try BertForTokenClassification.load(from: fx.directory)
        let out = try model(
            inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
            tokenTypeIds: fx.ids("token_type_ids"), labels: fx.ids("labels"))
        try fx.expectClose(out.logits, "logits", tolerance: 1e-4)
        let loss = try #require(out.loss)
        #expect(abs(Double(try loss.item()) - fx.loss) <= 1e-4 * fx.loss)
        try loss.backward()
        try fx.expectGradients(model)
    }

    @Test func headsLoadFromABaseCheckpointOnlyWhenAskedTo() throws {
        let base = ModelFixtures.directory("bert")
        // A BertModel checkpoint has no classifier: strict loading names the first missing key ...
        var object = try ModelFixtures.configObject("bert")
        object["num_labels"] = 4
        let config = try BertConfig.decode(json: ModelFixtures.json(object))
        let strict = try BertForSequenceClassification(config: config, seed: 3)
        #expect(throws: ModuleError.missingKey("classifier.weight")) {
            try strict.loadWeights(from: base.appendingPathComponent("model.safetensors"))
        }
        // ... and with newHead the encoder loads (keys without "bert.") and the head stays fresh.
        let model = try BertForSequenceClassification(config: config, seed: 3)
        let fresh = model.parameter("classifier.weight")!.scalars
        try model.loadWeights(from: base.appendingPathComponent("model.safetensors"), newHead: true)
        #expect(model.parameter("classifier.weight")!.scalars == fresh)
        let reference = try BertModel.load(from: base)
        #expect(
            model.parameter("bert.encoder.layer.1.output.dense.weight")!.scalars
                == reference.parameter("encoder.layer.1.output.dense.weight")!.scalars)
    }

    @Test func strictLoadingNamesUnusedKeysAndShapes() throws {
        // A BertModel reading a BertForSequenceClassification checkpoint: classifier.* is unused.
        let config = try BertConfig.load(from: ModelFixtures.directory("bert_seqcls"))
        let model = try BertModel(config: config, seed: 1)
        #expect(throws: ModuleError.unexpectedKey("classifier.bias")) {
            try model.loadWeights(
                from: ModelFixtures.directory("bert_seqcls").appendingPathComponent("model.safetensors"))
        }
        // A BertForMaskedLM checkpoint has no pooler.
        #expect(throws: ModuleError.missingKey("bert.pooler.dense.weight")) {
            try model.loadWeights(from: ModelFixtures.directory("bert_mlm").appendingPathComponent("model.safetensors"))
        }
        var object = try ModelFixtures.configObject("bert")
        object["intermediate_size"] = 20
        let wide = try BertModel(config: BertConfig.decode(json: ModelFixtures.json(object)), seed: 1)
        #expect(
            throws: ModuleError.shapeMismatch(
                key: "encoder.layer.0.intermediate.dense.weight", expected: [20, 32], found: [19, 32])
        ) {
            try wide.loadWeights(from: ModelFixtures.directory("bert").appendingPathComponent("model.safetensors"))
        }
    }

    @Test func badInputIsATypedError() throws {
        let model = try BertModel.load(from: ModelFixtures.directory("bert"))
        let long = try IndexTensor([Int32](repeating: 5, count: 17), shape: [1, 17])
        #expect(throws: ModelError.sequenceTooLong(length: 17, maximum: 16)) { try model(inputIds: long) }
        let ids = try IndexTensor([5, 6, 7, 150], shape: [1, 4])
        #expect(throws: ModelError.tokenOutOfRange(id: 150, vocabSize: 99, row: 0, position: 3)) {
            try model(inputIds: ids)
        }
        let good = try IndexTensor([5, 6, 7, 8], shape: [1, 4])
        #expect(throws: ModelError.tokenOutOfRange(id: 2, vocabSize: 2, row: 0, position: 1)) {
            try model(inputIds: good, tokenTypeIds: IndexTensor([0, 2, 0, 0], shape: [1, 4]))
        }
        #expect(throws: ModelError.invalidInput(name: "attention_mask", reason: "values must be 0 or 1")) {
            try model(inputIds: good, attentionMask: IndexTensor([1, 1, 2, 0], shape: [1, 4]))
        }
        #expect(throws: ModelError.wrongFamily(expected: "bert", found: "model_type \"gpt2\"")) {
            try BertModel.load(from: ModelFixtures.directory("gpt2"))
        }
        #expect(throws: ModelError.wrongFamily(expected: "bert", found: "a t5 checkpoint")) {
            try model.loadWeights(from: ModelFixtures.directory("t5_v1_0").appendingPathComponent("model.safetensors"))
        }
    }

    @Test func sentenceEmbeddingsAreMaskedMeansOfUnitLength() throws {
        let model = try BertModel.load(from: ModelFixtures.directory("bert"))
        let ids = try IndexTensor([5, 6, 7, 0, 9, 10, 11, 12], shape: [2, 4])
        let mask = try IndexTensor([1, 1, 1, 0, 1, 1, 1, 1], shape: [2, 4])
        let emb = try model.sentenceEmbeddings(inputIds: ids, attentionMask: mask)
        #expect(emb.shape == [2, 32])
        let rows = emb.scalars
        for r in 0..<2 {
            let norm = rows[(r * 32)..<((r + 1) * 32)].reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
        // Row 0 equals the normalised mean of its three real tokens.
        let hidden = try model(inputIds: ids, attentionMask: mask).lastHiddenState.scalars
        var mean = [Float](repeating: 0, count: 32)
        for t in 0..<3 { for c in 0..<32 { mean[c] += hidden[t * 32 + c] / 3 } }
        let n = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for c in 0..<32 { #expect(abs(rows[c] - mean[c] / n) < 1e-5) }
    }
}
