import Foundation
import KalamCore

/// How a module's parameter keys meet a checkpoint's tensor names when loading.
public struct CheckpointMapping {
    /// The checkpoint name of a parameter key (identity by default; a model whose checkpoints may
    /// carry or lack a prefix such as `bert.` maps here).
    public var checkpointKey: (String) -> String
    /// Parameter keys the checkpoint may lack: those parameters keep their values (a new task head).
    public var optionalKeys: Set<String>
    /// Checkpoint names that are not parameters and are skipped (buffers such as `position_ids`).
    public var ignoredNames: Set<String>
    /// Whether checkpoint tensors that no parameter uses are skipped instead of being an error (a
    /// checkpoint of a task model read by a model with another head).
    public var allowUnused: Bool

    /// A mapping; the defaults are strict and key for key.
    public init(
        checkpointKey: @escaping (String) -> String = { $0 }, optionalKeys: Set<String> = [],
        ignoredNames: Set<String> = [], allowUnused: Bool = false
    ) {
        self.checkpointKey = checkpointKey
        self.optionalKeys = optionalKeys
        self.ignoredNames = ignoredNames
        self.allowUnused = allowUnused
    }
}

/// Loading and saving parameters by key: strict, so a missing key, an unused key or a wrong shape is an
/// error naming the key, and nothing is changed unless everything fits. This is the one checkpoint
/// loader of Kalam: models, trainer checkpoints and generation all load through it.
extension Module {
    /// Every parameter's key and a copy of its values (for saving).
    public func stateDict() -> [(key: String, shape: [Int], values: [Float])] {
        namedParameters().map { ($0.key, $0.tensor.shape, $0.tensor.scalars) }
    }

    /// Copies checkpoint values into the parameters, all or nothing.
    ///
    /// Every parameter must be found (unless its key is optional) with its exact shape and a
    /// floating-point dtype; every checkpoint tensor must be used, unless it is ignored, a copy of a
    /// tied parameter (``tiedKeyAliases``, whose shape is still checked) or `allowUnused` is set. All
    /// values are read and converted before the first parameter changes, so a failure at any point
    /// leaves the module as it was.
    /// - Throws: ``ModuleError`` naming the checkpoint key at fault; the reader's errors as they are.
    public func load(from source: SafeTensorsFile, mapping: CheckpointMapping = CheckpointMapping()) throws {
        let parameters = namedParameters()
        var plan: [(Tensor, [Float])] = []
        var used = Set<String>()
        for (key, tensor) in parameters {
            let name = mapping.checkpointKey(key)
            guard let entry = source[name] else {
                if mapping.optionalKeys.contains(key) { continue }
                throw ModuleError.missingKey(name)
            }
            try Self.check(entry, name: name, shape: tensor.shape)
            used.insert(name)
            var values = [Float](repeating: 0, count: tensor.count)
            try values.withUnsafeMutableBufferPointer { try source.copyFloats(name, into: $0) }
            plan.append((tensor, values))
        }
        let shapes = Dictionary(parameters.map { ($0.key, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a })
        let aliases = Dictionary(
            tiedKeyAliases.map { (mapping.checkpointKey($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        for entry in source.entries where !used.contains(entry.name) {
            if mapping.ignoredNames.contains(entry.name) { continue }
            if let canonical = aliases[entry.name], let shape = shapes[canonical] {
                try Self.check(entry, name: entry.name, shape: shape)
                continue
            }
            if !mapping.allowUnused { throw ModuleError.unexpectedKey(entry.name) }
        }
        for (tensor, values) in plan {
            values.withUnsafeBufferPointer { tensor.data.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    private static func check(_ entry: SafeTensorsEntry, name: String, shape: [Int]) throws {
        guard entry.dtype.isFloatReadable else {
            throw ModuleError.unsupportedDType(key: name, dtype: entry.dtype.rawValue)
        }
        guard entry.shape == shape else {
            throw ModuleError.shapeMismatch(key: name, expected: shape, found: entry.shape)
        }
    }

    /// Copies checkpoint values into the parameters (all or nothing).
    ///
    /// - Parameters:
    ///   - source: the checkpoint.
    ///   - prefix: a prefix to strip from checkpoint keys (e.g. `"bert."` when a base model loads a
    ///     task model's checkpoint); keys without it are then unexpected.
    ///   - strict: when false, missing parameters keep their values and unused tensors are skipped.
    /// - Throws: `ModuleError` naming the first key at fault; errors of the reader as they are.
    public func load(from source: SafeTensorsFile, stripping prefix: String = "", strict: Bool = true) throws {
        let optional = strict ? Set<String>() : Set(namedParameters().map(\.key))
        try load(
            from: source,
            mapping: CheckpointMapping(checkpointKey: { prefix + $0 }, optionalKeys: optional, allowUnused: !strict))
    }

    /// Loads a safetensors file (strict).
    public func load(contentsOf url: URL) throws {
        try load(from: try SafeTensorsFile(contentsOf: url))
    }

    /// Writes every parameter as F32 to a safetensors file, atomically (temporary file, then rename).
    public func saveParameters(to url: URL, metadata: [String: String] = ["format": "pt"], prefix: String = "") throws {
        let tensors = namedParameters().map {
            SafeTensors.TensorData.float32(name: prefix + $0.key, shape: $0.tensor.shape, values: $0.tensor.scalars)
        }
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: url)
    }
}
