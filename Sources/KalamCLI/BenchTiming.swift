import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The timing loops of `kalam bench`, written to time exactly as `Benchmarks/baseline/pytorch_bench.py`
/// does, so that the two sides of a ratio are measured alike.
enum BenchTiming {
    /// Seconds since an arbitrary start, from the monotonic clock.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The wall seconds `body` takes.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = now()
        try body()
        return now() - start
    }

    /// pytorch_bench.py's `time_train`: `warmup` steps, the last of them timed, then `repeats` runs of
    /// `k` steps each, where `k` is `steps` when it is positive and otherwise the number of steps that
    /// fill `targetSeconds` at the speed of the last warm-up step (between 1 and `maxSteps`; 1 when there
    /// was no warm-up). Each run's value is `unitsPerStep · k` divided by its wall time.
    static func steps(
        warmup: Int, repeats: Int, steps: Int, targetSeconds: Double, maxSteps: Int = 200, unitsPerStep: Int,
        _ step: () throws -> Void
    ) rethrows -> (runs: [Double], stepsPerRun: Int) {
        var last = 0.0
        for _ in 0..<warmup { last = try seconds(step) }
        let k: Int
        if steps > 0 {
            k = steps
        } else if warmup > 0 {
            k = max(1, min(maxSteps, Int((targetSeconds / max(last, 1e-6)).rounded())))
        } else {
            k = 1
        }
        var runs: [Double] = []
        for _ in 0..<repeats {
            let elapsed = try seconds { for _ in 0..<k { try step() } }
            runs.append(Double(unitsPerStep * k) / max(elapsed, 1e-9))
        }
        return (runs, k)
    }

    /// pytorch_bench.py's `time_calls`: `warmup` untimed calls, then `repeats` timed calls; each run's
    /// value is `unitsPerCall` divided by the call's wall time.
    static func calls(warmup: Int, repeats: Int, unitsPerCall: Int, _ call: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<warmup { try call() }
        var runs: [Double] = []
        for _ in 0..<repeats {
            let elapsed = try seconds(call)
            runs.append(Double(unitsPerCall) / max(elapsed, 1e-9))
        }
        return runs
    }

    /// pytorch_bench.py's sgemm loop: the number of calls per run is doubled until a run takes at least
    /// half of `runSeconds`, then scaled to fill it; `repeats` runs follow, each valued at
    /// `unitsPerCall · calls` divided by its wall time.
    static func calibratedCalls(
        repeats: Int, runSeconds: Double, unitsPerCall: Double, _ call: () throws -> Void
    ) rethrows -> (runs: [Double], callsPerRun: Int) {
        for _ in 0..<3 { try call() }
        var count = 1
        var elapsed = 0.0
        while true {
            elapsed = try seconds { for _ in 0..<count { try call() } }
            if elapsed >= runSeconds / 2 || count >= 1 << 16 { break }
            count *= 2
        }
        count = max(1, Int((Double(count) * runSeconds / max(elapsed, 1e-9)).rounded()))
        var runs: [Double] = []
        for _ in 0..<repeats {
            let t = try seconds { for _ in 0..<count { try call() } }
            runs.append(unitsPerCall * Double(count) / max(t, 1e-9))
        }
        return (runs, count)
    }

    /// The median (the mean of the two middle values for an even count; NaN when empty).
    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// What `kalam bench` records about the machine with every figure.
enum BenchMachine {
    /// The 1, 5 and 15 minute load averages (empty where the system does not tell).
    static func loadAverage() -> [Double] {
        var values = [Double](repeating: 0, count: 3)
        let n = values.withUnsafeMutableBufferPointer { getloadavg($0.baseAddress!, 3) }
        return n == 3 ? values : []
    }

    /// This process's peak resident memory in MB (`ru_maxrss`).
    static func peakResidentMB() -> Double {
        var usage = rusage()
        #if canImport(Darwin)
            getrusage(RUSAGE_SELF, &usage)
            return Double(usage.ru_maxrss) / 1_048_576  // bytes on macOS
        #else
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_maxrss) / 1024  // KiB on Linux
        #endif
    }

    /// CPU seconds used by this process so far (user and system, all threads).
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// `OPENBLAS_CORETYPE` as the process found it: recorded, never set, since it changes the BLAS
    /// kernels OpenBLAS picks.
    static var openBLASCoreType: String? { ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] }
}
