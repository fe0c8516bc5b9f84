import Dispatch
import Foundation
import Testing

@testable import KalamCore

/// Kalam's worker pool (`Parallel.perform` over `kalam_parallel_for`): every item runs exactly once,
/// nested loops run inline, and loops started from several threads at once all complete.
@Suite struct ParallelTests {
    /// Counts, per item, how often it ran (each item writes only its own slot).
    final class Counts: @unchecked Sendable {
        let slots: UnsafeMutablePointer<Int>
        let count: Int
        init(_ count: Int) {
            self.count = count
            slots = .allocate(capacity: count)
            slots.initialize(repeating: 0, count: count)
        }
        deinit { slots.deallocate() }
        var all: [Int] { Array(UnsafeBufferPointer(start: slots, count: count)) }
    }

    @Test(arguments: [1, 2, 3, 17, 1000])
    func everyItemRunsExactlyOnce(count: Int) {
        for _ in 0..<50 {  // many jobs back to back: workers spin, sleep and wake between them
            let counts = Counts(count)
            Parallel.perform(count) { counts.slots[$0] += 1 }
            #expect(counts.all == [Int](repeating: 1, count: count))
        }
    }

    @Test func aLoopInsideAnItemRunsInlineAndCompletes() {
        let outer = 8, inner = 33
        let counts = Counts(outer * inner)
        Parallel.perform(outer) { i in
            Parallel.perform(inner) { j in counts.slots[i * inner + j] += 1 }
        }
        #expect(counts.all == [Int](repeating: 1, count: outer * inner))
    }

    @Test func loopsStartedFromSeveralThreadsAtOnceAllComplete() {
        let submitters = 6, count = 257
        let counts = (0..<submitters).map { _ in Counts(count) }
        DispatchQueue.concurrentPerform(iterations: submitters) { s in
            for _ in 0..<20 { Parallel.perform(count) { counts[s].slots[$0] += 1 } }
        }
        for s in 0..<submitters { #expect(counts[s].all == [Int](repeating: 20, count: count)) }
    }

    @Test func forRangesCoversEveryIndexOnce() {
        let count = 100_003
        let counts = Counts(count)
        Parallel.forRanges(count, costPerItem: 100) { range in for i in range { counts.slots[i] += 1 } }
        #expect(counts.all == [Int](repeating: 1, count: count))
    }
}
