import Foundation
import KalamCore
import KalamModels
import KalamNN
import Testing

@testable import KalamTraining

@Suite struct ContinualResumeTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalam-cl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func bits(_ model: Module) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.scalars.map(\.bitPattern)) })
    }

    /// Stops mid-task (task 1 after 3 of 6 steps) or between tasks (before task 2 starts), resumes in
    /// fresh objects, and compares with a run that was never stopped: the same matrix, losses and
    /// parameters, bit for bit, with the strategy's state (SI's path integral, the dual memory's buffer and
    /// slow model, LwF's teacher, EWC's Fisher) carried through the checkpoint.
    @Test(arguments: [("si", 1, 3), ("dual-memory", 1, 3), ("lwf", 2, 0), ("ewc", 1, 5), ("replay", 2, 0)])
    func anInterruptedRunResumesBitIdentically(strategy name: String, task: Int, step: Int) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func fresh() throws -> (ContinualScenario, ContinualStrategy) {
            let scenario = try SyntheticScenarios.languageModel(steps: 6)
            return (scenario, try ContinualStrategies.make(name, scenario: scenario, memory: nil, lambda: nil, seed: 4))
        }
        let (s0, k0) = try fresh()
        let whole = try ContinualRunner.run(
            s0, strategy: k0, seed: 4, runDirectory: dir.appendingPathComponent("whole"), checkpointEvery: 2)

        let (s1, k1) = try fresh()
        let stopped = try ContinualRunner.run(
            s1, strategy: k1, seed: 4, runDirectory: dir.appendingPathComponent("split"), checkpointEvery: 2,
            stopAt: (task, step))
        #expect(stopped == nil)
        let (s2, k2) = try fresh()
        let resumed = try ContinualRunner.run(
            s2, strategy: k2, seed: 4, runDirectory: dir.appendingPathComponent("split"), resume: true,
            checkpointEvery: 2)
        #expect(resumed.scores == whole.scores)
        #expect(resumed.losses == whole.losses)
        #expect(Self.bits(s2.model) == Self.bits(s0.model))
        let a = k0.stateTensors().mapValues(\.scalars), b = k2.stateTensors().mapValues(\.scalars)
        #expect(a == b)
    }

    @Test func aSavedRunOfAnotherStrategyIsNotResumed() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = try SyntheticScenarios.languageModel(steps: 2)
        _ = try ContinualRunner.run(scenario, strategy: NaiveStrategy(), seed: 1, runDirectory: dir, stopAt: (1, 1))
        let other = try SyntheticScenarios.languageModel(steps: 2)
        #expect(throws: ContinualError.self) {
            try ContinualRunner.run(
                other, strategy: try SIStrategy(lambda: 1), seed: 1, runDirectory: dir, resume: true)
        }
    }
}
