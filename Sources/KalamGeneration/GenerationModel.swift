import Foundation
import KalamJSON
import KalamModels

/// A model directory opened for generation: the decoder picked by `config.json`'s `model_type`.
public enum GenerationModel {
    /// A decoder-only GPT-2.
    case gpt2(CausalLMDecoder)
    /// An encoder-decoder T5.
    case t5(Seq2SeqDecoder)

    /// Opens a Hugging Face model directory (`config.json` + `model.safetensors`).
    /// Throws `GenerationError.unsupportedModel` for a `model_type` other than gpt2 or t5.
    public static func load(directory: URL) throws -> GenerationModel {
        let configURL = directory.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: configURL) } catch {
            throw GenerationError.unsupportedModel("cannot read \(configURL.path)")
        }
        let object = try? JSONValue.parse([UInt8](data))
        var modelType: String? = nil
        if case .string(let name)? = object?["model_type"] { modelType = name }
        switch modelType {
        case "gpt2": return .gpt2(try CausalLMDecoder(directory: directory))
        case "t5": return .t5(try Seq2SeqDecoder(directory: directory))
        case let other:
            throw GenerationError.unsupportedModel("model_type \(other ?? "missing") (gpt2 and t5 generate)")
        }
    }

    /// Stores the model's weight matrices as bfloat16 for decoding (`Module.storeWeightsAsBFloat16()`):
    /// each generated token streams half the bytes; the arithmetic stays float32.
    /// - Returns: the number of values stored as bfloat16.
    @discardableResult
    public func storeWeightsAsBFloat16() throws -> Int {
        switch self {
        case .gpt2(let decoder): return try decoder.model.storeWeightsAsBFloat16()
        case .t5(let decoder): return try decoder.model.storeWeightsAsBFloat16()
        }
    }

    /// The end-of-sequence id of the configuration, if any.
    public var eosTokenId: Int32? {
        switch self {
        case .gpt2(let decoder): return decoder.config.eosTokenId.map(Int32.init)
        case .t5(let decoder): return decoder.config.eosTokenId.map(Int32.init)
        }
    }

    /// The padding id written after finished rows (the configuration's, else end-of-sequence).
    public var padTokenId: Int32? {
        switch self {
        case .gpt2(let decoder): return decoder.config.padTokenId.map(Int32.init) ?? eosTokenId
        case .t5(let decoder): return Int32(decoder.config.padTokenId)
        }
    }
}
