import Foundation
import KalamCore
import KalamModels
import KalamNN
import Testing

@testable import KalamTraining

/// ELECTRA's generator + discriminator pair and its objective.
@Suite struct ReplacedTokenDetectionTests {
    static let discriminatorConfig = ElectraConfig(
        vocabSize: 40, embeddingSize: 16, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4,
        intermediateSize: 64, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 12)

    static func pair() throws -> ElectraPretrainingModel {
        let generator = try ElectraForMaskedLM(
            config: ElectraPretrainingModel.generatorConfig(for: discriminatorConfig), seed: 2)
        return try ElectraPretrainingModel(
            generator: generator, discriminator: ElectraForPreTraining(config: discriminatorConfig, seed: 1))
    }

    static func batch() throws -> Batch {
        var rng = KalamRandom(seed: 3)
        let documents = (0..<8).map { d in (0..<(6 + d % 5)).map { _ in Int32(5 + rng.nextInt(below: 35)) } }
        let blocks = try PackedBlocks(
            documents: documents, packing: BlockPacking(contextLength: 12, respectDocumentBoundaries: true, padToken: 0)
        )
        return try blocks.sequentialBatches(batchSize: 8)[0]
    }

    /// The objective over `model`: exactly 30% of the tokens masked, ids 0-3 special.
    static func objective(_ model: ElectraPretrainingModel) throws -> ReplacedTokenDetectionObjective {
        let masker = try TokenMasker(
            strategy: .random(exactCount: true), rate: 0.3, maskTokenId: 4, vocabularySize: 40,
            specialTokenIds: [0, 1, 2, 3])
        return try ReplacedTokenDetectionObjective(model: model, masker: masker, specialTokenIds: [0, 1, 2, 3])
    }

    @Test func theGeneratorIsAQuarterWideAndSharesTheEmbeddings() throws {
        let g = ElectraPretrainingModel.generatorConfig(for: Self.discriminatorConfig)
        #expect(g.hiddenSize == 8 && g.numAttentionHeads == 1 && g.intermediateSize == 32)
        #expect(g.embeddingSize == 16 && g.numHiddenLayers == 2 && g.vocabSize == 40)
        let model = try Self.pair()
        let keys = model.namedParameters().map(\.key)
        #expect(keys.contains("discriminator.electra.embeddings.word_embeddings.weight"))
        #expect(!keys.contains { $0.hasPrefix("generator.electra.embeddings.") }, "the embeddings are listed once")
        #expect(keys.contains("generator.electra.embeddings_project.weight"))
        #expect(
            model.generator.electra.embeddings.wordEmbeddings.weight
                === model.discriminator.electra.embeddings.wordEmbeddings.weight)
    }

    @Test func theLossIsTheGeneratorsPlusLambdaTimesTheDiscriminators() throws {
        let model = try Self.pair()
        let objective = try Self.objective(model)
        let batch = try Self.batch()
        var a = KalamRandom(seed: 9), b = KalamRandom(seed: 9)
        let parts = try objective.losses(on: batch, rng: &a)
        let total = try parts.total.item(), generator = try parts.generator.item()
        let discriminator = try parts.discriminator.item()
        #expect(abs(total - (generator + 50 * discriminator)) < 1e-4 * total)
        // Untrained: the generator is near a uniform guess over 40 tokens, the discriminator near ln 2.
        #expect(abs(generator - Float(Foundation.log(40.0))) < 0.5)
        #expect(abs(discriminator - Float(Foundation.log(2.0))) < 0.2)
        #expect(parts.targets > 10)
        #expect(try objective.loss(on: batch, rng: &b).value.item() == total, "same seed, same loss")
        // Both losses reach the shared embeddings.
        model.train()
        var c = KalamRandom(seed: 9)
        try objective.losses(on: batch, rng: &c).total.backward()
        let grad = try #require(model.discriminator.electra.embeddings.wordEmbeddings.weight.grad)
        #expect(grad.scalars.contains { $0 != 0 })
        #expect(model.generator.generatorLMHead.bias.grad != nil)
        #expect(model.discriminator.discriminatorPredictions.densePrediction.weight.grad != nil)
    }

    @Test func theMeasureOnGeneratorSamplesIsTheTrainingLossAgainstTheBinaryEntropyOfTheReplacedShare() throws {
        let model = try Self.pair()
        let objective = try Self.objective(model)
        let batch = try Self.batch()
        model.train()
        let m = try ObjectiveMeasures.generatorReplacements(objective: objective, batches: [batch, batch], seed: 5)
        #expect(model.isTraining && model.discriminator.isTraining, "the models are left in the mode they were in")
        // The same draws by hand: the discriminator's training loss on each batch (equal token counts,
        // so the measure is their mean) and the replaced share over the tokens the mask keeps.
        var rng = KalamRandom(seed: 5).fork(stream: 11)
        var losses: [Double] = [], replaced = 0, tokens = 0
        try Tensor.withoutGrad {
            for _ in 0..<2 {
                var copy = rng
                losses.append(Double(try objective.losses(on: batch, rng: &rng).discriminator.item()))
                let c = try objective.corrupt(batch, rng: &copy)
                for (flag, keep) in zip(c.isReplaced, batch.attentionMask) where keep == 1 {
                    replaced += Int(flag)
                    tokens += 1
                }
            }
        }
        #expect(m.tokens == tokens)
        #expect(replaced > 0 && replaced < tokens)
        let p = Double(replaced) / Double(tokens)
        #expect(m.replacedShare == p)
        #expect(abs(m.priorLoss - (-(p * Foundation.log(p) + (1 - p) * Foundation.log(1 - p)))) < 1e-12)
        #expect(abs(m.loss - (losses[0] + losses[1]) / 2) < 1e-5)
        #expect(m.auc >= 0 && m.auc <= 1)
        let again = try ObjectiveMeasures.generatorReplacements(objective: objective, batches: [batch, batch], seed: 5)
        #expect(again == m, "same seed, same measure")
    }

    @Test func theAUCCountsRanksWithTiesSharingTheirMean() {
        // Positives at 0.4 and 0.8 against negatives at 0.1 and 0.5: 3 of the 4 pairs ordered.
        #expect(ObjectiveMeasures.rocAUC([(0.1, false), (0.4, true), (0.5, false), (0.8, true)]) == 0.75)
        // A tie counts half.
        #expect(ObjectiveMeasures.rocAUC([(0.5, true), (0.5, false), (0.9, true), (0.2, false)]) == 0.875)
        #expect(ObjectiveMeasures.rocAUC([(0.5, true), (0.7, true)]).isNaN)
    }

    @Test func badInputIsATypedError() throws {
        let masker = try TokenMasker(strategy: .wholeWord, rate: 0.15, maskTokenId: 4, vocabularySize: 40)
        #expect(throws: TrainingError.invalidOption(name: "rtd weight", value: "0.0", reason: "must be > 0")) {
            try ReplacedTokenDetectionObjective(model: Self.pair(), masker: masker, specialTokenIds: [], lambda: 0)
        }
        var other = ElectraPretrainingModel.generatorConfig(for: Self.discriminatorConfig)
        other.embeddingSize = 8
        #expect(throws: TrainingError.self) {
            try ElectraPretrainingModel(
                generator: ElectraForMaskedLM(config: other, seed: 1),
                discriminator: ElectraForPreTraining(config: Self.discriminatorConfig, seed: 1))
        }
        let model = try ElectraForPreTraining(config: Self.discriminatorConfig, seed: 1)
        #expect(throws: ModelError.self) {
            try model(inputIds: IndexTensor([5, 6], shape: [1, 2]), labels: IndexTensor([0, 2], shape: [1, 2]))
        }
    }
}
