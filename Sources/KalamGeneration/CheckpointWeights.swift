import Foundation
import KalamCore

/// Float weights looked up by Hugging Face key, with the count checked against the configuration.
public struct CheckpointWeights {
    /// Returns the values for a key, or `nil` when the checkpoint has no such key.
    public let lookup: (String) throws -> [Float]?

    /// Wraps a lookup function (for example over a model's parameters by key path).
    public init(lookup: @escaping (String) throws -> [Float]?) {
        self.lookup = lookup
    }

    /// Reads `model.safetensors` in `directory`.
    public init(directory: URL) throws {
        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        let names = Set(file.names)
        lookup = { key in names.contains(key) ? try file.floats(key) : nil }
    }

    /// Whether the checkpoint has `key`.
    public func contains(_ key: String) throws -> Bool { try lookup(key) != nil }

    /// The values of `key`, which must hold `count` floats; the first of `keys` present wins.
    public func require(_ keys: [String], count: Int) throws -> [Float] {
        for key in keys {
            if let values = try lookup(key) {
                guard values.count == count else {
                    throw GenerationError.weightShapeMismatch(key: key, expectedCount: count, count: values.count)
                }
                return values
            }
        }
        throw GenerationError.missingWeight(key: keys[0])
    }
}
