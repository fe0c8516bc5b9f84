import Foundation
import KalamCore
import KalamJSON
import KalamModels
import KalamNN
import KalamText
import KalamTraining

/// One reader under test: the valid inputs mutations start from, how the bytes reach the reader, and
/// which mutations suit it.
struct FuzzTarget {
    /// The name on the command line and in the report.
    let name: String
    /// Valid inputs.
    let seeds: [Data]
    /// The input is JSON: JSON-aware mutations apply.
    let isJSON: Bool
    /// The input starts with a safetensors length field.
    let isSafetensors: Bool
    /// Reads the bytes; returns normally for a value, throws for a typed error. A crash, hang or runaway
    /// memory is a failure the driver sees from outside.
    let read: (Data, Scratch) throws -> Void
}

/// A private folder where a file-based reader finds its input.
final class Scratch {
    let directory: URL

    init(_ purpose: String = "inputs") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kalam-fuzz-\(ProcessInfo.processInfo.processIdentifier)-\(purpose)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes `data` as `name` in the folder (or a sub-folder) and returns its URL.
    func file(_ name: String, _ data: Data) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// Sentences written for the harness: the texts its seed tokenizers, corpora and models are made from.
let fuzzSentences = [
    "the lamp by the window burned all night", "a small boat crossed the grey harbour at dawn",
    "she wrote three letters and posted none of them", "rain fell on the tin roof of the old barn",
    "the children counted the stars until they slept", "bread, salt and a little oil were all we had",
    "he tuned the violin twice before the concert began", "snow covered the road to the northern village",
]

enum FuzzTargets {
    /// Every reader the harness knows, built from the repository's fixtures and from seeds made here.
    static func all(fixtures: URL) throws -> [FuzzTarget] {
        let finetune = fixtures.appendingPathComponent("finetune", isDirectory: true)
        func fixture(_ path: String) throws -> Data { try Data(contentsOf: finetune.appendingPathComponent(path)) }
        let wordPiece = try WordPieceTrainer(vocabSize: 200).trainTokenizer(fuzzSentences)
        let byteLevel = try BPETrainer(vocabSize: 300).trainTokenizer(
            fuzzSentences, preTokenizer: ByteLevelPreTokenizer())
        func tokenizerJSON(_ t: PipelineTokenizer) -> Data { Data(TokenizerJSON.json(of: t).serialized().utf8) }
        let perceptron = try PerceptronModel(
            classes: ["NOUN", "VERB", "DET"], tagdict: ["the": "DET"], vocabulary: ["lamp", "burned"],
            weights: ["w=lamp": ["NOUN": 1.5, "VERB": -0.5], "w=burned": ["VERB": 2]]
        ).jsonData()
        let jsonl = Data(
            fuzzSentences.enumerated().map { #"{"text": "\#($0.element)", "label": "l\#($0.offset % 2)"}"# }
                .joined(separator: "\n").utf8)
        let yaml = Data(
            (["categories:", "- weather", "conversations:"]
                + fuzzSentences.map { "- - \($0)\n  - and then \($0)" }).joined(separator: "\n").utf8)
        let plain = Data(fuzzSentences.joined(separator: "\n\n").utf8)
        let state = try Data(contentsOf: fixtures.appendingPathComponent("fuzz/trainer_state.json"))
        // A trainer checkpoint's parameter and optimizer files, from a small GPT-2 after one AdamW step.
        let checkpointModel = try GPT2LMHeadModel(
            config: GPT2Config(vocabSize: 40, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2), seed: 3)
        let parameters = checkpointModel.namedParameters()
        for (i, p) in parameters.enumerated() {
            p.tensor.grad = try Tensor(
                (0..<p.tensor.count).map { Float(($0 + i) % 7) - 3 }, shape: p.tensor.shape)
        }
        let seedOptimizer = try AdamW(learningRate: 1e-2)
        try seedOptimizer.step(parameters)
        let stateScratch = try Scratch("seeds")
        let modelFile = stateScratch.directory.appendingPathComponent("model.safetensors")
        let optimizerFile = stateScratch.directory.appendingPathComponent("optimizer.safetensors")
        try checkpointModel.saveParameters(to: modelFile)
        try seedOptimizer.saveState(to: optimizerFile)
        let modelSeed = try Data(contentsOf: modelFile), optimizerSeed = try Data(contentsOf: optimizerFile)

        return [
            FuzzTarget(
                name: "safetensors", seeds: [try fixture("base/model.safetensors")], isJSON: false,
                isSafetensors: true
            ) { data, _ in
                let file = try SafeTensorsFile(data: data)
                for name in file.names { _ = try file.floats(name) }
            },
            config("bert", try fixture("base/config.json")) { _ = try BertConfig.decode(json: $0) },
            config("gpt2", try fixture("gpt2_seqcls/config.json")) { _ = try GPT2Config.decode(json: $0) },
            config("t5", try fixture("t5_text/config.json")) { _ = try T5Config.decode(json: $0) },
            config("electra", try fixture("electra_seqcls/config.json")) { _ = try ElectraConfig.decode(json: $0) },
            FuzzTarget(
                name: "tokenizer-wordpiece", seeds: [tokenizerJSON(wordPiece), try fixture("base/tokenizer.json")],
                isJSON: true, isSafetensors: false
            ) { data, _ in _ = try TokenizerJSON.parse(json: data).encode("the lamp burned") },
            FuzzTarget(
                name: "tokenizer-bpe", seeds: [tokenizerJSON(byteLevel)], isJSON: true, isSafetensors: false
            ) { data, _ in _ = try TokenizerJSON.parse(json: data).encode("the lamp burned") },
            FuzzTarget(
                name: "adapter-config", seeds: [try fixture("peft_lora/adapter_config.json")], isJSON: true,
                isSafetensors: false
            ) { data, _ in _ = try AdapterConfig.decode(data) },
            FuzzTarget(name: "trainer-state", seeds: [state], isJSON: true, isSafetensors: false) { data, scratch in
                let folder = try scratch.file("checkpoint/trainer_state.json", data).deletingLastPathComponent()
                _ = try Trainer.readState(from: folder)
            },
            FuzzTarget(name: "checkpoint-model", seeds: [modelSeed], isJSON: false, isSafetensors: true) { data, _ in
                try checkpointModel.load(from: SafeTensorsFile(data: data))
            },
            FuzzTarget(name: "checkpoint-optimizer", seeds: [optimizerSeed], isJSON: false, isSafetensors: true) {
                data, scratch in
                let file = try scratch.file("optimizer.safetensors", data)
                try AdamW(learningRate: 1e-2).loadState(from: file, parameters: parameters)
            },
            FuzzTarget(name: "tagger-weights", seeds: [perceptron], isJSON: true, isSafetensors: false) { data, _ in
                _ = try PerceptronTagger(model: PerceptronModel(data: data)).tag(["the", "lamp", "burned"])
            },
            FuzzTarget(name: "corpus-jsonl", seeds: [jsonl], isJSON: false, isSafetensors: false) { data, scratch in
                _ = try JSONLCorpus.load(try scratch.file("c.jsonl", data), labelField: "label")
            },
            FuzzTarget(name: "corpus-yaml", seeds: [yaml], isJSON: false, isSafetensors: false) { data, _ in
                _ = try ChatterbotCorpus.parse(
                    String(decoding: data, as: UTF8.self), language: "english", topic: "weather", path: "w.yml")
            },
            FuzzTarget(name: "corpus-text", seeds: [plain], isJSON: false, isSafetensors: false) { data, scratch in
                _ = try PlainTextCorpus.load(try scratch.file("c.txt", data))
            },
        ]
    }

    static func config(_ family: String, _ seed: Data, _ decode: @escaping (Data) throws -> Void) -> FuzzTarget {
        FuzzTarget(name: "config-\(family)", seeds: [seed], isJSON: true, isSafetensors: false) { data, _ in
            try decode(data)
        }
    }
}
