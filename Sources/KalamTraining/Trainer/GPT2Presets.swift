import Foundation
import KalamModels

/// Named GPT-2 sizes for pretraining from scratch (`kalam pretrain --preset tiny|small`).
public enum GPT2Preset: String, CaseIterable, Sendable {
    /// Context 128, 4 layers, 4 heads, width 128 (nanoGPT-tiny shape; ~1M parameters besides embeddings).
    case tiny
    /// Context 256, 6 layers, 8 heads, width 256.
    case small

    /// The configuration for a vocabulary of `vocabularySize` tokens, with no dropout and
    /// `endOfText` as the BOS/EOS id (when given).
    public func config(vocabularySize: Int, endOfText: Int?) -> GPT2Config {
        let shape = self == .tiny ? FamilyPreset.tiny.shape : FamilyPreset.small.shape
        return FamilyPreset.gpt2(shape, vocabularySize: vocabularySize, endOfText: endOfText)
    }

    /// A preset by name, or a `config.json` file (or model folder) whose configuration is used with its
    /// vocabulary size replaced by the tokenizer's.
    /// - Throws: ``TrainingError/unknownPreset(name:known:)`` when `nameOrPath` is neither;
    ///   `ModelError` for a configuration file that does not decode.
    public static func resolve(_ nameOrPath: String, vocabularySize: Int, endOfText: Int?) throws -> GPT2Config {
        if let preset = GPT2Preset(rawValue: nameOrPath) {
            return preset.config(vocabularySize: vocabularySize, endOfText: endOfText)
        }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            throw TrainingError.unknownPreset(name: nameOrPath, known: allCases.map(\.rawValue))
        }
        var config = try GPT2Config.load(from: URL(fileURLWithPath: nameOrPath))
        config.vocabSize = vocabularySize
        config.bosTokenId = endOfText
        config.eosTokenId = endOfText
        try config.validate()
        return config
    }
}
