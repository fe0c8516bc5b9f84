import Foundation
import Testing

@testable import KalamCore

/// Checks that the PyTorch engine fixture (Tests/Fixtures/engine, scripts/fixtures/engine.py) reads
/// through SafeTensorsFile with the documented keys, layout and values, and is internally consistent.
/// The engine parity tests themselves (logits, gradients, AdamW) belong with the Tensor type.
@Suite struct EngineFixtureTests {
    let folder = fixturesFolder.appendingPathComponent("engine")

    func open(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: folder.appendingPathComponent(name))
    }

    static let expectedShapes: [String: [Int]] = {
        var shapes: [String: [Int]] = [
            "wte.weight": [64, 32], "wpe.weight": [16, 32], "ln_f.weight": [32], "ln_f.bias": [32],
        ]
        for i in 0..<2 {
            for norm in ["ln_1", "ln_2"] {
                shapes["h.\(i).\(norm).weight"] = [32]
                shapes["h.\(i).\(norm).bias"] = [32]
            }
            shapes["h.\(i).attn.c_attn.weight"] = [96, 32]
            shapes["h.\(i).attn.c_attn.bias"] = [96]
            shapes["h.\(i).attn.c_proj.weight"] = [32, 32]
            shapes["h.\(i).attn.c_proj.bias"] = [32]
            shapes["h.\(i).mlp.c_fc.weight"] = [128, 32]
            shapes["h.\(i).mlp.c_fc.bias"] = [128]
            shapes["h.\(i).mlp.c_proj.weight"] = [32, 128]
            shapes["h.\(i).mlp.c_proj.bias"] = [32]
        }
        return shapes
    }()

    @Test func parametersAndGradientsHaveGPT2KeysInLinearLayout() throws {
        let params = try open("params.safetensors")
        let forward = try open("forward.safetensors")
        let adamw = try open("adamw.safetensors")
        #expect(Set(params.names) == Set(Self.expectedShapes.keys))
        for (key, shape) in Self.expectedShapes {
            #expect(params[key]?.shape == shape && params[key]?.dtype == .float32, "\(key)")
            #expect(forward["grad." + key]?.shape == shape, "\(key)")
            #expect(adamw["final." + key]?.shape == shape, "\(key)")
        }
        #expect(forward["logits"]?.shape == [2, 16, 64])
        #expect(params.metadata == ["format": "pt"])
    }

    @Test func lossIsTheCrossEntropyOfTheLogits() throws {
        let batch = try open("batch.safetensors")
        let forward = try open("forward.safetensors")
        let ids = try batch.int32s("ids")
        let targets = try batch.int32s("targets")
        #expect(ids.count == 32 && ids.allSatisfy { (0..<64).contains($0) })
        #expect(targets.filter { $0 == -100 }.count == 1 && targets[16 + 5] == -100)
        let logits = try forward.floats("logits")
        var total = 0.0
        var counted = 0
        for row in 0..<32 where targets[row] != -100 {
            let z = logits[(row * 64)..<(row * 64 + 64)].map(Double.init)
            let top = z.max()!
            let logSum = top + Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - top) })
            total += logSum - z[Int(targets[row])]
            counted += 1
        }
        let loss = try forward.floats("loss")
        #expect(counted == 31)
        #expect(abs(total / Double(counted) - Double(loss[0])) < 1e-6)
        #expect(abs(Double(loss[0]) - 4.375489) < 1e-6)
    }

    @Test func scheduleAndLossesFollowTheDocumentedRecipe() throws {
        let adamw = try open("adamw.safetensors")
        let lrs = try adamw.floats("lrs")
        for step in 1...10 {
            let lr =
                step <= 3
                ? 1e-3 * Double(step) / 3
                : 1e-3 * (0.1 + 0.9 * 0.5 * (1 + Foundation.cos(Double.pi * Double(step - 3) / 7)))
            #expect(Float(lr) == lrs[step - 1], "step \(step)")
        }
        let losses = try adamw.floats("losses")
        #expect(losses[0] == (try open("forward.safetensors").floats("loss"))[0])
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $0 > $1 })
        #expect(try adamw.floats("grad_norms").allSatisfy { $0 > 1 })  // clipping is active at every step
    }
}
