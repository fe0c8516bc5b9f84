import Foundation
import KalamModels

/// Named BERT, T5 and ELECTRA sizes for pretraining from scratch, the same shapes as ``GPT2Preset``
/// (`tiny`: context 128, 4 layers, 4 heads, width 128; `small`: context 256, 6 layers, 8 heads, width
/// 256), feed-forward 4× the width, no dropout.
public enum FamilyPreset: String, CaseIterable, Sendable {
    /// Context 128, 4 layers, 4 heads, width 128.
    case tiny
    /// Context 256, 6 layers, 8 heads, width 256.
    case small

    /// BERT's and ELECTRA's special tokens, in id order.
    public static let bertSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    /// T5's: `<pad>` 0, `</s>` 1, `<unk>` 2, then `<extra_id_0>` … `<extra_id_99>`.
    public static let t5SpecialTokens = ["<pad>", "</s>", "<unk>"] + (0..<100).map { "<extra_id_\($0)>" }

    /// Context, layers, heads, width.
    public var shape: (context: Int, layers: Int, heads: Int, width: Int) {
        switch self {
        case .tiny: return (128, 4, 4, 128)
        case .small: return (256, 6, 8, 256)
        }
    }

    /// A BERT configuration for a vocabulary of `vocabularySize` with `[PAD]` = `padId`, or the one in
    /// `nameOrPath` (a `config.json`) with the vocabulary replaced.
    /// - Throws: ``TrainingError/unknownPreset(name:known:)``; `ModelError` for a bad file.
    public static func bert(_ nameOrPath: String, vocabularySize: Int, padId: Int) throws -> BertConfig {
        if let preset = FamilyPreset(rawValue: nameOrPath) {
            return bert(preset.shape, vocabularySize: vocabularySize, padId: padId)
        }
        var config = try BertConfig.load(from: try file(nameOrPath))
        config.vocabSize = vocabularySize
        config.padTokenId = padId
        try config.validate()
        return config
    }

    /// A T5 configuration (`<pad>` = `padId`, also the decoder start; `</s>` = `eosId`), or the one in
    /// `nameOrPath` with the vocabulary and ids replaced.
    /// - Throws: ``TrainingError/unknownPreset(name:known:)``; `ModelError` for a bad file.
    public static func t5(_ nameOrPath: String, vocabularySize: Int, padId: Int, eosId: Int) throws -> T5Config {
        if let preset = FamilyPreset(rawValue: nameOrPath) {
            return t5(preset.shape, vocabularySize: vocabularySize, padId: padId, eosId: eosId)
        }
        var config = try T5Config.load(from: try file(nameOrPath))
        config.vocabSize = vocabularySize
        config.padTokenId = padId
        config.eosTokenId = eosId
        config.decoderStartTokenId = padId
        try config.validate()
        return config
    }

    /// An ELECTRA discriminator configuration (embeddings of the width; `[PAD]` = `padId`), or the one in
    /// `nameOrPath` with the vocabulary replaced. The generator's follows from it
    /// (``ElectraPretrainingModel/generatorConfig(for:)``).
    /// - Throws: ``TrainingError/unknownPreset(name:known:)``; `ModelError` for a bad file.
    public static func electra(_ nameOrPath: String, vocabularySize: Int, padId: Int) throws -> ElectraConfig {
        if let preset = FamilyPreset(rawValue: nameOrPath) {
            return electra(preset.shape, vocabularySize: vocabularySize, padId: padId)
        }
        var config = try ElectraConfig.load(from: try file(nameOrPath))
        config.vocabSize = vocabularySize
        config.padTokenId = padId
        try config.validate()
        return config
    }

    /// A BERT of `shape` (feed-forward 4× the width, no dropout) for `vocabularySize` tokens, `[PAD]` = `padId`.
    public static func bert(
        _ shape: (context: Int, layers: Int, heads: Int, width: Int), vocabularySize: Int, padId: Int
    ) -> BertConfig {
        BertConfig(
            vocabSize: vocabularySize, hiddenSize: shape.width, numHiddenLayers: shape.layers,
            numAttentionHeads: shape.heads, intermediateSize: 4 * shape.width, hiddenDropoutProb: 0,
            attentionProbsDropoutProb: 0, maxPositionEmbeddings: shape.context, padTokenId: padId,
            architectures: ["BertForMaskedLM"])
    }

    /// A T5 of `shape` (each stack `layers` deep; `<pad>` = `padId`, also the decoder start; `</s>` = `eosId`).
    public static func t5(
        _ shape: (context: Int, layers: Int, heads: Int, width: Int), vocabularySize: Int, padId: Int, eosId: Int
    ) -> T5Config {
        T5Config(
            vocabSize: vocabularySize, dModel: shape.width, dKv: shape.width / shape.heads, dFf: 4 * shape.width,
            numLayers: shape.layers, numHeads: shape.heads, dropoutRate: 0, padTokenId: padId, eosTokenId: eosId,
            decoderStartTokenId: padId)
    }

    /// An ELECTRA discriminator of `shape` (embeddings of the width; `[PAD]` = `padId`).
    public static func electra(
        _ shape: (context: Int, layers: Int, heads: Int, width: Int), vocabularySize: Int, padId: Int
    ) -> ElectraConfig {
        ElectraConfig(
            vocabSize: vocabularySize, embeddingSize: shape.width, hiddenSize: shape.width,
            numHiddenLayers: shape.layers, numAttentionHeads: shape.heads, intermediateSize: 4 * shape.width,
            hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: shape.context,
            padTokenId: padId)
    }

    /// A GPT-2 of `shape` (no dropout; `endOfText` as the BOS/EOS id when given).
    public static func gpt2(
        _ shape: (context: Int, layers: Int, heads: Int, width: Int), vocabularySize: Int, endOfText: Int?
    ) -> GPT2Config {
        GPT2Config(
            vocabSize: vocabularySize, nPositions: shape.context, nEmbd: shape.width, nLayer: shape.layers,
            nHead: shape.heads, residPdrop: 0, embdPdrop: 0, attnPdrop: 0, bosTokenId: endOfText,
            eosTokenId: endOfText)
    }

    /// The context length a preset or configuration file gives (T5 has none of its own: the preset's).
    public static func context(_ nameOrPath: String) -> Int? { FamilyPreset(rawValue: nameOrPath)?.shape.context }

    static func file(_ path: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError.unknownPreset(name: path, known: allCases.map(\.rawValue))
        }
        return URL(fileURLWithPath: path)
    }
}
