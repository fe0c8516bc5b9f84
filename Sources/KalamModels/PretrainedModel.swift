import Foundation
import KalamCore
import KalamFiles
import KalamNN

/// A model whose parameters carry their Hugging Face checkpoint keys — a KalamNN `Module` tree — and
/// that loads from and saves to a model directory in Hugging Face layout (`config.json` +
/// `model.safetensors`, plus tokenizer files).
///
/// Loading goes through the one loader, `Module.load(from:mapping:)`: every parameter must be in the
/// checkpoint with its exact shape (`ModuleError.missingKey`, `.shapeMismatch`), and every key of the
/// checkpoint must be used (`ModuleError.unexpectedKey`), except the copies transformers keeps of tied
/// weights (`tiedKeyAliases`) and known non-parameter buffers (`embeddings.position_ids`). Nothing
/// changes unless everything fits.
public protocol PretrainedModel: Module {
    /// The configuration type of the family.
    associatedtype Configuration: ModelConfiguration

    /// The transformers class this model mirrors (`"GPT2LMHeadModel"`), written to `architectures`.
    static var architecture: String { get }

    /// The prefix transformers puts before the base model in head classes (`"bert."`, `"transformer."`),
    /// or `""` when the family has none. The loader accepts checkpoints with or without it.
    static var basePrefix: String { get }

    /// The configuration the model was built from.
    var config: Configuration { get }

    /// The generator every dropout of the model draws from (saved in training checkpoints, so a
    /// resumed run draws the same masks).
    var randomSource: RandomSource { get }

    /// Keys of the task head that a base-model checkpoint lacks; ``load(from:newHead:seed:)`` with
    /// `newHead: true` keeps their fresh initialisation instead of failing.
    var headKeys: Set<String> { get }

    /// A freshly initialised model (transformers' initialisation scheme, drawn from `seed`), in
    /// evaluation mode.
    /// - Throws: ``ModelError`` when the configuration is invalid.
    init(config: Configuration, seed: UInt64) throws
}

/// Checkpoint keys that are buffers, not parameters; transformers ignores them on load.
let ignoredCheckpointKeys: Set<String> = [
    "embeddings.position_ids", "bert.embeddings.position_ids",
    "embeddings.token_type_ids", "bert.embeddings.token_type_ids",
]

extension PretrainedModel {
    /// The parameter stored under `key`, or `nil`.
    public func parameter(_ key: String) -> Tensor? {
        namedParameters().first { $0.key == key }?.tensor
    }

    /// The architecture and its configuration as one string: the class name followed by the
    /// configuration's JSON (keys sorted, `architectures` left out). Training checkpoints record it.
    public var architectureDescriptor: String {
        var c = config
        c.architectures = nil
        let json = (try? c.jsonData()).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Self.architecture + " " + json
    }

    /// Loads a model directory: `config.json` (which must be of this family) and `model.safetensors`.
    /// - Parameter newHead: accept a checkpoint of the base model alone (e.g. a `BertModel` checkpoint
    ///   for `BertForSequenceClassification`), or one whose head has another shape (another number of
    ///   classes): the head keeps its fresh initialisation.
    /// - Throws: ``ModelError`` for the configuration, `ModuleError` naming the checkpoint key at fault.
    public static func load(from directory: URL, newHead: Bool = false, seed: UInt64 = 0) throws -> Self {
        let config = try Configuration.load(from: directory)
        let model = try Self(config: config, seed: seed)
        try model.loadWeights(from: directory.appendingPathComponent("model.safetensors"), newHead: newHead)
        return model
    }

    /// Copies the weights of a safetensors checkpoint into the parameters, strictly and all or nothing.
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
        if !prefix.isEmpty, let first = namedParameters().first?.key, !names.contains(first) {
            if first.hasPrefix(prefix), names.contains(String(first.dropFirst(prefix.count))) {
                rename = { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }  // base checkpoint
            } else if !first.hasPrefix(prefix), names.contains(prefix + first) {
                rename = { prefix + $0 }  // a base model reading a head model's checkpoint
            }
        }
        // A new head may have another number of classes than the checkpoint's (transformers'
        // `ignore_mismatched_sizes`): such head tensors keep their fresh initialisation.
        var mismatched = Set<String>()
        if newHead {
            for (key, tensor) in namedParameters() where headKeys.contains(key) {
                if let entry = checkpoint[rename(key)], entry.shape != tensor.shape { mismatched.insert(key) }
            }
        }
        let skip = mismatched
        try load(
            from: checkpoint,
            mapping: CheckpointMapping(
                checkpointKey: { skip.contains($0) ? "\u{0}new head: " + $0 : rename($0) },
                optionalKeys: newHead ? headKeys : [], ignoredNames: ignoredCheckpointKeys, allowUnused: newHead))
    }

    /// Writes the model directory: `config.json` (with `architectures` set to ``architecture``) and
    /// `model.safetensors` (each tied weight once, as transformers writes it). Each file is written to a
    /// temporary file first and renamed into place. `tokenizerFrom`, when given, is a directory whose
    /// tokenizer files (`tokenizer.json`, `vocab.txt`, ...) are copied alongside.
    public func save(directory: URL, tokenizerFrom: URL? = nil) throws {
        try createFolder(directory)
        var configuration = config
        configuration.architectures = [Self.architecture]
        let json = try configuration.jsonData()
        try writeFile(json + Data("\n".utf8), to: directory.appendingPathComponent("config.json"))
        try saveParameters(to: directory.appendingPathComponent("model.safetensors"))
        if let source = tokenizerFrom { try copyTokenizerFiles(from: source, to: directory) }
    }
}

/// The tokenizer files a model folder may carry.
let tokenizerFileNames = [
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt",
    "spiece.model",
]

/// Copies the tokenizer files of folder `source` that exist into `directory` (each written atomically);
/// a folder copied onto itself is left alone.
public func copyTokenizerFiles(from source: URL, to directory: URL) throws {
    for name in tokenizerFileNames {
        let from = source.appendingPathComponent(name), to = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: from.path), from.standardizedFileURL != to.standardizedFileURL
        else { continue }
        guard let data = FileManager.default.contents(atPath: from.path) else {
            throw ModelError.fileNotFound(path: from.path)
        }
        try writeFile(data, to: to)
    }
}

/// Creates `folder` (and its parents) unless it exists.
/// - Throws: ``ModelError/writeFailed(path:reason:)`` (a file in the way, a read-only file system).
func createFolder(_ folder: URL) throws {
    do {
        try AtomicFile.createFolder(folder)
    } catch let error as FileWriteError {
        throw ModelError.writeFailed(path: error.path, reason: error.reason)
    }
}

/// Writes `data` to `url` with ``AtomicFile`` (the old file stays when it fails).
/// - Throws: ``ModelError/writeFailed(path:reason:)``.
func writeFile(_ data: Data, to url: URL) throws {
    do {
        try AtomicFile.write(data, to: url)
    } catch let error as FileWriteError {
        throw ModelError.writeFailed(path: error.path, reason: error.reason)
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
    /// ELECTRA (`electra.embeddings.word_embeddings.weight`; its base model's keys are BERT's).
    case electra

    init(_ modelType: String) { self = ModelFamily(rawValue: modelType) ?? .gpt2 }

    /// The family a set of checkpoint keys belongs to, judged by keys only that family has; `nil` when unsure.
    public static func detect(checkpointKeys keys: Set<String>) -> ModelFamily? {
        if keys.contains("transformer.wte.weight") || keys.contains("wte.weight") { return .gpt2 }
        if keys.contains("electra.embeddings.word_embeddings.weight") { return .electra }
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
        // An ELECTRA base checkpoint has BERT's keys.
        if let found = detect(checkpointKeys: keys), found != expected, !(expected == .electra && found == .bert) {
            throw ModelError.wrongFamily(expected: expected.rawValue, found: "a \(found.rawValue) checkpoint")
        }
    }
}
