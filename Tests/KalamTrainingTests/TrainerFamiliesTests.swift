import Foundation
import KalamCore
import KalamModels
import KalamNN
import Testing

@testable import KalamTraining

/// The one trainer serves every family and objective, and its plug-in points do what they say.
@Suite struct TrainerFamiliesTests {
    static func options(steps: Int) -> TrainerConfiguration {
        var c = TrainerConfiguration(steps: steps, batchSize: 4)
        c.learningRate = 3e-3
        c.warmupSteps = 1
        c.weightDecay = 0
        c.seed = 3
        return c
    }

    @Test func bertMaskedLanguageModelTrains() throws {
        let config = BertConfig(
            vocabSize: 24, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
            maxPositionEmbeddings: 8, padTokenId: nil)
        let model = try BertForMaskedLM(config: config, seed: 1)
        // Every token appears twice in a row, so a masked token can be read off its twin: only a model
        // that looks both ways can learn it.
        var rng = KalamRandom(seed: 8)
        let documents = (0..<800).map { _ in
            (0..<4).flatMap { _ -> [Int32] in
                let t = Int32(rng.nextInt(below: 22))
                return [t, t]
            } + [22]  // the block's ninth token (the unused next-token target)
        }
        let data = try TrainValidationSplit.packed(
            documents: documents, packing: BlockPacking(contextLength: 8, respectDocumentBoundaries: true),
            validationFraction: 0.2)
        let objective = try MaskedLMObjective(model: model, rate: 0.15, maskTokenId: 23, specialTokenIds: [23])
        let validation = try data.validation.sequentialBatches(batchSize: 4)
        let before = try Trainer.evaluate(model: model, objective: objective, batches: validation)
        var options = Self.options(steps: 2000)
        options.batchSize = 16
        options.learningRate = 1e-3
        options.minLearningRateRatio = 1
        let trainer = try Trainer(
            model: model, objective: objective, train: data.train, validation: data.validation,
            configuration: options)
        let result = try trainer.run()
        #expect(result.step == 2000)
        let after = try Trainer.evaluate(model: model, objective: objective, batches: validation)
        // A uniform guess over the 22 tokens is ln 22 = 3.09 nats.
        #expect(before > 3.0)
        // Tiny post-norm BERTs learn slowly: 2,000 steps take it well below the uniform guess.
        #expect(after < before - 0.3, "masked-LM loss \(before) -> \(after)")
    }

    @Test func decoderBiasStartsAtTheLogUnigramFrequencies() throws {
        // [CLS] = 2 and [SEP] = 3 are never targets; the eligible tokens are 5, 5, 6 | 5, 7 (N = 5).
        let blocks = try AnnotatedBlocks(
            sequences: [
                MaskableSequence(ids: [2, 5, 5, 6, 3], specialTokenIds: [2, 3]),
                MaskableSequence(ids: [2, 5, 7, 3], specialTokenIds: [2, 3]),
            ], contextLength: 6, padId: 0)
        // Add-one over V = 8: (count + 1) / (5 + 8).
        let expected = [1, 1, 1, 1, 1, 4, 2, 2].map { Float(Foundation.log(Double($0) / 13)) }
        let frequencies = try blocks.logUnigramFrequencies(vocabularySize: 8)
        #expect(zip(frequencies, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(frequencies)")

        let config = BertConfig(
            vocabSize: 8, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16,
            maxPositionEmbeddings: 8, padTokenId: 0)
        let bert = try BertForMaskedLM(config: config, seed: 1)
        #expect(bert.cls.predictions.bias.scalars == [Float](repeating: 0, count: 8))
        try MaskedLMObjective(model: bert, maskTokenId: 4, specialTokenIds: [0, 2, 3])
            .startDecoderBiasAtUnigram(of: blocks)
        #expect(bert.cls.predictions.bias.scalars == frequencies)

        let electra = ElectraConfig(
            vocabSize: 8, embeddingSize: 8, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
            intermediateSize: 16, maxPositionEmbeddings: 8, padTokenId: 0)
        let pair = try ElectraPretrainingModel(
            generator: ElectraForMaskedLM(config: electra, seed: 1),
            discriminator: ElectraForPreTraining(config: electra, seed: 2))
        let masker = try TokenMasker(
            strategy: .random(exactCount: false), rate: 0.15, maskTokenId: 4, vocabularySize: 8,
            specialTokenIds: [0, 2, 3])
        try ReplacedTokenDetectionObjective(model: pair, masker: masker, specialTokenIds: [0, 2, 3])
            .startGeneratorBiasAtUnigram(of: blocks)
        #expect(pair.generator.generatorLMHead.bias.scalars == frequencies)

        #expect(
            throws: TrainingError.invalidOption(name: "token id", value: "6", reason: "outside the vocabulary of 6")
        ) { try blocks.logUnigramFrequencies(vocabularySize: 6) }
    }

    @Test func maskingFollowsTheRateAndTheSplit() throws {
        let config = BertConfig(
            vocabSize: 24, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32,
            maxPositionEmbeddings: 8, padTokenId: nil)
        let model = try BertForMaskedLM(config: config, seed: 1)
        let objective = try MaskedLMObjective(model: model, rate: 0.15, maskTokenId: 23, specialTokenIds: [22])
        let data = try TinyRun.blocks()
        var rng = KalamRandom(seed: 4)
        var chosen = 0, masked = 0, kept = 0, eligible = 0
        for batch in try data.train.sequentialBatches(batchSize: 4) {
            let (inputs, labels) = try objective.mask(batch, rng: &rng)
            for i in inputs.indices where batch.inputs[i] != 22 {
                eligible += 1
                guard labels[i] != Batch.ignoreIndex else { continue }
                chosen += 1
                #expect(labels[i] == batch.inputs[i])
                if inputs[i] == 23 { masked += 1 } else if inputs[i] == batch.inputs[i] { kept += 1 }
            }
            for i in inputs.indices where batch.inputs[i] == 22 { #expect(labels[i] == Batch.ignoreIndex) }
        }
        let rate = Double(chosen) / Double(eligible)
        #expect(abs(rate - 0.15) < 0.03, "rate \(rate) over \(eligible)")
        #expect(abs(Double(masked) / Double(chosen) - 0.8) < 0.08)
        // 10% stay as they were (plus the 1-in-24 random replacements that draw the same token).
        #expect(abs(Double(kept) / Double(chosen) - 0.1) < 0.06)
        // Same seed, same masks.
        var a = KalamRandom(seed: 9), b = KalamRandom(seed: 9)
        let batch = try data.train.sequentialBatches(batchSize: 4).first!
        #expect(try objective.mask(batch, rng: &a).inputs == objective.mask(batch, rng: &b).inputs)
        #expect(throws: TrainingError.invalidOption(name: "mask rate", value: "1.0", reason: "must be in (0, 1)")) {
            try MaskedLMObjective(model: model, rate: 1, maskTokenId: 23)
        }
    }

    @Test func t5LearnsAFixedTargetThroughTheSameTrainer() throws {
        let config = T5Config(
            vocabSize: 24, dModel: 16, dKv: 8, dFf: 32, numLayers: 1, numHeads: 2, relativeAttentionNumBuckets: 8,
            relativeAttentionMaxDistance: 16, dropoutRate: 0.1, padTokenId: 0, eosTokenId: 1)
        let model = try T5ForConditionalGeneration(config: config, seed: 2)
        // Every input maps to one target: the sequence reversed is too hard for a few steps, a
        // fixed target is not.
        let target: [Int32] = [5, 9, 4, 1]
        let objective = Seq2SeqObjective(model: model) { batch, _ in
            let inputs = try IndexTensor(batch.inputs, shape: [batch.batchSize, batch.contextLength])
            let labels = try IndexTensor(
                Array((0..<batch.batchSize).map { _ in target }.joined()), shape: [batch.batchSize, target.count])
            return (inputs, labels)
        }
        let data = try TinyRun.blocks()
        let validation = try data.validation.sequentialBatches(batchSize: 4)
        let before = try Trainer.evaluate(model: model, objective: objective, batches: validation)
        let trainer = try Trainer(
            model: model, objective: objective, train: data.train, validation: nil,
            configuration: Self.options(steps: 30))
        _ = try trainer.run()
        let after = try Trainer.evaluate(model: model, objective: objective, batches: validation)
        #expect(after < 0.5 * before, "seq2seq loss \(before) -> \(after)")
    }

    /// Adds `λ · Σ w²` over one parameter and zeroes the gradient of another.
    final class ProbePlugin: TrainerPlugin {
        let name = "probe"
        let penalised: String, frozen: String
        var lambda: Float
        var steps: [Int] = []
        var counter = Tensor.zeros([1])
        init(penalised: String, frozen: String, lambda: Float) {
            self.penalised = penalised
            self.frozen = frozen
            self.lambda = lambda
        }
        func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor? {
            let w = model.namedParameters().first { $0.key == penalised }!.tensor
            return w.square().sum() * lambda
        }
        func transformGradients(_ parameters: NamedParameters, step: Int) throws {
            if let p = parameters.first(where: { $0.key == frozen })?.tensor.grad {
                p.data.update(repeating: 0, count: p.count)
            }
        }
        func afterStep(model: TrainableModel, step: Int) throws {
            steps.append(step)
            counter.data[0] += 1
        }
        func stateTensors() -> [String: Tensor] { ["counter": counter] }
        func restore(stateTensors: [String: Tensor]) throws { counter = stateTensors["counter"]! }
    }

    @Test func pluginsAddLossTransformGradientsAndKeepState() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try GPT2LMHeadModel(config: TinyRun.config(), seed: 1)
        let frozen = "transformer.h.0.mlp.c_fc.weight", penalised = "transformer.h.1.attn.c_proj.weight"
        let before = model.parameter(frozen)!.scalars
        let plugin = ProbePlugin(penalised: penalised, frozen: frozen, lambda: 0)
        let data = try TinyRun.blocks()
        var options = Self.options(steps: 3)
        options.checkpointEvery = 0
        let trainer = try Trainer(
            model: model, objective: CausalLMObjective(model: model), train: data.train, validation: nil,
            configuration: options, runDirectory: dir, plugins: [plugin])
        _ = try trainer.run()
        #expect(plugin.steps == [1, 2, 3])
        // A zero gradient under AdamW without decay leaves the weight exactly as it was.
        #expect(model.parameter(frozen)!.scalars == before)
        // The plug-in's state went into the checkpoint and comes back on resume.
        let restoredPlugin = ProbePlugin(penalised: penalised, frozen: frozen, lambda: 0)
        let again = try Trainer(
            model: try GPT2LMHeadModel(config: TinyRun.config(), seed: 1), objective: CausalLMObjective(model: model),
            train: data.train, validation: nil, configuration: options, plugins: [restoredPlugin])
        try again.restore(from: CheckpointStore.resolve(dir))
        #expect(restoredPlugin.counter.scalars == [3])

        // The extra loss is differentiated: with λ, the penalised weight's gradient gains 2λw.
        let probe = try GPT2LMHeadModel(config: TinyRun.config(), seed: 1)
        let batch = try data.train.sequentialBatches(batchSize: 4)[0]
        var rng = KalamRandom(seed: 0)
        let w = probe.parameter(penalised)!
        let plain = ProbePlugin(penalised: penalised, frozen: "none", lambda: 0)
        let heavy = ProbePlugin(penalised: penalised, frozen: "none", lambda: 0.5)
        func gradient(_ p: ProbePlugin) throws -> [Float] {
            probe.zeroGrad()
            let loss = try CausalLMObjective(model: probe).loss(on: batch, rng: &rng).value
            try (loss + p.extraLoss(model: probe, batch: batch)!).backward()
            return w.grad!.scalars
        }
        let g0 = try gradient(plain), g1 = try gradient(heavy)
        let expected = zip(g0, w.scalars).map { $0 + 2 * 0.5 * $1 }
        #expect(zip(g1, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func resumingWithMoreStepsExtendsTheRun() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try TinyRun.blocks()
        func trainer(steps: Int, warmup: Int = 2) throws -> (Trainer, GPT2LMHeadModel) {
            let model = try GPT2LMHeadModel(config: TinyRun.config(), seed: 1)
            var options = Self.options(steps: steps)
            options.warmupSteps = warmup
            options.minLearningRateRatio = 0.1
            return (
                try Trainer(
                    model: model, objective: CausalLMObjective(model: model), train: data.train, validation: nil,
                    configuration: options, runDirectory: dir), model
            )
        }
        let (first, _) = try trainer(steps: 6)
        _ = try first.run()
        let reached = first.schedule.learningRate(at: 6)
        #expect(abs(reached - 3e-4) < 1e-9)  // the floor: 0.1 of the peak
        let (longer, _) = try trainer(steps: 10)
        let result = try longer.run(resumeFrom: dir)
        #expect(result.step == 10)
        #expect(result.losses.count == 10)
        // The curve up to step 6 is the old one; after it, a cosine from the rate reached to the floor.
        for s in 1...6 { #expect(longer.schedule.learningRate(at: s) == first.schedule.learningRate(at: s)) }
        #expect(abs(longer.schedule.learningRate(at: 10) - 3e-4) < 1e-9)
        #expect(longer.schedule.extensions == [.init(start: 6, startRate: reached, end: 10)])
        #expect(try Trainer.readState(from: CheckpointStore.resolve(dir)).schedule.extensions.count == 1)
        // A real mismatch names the setting and both values; fewer steps than reached is an error.
        let (other, _) = try trainer(steps: 12, warmup: 3)
        #expect(throws: TrainingError.configurationMismatch(fields: ["warmupSteps: checkpoint 2, now 3"])) {
            try other.restore(from: CheckpointStore.resolve(dir))
        }
        let (shorter, _) = try trainer(steps: 8)
        #expect(
            throws: TrainingError.invalidOption(
                name: "steps", value: "8", reason: "is below the 10 steps the checkpoint has already taken")
        ) {
            try shorter.restore(from: CheckpointStore.resolve(dir))
        }
    }
}
