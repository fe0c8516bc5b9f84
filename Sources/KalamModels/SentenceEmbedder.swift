import Foundation
import KalamCore
import KalamText

/// Sentence embeddings from a sentence-transformers model directory (such as all-MiniLM-L6-v2):
/// the BERT checkpoint, its `tokenizer.json`, mean pooling over the attention mask and — when
/// `modules.json` lists `Normalize`, or there is no `modules.json` — L2 normalisation.
public final class SentenceEmbedder {
    /// The encoder.
    public let model: BertModel
    /// The tokenizer read from `tokenizer.json`.
    public let tokenizer: PipelineTokenizer
    /// The longest token sequence fed to the model (`sentence_bert_config.json`'s `max_seq_length`,
    /// capped by the position table); longer inputs are truncated, keeping the final `[SEP]`.
    public let maxSequenceLength: Int
    /// Whether embeddings are scaled to unit length.
    public let normalizes: Bool

    /// Opens a model directory: `config.json`, `model.safetensors`, `tokenizer.json`, and the optional
    /// sentence-transformers files `sentence_bert_config.json`, `modules.json`, `1_Pooling/config.json`.
    /// - Throws: ``ModelError`` for a missing file or a pooling mode other than mean pooling.
    public init(directory: URL) throws {
        model = try BertModel.load(from: directory)
        let tokenizerFile = directory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerFile.path) else {
            throw ModelError.fileNotFound(path: tokenizerFile.path)
        }
        tokenizer = try TokenizerJSON.load(tokenizerFile)
        let limit = Self.json(directory.appendingPathComponent("sentence_bert_config.json"))?["max_seq_length"] as? Int
        maxSequenceLength = min(limit ?? model.config.maxPositionEmbeddings, model.config.maxPositionEmbeddings)
        if let pooling = Self.json(directory.appendingPathComponent("1_Pooling/config.json")) {
            for mode in ["pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"]
            where pooling[mode] as? Bool == true {
                throw ModelError.unsupportedValue(field: mode, value: "true", supported: ["pooling_mode_mean_tokens"])
            }
        }
        if let modules = Self.jsonArray(directory.appendingPathComponent("modules.json")) {
            normalizes = modules.contains { ($0["type"] as? String)?.hasSuffix(".Normalize") == true }
        } else {
            normalizes = true
        }
    }

    /// The token ids the model reads for `text`: the tokenizer's, without padding, truncated to
    /// ``maxSequenceLength`` with the last (separator) token kept.
    public func tokenIDs(_ text: String) -> [Int] {
        tokenizer.encode(text).realIds(truncatedTo: maxSequenceLength)
    }

    /// One embedding per text, in order. Texts are encoded in batches padded to their longest member.
    public func embed(_ texts: [String], batchSize: Int = 16) throws -> [[Float]] {
        var result: [[Float]] = []
        result.reserveCapacity(texts.count)
        let width = model.config.hiddenSize
        for start in stride(from: 0, to: texts.count, by: max(batchSize, 1)) {
            let batch = texts[start..<min(start + max(batchSize, 1), texts.count)].map(tokenIDs)
            let length = max(batch.map(\.count).max() ?? 1, 1)
            var ids = [Int32](), mask = [Int32]()
            for row in batch {
                ids += row.map(Int32.init) + [Int32](repeating: 0, count: length - row.count)
                mask += [Int32](repeating: 1, count: row.count) + [Int32](repeating: 0, count: length - row.count)
            }
            let idTensor = try IndexTensor(ids, shape: [batch.count, length])
            let maskTensor = try IndexTensor(mask, shape: [batch.count, length])
            let values = try Tensor.withoutGrad { () throws -> [Float] in
                let hidden = try model(inputIds: idTensor, attentionMask: maskTensor).lastHiddenState
                let pooled = try SentencePooling.meanPooled(hidden, mask: maskTensor)
                return try (normalizes ? SentencePooling.l2Normalized(pooled) : pooled).scalars
            }
            for row in 0..<batch.count { result.append(Array(values[(row * width)..<((row + 1) * width)])) }
        }
        return result
    }

    private static func json(_ url: URL) -> [String: Any]? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    private static func jsonArray(_ url: URL) -> [[String: Any]]? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]]
    }
}
