import Foundation
import KalamCore
import KalamModels
import KalamNN
import KalamText
import Testing

@testable import KalamTraining

/// The committed outputs of `scripts/fixtures/finetune.py`.
enum FineTuneFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/finetune", isDirectory: true)
    static var base: URL { root.appendingPathComponent("base", isDirectory: true) }
    static var tsv: URL { root.appendingPathComponent("tiny.tsv") }

    static func expected() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("expected.json")))
            as! [String: Any]
    }

    static func batch() throws -> (ids: IndexTensor, mask: IndexTensor) {
        let e = try expected()
        let ids = (e["input_ids"] as! [[Int]]).flatMap { $0.map(Int32.init) }
        let mask = (e["attention_mask"] as! [[Int]]).flatMap { $0.map(Int32.init) }
        return (try IndexTensor(ids, shape: [3, 8]), try IndexTensor(mask, shape: [3, 8]))
    }

    static func logits(_ name: String) throws -> [Float] {
        (try expected()[name] as! [[Double]]).flatMap { $0.map(Float.init) }
    }

    static func encoder() throws -> (String) -> [Int32] {
        let tokenizer = try TokenizerJSON.load(base.appendingPathComponent("tokenizer.json"))
        return { text in tokenizer.encode(text).ids.map(Int32.init) }
    }
}

@Suite struct AdaptationModeTests {
    @Test func parsesEveryModeAndNamesBadOnes() throws {
        #expect(try AdaptationMode(parsing: "frozen") == .frozen)
        #expect(try AdaptationMode(parsing: "full") == .full)
        #expect(try AdaptationMode(parsing: "partial:2") == .partial(layers: 2))
        #expect(try AdaptationMode(parsing: "lora") == .lora(rank: 8))
        #expect(try AdaptationMode(parsing: "lora:16") == .lora(rank: 16))
        #expect(try AdaptationMode(parsing: "adapter") == .adapter(size: 64))
        #expect(try AdaptationMode(parsing: "adapter:32").description == "adapter:32")
        #expect(
            throws: TrainingError.invalidOption(
                name: "mode", value: "partial", reason: "the number of layers must be a whole number of at least 1")
        ) { try AdaptationMode(parsing: "partial") }
        #expect(
            throws: TrainingError.invalidOption(
                name: "mode", value: "lora:0", reason: "the LoRA rank must be a whole number of at least 1")
        ) { try AdaptationMode(parsing: "lora:0") }
        #expect(
            throws: TrainingError.invalidOption(
                name: "mode", value: "prefix", reason: "expected frozen, partial:N, full, lora[:rank] or adapter[:size]"
            )
        ) { try AdaptationMode(parsing: "prefix") }
    }

    @Test func trainableCountsMatchPEFTAndEachModeFreezesWhatItSays() throws {
        let e = try FineTuneFixtures.expected()
        let peft = e["peft_r8"] as! [String: Int]
        let model = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        let classifier = model.classifier.weight.count + model.classifier.bias!.count
        let report = try Adaptation.apply(.lora(rank: 8), to: model, seed: 0)
        #expect(report.trainableParameters == peft["trainable"])
        // PEFT keeps the original classifier beside its trainable copy; Kalam has one.
        #expect(report.totalParameters + classifier == peft["total"])
        #expect(report.wrappedModules.count == 4)

        let frozen = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        try Adaptation.apply(.frozen, to: frozen, seed: 0)
        #expect(
            frozen.trainableParameters().map(\.key) == [
                "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias",
            ])
        let partial = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        try Adaptation.apply(.partial(layers: 1), to: partial, seed: 0)
        let keys = partial.trainableParameters().map(\.key)
        #expect(
            keys.allSatisfy {
                $0.hasPrefix("bert.encoder.layer.1.") || $0.hasPrefix("bert.pooler.") || $0.hasPrefix("classifier.")
            })
        #expect(keys.count == 16 + 4)
        #expect(
            throws: TrainingError.invalidOption(name: "mode", value: "partial:3", reason: "the model has 2 layers")
        ) { try Adaptation.apply(.partial(layers: 3), to: partial, seed: 0) }
        let adapter = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        let a = try Adaptation.apply(.adapter(size: 4), to: adapter, seed: 0)
        // Per adapter: down 16·4 + 4, up 4·16 + 16; four adapters; pooler 16·16 + 16; classifier 3·16 + 3.
        #expect(a.trainableParameters == 4 * (64 + 4 + 64 + 16) + 272 + 51)
        let missing = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        #expect(throws: ModuleError.noMatchingModule("qkv")) {
            try Adaptation.apply(.lora(rank: 2), to: missing, lora: LoRASettings(targets: ["qkv"]), seed: 0)
        }
    }

    @Test func layerwiseDecayScalesByDepth() throws {
        let model = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        let groups = try Adaptation.layerwiseDecayGroups(model, decay: 0.5)
        func scale(_ key: String) -> Float? {
            groups.first { $0.matches(key, [16, 16]) }?.learningRateScale
        }
        #expect(scale("bert.encoder.layer.1.attention.self.query.weight") == 0.5)
        #expect(scale("bert.encoder.layer.0.attention.self.query.weight") == 0.25)
        #expect(scale("bert.embeddings.word_embeddings.weight") == 0.125)
        #expect(scale("classifier.weight") == nil)
        #expect(throws: TrainingError.invalidOption(name: "llrd", value: "1.5", reason: "must be in (0, 1]")) {
            try Adaptation.layerwiseDecayGroups(model, decay: 1.5)
        }
    }

    @Test func gradualUnfreezingOpensOneLayerPerEpochFromTheTop() throws {
        let model = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        let plugin = GradualUnfreezing(model: model, stepsPerEpoch: 3)
        func layers() -> Set<Int> { Set(model.trainableParameters().compactMap { Module.layerIndex(of: $0.key) }) }
        #expect(layers().isEmpty && model.trainableParameters().count == 4)
        try plugin.afterStep(model: model, step: 2)
        #expect(layers().isEmpty)
        try plugin.afterStep(model: model, step: 3)
        #expect(layers() == [1])
        try plugin.afterStep(model: model, step: 6)
        #expect(layers() == [0, 1])
        #expect(!model.bert.embeddings.wordEmbeddings.weight.requiresGrad)
        try plugin.afterStep(model: model, step: 9)
        #expect(model.trainableParameterCount == model.parameterCount)
        let restored = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        let again = GradualUnfreezing(model: restored, stepsPerEpoch: 3)
        try again.restore(stateTensors: ["epoch": Tensor(scalar: 1)])
        #expect(Set(restored.trainableParameters().compactMap { Module.layerIndex(of: $0.key) }) == [1])
    }
}

@Suite struct PEFTAdapterTests {
    @Test func aPEFTWrittenLoRAGivesPEFTsLogitsAndMergesToTheMergedModel() throws {
        let model = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        let (ids, mask) = try FineTuneFixtures.batch()
        let base = try model(inputIds: ids, attentionMask: mask).logits.scalars
        for (u, v) in zip(base, try FineTuneFixtures.logits("base_logits")) { #expect(abs(u - v) < 1e-5) }
        let config = try AdapterFolder.apply(
            FineTuneFixtures.root.appendingPathComponent("peft_lora"), to: model, source: model.randomSource)
        #expect(config.lora.rank == 4 && config.lora.alpha == 8 && config.lora.dropout == 0)
        #expect(Set(config.lora.targets) == ["query", "value"])
        #expect(config.modulesToSave == ["classifier", "score"])
        #expect(config.baseModelNameOrPath == "../base")
        let logits = try model(inputIds: ids, attentionMask: mask).logits.scalars
        let expected = try FineTuneFixtures.logits("peft_logits")
        #expect(logits.count == expected.count)
        for (u, v) in zip(logits, expected) { #expect(abs(u - v) < 1e-5) }
        #expect(try model.mergeLoRA() == 4)
        let merged = try model(inputIds: ids, attentionMask: mask).logits.scalars
        for (u, v) in zip(merged, try FineTuneFixtures.logits("merged_logits")) { #expect(abs(u - v) < 1e-5) }
    }

    @Test func kalamWritesWhatItReadsInPEFTsLayout() throws {
        let model = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        try AdapterFolder.apply(
            FineTuneFixtures.root.appendingPathComponent("peft_lora"), to: model, source: model.randomSource)
        let (ids, mask) = try FineTuneFixtures.batch()
        let logits = try model(inputIds: ids, attentionMask: mask).logits.scalars
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-lora-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let config = AdapterConfig(
            lora: LoRASettings(rank: 4, alpha: 8, dropout: 0, targets: ["value", "query"]),
            modulesToSave: ["classifier"], baseModelNameOrPath: FineTuneFixtures.base.path)
        try AdapterFolder.save(model, config: config, to: out)
        let file = try SafeTensorsFile(contentsOf: out.appendingPathComponent("adapter_model.safetensors"))
        let peftFile = try SafeTensorsFile(
            contentsOf: FineTuneFixtures.root.appendingPathComponent("peft_lora/adapter_model.safetensors"))
        #expect(Set(file.names) == Set(peftFile.names))
        let again = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        try AdapterFolder.apply(out, to: again, source: again.randomSource)
        #expect(try again(inputIds: ids, attentionMask: mask).logits.scalars == logits)
        let written = try AdapterConfig.load(from: out)
        #expect(written.lora.targets == ["query", "value"])
        #expect(written.baseModelNameOrPath == FineTuneFixtures.base.path)
    }

    @Test func anAdapterForAnotherBaseOrWithUnsupportedOptionsIsAnError() throws {
        var config = try BertConfig.load(from: FineTuneFixtures.base)
        config = BertConfig(
            vocabSize: config.vocabSize, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
            maxPositionEmbeddings: 32, numLabels: 3)
        let other = try BertForSequenceClassification(config: config, seed: 0)
        #expect(
            throws: AdapterError.baseMismatch(
                reason:
                    "parameter 'base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight' has shape [4, 8] but the checkpoint holds [4, 16]"
            )
        ) {
            try AdapterFolder.apply(
                FineTuneFixtures.root.appendingPathComponent("peft_lora"), to: other, source: other.randomSource)
        }
        func decode(_ text: String) throws -> AdapterConfig { try AdapterConfig.decode(Data(text.utf8)) }
        #expect(throws: AdapterError.unsupported(field: "use_dora", value: "true")) {
            try decode(#"{"peft_type": "LORA", "r": 4, "target_modules": ["query"], "use_dora": true}"#)
        }
        #expect(throws: AdapterError.unsupported(field: "peft_type", value: "IA3")) {
            try decode(#"{"peft_type": "IA3"}"#)
        }
        #expect(throws: AdapterError.malformedConfig(path: "adapter_config.json", reason: "\"r\" 0 is out of range")) {
            try decode(#"{"peft_type": "LORA", "r": 0, "target_modules": ["query"]}"#)
        }
        #expect(
            throws: AdapterError.malformedConfig(
                path: "adapter_config.json", reason: "\"r\" is not a whole number that fits")
        ) { try decode(#"{"peft_type": "LORA", "r": 99999999999999999999, "target_modules": ["query"]}"#) }
        #expect(throws: AdapterError.unsupported(field: "target_modules", value: "a regular expression")) {
            try decode(#"{"peft_type": "LORA", "r": 4, "target_modules": ".*query"}"#)
        }
        #expect(throws: AdapterError.unsupported(field: "rank_pattern", value: "a non-empty value")) {
            try decode(#"{"peft_type": "LORA", "r": 4, "target_modules": ["query"], "rank_pattern": {"query": 2}}"#)
        }
    }
}

@Suite struct ClassificationDataTests {
    func items(_ counts: [String: Int]) -> [LabelledText] {
        counts.keys.sorted().flatMap { label in
            (0..<counts[label]!).map { LabelledText(id: "\(label)#\($0)", text: "\(label) \($0)", label: label) }
        }
    }

    @Test func theSplitIsStratifiedFixedBySplitSeedAndListsTinyClasses() throws {
        let data = items(["a": 50, "b": 30, "c": 4])
        let split = try ClassificationSplit(data, seed: 0)
        #expect(split.labels == ["a", "b"])
        #expect(split.leftOut == ["c": 4])
        #expect(split.test.filter { $0.label == "a" }.count == 5 && split.test.filter { $0.label == "b" }.count == 3)
        #expect(split.validation.count == 8 && split.train.count == 64)
        #expect(Set(split.train + split.validation + split.test).count == 80)
        #expect(try ClassificationSplit(data, seed: 0) == split)
        #expect(try ClassificationSplit(data, seed: 1).test != split.test)
        let subset = split.trainingSubset(10)
        #expect(subset.count == 10)
        #expect(subset.filter { $0.label == "a" }.count == 6)
        #expect(split.trainingSubset(1000) == split.train)
        #expect(throws: FineTuningError.tooFewClasses(found: ["a"])) {
            try ClassificationSplit(items(["a": 20, "b": 2]), seed: 0)
        }
    }

    @Test func metricsAreAccuracyAndMacroF1() {
        let m = ClassificationMetrics(
            labels: [0, 0, 1, 1, 2, 2], predictions: [0, 1, 1, 1, 0, 2], classes: 3, loss: 0)
        #expect(abs(m.accuracy - 4.0 / 6) < 1e-12)
        // F1: class 0 (tp 1, predicted 2, actual 2) 0.5; class 1 (2, 3, 2) 0.8; class 2 (1, 1, 2) 2/3.
        #expect(abs(m.macroF1 - (0.5 + 0.8 + 2.0 / 3) / 3) < 1e-12)
        #expect(m.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    }

    @Test func taskFilesAreReadAndUnknownLabelsNamed() throws {
        let rows = try ClassificationTask.load(FineTuneFixtures.tsv.path)
        #expect(rows.count == 24)
        #expect(rows[0] == LabelledText(id: "tiny.tsv:1", text: "the soup was hot and salty", label: "food"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-task-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.tsv")
        try Data("one\tfood\ntwo fields\tthree\textra\n".utf8).write(to: bad)
        #expect(
            throws: FineTuningError.malformedLine(
                path: bad.path, line: 2, reason: "expected text<TAB>label, found 3 fields")
        ) { try ClassificationTask.load(bad.path) }
        #expect(
            throws: FineTuningError.unknownTask(
                name: "no-such-task", known: ClassificationTask.builtIn + ["FILE.jsonl", "FILE.tsv"])
        ) {
            try ClassificationTask.load("no-such-task")
        }
        #expect(throws: FineTuningError.unknownLabel(label: "music", source: "test (x)", known: ["food", "sport"])) {
            try ClassificationExample.encode(
                [LabelledText(id: "x", text: "a song", label: "music")], labels: ["food", "sport"], source: "test",
                encode: { _ in [2, 3] })
        }
    }
}

@Suite struct FineTuningRunTests {
    func data() throws -> (ClassificationSplit, [ClassificationExample], [ClassificationExample]) {
        let split = try ClassificationSplit(ClassificationTask.load(FineTuneFixtures.tsv.path), seed: 0)
        let encode = try FineTuneFixtures.encoder()
        let train = try ClassificationExample.encode(split.train, labels: split.labels, source: "train", encode: encode)
        let test = try ClassificationExample.encode(split.test, labels: split.labels, source: "test", encode: encode)
        return (split, train, test)
    }

    @Test(arguments: ["frozen", "lora:4", "adapter:4"])
    func modesThatFreezeTheBaseLeaveItBitIdentical(mode: String) throws {
        let (_, train, test) = try data()
        let model = try BertForSequenceClassification.load(from: FineTuneFixtures.base)
        let before = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.scalars) })
        var settings = FineTuningSettings.defaults(for: try AdaptationMode(parsing: mode), seed: 1)
        settings.epochs = 2
        settings.batchSize = 4
        let result = try FineTuning.run(
            model: model, train: train, validation: test, test: test, settings: settings, padTokenId: 0)
        #expect(result.validation.count == 2 && result.secondsPerEpoch.count == 2)
        var changed = 0
        for (key, tensor) in model.namedParameters() {
            if let old = before[key] {
                let head =
                    key.hasPrefix("classifier.")
                    || (mode == "frozen" || mode.hasPrefix("adapter")) && key.hasPrefix("bert.pooler.")
                if head { changed += tensor.scalars == old ? 0 : 1 } else { #expect(tensor.scalars == old, "\(key)") }
            }
        }
        #expect(changed >= 2)
    }

    @Test func fullFineTuningLearnsTheTinyTaskAndIsSeeded() throws {
        let (split, train, _) = try data()
        func run() throws -> FineTuningResult {
            // Transformers' initialisation of the fixture's shapes (the fixture's own weights are drawn
            // wide on purpose, which makes it a poor start for learning).
            let model = try BertForSequenceClassification(config: BertConfig.load(from: FineTuneFixtures.base), seed: 2)
            var settings = FineTuningSettings.defaults(for: .full, seed: 2)
            (settings.epochs, settings.batchSize, settings.learningRate) = (40, 6, 5e-3)
            return try FineTuning.run(
                model: model, train: train, validation: [], test: train, settings: settings, padTokenId: 0)
        }
        let a = try run(), b = try run()
        #expect(a.losses == b.losses)
        #expect(a.test.accuracy == 1, "training accuracy \(a.test.accuracy) on \(split.train.count) examples")
        let last = a.losses.suffix(3).reduce(0, +) / 3, first = a.losses.prefix(3).reduce(0, +) / 3
        #expect(last < first / 4, "loss \(first) → \(last)")
    }
}

@Suite struct TokenClassificationTests {
    @Test func eachWordsTagGoesOnItsFirstSubword() throws {
        let tokenizer = try TokenizerJSON.load(FineTuneFixtures.base.appendingPathComponent("tokenizer.json"))
        let examples = UPOSTask.examples(
            ["the teams scored", "the team won the match"], tokenizer: tokenizer,
            tagger: try EnglishTagger.pretrained(),
            maxLength: 6)
        func tag(_ t: UniversalTag) -> Int32 { Int32(UniversalTag.allCases.firstIndex(of: t)!) }
        let vocab = tokenizer.encode("the teams scored").tokens
        #expect(vocab == ["[CLS]", "the", "team", "##s", "scored", "[SEP]"])
        #expect(examples[0].labels == [-100, tag(.det), tag(.noun), -100, tag(.verb), -100])
        // Cut to 6 tokens, the separator kept (and unlabelled).
        #expect(examples[1].ids.count == 6 && examples[1].ids.last == Int32(tokenizer.id(of: "[SEP]")!))
        #expect(examples[1].labels == [-100, tag(.det), tag(.noun), tag(.verb), tag(.det), -100])
        let split = UPOSTask.split(Array(0..<100), seed: 4)
        #expect(split.test.count == 10 && split.validation.count == 10 && split.train.count == 80)
        #expect(Set(split.train + split.validation + split.test).count == 100)
        #expect(UPOSTask.split(Array(0..<100), seed: 4).test == split.test)
    }

    @Test func aTokenClassifierLearnsTheTagsAndKeepsAFrozenBase() throws {
        let tokenizer = try TokenizerJSON.load(FineTuneFixtures.base.appendingPathComponent("tokenizer.json"))
        let texts = try ClassificationTask.load(FineTuneFixtures.tsv.path).map(\.text)
        let examples = UPOSTask.examples(
            texts, tokenizer: tokenizer, tagger: try EnglishTagger.pretrained(), maxLength: 32)
        var config = try BertConfig.load(from: FineTuneFixtures.base)
        config.setLabels(UPOSTask.labels)
        // Learning: full fine-tuning from transformers' initialisation of the fixture's shapes.
        let fresh = try BertForTokenClassification(config: config, seed: 0)
        var settings = FineTuningSettings.defaults(for: .full, seed: 0)
        (settings.epochs, settings.batchSize, settings.learningRate) = (30, 6, 5e-3)
        let result = try FineTuning.run(
            model: fresh, train: examples, validation: [], test: examples, settings: settings, padTokenId: 0)
        #expect(result.test.count == examples.reduce(0) { $0 + $1.labels.filter { $0 != -100 }.count })
        let first = result.losses.prefix(4).reduce(0, +) / 4, last = result.losses.suffix(4).reduce(0, +) / 4
        #expect(last < first / 2, "loss \(first) → \(last)")
        #expect(result.test.accuracy > 0.6, "token accuracy \(result.test.accuracy)")
        // Freezing: LoRA on the fixture's weights leaves the encoder bit-identical.
        let model = try BertForTokenClassification(config: config, seed: 0)
        try model.loadWeights(from: FineTuneFixtures.base.appendingPathComponent("model.safetensors"), newHead: true)
        let before = model.namedParameters().filter { !$0.key.hasPrefix("classifier.") }.map { $0.tensor.scalars }
        var lora = FineTuningSettings.defaults(for: .lora(rank: 4), seed: 0)
        (lora.epochs, lora.batchSize) = (2, 6)
        _ = try FineTuning.run(
            model: model, train: examples, validation: [], test: examples, settings: lora, padTokenId: 0)
        let base = model.namedParameters().filter {
            !$0.key.hasPrefix("classifier.") && !AdapterFolder.isAdapterKey($0.key)
        }
        #expect(base.map { $0.tensor.scalars } == before)
    }
}

@Suite struct GPT2ClassifierTests {
    @Test func scoresTheLastRealTokenAsTransformersDoes() throws {
        let folder = FineTuneFixtures.root.appendingPathComponent("gpt2_seqcls")
        let e =
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json")))
            as! [String: Any]
        let model = try GPT2ForSequenceClassification.load(from: folder)
        #expect(model.labelNames == ["food", "sport", "weather"])
        let ids = try IndexTensor((e["input_ids"] as! [[Int]]).flatMap { $0.map(Int32.init) }, shape: [3, 7])
        let mask = try IndexTensor((e["attention_mask"] as! [[Int]]).flatMap { $0.map(Int32.init) }, shape: [3, 7])
        let labels = try IndexTensor((e["labels"] as! [Int]).map(Int32.init), shape: [3])
        let out = try model(inputIds: ids, attentionMask: mask, labels: labels)
        let expected = (e["logits"] as! [[Double]]).flatMap { $0.map(Float.init) }
        for (u, v) in zip(out.logits.scalars, expected) { #expect(abs(u - v) < 1e-5) }
        #expect(abs(try out.loss!.item() - Float(e["loss"] as! Double)) < 1e-5)
        try out.loss!.backward()
        #expect(model.score.weight.grad!.scalars.contains { $0 != 0 })
        #expect(model.transformer.wte.weight.grad!.scalars.contains { $0 != 0 })
        // Its projections are Conv1D, which neither LoRA (on Linear) nor the adapters wrap yet.
        #expect(
            throws: TrainingError.invalidOption(
                name: "mode", value: "adapter:8", reason: "this model has no linear layers adapters can follow")
        ) { try Adaptation.apply(.adapter(size: 8), to: model, seed: 0) }
        #expect(throws: ModuleError.noMatchingModule("query, value")) {
            try Adaptation.apply(.lora(rank: 2), to: model, seed: 0)
        }
    }
}

@Suite struct ElectraClassifierTests {
    @Test func classifiesTheFirstTokenAsTransformersDoes() throws {
        let folder = FineTuneFixtures.root.appendingPathComponent("electra_seqcls")
        let e =
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json")))
            as! [String: Any]
        let model = try ElectraForSequenceClassification.load(from: folder)
        #expect(model.labelNames == ["food", "sport", "weather"])
        let ids = try IndexTensor((e["input_ids"] as! [[Int]]).flatMap { $0.map(Int32.init) }, shape: [3, 8])
        let mask = try IndexTensor((e["attention_mask"] as! [[Int]]).flatMap { $0.map(Int32.init) }, shape: [3, 8])
        let logits = try model(inputIds: ids, attentionMask: mask).logits.scalars
        let expected = (e["logits"] as! [[Double]]).flatMap { $0.map(Float.init) }
        #expect(logits.count == expected.count)
        for (u, v) in zip(logits, expected) { #expect(abs(u - v) < 1e-5) }
        let report = try Adaptation.apply(.lora(rank: 4), to: model, seed: 0)
        // LoRA on query and value of 2 layers (A 4x16, B 16x4) and the head (16x16 + 16, 3x16 + 3).
        #expect(report.trainableParameters == 4 * 128 + 272 + 51)
    }
}

@Suite struct TextToTextClassifierTests {
    static let folder = FineTuneFixtures.root.appendingPathComponent("t5_text", isDirectory: true)

    static func expected() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json")))
            as! [String: Any]
    }

    /// The fixture T5 with its label names' targets from its own tokenizer.
    static func model(fresh seed: UInt64? = nil) throws -> (T5ForConditionalGeneration, PipelineTokenizer) {
        let tokenizer = try TokenizerJSON.load(folder.appendingPathComponent("tokenizer.json"))
        let model =
            try seed.map { try T5ForConditionalGeneration(config: T5Config.load(from: folder), seed: $0) }
            ?? T5ForConditionalGeneration.load(from: folder)
        model.labelTargets = try TextToText.labelTargets(names: model.labelNames, eosTokenId: 1) {
            tokenizer.encodeIds($0).map(Int32.init)
        }
        return (model, tokenizer)
    }

    @Test func scoresEachLabelTextAsTransformersDoes() throws {
        let e = try Self.expected()
        let (model, _) = try Self.model()
        #expect(model.labelNames == ["food", "sport", "weather"])
        #expect(model.labelTargets == (e["targets"] as! [[Int]]).map { $0.map(Int32.init) })
        let rows = e["input_ids"] as! [[Int]]
        let shape = [rows.count, rows[0].count]
        let ids = try IndexTensor(rows.flatMap { $0.map(Int32.init) }, shape: shape)
        let mask = try IndexTensor((e["attention_mask"] as! [[Int]]).flatMap { $0.map(Int32.init) }, shape: shape)
        let scores = try model.classificationLogits(inputIds: ids, attentionMask: mask)
        #expect(scores.shape == [4, 3])
        let expected = (e["scores"] as! [[Double]]).flatMap { $0.map(Float.init) }
        for (u, v) in zip(scores.scalars, expected) { #expect(abs(u - v) < 1e-4, "\(u) vs \(v)") }
        let loss = try model.classificationLoss(
            inputIds: ids, attentionMask: mask, labels: (e["gold"] as! [Int]).map(Int32.init))
        #expect(abs(try loss.item() - Float(e["loss"] as! Double)) < 1e-5)
    }

    @Test func modesTreatTheDecoderAsTheHead() throws {
        let (model, _) = try Self.model()
        let total = model.parameterCount
        let frozen = try Adaptation.apply(.frozen, to: model, seed: 0)
        let decoder = model.namedParameters().filter { $0.key.hasPrefix("decoder.") }.reduce(0) { $0 + $1.tensor.count }
        #expect(frozen.trainableParameters == decoder && decoder < total)
        let (fresh, _) = try Self.model()
        let lora = try Adaptation.apply(.lora(rank: 4), to: fresh, lora: LoRASettings(targets: ["q", "v"]), seed: 0)
        // q and v (32 → 32) of 2 encoder self-attentions and 2 decoder self- and cross-attentions: six
        // attentions × two projections × (A 4×32 + B 32×4).
        #expect(lora.wrappedModules.count == 12)
        #expect(lora.trainableParameters == 12 * 256)
        #expect(fresh.defaultLoRATargets == ["q", "v"])
        #expect(model.adapterSites.count == 2 * 2 + 2 * 3)
    }

    @Test func learnsTheTinyTaskByWritingLabelNames() throws {
        let split = try ClassificationSplit(ClassificationTask.load(FineTuneFixtures.tsv.path), seed: 0)
        let (model, tokenizer) = try Self.model(fresh: 3)
        let encode: (String) -> [Int32] = { tokenizer.encodeIds($0).map(Int32.init) + [1] }
        let train = try ClassificationExample.encode(split.train, labels: split.labels, source: "train", encode: encode)
        var settings = FineTuningSettings.defaults(for: .full, seed: 3)
        (settings.epochs, settings.batchSize, settings.learningRate) = (30, 6, 3e-3)
        let result = try FineTuning.run(
            model: model, train: train, validation: [], test: train, settings: settings, padTokenId: 0)
        #expect(result.test.accuracy == 1, "training accuracy \(result.test.accuracy)")
        let first = result.losses.prefix(3).reduce(0, +) / 3, last = result.losses.suffix(3).reduce(0, +) / 3
        #expect(last < first / 4, "loss \(first) → \(last)")
    }

    @Test func labelsTheModelCannotTellApartAreAnError() throws {
        #expect(throws: FineTuningError.invalidLabelTargets(reason: "'a' and 'b' give the same tokens [7]")) {
            try TextToText.labelTargets(names: ["a", "b"], eosTokenId: 1) { _ in [7] }
        }
        #expect(throws: FineTuningError.invalidLabelTargets(reason: "'' gives no tokens")) {
            try TextToText.labelTargets(names: ["x", ""], eosTokenId: 1) { $0.isEmpty ? [] : [5] }
        }
        let model = try T5ForConditionalGeneration.load(from: Self.folder)
        let ids = try IndexTensor([4, 1], shape: [1, 2])
        #expect(
            throws: FineTuningError.invalidLabelTargets(
                reason:
                    "0 target texts for 3 classes (set labelTargets from the class names with TextToText.labelTargets)")
        ) { try model.classificationLogits(inputIds: ids, attentionMask: IndexTensor([1, 1], shape: [1, 2])) }
    }
}
