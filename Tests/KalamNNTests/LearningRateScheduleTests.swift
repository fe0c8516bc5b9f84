import Foundation
import KalamNN
import Testing

@Suite struct LearningRateScheduleTests {
    /// transformers' lr_lambda(k) · peak for k = 0...10 (scripts/fixtures/optim.py).
    @Test func matchesTransformers() throws {
        let s = try OptimFixture.load().schedules
        let cosine = WarmupCosineSchedule(peak: s.peak, warmupSteps: s.warmup, totalSteps: s.total)
        let floor = WarmupCosineSchedule(peak: s.peak, warmupSteps: s.warmup, totalSteps: s.total, minRatio: 0.1)
        let linear = WarmupLinearSchedule(peak: s.peak, warmupSteps: s.warmup, totalSteps: s.total)
        for step in 0...s.total {
            #expect(abs(Double(cosine.learningRate(at: step)) - s.cosine[step]) < 1e-6, "cosine step \(step)")
            #expect(abs(Double(floor.learningRate(at: step)) - s.cosineMin[step]) < 1e-6, "floor step \(step)")
            #expect(abs(Double(linear.learningRate(at: step)) - s.linear[step]) < 1e-6, "linear step \(step)")
        }
        // Past the end: linear stays at 0 like transformers; the cosine stays at its floor (transformers
        // would rise again: 0.099 at step 11).
        #expect(linear.learningRate(at: 12) == 0)
        #expect(cosine.learningRate(at: 11) == 0)
        #expect(abs(floor.learningRate(at: 12) - 0.2) < 1e-7)
        #expect(s.cosine[11] > 0.09)
    }

    @Test func linearFloorAndConstant() {
        let s = WarmupLinearSchedule(peak: 1, warmupSteps: 0, totalSteps: 4, minRatio: 0.2)
        #expect([0, 2, 4, 9].map { s.learningRate(at: $0) } == [1, 0.6, 0.2, 0.2])
        #expect(ConstantSchedule(3e-4).learningRate(at: 12345) == 3e-4)
    }
}
