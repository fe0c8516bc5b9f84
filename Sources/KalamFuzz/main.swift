import Foundation

// kalam-fuzz: feeds mutated inputs to every file reader Kalam has (safetensors, config.json of each
// family, tokenizer.json, adapter_config.json, trainer state, tagger weights, corpus files) and reports
// every input that crashes a reader, hangs it (> 5 s) or makes it use more than 1 GiB. Each input must
// give a value or a typed error. Run from the repository root (it reads Tests/Fixtures):
//
//   swift build -c release --product kalam-fuzz
//   .build/release/kalam-fuzz --count 100000 [--targets safetensors,config-bert] [--seed 1] [--out DIR]
//
// Readers run in worker processes (this executable with --worker), so a crash or a hang ends a worker,
// not the run: the driver rebuilds the failing input from (seed, index), saves it under --out, and
// starts a new worker after it.
#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Three counters shared between a worker and the driver through a mapped file: the index of the
/// input being read, the inputs read to a value, the inputs refused with an error.
final class SharedProgress {
    private let pointer: UnsafeMutableRawPointer
    private static let size = 24

    init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0, ftruncate(fd, off_t(Self.size)) == 0 else { throw FuzzError("cannot open \(path)") }
        guard let p = mmap(nil, Self.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw FuzzError("cannot map \(path)")
        }
        close(fd)
        pointer = p
    }

    subscript(slot: Int) -> Int64 {
        get { pointer.load(fromByteOffset: slot * 8, as: Int64.self) }
        set { pointer.storeBytes(of: newValue, toByteOffset: slot * 8, as: Int64.self) }
    }

    func reset(index: Int) {
        self[0] = Int64(index)
        self[1] = 0
        self[2] = 0
    }
}

struct FuzzError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let memoryLimitKB = 1 << 20  // 1 GiB of resident memory
let hangSeconds = 5.0

func option(_ name: String, in args: [String]) -> String? {
    args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
}

/// The worker: reads inputs `start..<end` of one target, publishing progress before each.
func work(_ args: [String]) throws -> Never {
    guard let name = option("--worker", in: args), let seed = option("--seed", in: args).flatMap(UInt64.init),
        let start = option("--start", in: args).flatMap(Int.init),
        let end = option("--end", in: args).flatMap(Int.init),
        let progressPath = option("--progress", in: args), let fixtures = option("--fixtures", in: args)
    else { throw FuzzError("worker: missing arguments") }
    // A reader that asks for far more memory fails its allocation here instead of taking the machine.
    var limit = rlimit(rlim_cur: 4 << 30, rlim_max: 4 << 30)
    _ = withUnsafePointer(to: &limit) { setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), $0) }
    let targets = try FuzzTargets.all(fixtures: URL(fileURLWithPath: fixtures, isDirectory: true))
    guard let target = targets.first(where: { $0.name == name }) else { throw FuzzError("no target \(name)") }
    let progress = try SharedProgress(path: progressPath)
    let scratch = try Scratch()
    let mutator = Mutator(target: target, seed: seed)
    var usage = rusage()
    for index in start..<end {
        progress[0] = Int64(index)
        let input = mutator.input(index)
        do {
            try target.read(input, scratch)
            progress[1] += 1
        } catch {
            progress[2] += 1
        }
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        if usage.ru_maxrss > memoryLimitKB { exit(3) }
    }
    progress[0] = Int64(end)
    exit(0)
}

/// One failure: the target, the input's index, what happened, where the input was saved.
struct Failure {
    let target: String, index: Int, kind: String, saved: String
}

/// The driver: every target `count` inputs, in workers restarted after each failure.
func drive(_ args: [String]) throws {
    let count = option("--count", in: args).flatMap(Int.init) ?? 10_000
    let seed = option("--seed", in: args).flatMap(UInt64.init) ?? 1
    let fixtures = option("--fixtures", in: args) ?? "Tests/Fixtures"
    let out = URL(fileURLWithPath: option("--out", in: args) ?? ".build/fuzz", isDirectory: true)
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let all = try FuzzTargets.all(fixtures: URL(fileURLWithPath: fixtures, isDirectory: true))
    let chosen = option("--targets", in: args).map { $0.split(separator: ",").map(String.init) } ?? all.map(\.name)
    for name in chosen where !all.contains(where: { $0.name == name }) {
        throw FuzzError("unknown target \(name); the targets are \(all.map(\.name).joined(separator: ", "))")
    }
    let progressPath = out.appendingPathComponent("progress-\(getpid())").path
    let progress = try SharedProgress(path: progressPath)
    defer { try? FileManager.default.removeItem(atPath: progressPath) }
    var failures: [Failure] = []
    var total = 0
    let started = Date()
    print("kalam-fuzz: \(count) inputs per target, seed \(seed), failures saved under \(out.path)")
    for target in all where chosen.contains(target.name) {
        let t0 = Date()
        var next = 0, values = 0, errors = 0
        while next < count {
            progress.reset(index: next)
            let worker = Process()
            worker.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            worker.arguments = [
                "--worker", target.name, "--seed", "\(seed)", "--start", "\(next)", "--end", "\(count)",
                "--progress", progressPath, "--fixtures", fixtures,
            ]
            worker.standardOutput = FileHandle.nullDevice
            worker.standardError = FileHandle.nullDevice
            try worker.run()
            var seen = Int64(next), since = Date(), hung = false
            while worker.isRunning {
                usleep(50_000)
                let now = progress[0]
                if now != seen {
                    (seen, since) = (now, Date())
                } else if Date().timeIntervalSince(since) > hangSeconds {
                    kill(worker.processIdentifier, SIGKILL)
                    hung = true
                }
            }
            worker.waitUntilExit()
            values += Int(progress[1])
            errors += Int(progress[2])
            let reached = Int(progress[0])
            if worker.terminationReason == .exit && worker.terminationStatus == 0 { break }
            let kind =
                hung
                ? "hang"
                : worker.terminationStatus == 3 && worker.terminationReason == .exit
                    ? "memory"
                    : "crash (\(worker.terminationReason == .uncaughtSignal ? "signal" : "exit") \(worker.terminationStatus))"
            let file = out.appendingPathComponent("\(target.name)-\(seed)-\(reached).bin")
            try Mutator(target: target, seed: seed).input(reached).write(to: file)
            failures.append(Failure(target: target.name, index: reached, kind: kind, saved: file.path))
            print("  FAILURE \(target.name) input \(reached): \(kind), saved to \(file.path)")
            next = reached + 1
        }
        total += count
        let seconds = Date().timeIntervalSince(t0)
        let mine = failures.filter { $0.target == target.name }.count
        print(
            String(
                format: "%-20@ %8d inputs: %8d values, %8d errors, %d failures (%.1f s)", target.name as NSString,
                count,
                values, errors, mine, seconds))
    }
    print(
        String(
            format: "%d inputs over %d targets in %.1f s; %d failures", total, chosen.count,
            Date().timeIntervalSince(started), failures.count))
    if !failures.isEmpty { exit(1) }
}

do {
    let args = Array(CommandLine.arguments.dropFirst())
    if args.contains("--worker") { try work(args) }
    try drive(args)
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(2)
}
