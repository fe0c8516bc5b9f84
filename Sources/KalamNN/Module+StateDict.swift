import Foundation
import KalamCore

/// Loading and saving parameters by key: strict, so a missing key, an unused key or a wrong shape is an
/// error naming the key, and nothing is changed unless everything fits.
extension Module {
    /// Every parameter's key and a copy of its values (for saving).
    public func stateDict() -> [(key: String, shape: [Int], values: [Float])] {
        namedParameters().map { ($0.key, $0.tensor.shape, $0.tensor.scalars) }
    }

    /// Copies checkpoint values into the parameters.
    ///
    /// - Parameters:
    ///   - source: the checkpoint.
    ///   - prefix: a prefix to strip from checkpoint keys (e.g. `"bert."` when a base model loads a
    ///     task model's checkpoint); keys without it are then unexpected.
    ///   - strict: when true every parameter must be present and every tensor used.
    /// - Throws: `ModuleError` naming the first key at fault; errors of the reader as they are.
    public func load(from source: SafeTensorsFile, stripping prefix: String = "", strict: Bool = true) throws {
        let parameters = namedParameters()
        let byKey = Dictionary(parameters.map { ($0.key, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        let aliases = tiedKeyAliases
        var plan: [(SafeTensorsEntry, Tensor)] = []
        var used = Set<String>()
        for entry in source.entries {
            guard entry.name.hasPrefix(prefix) else {
                if strict { throw ModuleError.unexpectedKey(entry.name) }
                continue
            }
            let key = String(entry.name.dropFirst(prefix.count))
            guard let tensor = byKey[key] ?? aliases[key].flatMap({ byKey[$0] }) else {
                if strict { throw ModuleError.unexpectedKey(entry.name) }
                continue
            }
            guard entry.dtype.isFloatReadable else {
                throw ModuleError.unsupportedDType(key: entry.name, dtype: entry.dtype.rawValue)
            }
            guard entry.shape == tensor.shape else {
                throw ModuleError.shapeMismatch(key: entry.name, expected: tensor.shape, found: entry.shape)
            }
            if aliases[key] != nil && byKey[key] == nil { continue }  // tied: the canonical key loads it
            plan.append((entry, tensor))
            used.insert(key)
        }
        if strict, let missing = parameters.first(where: { !used.contains($0.key) }) {
            throw ModuleError.missingKey(prefix + missing.key)
        }
        for (entry, tensor) in plan {
            try source.copyFloats(entry.name, into: UnsafeMutableBufferPointer(start: tensor.data, count: tensor.count))
        }
    }

    /// Loads a safetensors file (strict).
    public func load(contentsOf url: URL) throws {
        try load(from: try SafeTensorsFile(contentsOf: url))
    }

    /// Writes every parameter as F32 to a safetensors file, atomically (temporary file, then rename).
    public func save(to url: URL, metadata: [String: String] = ["format": "pt"], prefix: String = "") throws {
        let tensors = namedParameters().map {
            SafeTensors.TensorData.float32(name: prefix + $0.key, shape: $0.tensor.shape, values: $0.tensor.scalars)
        }
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: url)
    }
}
