import Foundation
import KalamCore
import KalamModels
import KalamText
import Testing

@testable import KalamCLI
@testable import KalamTraining

/// `kalam pretrain --arch bert|t5` and `kalam evaluate` on their folders, with very small models.
@Suite struct PretrainEncoderTests {
    static func arguments(arch: String, corpus: String, preset: String, out: URL) -> [String] {
        [
            "--arch", arch, "--corpus", corpus, "--preset", preset, "--tokenizer", "train:400", "--steps", "4",
            "--out", out.path, "--batch-size", "4", "--eval-every", "2", "--checkpoint-every", "2", "--log-every", "1",
            "--masking", "whole-word", "--mask-rate", "0.3",
        ]
    }

    static func summary(_ out: URL) throws -> [String: String] {
        try #require(try MetricsLog.read(out.appendingPathComponent("metrics.jsonl")).last?.extra)
    }

    @Test func bertPretrainsWritesAFolderAndEvaluatesTheSameMasking() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, _) = try PretrainFixture.write(into: dir)
        let preset = dir.appendingPathComponent("bert.json")
        try BertConfig(
            vocabSize: 10, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 64,
            maxPositionEmbeddings: 32
        ).jsonData().write(to: preset)
        let out = dir.appendingPathComponent("bert")
        let lines = try PretrainFixture.pretrain(
            Self.arguments(arch: "bert", corpus: corpus, preset: preset.path, out: out))
        #expect(lines.contains { $0.hasPrefix("validation masked-token accuracy") })
        let model = try BertForMaskedLM.load(from: out)
        let tokenizer = try TokenizerJSON.load(out.appendingPathComponent("tokenizer.json"))
        #expect(model.config.vocabSize == tokenizer.vocabularySize && tokenizer.vocabularySize <= 400)
        #expect(tokenizer.id(of: "[MASK]") == 4 && model.config.padTokenId == 0)
        let summary = try Self.summary(out)
        #expect(summary["stop_reason"] == "completed")
        let evaluations = try MetricsLog.read(out.appendingPathComponent("metrics.jsonl")).filter { $0.kind == "eval" }
        #expect(evaluations.count == 2 && evaluations.allSatisfy { $0.validationPerplexity != nil })
        let accuracy = try #require(summary["val_masked_accuracy"].flatMap(Double.init))
        #expect(accuracy >= 0 && accuracy <= 1)
        // `kalam evaluate` scores the same fixed masking of the same validation documents.
        let json = try PretrainFixture.evaluate([
            "--model", out.path, "--corpus", corpus, "--json", "--masking", "whole-word", "--mask-rate", "0.3",
        ])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(json.joined().utf8)) as? [String: Any])
        #expect(String(format: "%.4f", object["val_masked_accuracy"] as! Double) == summary["val_masked_accuracy"])
        #expect(String(format: "%.4f", object["val_masked_loss"] as! Double) == summary["val_masked_loss"])
        #expect("\(object["val_masked_targets"] as! Int)" == summary["val_masked_targets"])
        // Bad masking flags fail before any training.
        #expect(throws: TrainingError.invalidOption(name: "mask rate", value: "0.0", reason: "must be in (0, 1)")) {
            try PretrainFixture.pretrain(
                Self.arguments(arch: "bert", corpus: corpus, preset: preset.path, out: dir.appendingPathComponent("x"))
                    + ["--mask-rate", "0"])
        }
    }

    @Test func decoderBiasStartsAtTheLogFrequenciesForBertAndAtZeroForElectra() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, _) = try PretrainFixture.write(into: dir)
        let bertPreset = dir.appendingPathComponent("bert.json")
        try BertConfig(
            vocabSize: 10, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32,
            maxPositionEmbeddings: 32
        ).jsonData().write(to: bertPreset)
        let electraPreset = dir.appendingPathComponent("electra.json")
        try ElectraConfig(
            vocabSize: 10, embeddingSize: 16, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 4,
            intermediateSize: 64, maxPositionEmbeddings: 32
        ).jsonData().write(to: electraPreset)
        // One step at a learning rate of 1e-9 leaves the starting bias as it was (AdamW moves a weight by
        // about the learning rate).
        var runs = 0
        func bias(_ arch: String, _ extra: [String]) throws -> [Float] {
            runs += 1
            let out = dir.appendingPathComponent("run\(runs)")
            let preset = arch == "bert" ? bertPreset : electraPreset
            _ = try PretrainFixture.pretrain(
                Self.arguments(arch: arch, corpus: corpus, preset: preset.path, out: out)
                    + ["--steps", "1", "--lr", "1e-9"] + extra)
            if arch == "bert" { return try BertForMaskedLM.load(from: out).cls.predictions.bias.scalars }
            let generator = try ElectraForMaskedLM.load(from: out.appendingPathComponent("generator"))
            return generator.generatorLMHead.bias.scalars
        }
        // A distribution: log-probabilities that sum to 1, the special tokens (never targets) all at the
        // add-one floor, below every token of the text.
        func isLogUnigram(_ bias: [Float]) -> Bool {
            let floor = bias.min() ?? 0
            return abs(bias.reduce(0.0) { $0 + Foundation.exp(Double($1)) } - 1) < 1e-4
                && (0..<5).allSatisfy { abs(bias[$0] - floor) < 1e-6 } && (bias.max() ?? 0) > floor + 1
        }
        func isZero(_ bias: [Float]) -> Bool { bias.allSatisfy { abs($0) < 1e-6 } }
        #expect(isLogUnigram(try bias("bert", [])))
        #expect(isZero(try bias("bert", ["--output-bias", "zero"])))
        #expect(isZero(try bias("electra", [])))
        #expect(isLogUnigram(try bias("electra", ["--output-bias", "unigram"])))
    }

    @Test func t5PretrainsWithSpanCorruption() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, _) = try PretrainFixture.write(into: dir)
        let preset = dir.appendingPathComponent("t5.json")
        try T5Config(
            vocabSize: 10, dModel: 32, dKv: 16, dFf: 64, numLayers: 1, numHeads: 2, relativeAttentionNumBuckets: 8,
            relativeAttentionMaxDistance: 16, dropoutRate: 0
        ).jsonData().write(to: preset)
        let out = dir.appendingPathComponent("t5")
        // A preset file gives T5 no context, so packing would fill 512-token sequences: two from this
        // small corpus, fewer than a batch. One sentence per sequence instead.
        try PretrainFixture.pretrain(
            Self.arguments(arch: "t5", corpus: corpus, preset: preset.path, out: out) + ["--document-per-sequence"])
        let model = try T5ForConditionalGeneration.load(from: out)
        let tokenizer = try TokenizerJSON.load(out.appendingPathComponent("tokenizer.json"))
        #expect(
            tokenizer.id(of: "<pad>") == 0 && tokenizer.id(of: "</s>") == 1 && tokenizer.id(of: "<extra_id_99>") == 102)
        #expect(model.config.eosTokenId == 1 && model.config.vocabSize == tokenizer.vocabularySize)
        let summary = try Self.summary(out)
        let loss = try #require(summary["val_span_loss"].flatMap(Double.init))
        let unigram = try #require(summary["unigram_span_loss"].flatMap(Double.init))
        #expect(loss > 0 && unigram > 0)
        let json = try PretrainFixture.evaluate([
            "--model", out.path, "--corpus", corpus, "--json", "--document-per-sequence",
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.joined().utf8)) as? [String: Any])
        #expect(String(format: "%.4f", object["val_span_loss"] as! Double) == summary["val_span_loss"])
        // A tokenizer without sentinels cannot corrupt spans.
        let bertTokenizer = dir.appendingPathComponent("wp.json")
        try TokenizerJSON.save(
            try WordPieceTrainer(vocabSize: 200).trainTokenizer(PretrainFixture.sentences), to: bertTokenizer)
        var args = Self.arguments(arch: "t5", corpus: corpus, preset: preset.path, out: dir.appendingPathComponent("y"))
        args[args.firstIndex(of: "train:400")!] = bertTokenizer.path
        #expect(throws: TrainingError.missingSpecialToken(token: "<pad>", purpose: "padding")) {
            try PretrainFixture.pretrain(args)
        }
    }

    @Test func electraPretrainsAndWritesBothFolders() throws {
        let dir = try PretrainFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, _) = try PretrainFixture.write(into: dir)
        let preset = dir.appendingPathComponent("electra.json")
        try ElectraConfig(
            vocabSize: 10, embeddingSize: 16, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 4,
            intermediateSize: 64, maxPositionEmbeddings: 32
        ).jsonData().write(to: preset)
        let out = dir.appendingPathComponent("electra")
        try PretrainFixture.pretrain(Self.arguments(arch: "electra", corpus: corpus, preset: preset.path, out: out))
        let discriminator = try ElectraForPreTraining.load(from: out)
        let generator = try ElectraForMaskedLM.load(from: out.appendingPathComponent("generator"))
        #expect(generator.config.hiddenSize == 8 && discriminator.config.hiddenSize == 32)
        #expect(
            generator.electra.embeddings.wordEmbeddings.weight.scalars
                == discriminator.electra.embeddings.wordEmbeddings.weight.scalars)
        // Generator cross-entropy + 50 × RTD loss has no perplexity: evaluations log the loss alone.
        let evaluations = try MetricsLog.read(out.appendingPathComponent("metrics.jsonl")).filter { $0.kind == "eval" }
        #expect(evaluations.count == 2)
        #expect(evaluations.allSatisfy { $0.validationLoss != nil && $0.validationPerplexity == nil })
        let summary = try Self.summary(out)
        let auc = try #require(summary["val_rtd_auc"].flatMap(Double.init))
        #expect(auc >= 0 && auc <= 1)
        // On the generator's own samples: its loss against the prior's, the binary entropy of the share
        // of tokens the generator replaced.
        let share = try #require(summary["val_rtd_generator_replaced"].flatMap(Double.init))
        let prior = try #require(summary["val_rtd_prior_loss"].flatMap(Double.init))
        #expect(share > 0.1 && share < 0.5, "about 30% of the words are masked: \(share)")
        #expect(abs(prior - (-(share * Foundation.log(share) + (1 - share) * Foundation.log(1 - share)))) < 1e-3)
        #expect(try #require(summary["val_rtd_generator_loss"].flatMap(Double.init)) > 0)
        let json = try PretrainFixture.evaluate([
            "--model", out.path, "--corpus", corpus, "--json", "--masking", "whole-word", "--mask-rate", "0.3",
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.joined().utf8)) as? [String: Any])
        #expect(String(format: "%.4f", object["val_rtd_auc"] as! Double) == summary["val_rtd_auc"])
        // `kalam evaluate` finds the generator beside the discriminator and draws the same samples.
        for key in ["val_rtd_generator_loss", "val_rtd_prior_loss", "val_rtd_generator_auc"] {
            #expect(String(format: "%.4f", try #require(object[key] as? Double)) == summary[key], "\(key)")
        }
    }
}
