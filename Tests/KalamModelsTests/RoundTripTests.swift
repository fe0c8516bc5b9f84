import Foundation
import KalamCore
import Testing

@testable import KalamModels

/// Saving and loading model directories. With `KALAM_WRITE_ROUNDTRIP=1` the models Kalam saves also go to
/// `Tests/Fixtures/models/roundtrip/kalam_saved/<name>/` (with the inputs and Kalam's logits), where
/// `scripts/fixtures/models.py --roundtrip` loads them with transformers' `from_pretrained`.
@Suite struct RoundTripTests {
    static let writeForTransformers = ProcessInfo.processInfo.environment["KALAM_WRITE_ROUNDTRIP"] == "1"

    /// A fresh model (Kalam's own initialisation, not the fixture's weights) of the fixture's configuration.
    func roundTrip<M: PretrainedModel>(
        _ name: String, _ type: M.Type, seed: UInt64,
        logits: (M, ParityFixture) throws -> Tensor
    ) throws {
        let fx = try ParityFixture(name)
        let model = try M(config: M.Configuration.load(from: fx.directory), seed: seed)
        let before = try logits(model, fx)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kalam-roundtrip-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(directory: directory)
        // The file holds exactly the keys transformers writes for this class.
        let saved = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        let reference = try SafeTensorsFile(contentsOf: fx.directory.appendingPathComponent("model.safetensors"))
        #expect(Set(saved.names) == Set(reference.names), "\(name): saved keys")
        #expect(saved.metadata["format"] == "pt")
        let config =
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json")))
            as! [String: Any]
        #expect(config["architectures"] as? [String] == [M.architecture])
        #expect(config["model_type"] as? String == M.Configuration.modelType)
        let reloaded = try M.load(from: directory)
        #expect(try logits(reloaded, fx).scalars == before.scalars, "\(name): logits after reload")
        if Self.writeForTransformers {
            let out = ModelFixtures.root.appendingPathComponent("roundtrip/kalam_saved/\(name)")
            try model.save(directory: out)
            try Data(contentsOf: fx.directory.appendingPathComponent("inputs.json")).write(
                to: out.appendingPathComponent("inputs.json"))
            try SafeTensors.write(
                [(name: "logits", shape: before.shape, data: before.scalars)],
                to: out.appendingPathComponent("kalam_logits.safetensors"))
        }
    }

    @Test func gpt2() throws {
        try roundTrip("gpt2", GPT2LMHeadModel.self, seed: 11) { m, fx in
            try m(inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask")).logits
        }
    }

    @Test func bert() throws {
        try roundTrip("bert", BertModel.self, seed: 12) { m, fx in
            try m(
                inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
                tokenTypeIds: fx.ids("token_type_ids")
            ).lastHiddenState
        }
        try roundTrip("bert_mlm", BertForMaskedLM.self, seed: 13) { m, fx in
            try m(
                inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
                tokenTypeIds: fx.ids("token_type_ids")
            ).logits
        }
        try roundTrip("bert_seqcls", BertForSequenceClassification.self, seed: 14) { m, fx in
            try m(
                inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
                tokenTypeIds: fx.ids("token_type_ids")
            ).logits
        }
        try roundTrip("bert_tokcls", BertForTokenClassification.self, seed: 15) { m, fx in
            try m(
                inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
                tokenTypeIds: fx.ids("token_type_ids")
            ).logits
        }
    }

    @Test(arguments: ["t5_v1_0", "t5_v1_1"])
    func t5(_ name: String) throws {
        try roundTrip(name, T5ForConditionalGeneration.self, seed: 16) { m, fx in
            try m(
                inputIds: fx.ids("input_ids"), attentionMask: fx.ids("attention_mask"),
                decoderInputIds: fx.ids("decoder_input_ids")
            ).logits
        }
    }

    @Test func untiedGPT2HeadIsSavedAndTokenizerFilesAreCopied() throws {
        var config = try GPT2Config.load(from: ModelFixtures.directory("gpt2"))
        config.tieWordEmbeddings = false
        let model = try GPT2LMHeadModel(config: config, seed: 5)
        #expect(model.namedParameters().last?.key == "lm_head.weight")
        #expect(model.tiedKeyAliases.isEmpty)
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-tok-\(UUID().uuidString)")
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-save-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: source)
            try? FileManager.default.removeItem(at: target)
        }
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("{\"model\": {}}".utf8).write(to: source.appendingPathComponent("tokenizer.json"))
        try Data("[PAD]\n".utf8).write(to: source.appendingPathComponent("vocab.txt"))
        try model.save(directory: target, tokenizerFrom: source)
        #expect(try Data(contentsOf: target.appendingPathComponent("tokenizer.json")) == Data("{\"model\": {}}".utf8))
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("vocab.txt").path))
        let saved = try SafeTensorsFile(contentsOf: target.appendingPathComponent("model.safetensors"))
        #expect(saved.names.contains("lm_head.weight"))
        let reloaded = try GPT2LMHeadModel.load(from: target)
        #expect(!reloaded.config.tieWordEmbeddings)
        #expect(reloaded.parameter("lm_head.weight")!.scalars == model.parameter("lm_head.weight")!.scalars)
        #expect(reloaded.parameter("lm_head.weight")!.scalars != reloaded.parameter("transformer.wte.weight")!.scalars)
    }

    @Test func transformersLoadedWhatKalamSaved() throws {
        // Written by `scripts/fixtures/models.py --roundtrip` after a run with KALAM_WRITE_ROUNDTRIP=1.
        let url = ModelFixtures.root.appendingPathComponent("roundtrip/result.json")
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let models = try #require(result["models"] as? [String: [String: Any]])
        #expect(Set(models.keys) == ["gpt2", "bert", "bert_mlm", "bert_seqcls", "bert_tokcls", "t5_v1_0", "t5_v1_1"])
        for (name, entry) in models {
            #expect(entry["loaded"] as? Bool == true, "\(name): \(entry["error"] ?? "")")
            #expect(entry["match"] as? Bool == true, "\(name)")
            #expect((entry["max_rel_diff"] as? Double ?? 1) <= 1e-4, "\(name)")
        }
    }
}
