import Foundation
import KalamCore
import KalamModels
import KalamText
import Testing

@testable import KalamCLI

/// Kalam-trained BERT and T5 folders (`scripts/fixtures/objectives.py`): transformers loads them with
/// no missing or unexpected keys, Kalam redraws the masks the fixture scored from the same seed, and
/// Kalam's loss and logits on those masks equal transformers'.
@Suite struct ObjectiveParityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/objectives", isDirectory: true)

    struct Expected {
        let object: [String: Any]
        func ids(_ key: String) throws -> IndexTensor {
            let rows = object[key] as! [[Int]]
            return try IndexTensor(rows.flatMap { $0.map(Int32.init) }, shape: [rows.count, rows[0].count])
        }
        var loss: Float { Float(object["loss"] as! Double) }
        var targetLogits: [[Float]] { (object["target_logits"] as! [[Double]]).map { $0.map(Float.init) } }
    }

    /// Checks the folder's fixture: loading report, masks redrawn, and returns the expectations.
    static func check(_ name: String, maskArguments: [String], rowKey: String) throws -> Expected {
        let folder = root.appendingPathComponent(name)
        let expected = Expected(
            object: try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any])
        #expect((expected.object["missing_keys"] as! [String]).isEmpty)
        #expect((expected.object["unexpected_keys"] as! [String]).isEmpty)
        let lines = try String(contentsOf: root.appendingPathComponent("lines.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var engine = try MaskCommand.parse(
            ["--tokenizer", folder.appendingPathComponent("tokenizer.json").path] + maskArguments
        ).engine()
        let redrawn = try lines.map { try engine.render($0) }
        let saved = try String(contentsOf: folder.appendingPathComponent("masks.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(redrawn == saved, "the same seed draws the fixture's masks")
        // The batch transformers scored is those masks, padded.
        let rows = expected.object["input_ids"] as! [[Int]]
        for (row, line) in zip(rows, saved) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let ids = object[rowKey] as! [Int]
            #expect(Array(row.prefix(ids.count)) == ids)
        }
        return expected
    }

    static func compare(logits: Tensor, labels: IndexTensor, expected: Expected) {
        let v = logits.shape[2], t = labels.shape[1]
        let scalars = logits.scalars
        var picked: [[Float]] = []
        for b in 0..<3 {
            for k in 0..<t where labels.values[b * t + k] != -100 {
                picked.append(Array(scalars[((b * t + k) * v)..<((b * t + k + 1) * v)]))
            }
        }
        let want = expected.targetLogits
        #expect(picked.count == want.count && !want.isEmpty)
        let worst = zip(picked, want).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max() ?? .infinity
        #expect(worst < 1e-4, "largest logit difference \(worst)")
    }

    @Test func bertMaskedLMLossOnKalamMasksEqualsTransformers() throws {
        let expected = try Self.check(
            "bert", maskArguments: ["--masking", "whole-word", "--mask-rate", "0.3", "--seed", "5", "--json"],
            rowKey: "masked_ids")
        let model = try BertForMaskedLM.load(from: Self.root.appendingPathComponent("bert"))
        let labels = try expected.ids("labels")
        let out = try Tensor.withoutGrad {
            try model(
                inputIds: expected.ids("input_ids"), attentionMask: expected.ids("attention_mask"), labels: labels)
        }
        let loss = try out.loss!.item()
        #expect(abs(loss - expected.loss) < 1e-5, "loss \(loss) vs transformers \(expected.loss)")
        Self.compare(logits: out.logits, labels: labels, expected: expected)
    }

    @Test func t5SpanCorruptionLossOnKalamSpansEqualsTransformers() throws {
        let expected = try Self.check(
            "t5", maskArguments: ["--masking", "t5-span", "--seed", "5", "--json"], rowKey: "inputs")
        let model = try T5ForConditionalGeneration.load(from: Self.root.appendingPathComponent("t5"))
        let labels = try expected.ids("labels")
        let out = try Tensor.withoutGrad {
            try model(
                inputIds: expected.ids("input_ids"), attentionMask: expected.ids("attention_mask"), labels: labels)
        }
        let loss = try out.loss!.item()
        #expect(abs(loss - expected.loss) < 1e-5, "loss \(loss) vs transformers \(expected.loss)")
        Self.compare(logits: out.logits, labels: labels, expected: expected)
    }

    @Test func electraGeneratorAndDiscriminatorLossesEqualTransformers() throws {
        let expected = try Self.check(
            "electra", maskArguments: ["--masking", "whole-word", "--mask-rate", "0.3", "--seed", "5", "--json"],
            rowKey: "masked_ids")
        let folder = Self.root.appendingPathComponent("electra")
        let discriminator = try ElectraForPreTraining.load(from: folder)
        let generator = try ElectraForMaskedLM.load(from: folder.appendingPathComponent("generator"))
        // One set of embeddings, saved in both folders.
        #expect(
            generator.electra.embeddings.wordEmbeddings.weight.scalars
                == discriminator.electra.embeddings.wordEmbeddings.weight.scalars)
        #expect(generator.config.hiddenSize * 4 == discriminator.config.hiddenSize)
        let ids = try expected.ids("input_ids"), attention = try expected.ids("attention_mask")
        let labels = try expected.ids("labels"), replaced = try expected.ids("replaced")
        let g = try Tensor.withoutGrad { try generator(inputIds: ids, attentionMask: attention, labels: labels) }
        let gLoss = try g.loss!.item()
        #expect(abs(gLoss - expected.loss) < 1e-5, "generator loss \(gLoss) vs \(expected.loss)")
        Self.compare(logits: g.logits, labels: labels, expected: expected)
        let d = try Tensor.withoutGrad {
            try discriminator(inputIds: ids, attentionMask: attention, labels: replaced)
        }
        let dLoss = try d.loss!.item(), want = Float(expected.object["rtd_loss"] as! Double)
        #expect(abs(dLoss - want) < 1e-5, "discriminator loss \(dLoss) vs \(want)")
        let logits = (expected.object["rtd_logits"] as! [[Double]]).flatMap { $0.map(Float.init) }
        let worst = zip(d.logits.scalars, logits).map { abs($0 - $1) }.max() ?? .infinity
        #expect(d.logits.count == logits.count && worst < 1e-4, "largest RTD logit difference \(worst)")
        #expect(replaced.values.contains(1) && replaced.values.contains(0))
    }
}
