import Foundation
import Testing

@testable import KalamModels

@Suite struct GPT2ConfigTests {
    @Test func decodesTheFixtureConfig() throws {
        let config = try GPT2Config.load(from: ModelFixtures.directory("gpt2"))
        #expect(config.vocabSize == 99)
        #expect(config.nPositions == 16)
        #expect(config.nEmbd == 32)
        #expect(config.nLayer == 2)
        #expect(config.nHead == 4)
        #expect(config.nInner == 19)
        #expect(config.innerSize == 19)
        #expect(config.headDim == 8)
        #expect(config.activationFunction == .geluNew)
        #expect(config.layerNormEpsilon == 1e-5)
        #expect(config.bosTokenId == 98)
        #expect(config.padTokenId == nil)
        #expect(config.tieWordEmbeddings)
        #expect(config.architectures == ["GPT2LMHeadModel"])
    }

    @Test func fillsTransformersDefaults() throws {
        let config = try GPT2Config.decode(
            json: Data(#"{"vocab_size": 10, "n_embd": 8, "n_layer": 1, "n_head": 2}"#.utf8))
        #expect(config.nPositions == 1024)
        #expect(config.nInner == nil)
        #expect(config.innerSize == 32)
        #expect(config.activationFunction == .geluNew)
        #expect(config.residPdrop == 0.1)
        #expect(config.layerNormEpsilon == 1e-5)
        #expect(config.bosTokenId == 50256)
        #expect(config.eosTokenId == 50256)
        #expect(config.tieWordEmbeddings)
    }

    @Test func encodesTheSameKeysBack() throws {
        let config = try GPT2Config.load(from: ModelFixtures.directory("gpt2"))
        let data = try config.jsonData()
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(object["model_type"] as? String == "gpt2")
        #expect(object["n_embd"] as? Int == 32)
        #expect(object["activation_function"] as? String == "gelu_new")
        #expect(object["pad_token_id"] == nil)
        #expect(try GPT2Config.decode(json: data) == config)
    }

    @Test func missingRequiredFieldIsNamed() throws {
        var object = try ModelFixtures.configObject("gpt2")
        object["n_embd"] = nil
        #expect(throws: ModelError.missingField(field: "n_embd", file: "config.json")) {
            try GPT2Config.decode(json: try ModelFixtures.json(object))
        }
    }

    @Test func wrongTypedFieldIsNamed() throws {
        var object = try ModelFixtures.configObject("gpt2")
        object["n_head"] = "4"
        do {
            _ = try GPT2Config.decode(json: try ModelFixtures.json(object))
            Issue.record("a string n_head decoded")
        } catch let ModelError.wrongType(field, expected, _, file) {
            #expect(field == "n_head")
            #expect(expected == "an integer")
            #expect(file == "config.json")
        }
        object["n_head"] = 4.5
        #expect(throws: ModelError.self) { try GPT2Config.decode(json: try ModelFixtures.json(object)) }
    }

    @Test func unsupportedActivationIsNamed() throws {
        var object = try ModelFixtures.configObject("gpt2")
        object["activation_function"] = "swish"
        #expect(
            throws: ModelError.unsupportedValue(
                field: "activation_function", value: "swish",
                supported: ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"])
        ) {
            try GPT2Config.decode(json: try ModelFixtures.json(object))
        }
    }

    @Test func unsupportedAttentionVariantsAreRejected() throws {
        var object = try ModelFixtures.configObject("gpt2")
        object["scale_attn_by_inverse_layer_idx"] = true
        #expect(
            throws: ModelError.unsupportedValue(
                field: "scale_attn_by_inverse_layer_idx", value: "true",
                supported: ["false"])
        ) {
            try GPT2Config.decode(json: try ModelFixtures.json(object))
        }
        object = try ModelFixtures.configObject("gpt2")
        object["n_head"] = 5
        #expect(throws: ModelError.invalidValue(field: "n_embd", value: "32", reason: "not divisible by n_head 5")) {
            try GPT2Config.decode(json: try ModelFixtures.json(object))
        }
    }

    @Test func anotherFamilysConfigIsRejected() throws {
        #expect(throws: ModelError.wrongFamily(expected: "gpt2", found: "model_type \"bert\"")) {
            try GPT2Config.load(from: ModelFixtures.directory("bert"))
        }
    }

    @Test func missingFileAndBadJSONAreTypedErrors() throws {
        let nowhere = ModelFixtures.directory("no_such_model")
        #expect(throws: ModelError.fileNotFound(path: nowhere.path)) { try GPT2Config.load(from: nowhere) }
        #expect(
            throws: ModelError.malformedConfig(
                file: "config.json", reason: "invalid JSON at byte 15: unexpected end of input")
        ) {
            try GPT2Config.decode(json: Data("{\"vocab_size\": ".utf8))
        }
        #expect(throws: ModelError.malformedConfig(file: "config.json", reason: "the top level is not a JSON object")) {
            try GPT2Config.decode(json: Data("[1, 2]".utf8))
        }
    }

    /// Token ids become int32 tensors: one out of `0...Int32.max` is an error naming the field, not a trap.
    @Test func tokenIdsOutsideInt32AreNamed() throws {
        let reason = "a token id must be in 0...2147483647"
        for field in ["eos_token_id", "pad_token_id", "bos_token_id"] {
            var object = try ModelFixtures.configObject("gpt2")
            object[field] = 4_294_967_296
            #expect(throws: ModelError.invalidValue(field: field, value: "4294967296", reason: reason)) {
                try GPT2Config.decode(json: try ModelFixtures.json(object))
            }
            object[field] = -1
            #expect(throws: ModelError.invalidValue(field: field, value: "-1", reason: reason)) {
                try GPT2Config.decode(json: try ModelFixtures.json(object))
            }
            object[field] = 2_147_483_647
            #expect(try GPT2Config.decode(json: try ModelFixtures.json(object)).vocabSize == 99)
        }
        var config = GPT2Config()
        config.eosTokenId = Int(Int32.max) + 1
        #expect(throws: ModelError.invalidValue(field: "eos_token_id", value: "2147483648", reason: reason)) {
            try config.validate()
        }
        // Beyond 64 bits the number does not even fit the field's Int.
        let huge = #"{"vocab_size": 10, "n_embd": 8, "n_layer": 1, "n_head": 2, "eos_token_id": 18446744073709551616}"#
        #expect(
            throws: ModelError.malformedConfig(
                file: "config.json", reason: "eos_token_id: Number 18446744073709551616 does not fit in Int.")
        ) {
            try GPT2Config.decode(json: Data(huge.utf8))
        }
    }

    /// config.json goes through the strict parser: what Foundation would let pass is an error.
    @Test func configJSONIsReadStrictly() throws {
        let duplicate = #"{"vocab_size": 10, "vocab_size": 11, "n_embd": 8, "n_layer": 1, "n_head": 2}"#
        #expect(
            throws: ModelError.malformedConfig(
                file: "m/config.json", reason: "invalid JSON at byte 19: duplicate key \"vocab_size\"")
        ) {
            try GPT2Config.decode(json: Data(duplicate.utf8), file: "m/config.json")
        }
        let badUTF8 =
            Data(#"{"vocab_size": 10, "n_embd": 8, "n_layer": 1, "n_head": 2, "x": ""#.utf8) + Data([0xff])
            + Data(#""}"#.utf8)
        #expect(
            throws: ModelError.malformedConfig(
                file: "config.json", reason: "invalid JSON at byte 65: invalid UTF-8 in a string")
        ) {
            try GPT2Config.decode(json: badUTF8)
        }
        // An integral float is the integer; the result is exact.
        let floats = #"{"vocab_size": 10.0, "n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 1e3}"#
        let config = try GPT2Config.decode(json: Data(floats.utf8))
        #expect(config.vocabSize == 10 && config.nPositions == 1000)
    }

    @Test func errorDescriptionsNameTheProblem() {
        let error = ModelError.missingField(field: "n_embd", file: "config.json")
        #expect(error.description == "config.json: required field \"n_embd\" is missing")
        let unsupported = ModelError.unsupportedValue(field: "activation_function", value: "swish", supported: ["relu"])
        #expect(unsupported.description == "unsupported activation_function \"swish\" (supported: relu)")
    }
}
