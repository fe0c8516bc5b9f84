import Foundation
import KalamFiles

/// How much the lab computes: `quick` is a smoke test of every experiment (minutes; verdicts may well
/// be inconclusive), `standard` the default (≤ 2 hours on a 2-core machine), `full` larger data and
/// longer training.
public enum LabBudget: String, CaseIterable, Sendable, Codable {
    case quick, standard, full
}

/// What `kalam lab` runs.
public struct LabOptions: Sendable {
    public var budget: LabBudget = .standard
    /// The seeds every experiment runs (at least 3 for a verdict to be possible).
    public var seeds: [UInt64] = [0, 1, 2]
    /// The experiments to run (nil: all), by id ("E1" … "E6").
    public var only: [String]?
    /// Where results, the report and the finished cells go.
    public var out: URL

    public init(out: URL) { self.out = out }
}

/// An experiment: a grid of cells and the verdicts of its claims.
protocol LabExperiment {
    var id: String { get }
    var title: String { get }
    var question: String { get }
    /// Runs the cells (through `lab.cell`, so finished ones are reused) and judges the claims.
    func run(_ lab: LabContext) throws -> ExperimentOutcome
}

/// What an experiment produced.
struct ExperimentOutcome {
    var cells: [CellRecord]
    var claims: [ClaimResult]
    var section: ReportSection
}

/// The results of a lab run, as `results.json` holds them.
public struct LabResults: Codable, Sendable, Equatable {
    public struct ExperimentRecord: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        public var seeds: [UInt64]
        public var cells: [CellRecord]
        public var seconds: Double
    }

    public var claims: [ClaimResult]
    public var experiments: [ExperimentRecord]
    public var budget: LabBudget
    public var machine: String
    public var kalamVersion: String
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case claims, experiments, budget, machine, seconds
        case kalamVersion = "kalam_version"
    }
}

/// Errors of the lab's own options.
public enum LabError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownExperiment(name: String, known: [String])
    case tooFewSeeds(count: Int)
    case duplicateSeeds([UInt64])

    public var description: String {
        switch self {
        case .unknownExperiment(let name, let known):
            return "unknown experiment '\(name)'; known: \(known.joined(separator: ", "))"
        case .tooFewSeeds(let count):
            return "the lab needs at least 3 seeds for a verdict; got \(count)"
        case .duplicateSeeds(let seeds):
            return "seeds must differ; got \(seeds.map(String.init).joined(separator: ", "))"
        }
    }
}

/// What every experiment sees while it runs: the options, the cell cache, progress with an ETA.
final class LabContext {
    let budget: LabBudget
    let seeds: [UInt64]
    let out: URL
    let cache: CellCache
    let log: (String) -> Void
    private var experiment = ""
    private var started = Date()
    private var planned = 0
    private var done = 0

    init(options: LabOptions, log: @escaping (String) -> Void) {
        budget = options.budget
        seeds = options.seeds
        out = options.out
        cache = CellCache(
            folder: options.out.appendingPathComponent("cells", isDirectory: true), version: Lab.cacheVersion)
        self.log = log
    }

    /// A folder for files a cell keeps (a pretrained model that later cells fine-tune).
    func folder(_ name: String) -> URL { out.appendingPathComponent("models/\(name)", isDirectory: true) }

    func begin(_ experiment: String, cells: Int) {
        self.experiment = experiment
        started = Date()
        planned = cells
        done = 0
    }

    /// The cell for `config`: from the cache when it was finished before, else computed by `body` (which
    /// fills in the measures) and stored.
    func cell(
        _ experiment: String, _ config: [String: String], body: (inout CellRecord) throws -> Void
    ) throws -> CellRecord {
        var config = config
        config["budget"] = budget.rawValue
        if let cached = cache.load(experiment, config) {
            tick(config, cached: true)
            return cached
        }
        var record = CellRecord(experiment: experiment, config: config)
        let start = Date()
        try body(&record)
        record.timings["cell_seconds"] = Date().timeIntervalSince(start)
        try cache.store(record)
        tick(config, cached: false)
        return record
    }

    private func tick(_ config: [String: String], cached: Bool) {
        done += 1
        let elapsed = Date().timeIntervalSince(started)
        let remaining = planned > done ? elapsed / Double(done) * Double(planned - done) : 0
        let name = config.keys.sorted().filter { $0 != "budget" }.map { "\($0)=\(config[$0] ?? "")" }
            .joined(separator: " ")
        log(
            String(
                format: "%@ cell %d/%d%@ %@ (%.0f s, ETA %.0f s)", experiment, done, max(planned, done),
                cached ? " (cached)" : "", name, elapsed, remaining))
    }
}

/// `kalam lab`: runs the experiments, judges every claim of the brief and writes `results.json`,
/// `report.md` and `report.html`.
public enum Lab {
    /// Kalam's version, recorded in the results.
    public static let version = "0.1.0"
    /// Part of every cell's cache key: bumped whenever an experiment's cells change meaning, so no stale
    /// cell is reused.
    static let cellRevision = 1
    static var cacheVersion: String { "\(version)/cells-\(cellRevision)" }

    static let experiments: [LabExperiment] = [
        InitialisationExperiment(), ForgettingExperiment(), TransferExperiment(), MaskingExperiment(),
        ArchitectureExperiment(), DecodingExperiment(),
    ]

    /// The experiment ids, in order.
    public static var experimentIds: [String] { experiments.map(\.id) }

    /// Runs the lab and writes its files into `options.out`.
    /// - Parameter log: progress lines (one per cell, with an ETA).
    /// - Throws: ``LabError`` for bad options; the errors of training and data loading (missing corpora
    ///   name the `kalam data install` command).
    @discardableResult
    public static func run(_ options: LabOptions, log: @escaping (String) -> Void = { _ in }) throws -> LabResults {
        guard options.seeds.count >= 3 else { throw LabError.tooFewSeeds(count: options.seeds.count) }
        guard Set(options.seeds).count == options.seeds.count else { throw LabError.duplicateSeeds(options.seeds) }
        let chosen = try select(options.only)
        let lab = LabContext(options: options, log: log)
        let started = Date()
        var claims: [ClaimResult] = []
        var records: [LabResults.ExperimentRecord] = []
        var sections: [ReportSection] = []
        for experiment in chosen {
            log("\(experiment.id): \(experiment.title)")
            let start = Date()
            var outcome = try experiment.run(lab)
            let seconds = Date().timeIntervalSince(start)
            outcome.section.seconds = seconds
            log(String(format: "%@ done in %.1f s", experiment.id, seconds))
            claims += outcome.claims
            sections.append(outcome.section)
            records.append(
                .init(
                    id: experiment.id, title: experiment.title, seeds: options.seeds, cells: outcome.cells,
                    seconds: seconds))
        }
        let order = Dictionary(uniqueKeysWithValues: LabClaims.all.enumerated().map { ($0.element.id, $0.offset) })
        claims.sort { (order[$0.id] ?? 0) < (order[$1.id] ?? 0) }
        let results = LabResults(
            claims: claims, experiments: records, budget: options.budget, machine: machineDescription(),
            kalamVersion: version, seconds: Date().timeIntervalSince(started))
        try write(results, sections: sections, to: options.out)
        return results
    }

    static func select(_ only: [String]?) throws -> [LabExperiment] {
        guard let only else { return experiments }
        return try only.map { name in
            guard let found = experiments.first(where: { $0.id.lowercased() == name.lowercased() }) else {
                throw LabError.unknownExperiment(name: name, known: experimentIds)
            }
            return found
        }
    }

    /// Writes `results.json`, `report.md` and `report.html` (each atomically).
    static func write(_ results: LabResults, sections: [ReportSection], to out: URL) throws {
        try AtomicFile.createFolder(out)
        let encoder = CellCache.encoder
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(results), to: out.appendingPathComponent("results.json"))
        var report = LabReport(
            title: "Kalam lab: what the brief's claims measure", machine: results.machine,
            kalamVersion: results.kalamVersion, seconds: results.seconds,
            seeds: results.experiments.first?.seeds ?? [],
            verdicts: results.claims.map {
                ReportVerdictRow(
                    id: $0.id, claim: $0.claim, experiment: $0.experiment, verdict: $0.verdict,
                    evidence: $0.evidence.sentence, rule: $0.rule == VerdictRule.allComparisons ? "" : $0.rule)
            },
            sections: sections,
            notes: [
                "Budget \(results.budget.rawValue). Every number is a mean over the seeds listed; intervals are paired 95% t-intervals over seeds. Times vary between runs and machines; every other number repeats exactly for the same seeds.",
                "A verdict follows from its rule on the numbers shown; no rule or setting was tuned toward the brief's or the literature's answer.",
            ])
        report.verdictRule = VerdictRule.allComparisons
        try AtomicFile.write(Data(ReportRenderer.markdown(report).utf8), to: out.appendingPathComponent("report.md"))
        try AtomicFile.write(Data(ReportRenderer.html(report).utf8), to: out.appendingPathComponent("report.html"))
    }

    /// The CPU model, core count and memory.
    static func machineDescription() -> String {
        var model = "unknown CPU"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let colon = line.firstIndex(of: ":")
        {
            model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let gib = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        return String(format: "%@, %d cores, %.0f GiB", model, ProcessInfo.processInfo.activeProcessorCount, gib)
    }
}
