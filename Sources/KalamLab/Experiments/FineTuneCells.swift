import Foundation
import KalamCore
import KalamModels
import KalamText
import KalamTraining

/// A labelled task with its fixed split (split seed 0, whatever the run's seed).
struct LabTask {
    let name: String
    let split: ClassificationSplit

    private static let cache = TaskCache()

    /// `bbc-news`, `chatterbot-en` or `chatterbot-fa`, split once per process.
    static func named(_ name: String) throws -> LabTask {
        if let task = cache.tasks[name] { return task }
        let task = LabTask(name: name, split: try ClassificationSplit(ClassificationTask.load(name), seed: 0))
        cache.tasks[name] = task
        return task
    }

    /// `count` training items, stratified and fixed by the split seed (all of them when `count` is 0).
    func train(_ count: Int) -> [LabelledText] { count == 0 ? split.train : split.trainingSubset(count, seed: 0) }

    /// The first `count` items of `items` in a fixed stratified order (all when `count` is 0).
    static func head(_ items: [LabelledText], _ count: Int) -> [LabelledText] {
        guard count > 0, count < items.count else { return items }
        var byLabel: [String: [LabelledText]] = [:]
        for item in items { byLabel[item.label, default: []].append(item) }
        let labels = byLabel.keys.sorted()
        var kept: [LabelledText] = []
        var round = 0
        while kept.count < count {
            for label in labels where kept.count < count {
                if let members = byLabel[label], round < members.count { kept.append(members[round]) }
            }
            round += 1
        }
        return kept
    }
}

private final class TaskCache: @unchecked Sendable {
    var tasks: [String: LabTask] = [:]
}

/// How one fine-tuning cell is set up.
struct FineTuneSetup {
    var model: URL
    var pretrained: Bool
    var task: String
    var mode: AdaptationMode
    var trainExamples: Int
    var validationExamples: Int
    var testExamples: Int
    var epochs: Int
    var maxLength: Int
    var seed: UInt64
    var learningRate: Float?

    /// A lab-made model by its path under `models/` (`pretrain-<hash>` or `pretrain-<hash>/early`);
    /// another folder by its path.
    static func modelKey(_ folder: URL) -> String {
        let parts = folder.standardizedFileURL.pathComponents
        if let at = parts.lastIndex(of: "models"), at + 1 < parts.count {
            return parts[(at + 1)...].joined(separator: "/")
        }
        return folder == ContinualScenarios.defaultEncoder ? "all-MiniLM-L6-v2" : folder.standardizedFileURL.path
    }

    /// The cache key: every setting and the model folder's name.
    var config: [String: String] {
        [
            "model": Self.modelKey(model),
            "init": pretrained ? "pretrained" : "random", "task": task, "mode": mode.description,
            "train": "\(trainExamples)", "validation": "\(validationExamples)", "test": "\(testExamples)",
            "epochs": "\(epochs)", "max_length": "\(maxLength)", "seed": "\(seed)",
            "lr": "\(learningRate ?? FineTuningSettings.defaults(for: mode).learningRate)",
        ]
    }
}

/// Fine-tuning cells, shared by E1, E3, E4 and E5 (the same setting is one cell, computed once).
enum FineTuneCells {
    private static let tokenizers = FolderTokenizers()

    /// The tokenizer of a model folder, read once per process.
    static func tokenizer(_ folder: URL) throws -> PipelineTokenizer {
        if let cached = tokenizers.byPath[folder.path] { return cached }
        let loaded = try TokenizerJSON.load(folder.appendingPathComponent("tokenizer.json"))
        tokenizers.byPath[folder.path] = loaded
        return loaded
    }

    /// Fine-tunes `setup.model` on `setup.task` and measures it. Values: `test_accuracy`, `test_macro_f1`,
    /// `trainable_parameters`, `total_parameters`, `weight_change` (‖θ − θ₀‖ / ‖θ₀‖ over the base
    /// parameters); series `validation_accuracy` (per epoch) and `loss` (per step); timing
    /// `seconds_per_epoch`.
    static func run(_ lab: LabContext, _ setup: FineTuneSetup) throws -> CellRecord {
        try lab.cell("finetune", setup.config) { record in
            let task = try LabTask.named(setup.task)
            let tokenizer = try Self.tokenizer(setup.model)
            let loaded = try LoadedClassifier.load(
                setup.model, labels: task.split.labels, tokenizer: tokenizer, pretrained: setup.pretrained,
                seed: setup.seed)
            let encode = LoadedClassifier.encoder(
                tokenizer, maxLength: min(setup.maxLength, loaded.positions), endingWith: loaded.endOfText)
            func examples(_ items: [LabelledText]) throws -> [ClassificationExample] {
                try ClassificationExample.encode(items, labels: task.split.labels, source: setup.task, encode: encode)
            }
            let train = try examples(task.train(setup.trainExamples))
            let validation = try examples(LabTask.head(task.split.validation, setup.validationExamples))
            let test = try examples(LabTask.head(task.split.test, setup.testExamples))
            var settings = FineTuningSettings.defaults(for: setup.mode, seed: setup.seed)
            settings.epochs = setup.epochs
            settings.batchSize = min(settings.batchSize, max(4, train.count / 4))
            if let lr = setup.learningRate { settings.learningRate = lr }
            if settings.lora.targets.isEmpty { settings.lora.targets = loaded.model.defaultLoRATargets }
            let heads = loaded.model.headPrefixes
            let base = loaded.model.namedParameters().filter { p in !heads.contains { p.key.hasPrefix($0) } }
            let before = base.map { $0.tensor.contiguous().scalars }
            let result = try FineTuning.run(
                model: loaded.model, train: train, validation: validation, test: test, settings: settings,
                padTokenId: loaded.padTokenId)
            var moved = 0.0, norm = 0.0
            for (p, start) in zip(base, before) {
                for (a, b) in zip(p.tensor.contiguous().scalars, start) {
                    moved += Double(a - b) * Double(a - b)
                    norm += Double(b) * Double(b)
                }
            }
            record.values["test_accuracy"] = result.test.accuracy
            record.values["test_macro_f1"] = result.test.macroF1
            record.values["trainable_parameters"] = Double(result.adaptation.trainableParameters)
            record.values["total_parameters"] = Double(result.adaptation.totalParameters)
            record.values["weight_change"] = norm > 0 ? (moved / norm).squareRoot() : 0
            record.values["train_examples"] = Double(train.count)
            record.series["validation_accuracy"] = result.validation.map(\.accuracy)
            record.series["loss"] = result.losses.map(Double.init)
            record.timings["seconds_per_epoch"] = LabStatistics.mean(result.secondsPerEpoch)
        }
    }
}

private final class FolderTokenizers: @unchecked Sendable {
    var byPath: [String: PipelineTokenizer] = [:]
}
