import CKalamKernels
import Dispatch
import Foundation

/// Splitting work over the machine's cores.
///
/// Work is split over Kalam's worker pool (`kalam_parallel_for` in CKalamKernels: workers spin a few
/// tens of microseconds after a job before they sleep, so back-to-back products do not each pay a
/// thread wake-up) only when it is large enough to pay for the hand-off; smaller loops run inline.
public enum Parallel {
    /// The number of worker threads used by `forEach` (defaults to the active processor count;
    /// `KALAM_THREADS` overrides it).
    nonisolated(unsafe) public static var threads: Int = {
        if let s = ProcessInfo.processInfo.environment["KALAM_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Calls `body(i)` for every `i` in `0..<count`, in parallel when `count * costPerItem` (in
    /// floating-point operations, roughly) is large enough.
    @inlinable
    public static func forEach(_ count: Int, costPerItem: Int, _ body: (Int) -> Void) {
        let total = count &* costPerItem
        if threads <= 1 || count <= 1 || total < 200_000 {
            for i in 0..<count { body(i) }
            return
        }
        perform(count, body)
    }

    /// Calls `body(i)` for every `i` in `0..<count` on up to ``threads`` threads of the pool (the caller's
    /// included), whatever the size of the work; inline when called from inside another item.
    public static func perform(_ count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { item in
            var item = item
            withUnsafeMutablePointer(to: &item) { pointer in
                kalam_parallel_for(
                    count, Int32(clamping: threads),
                    { context, index in
                        context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
                    }, pointer)
            }
        }
    }

    /// Splits `0..<count` into about one range per thread and calls `body` on each, in parallel when the
    /// total work is large enough.
    @inlinable
    public static func forRanges(_ count: Int, costPerItem: Int, _ body: (Range<Int>) -> Void) {
        let total = count &* costPerItem
        let chunks = min(threads, count)
        if chunks <= 1 || total < 200_000 {
            if count > 0 { body(0..<count) }
            return
        }
        perform(chunks) { c in
            let lo = c * count / chunks, hi = (c + 1) * count / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}
