import Foundation
import KalamJSON
import KalamModels
import KalamText

/// A sequence classifier built from a model folder, with what encoding its inputs needs.
public struct LoadedClassifier {
    /// BERT or ELECTRA with a classification head, GPT-2 scoring its last token, or T5 text-to-text.
    public var model: SequenceClassifier
    /// The longest input the model takes (`Int.max` for T5's relative positions).
    public var positions: Int
    /// The padding id batches use.
    public var padTokenId: Int32
    /// The id every input must end with (T5's `</s>`), if any.
    public var endOfText: Int32?
}

extension LoadedClassifier {
    /// A classifier for `labels` shaped like the model in `folder` (its `config.json`'s `model_type`:
    /// `bert`, `electra`, `gpt2` or `t5`). With `pretrained` the folder's weights are loaded (a new head
    /// drawn from `seed`); otherwise every weight is drawn from `seed`, so pretrained and random start from
    /// identical shapes. T5's label targets are the label names as `tokenizer` encodes them.
    /// - Throws: `ModelError` for a missing or malformed configuration or weights file.
    public static func load(
        _ folder: URL, labels: [String], tokenizer: PipelineTokenizer, pretrained: Bool, seed: UInt64
    ) throws -> LoadedClassifier {
        let weights = folder.appendingPathComponent("model.safetensors")
        switch try modelType(of: folder) {
        case "t5":
            var config = try T5Config.load(from: folder)
            config.setLabels(labels)
            let model = try T5ForConditionalGeneration(config: config, seed: seed)
            if pretrained { try model.loadWeights(from: weights) }
            let eos = Int32(config.eosTokenId ?? 1)
            model.labelTargets = try TextToText.labelTargets(names: labels, eosTokenId: eos) {
                tokenizer.encodeIds($0).map { Int32(truncatingIfNeeded: $0) }
            }
            return LoadedClassifier(
                model: model, positions: Int.max, padTokenId: Int32(config.padTokenId), endOfText: eos)
        case "gpt2":
            var config = try GPT2Config.load(from: folder)
            config.setLabels(labels)
            if config.padTokenId == nil { config.padTokenId = config.eosTokenId ?? 0 }
            let model = try GPT2ForSequenceClassification(config: config, seed: seed)
            if pretrained { try model.loadWeights(from: weights, newHead: true) }
            return LoadedClassifier(
                model: model, positions: config.nPositions, padTokenId: Int32(config.padTokenId ?? 0))
        case "electra":
            var config = try ElectraConfig.load(from: folder)
            config.setLabels(labels)
            let model = try ElectraForSequenceClassification(config: config, seed: seed)
            if pretrained { try model.loadWeights(from: weights, newHead: true) }
            return LoadedClassifier(
                model: model, positions: config.maxPositionEmbeddings, padTokenId: Int32(config.padTokenId ?? 0))
        default:
            var config = try BertConfig.load(from: folder)
            config.setLabels(labels)
            let model = try BertForSequenceClassification(config: config, seed: seed)
            if pretrained { try model.loadWeights(from: weights, newHead: true) }
            return LoadedClassifier(
                model: model, positions: config.maxPositionEmbeddings, padTokenId: Int32(config.padTokenId ?? 0))
        }
    }

    /// The `model_type` in `folder`'s `config.json` (nil when it has none).
    /// - Throws: `ModelError.fileNotFound` or `ModelError.malformedConfig`.
    public static func modelType(of folder: URL) throws -> String? {
        let file = folder.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ModelError.fileNotFound(path: file.path)
        }
        guard let root = try? JSONValue.parse([UInt8](data)), case .object = root else {
            throw ModelError.malformedConfig(file: file.path, reason: "not a JSON object")
        }
        guard case .string(let type)? = root["model_type"] else { return nil }
        return type
    }

    /// The ids the model reads for `text`: the tokenizer's with special tokens, `endOfText` appended when
    /// given and not already last, truncated to `maxLength` keeping the final token.
    public static func encoder(
        _ tokenizer: PipelineTokenizer, maxLength: Int, endingWith end: Int32? = nil
    ) -> (String) -> [Int32] {
        { text in
            var ids = tokenizer.encode(text).realIds(truncatedTo: Int.max).map { Int32(truncatingIfNeeded: $0) }
            if let end, ids.last != end { ids.append(end) }
            if ids.count > maxLength, let last = ids.last { ids = Array(ids.prefix(max(0, maxLength - 1))) + [last] }
            return ids
        }
    }
}
