import Foundation
import KalamCore

/// A model whose parameters carry their Hugging Face checkpoint keys, and that loads from and saves to a
/// model directory in Hugging Face layout (`config.json` + `model.safetensors`, plus tokenizer files).
///
/// Loading is strict: every parameter must be in the checkpoint with its exact shape
/// (``ModelError/missingKey(key:)``, ``ModelError/shapeMismatch(key:expected:found:)``), and every key
/// of the checkpoint must be used (``ModelError/unusedKey(key:)``), except the copies transformers keeps
/// of tied weights (``tiedAliases``) and known non-parameter buffers (`embeddings.position_ids`).
public protocol PretrainedModel: AnyObject {
    /// The configuration type of the family.
    associatedtype Configuration: ModelConfiguration

    /// The transformers class this model mirrors (`"GPT2LMHeadModel"`), written to `architectures`.
    static var architecture: String { get }

    /// The prefix transformers puts before the base model in head classes (`"bert."`, `"transformer."`),
    /// or `""` when the family has none. The loader accepts checkpoints with or without it.
    static var basePrefix: String { get }

    /// The configuration the model was built from.
    var config: Configuration { get }

    /// Every trainable parameter under its checkpoint key, in transformers' `named_parameters()` order.
    /// A tied weight appears once, under the key of the tensor it shares (e.g. `transformer.wte.weight`).
    var namedParameters: [(key: String, tensor: Tensor)] { get }

    /// Checkpoint keys that are copies of a tied parameter (`lm_head.weight` → `transformer.wte.weight`).
    var tiedAliases: [String: String] { get }

    /// Keys of the task head that a base-model checkpoint lacks; ``load(from:newHead:)`` with
    /// `newHead: true` keeps their fresh initialisation instead of failing.
    var headKeys: Set<String> { get }

    /// Whether dropout is active.
    var isTraining: Bool { get set }

    /// A freshly initialised model (transformers' initialisation scheme, drawn from `seed`).
    /// - Throws: ``ModelError`` when the configuration is invalid.
    init(config: Configuration, seed: UInt64) throws
}

/// Checkpoint keys that are buffers, not parameters; transformers ignores them on load.
let ignoredCheckpointKeys: Set<String> = [
    "embeddings.position_ids", "bert.embeddings.position_ids",
    "embeddings.token_type_ids", "bert.embeddings.token_type_ids",
]

extension PretrainedModel {
    /// The number of trainable values.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }

    /// The parameter stored under `key`, or `nil`.
    public func parameter(_ key: String) -> Tensor? {
        namedParameters.first { $0.key == key }?.tensor
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for (_, t) in namedParameters { t.zeroGrad() }
    }

    /// Loads a model directory: `config.json` (which must be of this family) and `model.safetensors`.
    /// - Parameter newHead: accept a checkpoint of the base model alone (e.g. a `BertModel` checkpoint
    ///   for `BertForSequenceClassification`): the head keeps its fresh initialisation.
    /// - Throws: ``ModelError`` naming the field, file or key at fault.
    public static func load(from directory: URL, newHead: Bool = false, seed: UInt64 = 0) throws -> Self {
        let config = try Configuration.load(from: directory)
        let model = try Self(config: config, seed: seed)
        try model.loadWeights(from: directory.appendingPathComponent("model.safetensors"), newHead: newHead)
        return model
    }

    /// Copies the weights of a safetensors checkpoint into the parameters, strictly.
    public func loadWeights(from file: URL, newHead: Bool = false) throws {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ModelError.fileNotFound(path: file.path)
        }
        let checkpoint = try SafeTensorsFile(contentsOf: file)
        let names = Set(checkpoint.names)
        try ModelFamily.check(checkpointKeys: names, expected: ModelFamily(Configuration.modelType))
        // Head classes keep the base model under a prefix (`bert.`); accept checkpoints of either kind.
        let prefix = Self.basePrefix
        var rename: (String) -> String = { $0 }
        if !prefix.isEmpty, let first = namedParameters.first?.key, !names.contains(first) {
            if first.hasPrefix(prefix), names.contains(String(first.dropFirst(prefix.count))) {
                rename = { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }  // base checkpoint
            } else if !first.hasPrefix(prefix), names.contains(prefix + first) {
                rename = { prefix + $0 }  // a base model reading a head model's checkpoint
            }
        }
        var used = Set<String>()
        for (key, tensor) in namedParameters {
            let stored = rename(key)
            guard let entry = checkpoint[stored] else {
                if newHead && headKeys.contains(key) { continue }
                throw ModelError.missingKey(key: stored)
            }
            guard entry.shape == tensor.shape else {
                throw ModelError.shapeMismatch(key: stored, expected: tensor.shape, found: entry.shape)
            }
            try checkpoint.copyFloats(stored, into: UnsafeMutableBufferPointer(start: tensor.data, count: tensor.count))
            used.insert(stored)
        }
        let shapes = Dictionary(
            namedParameters.map { (rename($0.key), $0.tensor.shape) }, uniquingKeysWith: { a, _ in a })
        for name in checkpoint.names.sorted() where !used.contains(name) {
            if ignoredCheckpointKeys.contains(name) { continue }
            if let target = tiedAliases.first(where: { rename($0.key) == name })?.value {
                // A copy of a tied weight: transformers 4 wrote these; its shape must still agree.
                if let expected = shapes[rename(target)], let entry = checkpoint[name], entry.shape != expected {
                    throw ModelError.shapeMismatch(key: name, expected: expected, found: entry.shape)
                }
                continue
            }
            if newHead { continue }  // a head checkpoint read for a different head: the old head is dropped
            throw ModelError.unusedKey(key: name)
        }
    }

    /// Writes the model directory: `config.json` (with `architectures` set to ``architecture``) and
    /// `model.safetensors` (each tied weight once, as transformers writes it). Each file is written to a
    /// temporary file first and renamed into place. `tokenizerFrom`, when given, is a directory whose
    /// tokenizer files (`tokenizer.json`, `vocab.txt`, ...) are copied alongside.
    public func save(to directory: URL, tokenizerFrom: URL? = nil) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ModelError.fileNotFound(path: directory.path)
        }
        var configuration = config
        configuration.architectures = [Self.architecture]
        let json = try configuration.jsonData()
        do {
            try (json + Data("\n".utf8)).write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        } catch {
            throw ModelError.fileNotFound(path: directory.appendingPathComponent("config.json").path)
        }
        let tensors = namedParameters.map { (name: $0.key, shape: $0.tensor.shape, data: $0.tensor.scalars) }
        try SafeTensors.write(
            tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors"))
        if let source = tokenizerFrom {
            for name in [
                "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                "vocab.json", "merges.txt", "spiece.model",
            ] {
                let from = source.appendingPathComponent(name), to = directory.appendingPathComponent(name)
                guard fm.fileExists(atPath: from.path), from.standardizedFileURL != to.standardizedFileURL else {
                    continue
                }
                let data = try Data(contentsOf: from)
                try data.write(to: to, options: .atomic)
            }
        }
    }
}

/// The model families Kalam implements, as `model_type` names them.
public enum ModelFamily: String, Sendable, CaseIterable {
    /// GPT-2 (`transformer.wte.weight`, ...).
    case gpt2
    /// BERT (`embeddings.word_embeddings.weight` or `bert.embeddings...`).
    case bert
    /// T5 (`shared.weight`, `encoder.block...`).
    case t5

    init(_ modelType: String) { self = ModelFamily(rawValue: modelType) ?? .gpt2 }

    /// The family a set of checkpoint keys belongs to, judged by keys only that family has; `nil` when unsure.
    public static func detect(checkpointKeys keys: Set<String>) -> ModelFamily? {
        if keys.contains("transformer.wte.weight") || keys.contains("wte.weight") { return .gpt2 }
        if keys.contains("embeddings.word_embeddings.weight") || keys.contains("bert.embeddings.word_embeddings.weight")
        {
            return .bert
        }
        if keys.contains("shared.weight") || keys.contains("encoder.block.0.layer.0.SelfAttention.q.weight") {
            return .t5
        }
        return nil
    }

    /// Throws ``ModelError/wrongFamily(expected:found:)`` when the keys belong to another family.
    static func check(checkpointKeys keys: Set<String>, expected: ModelFamily) throws {
        if let found = detect(checkpointKeys: keys), found != expected {
            throw ModelError.wrongFamily(expected: expected.rawValue, found: "a \(found.rawValue) checkpoint")
        }
    }
}
