import Foundation
import KalamCore
import KalamNN

/// The values written by scripts/fixtures/optim.py (PyTorch 2.x and transformers).
struct OptimFixture: Decodable {
    struct Grad: Decodable {
        let w: [Float]
        let b: [Float]
    }
    struct Schedules: Decodable {
        let peak: Float, warmup: Int, total: Int
        let cosine: [Double], linear: [Double]
        let cosineMin: [Double]
        enum CodingKeys: String, CodingKey {
            case peak, warmup, total, cosine, linear
            case cosineMin = "cosine_min_0.1"
        }
    }
    struct Clip: Decodable {
        let maxNorm: Float, totalNorm: Float, wGrad: [Float], bGrad: [Float]
        enum CodingKeys: String, CodingKey {
            case maxNorm = "max_norm"
            case totalNorm = "total_norm"
            case wGrad = "w_grad"
            case bGrad = "b_grad"
        }
    }
    let w0: [Float]
    let b0: [Float]
    let grads: [Grad]
    let cases: [String: [Grad]]
    let schedules: Schedules
    let clip: [Clip]

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/optim")

    static func load() throws -> OptimFixture {
        try JSONDecoder().decode(
            OptimFixture.self, from: Data(contentsOf: directory.appendingPathComponent("optim.json")))
    }

    /// A fresh weight `h.0.mlp.c_fc.weight` [2, 3] and bias `h.0.mlp.c_fc.bias` [3] that require gradients.
    func parameters() throws -> NamedParameters {
        [
            (key: "h.0.mlp.c_fc.weight", tensor: try Tensor(w0, shape: [2, 3]).requiringGrad()),
            (key: "h.0.mlp.c_fc.bias", tensor: try Tensor(b0, shape: [3]).requiringGrad()),
        ]
    }

    /// Sets the gradients of step `i` (0-based).
    func setGrads(_ params: NamedParameters, step i: Int) throws {
        params[0].tensor.grad = try Tensor(grads[i].w, shape: [2, 3])
        params[1].tensor.grad = try Tensor(grads[i].b, shape: [3])
    }

    /// Runs `optimizer` for the fixture's steps and returns the largest absolute difference from `case`.
    func maxDifference(_ optimizer: some Optimizer, case name: String) throws -> Float {
        let params = try parameters()
        var worst: Float = 0
        for (i, expected) in cases[name]!.enumerated() {
            try setGrads(params, step: i)
            try optimizer.step(params)
            worst = max(worst, zip(params[0].tensor.scalars, expected.w).map { abs($0 - $1) }.max()!)
            worst = max(worst, zip(params[1].tensor.scalars, expected.b).map { abs($0 - $1) }.max()!)
        }
        return worst
    }
}
