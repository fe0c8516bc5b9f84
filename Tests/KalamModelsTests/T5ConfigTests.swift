import Foundation
import Testing

@testable import KalamModels

@Suite struct T5ConfigTests {
    @Test func decodesT5v10() throws {
        let config = try T5Config.load(from: ModelFixtures.directory("t5_v1_0"))
        #expect(config.vocabSize == 99)
        #expect(config.dModel == 32)
        #expect(config.dKv == 4)
        #expect(config.innerDim == 16)
        #expect(config.dFf == 19)
        #expect(config.numLayers == 2)
        #expect(config.decoderLayers == 2)
        #expect(config.numHeads == 4)
        #expect(config.relativeAttentionNumBuckets == 8)
        #expect(config.relativeAttentionMaxDistance == 20)
        #expect(config.feedForwardProj == .relu)
        #expect(!config.feedForwardProj.isGated)
        #expect(config.scalesDecoderOutput)
        #expect(config.tiesHead)
        #expect(config.decoderStartTokenId == 0)
        #expect(config.eosTokenId == 1)
    }

    @Test func decodesT5v11() throws {
        let config = try T5Config.load(from: ModelFixtures.directory("t5_v1_1"))
        #expect(config.feedForwardProj.isGated)
        #expect(config.feedForwardProj.activation == .geluNew)
        #expect(config.feedForwardProj.description == "gated-gelu")
        #expect(!config.scalesDecoderOutput)
        #expect(!config.tiesHead)
        #expect(try T5Config.decode(json: try config.jsonData()) == config)
    }

    @Test func floatsAreWrittenAsFloats() throws {
        // transformers' strict T5Config rejects `"initializer_factor": 1`.
        let text = String(decoding: try T5Config(dropoutRate: 0).jsonData(), as: UTF8.self)
        #expect(text.contains("\"initializer_factor\" : 1.0,"))
        #expect(text.contains("\"dropout_rate\" : 0.0,"))
        #expect(text.contains("\"d_model\" : 512,"))
        #expect(try T5Config.decode(json: Data(text.utf8)).initializerFactor == 1)
    }

    @Test func transformers5ScaleKeyWins() throws {
        var object = try ModelFixtures.configObject("t5_v1_1")
        object["tie_word_embeddings"] = true
        object["scale_decoder_outputs"] = false
        let config = try T5Config.decode(json: try ModelFixtures.json(object))
        #expect(!config.scalesDecoderOutput)
        object["scale_decoder_outputs"] = nil
        object["tie_word_embeddings"] = nil
        #expect(try T5Config.decode(json: try ModelFixtures.json(object)).scalesDecoderOutput)
    }

    @Test func feedForwardProjections() throws {
        #expect(try T5Config.FeedForwardProjection(hfName: "gated-relu") == .init(isGated: true, activation: .relu))
        #expect(try T5Config.FeedForwardProjection(hfName: "gelu").activation == .gelu)
        #expect(try T5Config.FeedForwardProjection(hfName: "gated-gelu_new").activation == .geluNew)
        for bad in ["swiglu", "gated-silu", "fancy-gelu", "gated-gelu-x", ""] {
            do {
                _ = try T5Config.FeedForwardProjection(hfName: bad)
                Issue.record("\(bad) parsed")
            } catch let ModelError.unsupportedValue(field, value, supported) {
                #expect(field == "feed_forward_proj")
                #expect(value == bad)
                #expect(supported.contains("gated-gelu"))
            }
        }
    }

    @Test func unsupportedFeedForwardInConfigIsNamed() throws {
        var object = try ModelFixtures.configObject("t5_v1_0")
        object["feed_forward_proj"] = "gated-swish"
        do {
            _ = try T5Config.decode(json: try ModelFixtures.json(object))
            Issue.record("gated-swish decoded")
        } catch let ModelError.unsupportedValue(field, value, _) {
            #expect(field == "feed_forward_proj")
            #expect(value == "gated-swish")
        }
    }

    @Test func defaultsFollowTransformers() throws {
        let json =
            #"{"vocab_size": 50, "d_model": 8, "d_kv": 2, "d_ff": 16, "num_layers": 3, "num_heads": 4, "pad_token_id": 3}"#
        let config = try T5Config.decode(json: Data(json.utf8))
        #expect(config.decoderLayers == 3)
        #expect(config.relativeAttentionNumBuckets == 32)
        #expect(config.relativeAttentionMaxDistance == 128)
        #expect(config.layerNormEpsilon == 1e-6)
        #expect(config.feedForwardProj == .relu)
        #expect(config.decoderStartTokenId == 3)
        #expect(config.scalesDecoderOutput)
    }

    @Test func missingAndWrongTypedFieldsAreNamed() throws {
        var object = try ModelFixtures.configObject("t5_v1_0")
        object["d_kv"] = nil
        #expect(throws: ModelError.missingField(field: "d_kv", file: "config.json")) {
            try T5Config.decode(json: try ModelFixtures.json(object))
        }
        object = try ModelFixtures.configObject("t5_v1_0")
        object["num_heads"] = NSNull()
        do {
            _ = try T5Config.decode(json: try ModelFixtures.json(object))
            Issue.record("null num_heads decoded")
        } catch let ModelError.wrongType(field, expected, found, _) {
            #expect(field == "num_heads")
            #expect(expected == "an integer")
            #expect(found == "null")
        }
        object = try ModelFixtures.configObject("t5_v1_0")
        object["tie_word_embeddings"] = "no"
        do {
            _ = try T5Config.decode(json: try ModelFixtures.json(object))
            Issue.record("a string tie_word_embeddings decoded")
        } catch let ModelError.wrongType(field, expected, _, _) {
            #expect(field == "tie_word_embeddings")
            #expect(expected == "a boolean")
        }
    }

    @Test func tokenIdsOutsideInt32AreNamed() throws {
        var object = try ModelFixtures.configObject("t5_v1_0")
        object["eos_token_id"] = 4_294_967_296
        #expect(
            throws: ModelError.invalidValue(
                field: "eos_token_id", value: "4294967296", reason: "a token id must be in 0...2147483647")
        ) {
            try T5Config.decode(json: try ModelFixtures.json(object))
        }
        object = try ModelFixtures.configObject("t5_v1_0")
        object["decoder_start_token_id"] = 4_294_967_296
        #expect(
            throws: ModelError.invalidValue(
                field: "decoder_start_token_id", value: "4294967296", reason: "outside the vocabulary")
        ) {
            try T5Config.decode(json: try ModelFixtures.json(object))
        }
        // With a vocabulary larger than int32 the range check still stops the id.
        var config = T5Config(vocabSize: 1 << 40, dModel: 8, dKv: 2, dFf: 16, numLayers: 1, numHeads: 4)
        config.padTokenId = 1 << 33
        #expect(
            throws: ModelError.invalidValue(
                field: "pad_token_id", value: "\(1 << 33)", reason: "a token id must be in 0...2147483647")
        ) {
            try config.validate()
        }
    }

    @Test func anotherFamilysConfigIsRejected() throws {
        #expect(throws: ModelError.wrongFamily(expected: "t5", found: "model_type \"gpt2\"")) {
            try T5Config.load(from: ModelFixtures.directory("gpt2"))
        }
    }
}
