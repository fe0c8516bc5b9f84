import Foundation
import KalamCore
import KalamNN
import Testing

@Suite struct OptimizerStateTests {
    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kalam-optim-\(UUID().uuidString)-\(name)")
    }

    @Test func savedAndLoadedAdamWContinuesIdentically() throws {
        let fixture = try OptimFixture.load()
        // Reference: three uninterrupted steps.
        let reference = try fixture.parameters()
        let a = try AdamW(learningRate: 0.01, betas: (0.9, 0.95), weightDecay: 0.1)
        for i in 0..<3 {
            try fixture.setGrads(reference, step: i)
            try a.step(reference)
        }
        // Two steps, save, load into a fresh optimizer, third step.
        let params = try fixture.parameters()
        let b = try AdamW(learningRate: 0.01, betas: (0.9, 0.95), weightDecay: 0.1)
        for i in 0..<2 {
            try fixture.setGrads(params, step: i)
            try b.step(params)
        }
        let url = temporaryURL("adamw.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try b.saveState(to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(
            Set(file.names) == [
                "h.0.mlp.c_fc.weight.exp_avg", "h.0.mlp.c_fc.weight.exp_avg_sq",
                "h.0.mlp.c_fc.bias.exp_avg", "h.0.mlp.c_fc.bias.exp_avg_sq",
            ])
        let c = try AdamW(learningRate: 0.5, betas: (0.9, 0.95), weightDecay: 0.1)
        try c.loadState(from: url, parameters: params)
        #expect(c.stepCount == 2 && c.learningRate == 0.01)
        #expect(c.parameterSteps == ["h.0.mlp.c_fc.weight": 2, "h.0.mlp.c_fc.bias": 2])
        try fixture.setGrads(params, step: 2)
        try c.step(params)
        #expect(params[0].tensor.scalars == reference[0].tensor.scalars)
        #expect(params[1].tensor.scalars == reference[1].tensor.scalars)
    }

    @Test func sgdMomentumRoundTrip() throws {
        let fixture = try OptimFixture.load()
        let params = try fixture.parameters()
        let a = try SGD(learningRate: 0.1, momentum: 0.9)
        try fixture.setGrads(params, step: 0)
        try a.step(params)
        let url = temporaryURL("sgd.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try a.saveState(to: url)
        let b = try SGD(learningRate: 0.1, momentum: 0.9)
        try b.loadState(from: url, parameters: params)
        #expect(b.stepCount == 1)
        #expect(b.state["h.0.mlp.c_fc.bias"]!["momentum_buffer"]!.scalars == fixture.grads[0].b)
        #expect(throws: OptimizerError.optimizerMismatch(expected: "AdamW", found: "SGD")) {
            try AdamW().loadState(from: url, parameters: params)
        }
    }

    @Test func mismatchedStateIsATypedErrorAndChangesNothing() throws {
        let fixture = try OptimFixture.load()
        let params = try fixture.parameters()
        let opt = try AdamW()
        try fixture.setGrads(params, step: 0)
        try opt.step(params)
        let url = temporaryURL("state.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try opt.saveState(to: url)

        let fresh = try AdamW()
        let wrongShape: NamedParameters = [
            (key: "h.0.mlp.c_fc.weight", tensor: Tensor.zeros([3, 2])),
            (key: "h.0.mlp.c_fc.bias", tensor: Tensor.zeros([3])),
        ]
        #expect(
            throws: OptimizerError.stateShapeMismatch(
                key: "h.0.mlp.c_fc.weight.exp_avg", expected: [3, 2], found: [2, 3])
        ) {
            try fresh.loadState(from: url, parameters: wrongShape)
        }
        let renamed: NamedParameters = [(key: "h.0.mlp.c_fc.weight", tensor: Tensor.zeros([2, 3]))]
        #expect(throws: OptimizerError.unexpectedState(key: "h.0.mlp.c_fc.bias.exp_avg")) {
            try fresh.loadState(from: url, parameters: renamed)
        }
        #expect(fresh.stepCount == 0 && fresh.state.isEmpty)

        // A file with only one of the two moments.
        let partial = temporaryURL("partial.safetensors")
        defer { try? FileManager.default.removeItem(at: partial) }
        let meta = #"{"hyperparameters":{},"kind":"AdamW","learning_rate":0.001,"step":1}"#
        try SafeTensors.write(
            [(name: "h.0.mlp.c_fc.bias.exp_avg", shape: [3], data: [0, 0, 0])],
            metadata: ["kalam_optimizer": meta], to: partial)
        #expect(throws: OptimizerError.missingState(key: "h.0.mlp.c_fc.bias", name: "exp_avg_sq")) {
            try fresh.loadState(from: partial, parameters: params)
        }
        try SafeTensors.write([(name: "h.0.mlp.c_fc.bias.exp_avg", shape: [3], data: [0, 0, 0])], to: partial)
        #expect(throws: OptimizerError.invalidMetadata(file: partial.path, reason: "no kalam_optimizer metadata")) {
            try fresh.loadState(from: partial, parameters: params)
        }
    }
}
