import Foundation
import KalamCore
import KalamModels
import KalamNN
import Testing

@testable import KalamTraining

/// Small synthetic scenarios that need no installed data: a tiny GPT-2 through three token-rule
/// "domains", and a tiny BERT through three binary tasks with a head each.
enum SyntheticScenarios {
    /// Three domains of 24-token documents; domain d steps by d + 1 (mod 20), so each needs its own rule.
    static func languageModel(seed: UInt64 = 1, steps: Int = 30) throws -> ContinualScenario {
        let config = GPT2Config(
            vocabSize: 24, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2, residPdrop: 0.1, embdPdrop: 0, attnPdrop: 0,
            bosTokenId: 23, eosTokenId: 23)
        let model = try GPT2LMHeadModel(config: config, seed: seed)
        let tasks = try (0..<3).map { d -> ContinualTask in
            let documents = (0..<24).map { doc in (0..<24).map { k in Int32((doc * 7 + k * (d + 1)) % 20) } }
            let blocks = try PackedBlocks(documents: documents, packing: BlockPacking(contextLength: 8, separator: 23))
            let examples = (0..<blocks.count).map {
                ContinualExample(ids: Array(blocks.block($0).prefix(Int(blocks.lengths[$0]))), label: -1, task: d)
            }
            return ContinualTask(
                name: "rule-\(d + 1)", train: Array(examples.dropLast(8)), test: Array(examples.suffix(8)))
        }
        return try ContinualScenario(
            name: "synthetic-lm", tasks: tasks, model: model, output: .nextToken(vocabulary: 24), padTokenId: 0,
            settings: ContinualSettings(stepsPerTask: steps, batchSize: 8, learningRate: 1e-2),
            forward: { ids, _ in try model(inputIds: ids).logits })
    }

    /// Three binary tasks on one-token texts: task t reads tokens 3 + 8t ..< 11 + 8t, the class is the
    /// token's parity; columns 2t and 2t + 1 are its head.
    static func classification(seed: UInt64 = 1, steps: Int = 30) throws -> ContinualScenario {
        var config = BertConfig(
            vocabSize: 30, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32,
            maxPositionEmbeddings: 16, numLabels: 6)
        config.setLabels((0..<6).map { "c\($0)" })
        config.initializerRange = 0.3  // large enough for 30 steps to separate the tokens
        config.hiddenDropoutProb = 0
        let model = try BertForSequenceClassification(config: config, seed: seed)
        let tasks = (0..<3).map { t -> ContinualTask in
            let examples = (0..<8).map { k -> ContinualExample in
                let token = Int32(3 + 8 * t + k)
                return ContinualExample(
                    ids: [1, token, token, token, 2], label: Int32(2 * t + Int(token % 2)), task: t)
            }
            return ContinualTask(name: "task-\(t)", train: examples + examples, test: examples)
        }
        return try ContinualScenario(
            name: "synthetic-heads", tasks: tasks, model: model, output: .taskHeads([0..<2, 2..<4, 4..<6]),
            padTokenId: 0,
            settings: ContinualSettings(stepsPerTask: steps, batchSize: 4, learningRate: 3e-3),
            forward: { ids, mask in try model(inputIds: ids, attentionMask: mask).logits })
    }
}

@Suite struct ContinualRunnerTests {
    @Test func naiveLearnsEachDomainAndForgetsTheEarlierOnes() throws {
        let scenario = try SyntheticScenarios.languageModel()
        let result = try ContinualRunner.run(scenario, strategy: NaiveStrategy(), seed: 3)
        let m = result.scores
        #expect(m.matrix.count == 3 && m.baseline.count == 3)
        // Random init scores about −ln 24 ≈ −3.18 on every domain; training on a domain gains on it.
        for j in 0..<3 {
            #expect(abs(m.baseline[j] + Foundation.log(24)) < 0.3)
            #expect(m.matrix[j][j] > m.baseline[j] + 0.5)
        }
        #expect(m.backwardTransfer < 0)
        #expect(m.forgetting > 0)
        #expect(result.losses.count == 3 && result.losses.allSatisfy { $0.count == 30 })
    }

    @Test func theSameSeedGivesTheSameMatrix() throws {
        func run(_ seed: UInt64) throws -> ScoreMatrix {
            try ContinualRunner.run(
                SyntheticScenarios.languageModel(steps: 6),
                strategy: ReplayStrategy(memory: 10, replayRows: 4, seed: seed), seed: seed
            ).scores
        }
        let a = try run(5), b = try run(5), c = try run(6)
        #expect(a == b)
        #expect(a.matrix != c.matrix)
    }

    @Test func jointTrainsOnEveryTaskFromTheFirstStage() throws {
        let naive = try ContinualRunner.run(SyntheticScenarios.languageModel(), strategy: NaiveStrategy(), seed: 3)
        let joint = try ContinualRunner.run(
            SyntheticScenarios.languageModel(), strategy: JointStrategy(cumulative: false), seed: 3)
        // After the first stage joint already knows the last domain; naive has only seen the first.
        #expect(joint.scores.matrix[0][2] > naive.scores.matrix[0][2] + 0.2)
        #expect(joint.scores.backwardTransfer > naive.scores.backwardTransfer)
    }

    @Test(arguments: ContinualStrategies.names)
    func everyStrategyRunsOnALanguageModelScenario(_ name: String) throws {
        let scenario = try SyntheticScenarios.languageModel(steps: 4)
        let strategy = try ContinualStrategies.make(name, scenario: scenario, memory: nil, lambda: nil, seed: 2)
        let result = try ContinualRunner.run(scenario, strategy: strategy, seed: 2)
        #expect(result.strategy == name)
        #expect(result.scores.matrix.joined().allSatisfy { $0.isFinite })
        let keepsExamples = ContinualStrategies.defaultMemory[name] != nil
        // Every task's training blocks (3 × 66) were offered to a memory of 100.
        #expect(scenario.tasks.map(\.train.count) == [66, 66, 66])
        #expect(result.memoryExamples == (keepsExamples ? 100 : 0))
    }

    @Test func adaptersNeverForgetAndKeepTheBaseFrozen() throws {
        let scenario = try SyntheticScenarios.classification()
        let base = scenario.model.namedParameters().filter { $0.key.hasPrefix("bert.encoder") }.map(\.tensor.scalars)
        let result = try ContinualRunner.run(scenario, strategy: TaskAdaptersStrategy(seed: 1), seed: 1)
        let m = result.scores
        for j in 0..<3 { #expect(m.matrix[2][j] == m.matrix[j][j]) }
        #expect(m.backwardTransfer == 0)
        // Each task's LoRA learnt (its loss fell), and kept its score exactly.
        for losses in result.losses { #expect(losses.suffix(5).reduce(0, +) < losses.prefix(5).reduce(0, +)) }
        let after = scenario.model.namedParameters().filter {
            $0.key.hasPrefix("bert.encoder") && !$0.key.contains("lora")
        }
        #expect(after.map(\.tensor.scalars) == base)
        #expect(result.trainableParameters < scenario.model.parameterCount / 2)
    }

    @Test func adaptersOnALanguageModelWrapItsAttentionAndNeverForget() throws {
        let scenario = try SyntheticScenarios.languageModel(steps: 4)
        let result = try ContinualRunner.run(scenario, strategy: TaskAdaptersStrategy(seed: 1), seed: 1)
        let m = result.scores
        for j in 0..<3 { #expect(m.matrix[2][j] == m.matrix[j][j]) }
        #expect(m.backwardTransfer == 0)
        let lora = scenario.model.namedParameters().filter { $0.key.contains("lora") }.map(\.key)
        #expect(lora.allSatisfy { $0.contains(".attn.c_attn.lora_") })
        #expect(!lora.isEmpty)
        #expect(
            result.trainableParameters
                == lora.reduce(0) { n, key in
                    n + scenario.model.namedParameters().first { $0.key == key }!.tensor.count
                })
    }

    @Test func taskHeadsScoreOverTheTasksColumnsOnly() throws {
        let scenario = try SyntheticScenarios.classification()
        let result = try ContinualRunner.run(scenario, strategy: NaiveStrategy(), seed: 1)
        // A fresh binary head scores near chance; a trained one well above it.
        for j in 0..<3 { #expect(result.scores.matrix[j][j] >= 0.75) }
        #expect(result.scores.baseline.allSatisfy { $0 <= 0.875 })
    }

    @Test func strategyNamesAndSettingsAreChecked() throws {
        let scenario = try SyntheticScenarios.languageModel(steps: 2)
        func make(_ name: String, memory: Int? = nil, lambda: Float? = nil) throws {
            _ = try ContinualStrategies.make(name, scenario: scenario, memory: memory, lambda: lambda, seed: 0)
        }
        #expect(throws: ContinualError.unknownStrategy(name: "magic", known: ContinualStrategies.names)) {
            try make("magic")
        }
        #expect(
            throws: ContinualError.invalidSetting(
                strategy: "replay", name: "memory", value: "0", reason: "must be at least 1 example")
        ) { try make("replay", memory: 0) }
        #expect(
            throws: ContinualError.invalidSetting(
                strategy: "ewc", name: "lambda", value: "-1.0", reason: "must be at least 0")
        ) { try make("ewc", lambda: -1) }
        #expect(throws: ContinualError.self) { try make("naive", lambda: 1) }
        #expect(throws: ContinualError.self) { try make("si", memory: 10) }
        #expect(throws: ContinualError.unknownScenario(name: "nope", known: ContinualScenarios.names)) {
            try ContinualScenarios.make("nope", quick: true, seed: 0)
        }
    }

    @Test func modelsOfTheWrongFamilyAreTypedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-cl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"model_type": "t5"}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect {
            try ContinualScenarios.encoder(dir, labels: ["a", "b"], scenario: "bbc-tasks", seed: 0)
        } throws: { error in
            guard case ContinualError.incompatibleModel(let scenario, let reason) = error else { return false }
            return scenario == "bbc-tasks" && reason.contains("model_type t5")
        }
    }

    @Test func replayBatchesAppendMemoryRowsAndResumeWhereTheyStood() throws {
        let scenario = try SyntheticScenarios.classification()
        let buffer = try ReservoirBuffer(capacity: 5, seed: 0)
        buffer.offer(scenario.tasks[0].train)
        var source = try ContinualBatches(
            examples: scenario.tasks[1].train, batchSize: 4, seed: 9, scenario: scenario, replay: buffer, replayRows: 2)
        let first = try source.nextBatch()
        #expect(first.batchSize == 6)
        #expect(first.labels.suffix(2).allSatisfy { $0 < 2 })  // replayed rows come from task 0's head
        #expect(first.labels.prefix(4).allSatisfy { $0 >= 2 && $0 < 4 })
        for _ in 0..<5 { _ = try source.nextBatch() }
        let saved = try source.checkpointPosition()
        let expected = try (0..<4).map { _ in try source.nextBatch() }
        var resumed = try ContinualBatches(
            examples: scenario.tasks[1].train, batchSize: 4, seed: 9, scenario: scenario, replay: buffer, replayRows: 2)
        try resumed.restore(checkpointPosition: saved)
        #expect(try (0..<4).map { _ in try resumed.nextBatch() } == expected)
    }

    @Test func agemProjectsSomeStepsOfLaterTasks() throws {
        let scenario = try SyntheticScenarios.languageModel(steps: 8)
        let agem = try AGEMStrategy(memory: 20, referenceRows: 8, seed: 1)
        _ = try ContinualRunner.run(scenario, strategy: agem, seed: 1)
        #expect(agem.projections.total == 8)
        #expect(agem.projections.projected >= 1)
    }
}
