import Foundation
import KalamCore
import KalamModels
import KalamText
import KalamTraining

// kalam-crash: kills one `kalam pretrain` run with SIGKILL at random moments (start-up, steps,
// evaluation, checkpoint writes, the final save), resumes it with --resume each time, and at the end
// compares it with an uninterrupted run of the same seed: the final parameters, the optimizer state
// and the loss log must be bit-identical. After every kill each checkpoint folder must be complete
// (every file present and readable) or absent. Last, a damaged checkpoint must make --resume fail
// with one `Error:` line and leave every file as it was.
//
//   swift build -c release --product kalam --product kalam-crash
//   .build/release/kalam-crash --kalam .build/release/kalam --kills 50 [--seed 1] [--steps 400] [--out DIR]
#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

struct CrashError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func option(_ name: String, in args: [String]) -> String? {
    args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
}

/// Sentences written for the harness, made into a corpus of numbered paragraphs.
let crashSentences = [
    "The ferry left the island an hour late because of the fog.",
    "A tailor measured the coat twice and cut it once.",
    "Pigeons gathered on the steps of the museum every afternoon.",
    "The recipe called for a cup of rice and a pinch of saffron.",
    "Snow had closed the pass, so the letters arrived in spring.",
    "Her grandfather repaired clocks in a shop behind the station.",
    "The orchestra tuned while the last seats filled slowly.",
    "A lantern swung above the door of the mountain hut.",
    "They planted beans along the fence and tomatoes by the wall.",
    "The map showed a well where the village now keeps its school.",
]

/// One `kalam pretrain` invocation of the run under test.
struct Run {
    let kalam: URL
    let corpus: String, preset: String
    let steps: Int

    func arguments(out: URL, resume: Bool, steps: Int? = nil) -> [String] {
        [
            "pretrain", "--arch", "gpt2", "--corpus", corpus, "--preset", preset, "--tokenizer", "train:300",
            "--steps", "\(steps ?? self.steps)", "--out", out.path, "--batch-size", "8", "--eval-every", "7",
            "--eval-batches", "2", "--checkpoint-every", "3", "--keep-checkpoints", "2", "--log-every", "1",
            "--seed", "5",
        ] + (resume ? ["--resume"] : [])
    }

    /// Starts the run writing into `out`, its standard error into `log`.
    func start(out: URL, resume: Bool, log: URL, steps: Int? = nil) throws -> Process {
        let process = Process()
        process.executableURL = kalam
        process.arguments = arguments(out: out, resume: resume, steps: steps)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// Every file a complete checkpoint folder holds, each read back in full.
func checkComplete(_ folder: URL, step: Int) throws {
    func path(_ name: String) -> URL { folder.appendingPathComponent(name) }
    for name in ["model.safetensors", "optimizer.safetensors"] {
        let file = try SafeTensorsFile(contentsOf: path(name))
        for entry in file.entries where entry.dtype.isFloatReadable { _ = try file.floats(entry.name) }
    }
    let state = try Trainer.readState(from: folder)
    guard state.step == step else { throw CrashError("\(folder.path) holds the state of step \(state.step)") }
    _ = try GPT2Config.load(from: folder)
    _ = try TokenizerJSON.load(path("tokenizer.json"))
}

/// Checks that every checkpoint under `out` is complete; returns the newest step, or nil.
func checkCheckpoints(_ out: URL) throws -> Int? {
    let store = CheckpointStore(directory: out.appendingPathComponent("checkpoints"), keep: 1)
    for (step, url) in store.checkpoints() {
        do {
            try checkComplete(url, step: step)
        } catch {
            throw CrashError("incomplete checkpoint \(url.path): \(error)")
        }
    }
    return store.checkpoints().last?.step
}

/// A listing of every file under `root` with its bytes' FNV-1a hash.
func snapshot(_ root: URL) -> [String: UInt64] {
    var result: [String: UInt64] = [:]
    let base = root.standardizedFileURL.path
    for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) ?? .init() {
        guard let data = FileManager.default.contents(atPath: url.path) else { continue }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        result[String(url.standardizedFileURL.path.dropFirst(base.count))] = hash
    }
    return result
}

/// The loss log without what depends on the clock.
func timeless(_ log: URL) throws -> [MetricsRecord] {
    try MetricsLog.read(log).map { record in
        var r = record
        r.elapsed = nil
        r.tokensPerSecond = nil
        r.extra?["seconds"] = nil
        return r
    }
}

func sameBytes(_ a: URL, _ b: URL) -> Bool {
    guard let x = FileManager.default.contents(atPath: a.path), let y = FileManager.default.contents(atPath: b.path)
    else { return false }
    return x == y
}

/// Seconds from `started` until the log shows the first training step (nil when it never does).
func waitForExit(_ process: Process, log: URL, started: Date) -> Double? {
    var firstStep: Double?
    while process.isRunning {
        usleep(5_000)
        if firstStep == nil, let text = FileManager.default.contents(atPath: log.path),
            String(decoding: text, as: UTF8.self).contains("step 1/")
        {
            firstStep = Date().timeIntervalSince(started)
        }
    }
    process.waitUntilExit()
    return firstStep
}

func main() throws {
    let args = Array(CommandLine.arguments.dropFirst())
    guard let kalamPath = option("--kalam", in: args) else {
        throw CrashError("usage: kalam-crash --kalam PATH [--kills 50] [--seed 1] [--steps 400] [--out DIR]")
    }
    let kills = option("--kills", in: args).flatMap(Int.init) ?? 50
    let seed = option("--seed", in: args).flatMap(UInt64.init) ?? 1
    let steps = option("--steps", in: args).flatMap(Int.init) ?? 400
    let root = URL(fileURLWithPath: option("--out", in: args) ?? ".build/crash", isDirectory: true)
    let fm = FileManager.default
    try? fm.removeItem(at: root)
    try fm.createDirectory(at: root, withIntermediateDirectories: true)

    var paragraphs: [String] = []
    for round in 0..<12 {
        for (i, s) in crashSentences.enumerated() { paragraphs.append("\(s) Entry \(round * 10 + i).") }
    }
    let corpus = root.appendingPathComponent("corpus.txt"), preset = root.appendingPathComponent("preset.json")
    try Data(paragraphs.joined(separator: "\n\n").utf8).write(to: corpus)
    try GPT2Config(vocabSize: 300, nPositions: 32, nEmbd: 64, nLayer: 2, nHead: 2).jsonData().write(to: preset)
    let run = Run(kalam: URL(fileURLWithPath: kalamPath), corpus: corpus.path, preset: preset.path, steps: steps)

    // The uninterrupted run, which also gives the timings the kill moments are drawn from.
    let reference = root.appendingPathComponent("reference", isDirectory: true)
    let t0 = Date()
    let referenceLog = root.appendingPathComponent("reference.log")
    let process = try run.start(out: reference, resume: false, log: referenceLog)
    let firstStep = waitForExit(process, log: referenceLog, started: t0) ?? 0
    let total = Date().timeIntervalSince(t0)
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
        throw CrashError("the uninterrupted run failed; see \(referenceLog.path)")
    }
    let perStep = max(total - firstStep, 0.01) / Double(steps)
    print(
        String(
            format: "kalam-crash: uninterrupted run of %d steps in %.1f s (start-up %.2f s, %.1f ms a step)", steps,
            total, firstStep, perStep * 1000))

    let crashed = root.appendingPathComponent("crashed", isDirectory: true)
    try killAndResume(
        run, out: crashed, logs: root, kills: kills, seed: seed, timing: (firstStep: firstStep, perStep: perStep))
    try compare(reference, crashed, steps: steps)
    try resumeFromDamagedCheckpoint(run, out: crashed, logs: root, steps: steps)
}

/// Starts the run (resuming when a checkpoint exists), kills it at a random moment, checks every
/// checkpoint, and repeats until `kills` kills; then lets it finish.
func killAndResume(
    _ run: Run, out crashed: URL, logs root: URL, kills: Int, seed: UInt64, timing: (firstStep: Double, perStep: Double)
) throws {
    let fm = FileManager.default
    let steps = run.steps
    var rng = KalamRandom(seed: seed)
    var phases: [String: Int] = [:]
    var killed = 0, attempts = 0
    let killStarted = Date()
    while true {
        attempts += 1
        let newest = try checkCheckpoints(crashed)
        let log = root.appendingPathComponent("attempt-\(attempts).log")
        let started = Date()
        let child = try run.start(out: crashed, resume: newest != nil, log: log)
        if killed < kills {
            // Up to 20% of kills fall in start-up; the rest spread over what remains of the run.
            let remaining = Double(steps - (newest ?? 0)) * timing.perStep
            let window = 1.6 * remaining / Double(kills - killed)
            let delay = max(0, timing.firstStep + (Double(rng.nextFloat()) * 1.2 - 0.2) * max(window, 0.05))
            while child.isRunning, Date().timeIntervalSince(started) < delay { usleep(1_000) }
            if child.isRunning {
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
                killed += 1
                let names =
                    (try? fm.contentsOfDirectory(atPath: crashed.appendingPathComponent("checkpoints").path)) ?? []
                let text = String(decoding: fm.contents(atPath: log.path) ?? Data(), as: UTF8.self)
                let phase =
                    names.contains { $0.hasPrefix(".") }
                    ? "checkpoint write"
                    : !text.contains("step 1/") && !text.contains("step \((newest ?? 0) + 1)/")
                        ? "start-up"
                        : text.contains("step \(steps)/") ? "after the last step" : "steps and evaluation"
                phases[phase, default: 0] += 1
                continue
            }
        }
        child.waitUntilExit()
        guard child.terminationReason == .exit, child.terminationStatus == 0 else {
            throw CrashError("attempt \(attempts) failed (status \(child.terminationStatus)); see \(log.path)")
        }
        break
    }
    _ = try checkCheckpoints(crashed)
    guard killed >= kills else {
        throw CrashError("the run finished after \(killed) of \(kills) kills; give it more --steps")
    }
    print(
        String(
            format: "%d kills over %d attempts in %.1f s: %@", killed, attempts, Date().timeIntervalSince(killStarted),
            phases.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))
}

/// The final parameters, optimizer state and loss log of both runs must be the same bytes.
func compare(_ reference: URL, _ crashed: URL, steps: Int) throws {
    let last = CheckpointStore.name(step: steps)
    var differences: [String] = []
    for file in [
        "model.safetensors", "checkpoints/\(last)/model.safetensors", "checkpoints/\(last)/optimizer.safetensors",
    ]
    where !sameBytes(reference.appendingPathComponent(file), crashed.appendingPathComponent(file)) {
        differences.append(file)
    }
    let referenceRecords = try timeless(reference.appendingPathComponent("metrics.jsonl"))
    let crashedRecords = try timeless(crashed.appendingPathComponent("metrics.jsonl"))
    if referenceRecords != crashedRecords { differences.append("metrics.jsonl") }
    guard differences.isEmpty else {
        throw CrashError("the resumed run differs from the uninterrupted one in \(differences.joined(separator: ", "))")
    }
    print(
        "final parameters, optimizer state and \(crashedRecords.count) log records are bit-identical to the uninterrupted run"
    )
}

/// A damaged newest checkpoint: --resume must fail with one error line and touch nothing.
func resumeFromDamagedCheckpoint(_ run: Run, out crashed: URL, logs root: URL, steps: Int) throws {
    let last = CheckpointStore.name(step: steps)
    let newest = crashed.appendingPathComponent("checkpoints/\(last)/model.safetensors")
    let bytes = try Data(contentsOf: newest)
    try bytes.prefix(bytes.count / 2).write(to: newest)
    let before = snapshot(crashed)
    let damagedLog = root.appendingPathComponent("damaged.log")
    let damaged = try run.start(out: crashed, resume: true, log: damagedLog, steps: steps + 6)
    damaged.waitUntilExit()
    let message = String(decoding: FileManager.default.contents(atPath: damagedLog.path) ?? Data(), as: UTF8.self)
    let lines = message.split(separator: "\n")
    guard damaged.terminationStatus != 0, damaged.terminationReason == .exit, lines.count == 1,
        lines[0].hasPrefix("Error: "), lines[0].contains(last)
    else {
        throw CrashError("resuming from a damaged checkpoint did not fail with one Error: line: \(message)")
    }
    guard snapshot(crashed) == before else { throw CrashError("resuming from a damaged checkpoint changed files") }
    print("a damaged checkpoint is reported and every file is left as it was: \(lines[0])")
}

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("kalam-crash: \(error)\n".utf8))
    exit(1)
}
