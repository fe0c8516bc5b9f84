import Foundation
import KalamCore
import KalamGeneration
import KalamModels
import KalamText

/// E6: every decoding method on the GPT-2 E5 pretrains (one per seed), continuing the opening tokens of
/// BBC News test articles, scored by the model's own likelihood and by diversity and repetition.
struct DecodingExperiment: LabExperiment {
    let id = "E6"
    let title = "Decoding: most likely vs sampled"
    let question =
        "Does decoding by highest probability give the most likely text, and does sampling give varied text — at what cost in likelihood?"

    struct Method {
        var name: String
        var parameters: GenerationParameters
    }

    static func methods(newTokens: Int) -> [Method] {
        func make(_ name: String, _ body: (inout GenerationParameters) -> Void) -> Method {
            var p = GenerationParameters()
            p.maxNewTokens = newTokens
            p.eosTokenIds = []
            body(&p)
            return Method(name: name, parameters: p)
        }
        return [
            make("greedy") { $0.strategy = .greedy },
            make("beam 4") {
                $0.strategy = .beam
                $0.numBeams = 4
            },
            make("beam 8") {
                $0.strategy = .beam
                $0.numBeams = 8
            },
            make("sampling") { $0.strategy = .sample },
            make("temperature 0.7") {
                $0.strategy = .sample
                $0.temperature = 0.7
            },
            make("top-k 40") {
                $0.strategy = .sample
                $0.topK = 40
            },
            make("top-p 0.9") {
                $0.strategy = .sample
                $0.topP = 0.9
            },
            make("typical 0.9") {
                $0.strategy = .sample
                $0.typicalP = 0.9
            },
            make("min-p 0.1") {
                $0.strategy = .sample
                $0.minP = 0.1
            },
        ]
    }

    static func sizes(_ budget: LabBudget) -> (prompts: Int, promptTokens: Int, newTokens: Int) {
        switch budget {
        case .quick: return (8, 8, 20)
        case .standard: return (24, 8, 40)
        case .full: return (48, 8, 60)
        }
    }

    func run(_ lab: LabContext) throws -> ExperimentOutcome {
        let shape = PretrainShape.lab(lab.budget)
        let sizes = Self.sizes(lab.budget)
        let methods = Self.methods(newTokens: sizes.newTokens)
        lab.begin(id, cells: 2 * lab.seeds.count)
        var cells: [CellRecord] = []
        var runs: [CellRecord] = []
        for seed in lab.seeds {
            let (pretrained, folder) = try Pretraining.run(lab, PretrainSetup(arch: "gpt2", shape: shape, seed: seed))
            cells.append(pretrained)
            let config = [
                "model": FineTuneSetup.modelKey(folder),
                "seed": "\(seed)", "prompts": "\(sizes.prompts)", "prompt_tokens": "\(sizes.promptTokens)",
                "new_tokens": "\(sizes.newTokens)",
            ]
            let record = try lab.cell(id, config) { record in
                try Self.decode(folder: folder, methods: methods, sizes: sizes, seed: seed, into: &record)
            }
            runs.append(record)
            cells.append(record)
        }
        func v(_ method: String, _ measure: String) -> [Double] { runs.map { $0.value("\(method)/\(measure)") } }
        let samplers = methods.filter { $0.parameters.strategy == .sample }.map(\.name)
        var claims: [ClaimResult] = []
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C6.1"),
                comparisons: samplers.map { name in
                    Comparison("greedy − \(name), log-likelihood per token", v("greedy", "loglik"), v(name, "loglik"))
                } + [
                    Comparison(
                        "greedy − beam 8, log-likelihood per token (greedy's sequence the most likely?)",
                        v("greedy", "loglik"), v("beam 8", "loglik"))
                ],
                lead:
                    "Mean log-probability per generated token under the model (no temperature), over \(sizes.prompts) prompts of \(sizes.promptTokens) tokens continued by \(sizes.newTokens):"
            ))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C6.2"),
                comparisons: samplers.map { name in
                    Comparison("\(name) − greedy, distinct-2", v(name, "distinct2"), v("greedy", "distinct2"))
                },
                lead: "Distinct bigrams among all continuations (higher: more varied):"))
        claims.append(
            VerdictRule.judge(
                LabClaims.claim("C6.3"),
                comparisons: [
                    Comparison(
                        "share of prompts where beam 4's continuation differs from greedy's", v("beam 4", "differs"),
                        v("beam 4", "differs").map { _ in 0 }),
                    Comparison(
                        "beam 4 − greedy, log-likelihood per token", v("beam 4", "loglik"), v("greedy", "loglik")),
                ],
                lead:
                    "Keeping several best partial sequences and extending each (beam search) is a different method from taking the single best token (greedy) if it gives other, likelier continuations:"
            ))

        let measures = ["loglik", "distinct1", "distinct2", "distinct3", "self_bleu", "repeat4", "length"]
        var table = ReportTable(
            header: [
                "method", "log-lik/token", "distinct-1", "distinct-2", "distinct-3", "self-BLEU", "repeated 4-grams",
                "length",
            ],
            rows: [])
        for method in methods {
            table.rows.append([method.name] + measures.map { Summary.cell(v(method.name, $0)) })
        }
        let scatter = ChartSeries(
            name: "decoders",
            points: methods.map { m in
                ChartPoint(
                    x: LabStatistics.mean(v(m.name, "distinct2")), y: LabStatistics.mean(v(m.name, "loglik")), low: nil,
                    high: nil, label: m.name)
            })
        let examples = methods.map { m in
            ReportExample(
                title: "\(m.name) (seed \(lab.seeds.first ?? 0))",
                text: (runs.first?.texts["\(m.name)/examples"] ?? []).joined(separator: "\n\n"))
        }
        let section = ReportSection(
            id: id, title: "\(id): \(title)", question: question,
            setup:
                "The GPT-2 of E5 (\(shape.layers) layers, width \(shape.width), pretrained on BBC News training articles; one per seed) continues the first \(sizes.promptTokens) tokens of \(sizes.prompts) BBC News test articles by \(sizes.newTokens) tokens, with no end-of-text stop so every method writes the same length. Likelihood is the model's own mean log-probability per generated token; distinct-n the share of unique n-grams among all continuations; self-BLEU the mean BLEU-4 of each continuation against the others; repeated 4-grams the share of a continuation's 4-grams already in it. Sampling seeds follow the run's seed.",
            charts: [
                Summary.scatter(
                    "Likelihood vs diversity per decoder", x: "distinct-2", y: "log-likelihood per token",
                    series: [scatter], note: "Means over seeds. Up: likelier text; right: more varied text.")
            ],
            tables: [table],
            paragraphs: Summary.paragraphs(claims)
                + [
                    "The brief's first method — keep a set of the best next tokens and extend each of them — is beam search; greedy decoding keeps only the single best token at each step."
                ],
            examples: examples, seconds: 0)
        return ExperimentOutcome(cells: cells, claims: claims, section: section)
    }

    /// Decodes every prompt with every method and records the measures as `"<method>/<measure>"`.
    static func decode(
        folder: URL, methods: [Method], sizes: (prompts: Int, promptTokens: Int, newTokens: Int), seed: UInt64,
        into record: inout CellRecord
    ) throws {
        let decoder = try CausalLMDecoder(directory: folder)
        let tokenizer = try TokenizerJSON.load(folder.appendingPathComponent("tokenizer.json"))
        let articles = LabTask.head(try LabTask.named("bbc-news").split.test, sizes.prompts)
        let prompts = articles.map { article in
            Array(tokenizer.encodeIds(article.text).prefix(sizes.promptTokens)).map { Int32(truncatingIfNeeded: $0) }
        }.filter { $0.count == sizes.promptTokens }
        var greedy: [[Int32]] = []
        for method in methods {
            var parameters = method.parameters
            parameters.seed = seed
            let outputs: [[Int32]]
            if parameters.strategy == .beam {
                outputs = try BeamSearch(decoder: decoder, parameters: parameters).run(prompts).map {
                    $0.first?.tokens ?? []
                }
            } else {
                var iterator = try TokenIterator(decoder: decoder, prompts: prompts, parameters: parameters)
                outputs = try iterator.run()
            }
            if method.name == "greedy" { greedy = outputs }
            let likelihoods = try zip(prompts, outputs).map {
                try logLikelihood(decoder.model, prompt: $0, continuation: $1)
            }
            let name = method.name
            record.values["\(name)/loglik"] = LabStatistics.mean(likelihoods)
            for n in 1...3 { record.values["\(name)/distinct\(n)"] = DecodingMeasures.distinct(outputs, n: n) }
            record.values["\(name)/self_bleu"] = DecodingMeasures.selfBLEU(outputs)
            record.values["\(name)/repeat4"] = LabStatistics.mean(
                outputs.map { DecodingMeasures.repeatedRate($0, n: 4) })
            record.values["\(name)/length"] = LabStatistics.mean(outputs.map { Double($0.count) })
            if !greedy.isEmpty {
                let differing = zip(outputs, greedy).filter { $0 != $1 }.count
                record.values["\(name)/differs"] = Double(differing) / Double(max(1, outputs.count))
            }
            record.texts["\(name)/examples"] = zip(prompts, outputs).prefix(3).map { prompt, output in
                let head = (try? tokenizer.decode(prompt.map(Int.init), skipSpecialTokens: true)) ?? ""
                let tail = (try? tokenizer.decode(output.map(Int.init), skipSpecialTokens: true)) ?? ""
                return "[\(head)]\(tail)"
            }
        }
    }

    /// The mean log-probability per token of `continuation` after `prompt` under `model`.
    static func logLikelihood(_ model: GPT2LMHeadModel, prompt: [Int32], continuation: [Int32]) throws -> Double {
        guard !continuation.isEmpty else { return .nan }
        let ids = Array((prompt + continuation).suffix(model.config.nPositions))
        let start = ids.count - continuation.count
        let v = model.config.vocabSize
        let logits = try Tensor.withoutGrad { try model(inputIds: IndexTensor(ids, shape: [1, ids.count])).logits }
        let values = logits.contiguous().scalars
        var total = 0.0
        for position in start..<ids.count {
            let row = values[((position - 1) * v)..<(position * v)]
            let top = Double(row.max() ?? 0)
            let sum = row.reduce(0.0) { $0 + Foundation.exp(Double($1) - top) }
            total += Double(row[row.startIndex + Int(ids[position])]) - top - Foundation.log(sum)
        }
        return total / Double(continuation.count)
    }
}

/// Diversity and repetition of generated token sequences.
enum DecodingMeasures {
    static func ngrams(_ tokens: [Int32], n: Int) -> [[Int32]] {
        tokens.count < n ? [] : (0...(tokens.count - n)).map { Array(tokens[$0..<($0 + n)]) }
    }

    /// Unique n-grams over all n-grams of all sequences (0 when there are none).
    static func distinct(_ sequences: [[Int32]], n: Int) -> Double {
        let all = sequences.flatMap { ngrams($0, n: n) }
        return all.isEmpty ? 0 : Double(Set(all).count) / Double(all.count)
    }

    /// The share of a sequence's n-grams that already occurred earlier in it.
    static func repeatedRate(_ tokens: [Int32], n: Int) -> Double {
        let grams = ngrams(tokens, n: n)
        guard !grams.isEmpty else { return 0 }
        var seen = Set<[Int32]>(), repeated = 0
        for g in grams {
            if seen.contains(g) { repeated += 1 } else { seen.insert(g) }
        }
        return Double(repeated) / Double(grams.count)
    }

    /// BLEU-4 of `hypothesis` against `references`: clipped n-gram precisions (n = 1…4, a zero count
    /// smoothed to 0.1 of a match), geometric mean, brevity penalty against the closest reference length.
    static func bleu(_ hypothesis: [Int32], references: [[Int32]]) -> Double {
        guard !hypothesis.isEmpty, !references.isEmpty else { return 0 }
        var logSum = 0.0
        for n in 1...4 {
            let grams = ngrams(hypothesis, n: n)
            guard !grams.isEmpty else { return 0 }
            var counts: [[Int32]: Int] = [:]
            for g in grams { counts[g, default: 0] += 1 }
            var maxRef: [[Int32]: Int] = [:]
            for reference in references {
                var c: [[Int32]: Int] = [:]
                for g in ngrams(reference, n: n) { c[g, default: 0] += 1 }
                for (g, k) in c { maxRef[g] = max(maxRef[g] ?? 0, k) }
            }
            let matched = counts.reduce(0) { $0 + min($1.value, maxRef[$1.key] ?? 0) }
            logSum += Foundation.log(max(Double(matched), 0.1) / Double(grams.count))
        }
        let h = hypothesis.count
        let closest =
            references.map(\.count).min { abs($0 - h) < abs($1 - h) || (abs($0 - h) == abs($1 - h) && $0 < $1) } ?? h
        let brevity = h >= closest ? 1 : Foundation.exp(1 - Double(closest) / Double(h))
        return brevity * Foundation.exp(logSum / 4)
    }

    /// The mean BLEU-4 of each sequence against all the others.
    static func selfBLEU(_ sequences: [[Int32]]) -> Double {
        guard sequences.count >= 2 else { return 0 }
        return LabStatistics.mean(
            sequences.indices.map { i in
                bleu(sequences[i], references: sequences.indices.filter { $0 != i }.map { sequences[$0] })
            })
    }
}
