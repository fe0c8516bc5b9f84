import Foundation
import KalamCore
import KalamModels
import Testing

@testable import KalamTraining

/// A tiny GPT-2 (2 layers, width 16, context 8) with dropout on, so resuming must restore the dropout
/// generator too, and synthetic token streams it can learn.
enum TinyRun {
    static func config(layers: Int = 2) -> GPT2Config {
        GPT2Config(
            vocabSize: 24, nPositions: 8, nEmbd: 16, nLayer: layers, nHead: 2, residPdrop: 0.1, embdPdrop: 0.1,
            attnPdrop: 0.1, bosTokenId: 23, eosTokenId: 23)
    }

    /// 30 documents of 40 tokens following simple arithmetic rules, split and packed (context 8).
    static func blocks() throws -> (train: PackedBlocks, validation: PackedBlocks) {
        var documents: [[Int32]] = []
        for d in 0..<30 {
            var document: [Int32] = []
            for k in 0..<40 {
                let value: Int = (d * 3 + k * (d % 4 + 1)) % 23
                document.append(Int32(value))
            }
            documents.append(document)
        }
        return try TrainValidationSplit.packed(
            documents: documents, packing: BlockPacking(contextLength: 8, separator: 23),
            validationFraction: 0.2)
    }

    static func options(steps: Int = 8) -> TrainerConfiguration {
        var c = TrainerConfiguration(steps: steps, batchSize: 4)
        c.gradientAccumulation = 2
        c.learningRate = 3e-3
        c.warmupSteps = 2
        c.evalEvery = 2
        c.evalBatches = 3
        c.checkpointEvery = 3
        c.seed = 5
        return c
    }

    static func trainer(
        modelSeed: UInt64 = 1, layers: Int = 2, options: TrainerConfiguration = options(),
        directory: URL?, objective: ((GPT2LMHeadModel) -> TrainingObjective)? = nil
    ) throws -> (Trainer, GPT2LMHeadModel) {
        let model = try GPT2LMHeadModel(config: config(layers: layers), seed: modelSeed)
        let data = try blocks()
        let trainer = try Trainer(
            model: model, objective: objective?(model) ?? CausalLMObjective(model: model),
            train: data.train, validation: data.validation, configuration: options, runDirectory: directory)
        return (trainer, model)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kalam-trainer-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func bits(_ model: GPT2LMHeadModel) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.scalars.map(\.bitPattern)) })
    }
}

@Suite struct TrainerResumeTests {
    @Test func resumedRunIsBitIdenticalToUninterruptedRun() throws {
        let dirA = try TinyRun.temporaryDirectory(), dirB = try TinyRun.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: dirA)
            try? FileManager.default.removeItem(at: dirB)
        }

        let (a, modelA) = try TinyRun.trainer(directory: dirA)
        let full = try a.run()
        #expect(full.step == 8)
        #expect(full.stopReason == .completed)
        #expect(full.losses.count == 8)
        #expect(full.losses.last! < full.losses.first!)

        let (b, _) = try TinyRun.trainer(directory: dirB)
        let half = try b.run(stopAfter: 4)
        #expect(half.stopReason == .stoppedAt)
        #expect(half.step == 4)
        #expect(half.losses.map(\.bitPattern) == full.losses.prefix(4).map(\.bitPattern))

        // A model initialised differently: everything must come from the checkpoint.
        let (c, modelC) = try TinyRun.trainer(modelSeed: 99, directory: dirB)
        let resumed = try c.run(resumeFrom: dirB)
        #expect(resumed.step == 8)
        #expect(resumed.losses.map(\.bitPattern) == full.losses.map(\.bitPattern))
        #expect(
            resumed.evaluations.map(\.loss.bitPattern) == full.evaluations.filter { $0.step > 4 }.map(\.loss.bitPattern)
        )
        #expect(TinyRun.bits(modelC) == TinyRun.bits(modelA))
        #expect(modelC.randomSource.generator == modelA.randomSource.generator)

        // The metrics log of the resumed run reads like the uninterrupted one.
        let logA = try MetricsLog.read(dirA.appendingPathComponent("metrics.jsonl")).filter { $0.kind == "train" }
        let logB = try MetricsLog.read(dirB.appendingPathComponent("metrics.jsonl")).filter { $0.kind == "train" }
        #expect(logB.map(\.step) == Array(1...8))
        #expect(logB.map { $0.loss!.bitPattern } == logA.map { $0.loss!.bitPattern })
    }

    @Test func checkpointsKeepTheNewestAndIgnoreUnfinishedWrites() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = TinyRun.options(steps: 8)
        options.checkpointEvery = 2
        options.keepCheckpoints = 2
        let (trainer, _) = try TinyRun.trainer(options: options, directory: dir)
        _ = try trainer.run()
        let store = trainer.checkpointStore!
        #expect(store.checkpoints().map(\.step) == [6, 8])
        // A write killed before its rename leaves a temporary folder, which is never taken for a checkpoint.
        let partial = store.directory.appendingPathComponent(".tmp-step-00000010-4242", isDirectory: true)
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try Data("half a file".utf8).write(to: partial.appendingPathComponent("model.safetensors"))
        #expect(try CheckpointStore.resolve(dir).lastPathComponent == "step-00000008")
        #expect(try Trainer.readState(from: store.latest!).step == 8)
    }

    @Test func checkpointMovedAsideForAReplacementStaysTheCheckpointUntilReplaced() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = TinyRun.options(steps: 4)
        options.checkpointEvery = 2
        options.keepCheckpoints = 1
        let (trainer, _) = try TinyRun.trainer(options: options, directory: dir)
        _ = try trainer.run()
        let store = trainer.checkpointStore!
        let fm = FileManager.default
        func names() throws -> [String] { try fm.contentsOfDirectory(atPath: store.directory.path).sorted() }
        #expect(try names() == ["step-00000004"])

        // Killed between moving step 4 aside and renaming its new save into place, with a half-deleted
        // older checkpoint and a temporary folder beside it.
        let final = store.directory.appendingPathComponent("step-00000004")
        let aside = store.directory.appendingPathComponent(".old-step-00000004")
        try fm.moveItem(at: final, to: aside)
        try fm.createDirectory(
            at: store.directory.appendingPathComponent(".del-step-00000002"), withIntermediateDirectories: true)
        try fm.createDirectory(
            at: store.directory.appendingPathComponent(".tmp-step-00000004-99"), withIntermediateDirectories: true)
        #expect(store.checkpoints().map(\.step) == [4])
        #expect(try CheckpointStore.resolve(dir).path == aside.path)
        #expect(try Trainer.readState(from: aside).step == 4)

        // Once the replacement is in place the moved-aside copy no longer counts.
        try fm.copyItem(at: aside, to: final)
        #expect(store.checkpoints().map(\.url.path) == [final.path])
        try fm.removeItem(at: final)

        // The next save puts the moved-aside checkpoint back and removes the leftovers.
        store.recoverInterruptedSaves()
        #expect(try names() == ["step-00000004"])
        #expect(try Trainer.readState(from: final).step == 4)
    }

    @Test func runResumedFromItsLastCheckpointDoesNotEvaluateAgain() throws {
        let dirA = try TinyRun.temporaryDirectory(), dirB = try TinyRun.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: dirA)
            try? FileManager.default.removeItem(at: dirB)
        }
        let (a, modelA) = try TinyRun.trainer(directory: dirA)
        _ = try a.run()
        let (b, _) = try TinyRun.trainer(directory: dirB)
        _ = try b.run()
        // Killed after the last checkpoint but before the run's end: resuming re-saves the same step.
        let (c, modelC) = try TinyRun.trainer(modelSeed: 99, directory: dirB)
        let resumed = try c.run(resumeFrom: dirB)
        #expect(resumed.step == 8)
        #expect(resumed.evaluations.isEmpty)
        #expect(c.lastEvaluation?.step == 8)
        #expect(c.lastEvaluation?.loss.bitPattern == a.lastEvaluation?.loss.bitPattern)
        #expect(TinyRun.bits(modelC) == TinyRun.bits(modelA))
        func timeless(_ dir: URL) throws -> [MetricsRecord] {
            try MetricsLog.read(dir.appendingPathComponent("metrics.jsonl")).map {
                var r = $0
                r.elapsed = nil
                r.tokensPerSecond = nil
                return r
            }
        }
        let log = try timeless(dirB)
        #expect(log.filter { $0.kind == "eval" }.map(\.step) == [2, 4, 6, 8])
        #expect(log == (try timeless(dirA)))
        #expect(c.checkpointStore!.checkpoints().map(\.step) == [6, 8])
    }

    @Test func interruptSavesACheckpointAndStops() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var calls = 0
        var trainerRef: Trainer?
        var options = TinyRun.options()
        options.evalEvery = 0  // only training calls the objective
        let (trainer, _) = try TinyRun.trainer(options: options, directory: dir) { model in
            let clm = CausalLMObjective(model: model)
            return ClosureObjective { batch, rng in
                calls += 1
                if calls == 6 { trainerRef?.interrupt.set() }  // during step 3 (2 micro-batches a step)
                return try clm.loss(on: batch, rng: &rng).value
            }
        }
        trainerRef = trainer
        let result = try trainer.run()
        #expect(result.stopReason == .interrupted)
        #expect(result.step == 3)
        #expect(result.lastCheckpoint?.lastPathComponent == "step-00000003")
        #expect(try Trainer.readState(from: result.lastCheckpoint!).losses.count == 3)
    }

    @Test func earlyStoppingWhenValidationLossStopsImproving() throws {
        var options = TinyRun.options(steps: 20)
        options.earlyStoppingPatience = 1
        options.earlyStoppingMinDelta = 100  // no evaluation can improve by that much
        let (trainer, _) = try TinyRun.trainer(options: options, directory: nil)
        let result = try trainer.run()
        #expect(result.stopReason == .earlyStopped)
        #expect(result.step == 4)
        #expect(result.evaluations.map(\.step) == [2, 4])
    }
}

@Suite struct TrainerErrorTests {
    @Test func zeroStepsIsRejected() throws {
        let error = #expect(throws: TrainingError.self) {
            try TinyRun.trainer(options: TinyRun.options(steps: 0), directory: nil)
        }
        #expect(error == .invalidOption(name: "steps", value: "0", reason: "must be at least 1"))
    }

    @Test func adamBetasOutsideTheUnitIntervalAreRejected() throws {
        var options = TinyRun.options(steps: 1)
        options.beta2 = 1
        #expect(throws: TrainingError.invalidOption(name: "beta2", value: "1.0", reason: "must be in [0, 1)")) {
            try options.validate()
        }
        options.beta2 = 0.999
        options.beta1 = -0.5
        #expect(throws: TrainingError.invalidOption(name: "beta1", value: "-0.5", reason: "must be in [0, 1)")) {
            try options.validate()
        }
        options.beta1 = 0
        try options.validate()
    }

    @Test func missingCheckpoint() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (trainer, _) = try TinyRun.trainer(directory: dir)
        let missing = dir.appendingPathComponent("nowhere")
        let e1 = #expect(throws: TrainingError.self) { try trainer.run(resumeFrom: missing) }
        #expect(e1 == .checkpointNotFound(path: missing.path))
        // A run folder with no checkpoint in it.
        let e2 = #expect(throws: TrainingError.self) { try trainer.run(resumeFrom: dir) }
        #expect(e2 == .checkpointNotFound(path: dir.path))
    }

    /// Trains 3 steps and returns the checkpoint folder.
    func savedCheckpoint(_ dir: URL) throws -> URL {
        let (trainer, _) = try TinyRun.trainer(options: TinyRun.options(steps: 3), directory: dir)
        return try #require(try trainer.run().lastCheckpoint)
    }

    @Test func corruptCheckpointFiles() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = try savedCheckpoint(dir)
        let stateURL = checkpoint.appendingPathComponent("trainer_state.json")
        let state = try Data(contentsOf: stateURL)

        try Data("{\"step\": ".utf8).write(to: stateURL)
        let (t1, _) = try TinyRun.trainer(directory: nil)
        let e1 = #expect(throws: TrainingError.self) { try t1.restore(from: checkpoint) }
        guard case let .corruptCheckpoint(path, reason) = e1 else {
            Issue.record("wrong error \(String(describing: e1))")
            return
        }
        #expect(path == checkpoint.path)
        #expect(reason.hasPrefix("trainer_state.json is not valid"))

        try FileManager.default.removeItem(at: stateURL)
        let e2 = #expect(throws: TrainingError.self) { try t1.restore(from: checkpoint) }
        #expect(e2 == .corruptCheckpoint(path: checkpoint.path, reason: "trainer_state.json is missing"))

        try state.write(to: stateURL)
        let modelURL = checkpoint.appendingPathComponent("model.safetensors")
        let weights = try Data(contentsOf: modelURL)
        try weights.prefix(weights.count / 2).write(to: modelURL)  // truncated, as a crash mid-write would leave it
        let (t2, model2) = try TinyRun.trainer(modelSeed: 7, directory: nil)
        let before = TinyRun.bits(model2)
        let e3 = #expect(throws: TrainingError.self) { try t2.restore(from: checkpoint) }
        guard case let .corruptCheckpoint(path3, reason3) = e3 else {
            Issue.record("wrong error \(String(describing: e3))")
            return
        }
        #expect(path3 == checkpoint.path)
        #expect(reason3.hasPrefix("model.safetensors: "))
        #expect(TinyRun.bits(model2) == before)

        try FileManager.default.removeItem(at: modelURL)
        let e4 = #expect(throws: TrainingError.self) { try t2.restore(from: checkpoint) }
        #expect(e4 == .corruptCheckpoint(path: checkpoint.path, reason: "model.safetensors is missing"))
    }

    @Test func checkpointOfAnotherArchitecture() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = try savedCheckpoint(dir)
        let (other, _) = try TinyRun.trainer(layers: 1, directory: nil)
        #expect(
            throws: TrainingError.architectureMismatch(
                expected: "GPT2LMHeadModel n_layer=1", found: "GPT2LMHeadModel n_layer=2")
        ) {
            try other.restore(from: checkpoint)
        }
    }

    @Test func resumeWithOtherTrainingSettingsIsRejected() throws {
        let dir = try TinyRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = try savedCheckpoint(dir)
        var options = TinyRun.options()
        options.learningRate = 1e-2
        let (trainer, _) = try TinyRun.trainer(options: options, directory: nil)
        let error = #expect(throws: TrainingError.self) { try trainer.restore(from: checkpoint) }
        guard case let .configurationMismatch(fields) = error else {
            Issue.record("wrong error")
            return
        }
        // The one setting that differs, with both values.
        #expect(fields.count == 1)
        #expect(fields.first?.hasPrefix("learningRate: checkpoint 0.003") == true)
        #expect(fields.first?.contains(", now 0.01") == true)
    }
}

@Suite struct UnigramBaselineTests {
    @Test func crossEntropyWithAddOneSmoothing() throws {
        // One block [0 1 1 2] (context 3): targets 1, 1, 2 over a vocabulary of 4.
        let blocks = try PackedBlocks(documents: [[0, 1, 1, 2]], packing: BlockPacking(contextLength: 3))
        let unigram = try UnigramBaseline(blocks: blocks, vocabularySize: 4)
        #expect(unigram.counts == [0, 2, 1, 0])
        #expect(unigram.total == 3)
        let expected = -(2 * Foundation.log(3.0 / 7.0) + Foundation.log(2.0 / 7.0)) / 3
        #expect(abs(unigram.crossEntropy(on: blocks) - expected) < 1e-12)
        let error = #expect(throws: TrainingError.self) { try UnigramBaseline(blocks: blocks, vocabularySize: 2) }
        #expect(error == .invalidOption(name: "token id", value: "2", reason: "outside the vocabulary of 2"))
    }

    @Test func progressLineFormat() {
        let u = ProgressUpdate(
            step: 50, totalSteps: 200, loss: 3.25, tokensPerSecond: 15_234, secondsRemaining: 65, validationLoss: nil)
        #expect(ProgressDisplay.format(u, bar: false) == "step 50/200 | loss 3.2500 | 15.2k tok/s | ETA 1m05s")
        #expect(
            ProgressDisplay.format(u, bar: true)
                == "step 50/200 [#####---------------] | loss 3.2500 | 15.2k tok/s | ETA 1m05s")
    }
}
