import Foundation
import KalamCore
import Testing

@testable import KalamModels

/// One fixture model written by `scripts/fixtures/models.py`: its directory, inputs and expected values.
struct ParityFixture {
    let name: String
    let directory: URL
    let inputs: [String: Any]
    let expected: SafeTensorsFile

    init(_ name: String) throws {
        self.name = name
        directory = ModelFixtures.directory(name)
        let data = try Data(contentsOf: directory.appendingPathComponent("inputs.json"))
        inputs = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        expected = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("expected.safetensors"))
    }

    /// A `[B, T]` (or `[B]`) integer input such as `input_ids`.
    func ids(_ key: String) throws -> IndexTensor {
        let value = try #require(inputs[key], "\(name): no \(key)")
        if let rows = value as? [[Int]] {
            return try IndexTensor(rows.flatMap { $0.map(Int32.init) }, shape: [rows.count, rows.first?.count ?? 0])
        }
        let flat = try #require(value as? [Int], "\(name): \(key) is not integers")
        return IndexTensor(flat.map(Int32.init))
    }

    /// The loss transformers computed.
    var loss: Double { inputs["loss"] as! Double }

    /// The parameter names in transformers' order.
    var parameterNames: [String] { inputs["parameters"] as! [String] }

    /// Expected tensor values.
    func values(_ key: String) throws -> [Float] { try expected.floats(key) }

    /// Expected tensor shape.
    func shape(_ key: String) throws -> [Int] { try expected.entry(key).shape }

    /// Checks `actual` against the expected tensor `key`: `max|a − e| ≤ tolerance · max|e|`.
    /// `floor` is an absolute allowance for tensors that are zero in exact arithmetic (e.g. the gradient
    /// of attention key biases, which softmax cancels) and hold only rounding noise in both libraries.
    func expectClose(
        _ actual: Tensor, _ key: String, tolerance: Float, floor: Float = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let want = try values(key)
        #expect(actual.shape == (try shape(key)), "\(name) \(key): shape", sourceLocation: sourceLocation)
        let got = actual.scalars
        guard got.count == want.count else { return }
        let scale = max(want.map(abs).max() ?? 0, 1e-12)
        let err = zip(got, want).map { abs($0 - $1) }.max() ?? 0
        #expect(
            err <= tolerance * scale + floor, "\(name) \(key): max abs error \(err), scale \(scale)",
            sourceLocation: sourceLocation)
    }

    /// Checks every parameter's gradient against `grad.<key>` (tolerance relative to the largest entry),
    /// and that the model has exactly transformers' parameters.
    func expectGradients<M: PretrainedModel>(
        _ model: M, tolerance: Float = 1e-3, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(
            Set(model.namedParameters().map(\.key)) == Set(parameterNames), "\(name): parameter names",
            sourceLocation: sourceLocation)
        for (key, tensor) in model.namedParameters() {
            guard let grad = tensor.grad else {
                Issue.record("\(name): no gradient for \(key)", sourceLocation: sourceLocation)
                continue
            }
            try expectClose(grad, "grad." + key, tolerance: tolerance, floor: 1e-6, sourceLocation: sourceLocation)
        }
    }
}
