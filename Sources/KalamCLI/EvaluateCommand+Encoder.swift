import Foundation
import KalamCore
import KalamJSON
import KalamModels
import KalamText
import KalamTraining

/// `kalam evaluate` on BERT and T5 folders: each objective's own measure on the validation documents,
/// under a fixed masking drawn from `--seed`.
extension EvaluateCommand {
    /// The first entry of `architectures` in the folder's `config.json`, or `nil`.
    static func architecture(of directory: URL) -> String? {
        let url = directory.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: url), let value = try? JSONValue.parse(Array(data)),
            case let .array(names)? = value["architectures"],
            case let .string(name)? = names.first
        else { return nil }
        return name
    }

    /// The measures of `objective` (masked LM or span corruption) on `validation`, as report lines, and
    /// the same numbers in `summary` (the metrics log's keys).
    static func encoderMeasures(
        objective: TrainingObjective, validation: [Batch], train: AnnotatedBlocks, seed: UInt64,
        into summary: inout [String: String]
    ) throws -> [String] {
        if let mlm = objective as? MaskedLMObjective {
            let m = try ObjectiveMeasures.maskedLM(
                objective: mlm, batches: validation, mostFrequent: ObjectiveMeasures.mostFrequentToken(train),
                seed: seed)
            summary["val_masked_loss"] = String(format: "%.4f", m.loss)
            summary["val_masked_accuracy"] = String(format: "%.4f", m.accuracy)
            summary["most_frequent_token_accuracy"] = String(format: "%.4f", m.baselineAccuracy)
            summary["val_masked_targets"] = "\(m.targets)"
            return [
                String(
                    format: "validation masked-token accuracy %.4f, loss %.4f over %d targets", m.accuracy, m.loss,
                    m.targets),
                String(format: "most-frequent-token baseline: accuracy %.4f", m.baselineAccuracy),
            ]
        }
        if let rtd = objective as? ReplacedTokenDetectionObjective {
            return try electraMeasures(
                discriminator: rtd.model.discriminator, objective: rtd, validation: validation,
                specialTokenIds: rtd.specialTokenIds, seed: seed, into: &summary)
        }
        if let t5 = objective as? SpanCorruptionObjective {
            let trainBatches = Array(try train.sequentialBatches(batchSize: 16).prefix(200))
            let m = try ObjectiveMeasures.spanCorruption(
                objective: t5, batches: validation, training: trainBatches, seed: seed)
            summary["val_span_loss"] = String(format: "%.4f", m.loss)
            summary["unigram_span_loss"] = String(format: "%.4f", m.unigramLoss)
            return [
                String(format: "validation span-corruption loss %.4f", m.loss),
                String(format: "unigram baseline over the targets: loss %.4f", m.unigramLoss),
            ]
        }
        return []
    }

    /// The discriminator's AUC and accuracy on randomly replaced tokens, and with `objective` (the
    /// generator beside it) its loss against the replacement prior on the generator's own samples, as
    /// report lines and in `summary`.
    static func electraMeasures(
        discriminator: ElectraForPreTraining, objective: ReplacedTokenDetectionObjective?, validation: [Batch],
        specialTokenIds: Set<Int32>, seed: UInt64, into summary: inout [String: String]
    ) throws -> [String] {
        var lines: [String] = []
        if let objective {
            // The task it trains on: a loss at the prior's means it has learned only how many tokens
            // the generator replaces, not which.
            let g = try ObjectiveMeasures.generatorReplacements(objective: objective, batches: validation, seed: seed)
            summary["val_rtd_generator_loss"] = String(format: "%.4f", g.loss)
            summary["val_rtd_prior_loss"] = String(format: "%.4f", g.priorLoss)
            summary["val_rtd_generator_auc"] = String(format: "%.4f", g.auc)
            summary["val_rtd_generator_replaced"] = String(format: "%.4f", g.replacedShare)
            lines.append(
                String(
                    format:
                        "validation replaced-token detection (the generator's samples, %.1f%% of tokens replaced): loss %.4f against the prior's %.4f, AUC %.4f",
                    100 * g.replacedShare, g.loss, g.priorLoss, g.auc))
        }
        let m = try ObjectiveMeasures.replacedTokenDetection(
            discriminator: discriminator, batches: validation, specialTokenIds: specialTokenIds, seed: seed)
        summary["val_rtd_auc"] = String(format: "%.4f", m.auc)
        summary["val_rtd_accuracy"] = String(format: "%.4f", m.accuracy)
        summary["val_rtd_replaced"] = "\(m.replaced)"
        // The same with replacements as frequent as the text's own tokens (unigram counts of the
        // scored text): uniform replacements are mostly rare tokens, which a discriminator trained on
        // a generator's plausible samples has learned to take for originals.
        var counts = [Double](repeating: 0, count: discriminator.config.vocabSize)
        for batch in validation {
            for (id, keep) in zip(batch.inputs, batch.attentionMask) where keep == 1 && Int(id) < counts.count {
                counts[Int(id)] += 1
            }
        }
        let u = try ObjectiveMeasures.replacedTokenDetection(
            discriminator: discriminator, batches: validation, specialTokenIds: specialTokenIds, seed: seed,
            replacementWeights: counts)
        summary["val_rtd_unigram_auc"] = String(format: "%.4f", u.auc)
        summary["val_rtd_unigram_accuracy"] = String(format: "%.4f", u.accuracy)
        return lines + [
            String(
                format:
                    "validation replaced-token detection (15%% random replacements): AUC %.4f, accuracy %.4f over %d tokens",
                m.auc, m.accuracy, m.tokens),
            String(
                format:
                    "validation replaced-token detection (15%% replacements drawn by unigram frequency): AUC %.4f, accuracy %.4f",
                u.auc, u.accuracy),
        ]
    }

    /// Evaluates a BERT (`BertForMaskedLM`) or T5 (`T5ForConditionalGeneration`) folder.
    func executeEncoder(architecture: String, directory: URL, corpus: String, print: (String) -> Void) throws {
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
            throw ModelError.fileNotFound(path: tokenizerURL.path)
        }
        let tok = try TokenizerJSON.load(tokenizerURL)
        let documents = try CorpusCatalog.documents(corpus)
        let objective: TrainingObjective
        let annotator: MaskingAnnotator
        let context: Int, padId: Int32, isT5 = architecture == "T5ForConditionalGeneration"
        if isT5 {
            let t5 = try T5ForConditionalGeneration.load(from: directory)
            annotator = MaskingAnnotator(tokenizer: tok, maxLength: 128)
            objective = SpanCorruptionObjective(model: t5, corruption: try masking.spanCorruption(annotator: annotator))
            (context, padId) = (128, Int32(t5.config.padTokenId))
        } else if architecture == "BertForMaskedLM" {
            let bert = try BertForMaskedLM.load(from: directory)
            let strategy = try masking.strategy()
            let base = MaskingAnnotator(
                tokenizer: tok, tagger: strategy.needsTags ? try masking.tagger(required: true) : nil)
            context = bert.config.maxPositionEmbeddings
            annotator = MaskingAnnotator(tokenizer: tok, tagger: base.tagger, maxLength: context)
            objective = try MaskedLMObjective(
                model: bert, masker: masking.masker(annotator: annotator), specialTokenIds: annotator.specialTokenIds)
            padId = try annotator.requireId(of: "[PAD]", for: "padding")
        } else if architecture == "ElectraForPreTraining" {
            let discriminator = try ElectraForPreTraining.load(from: directory)
            context = discriminator.config.maxPositionEmbeddings
            annotator = MaskingAnnotator(tokenizer: tok, maxLength: context)
            padId = try annotator.requireId(of: "[PAD]", for: "padding")
            let data = try AnnotatedData(
                documents: documents, annotator: annotator, contextLength: context, padId: padId,
                validationFraction: validationFraction, addSpecialTokens: true,
                pack: !masking.documentPerSequence)
            var batches = try (split == .validation ? data.validation : data.train).sequentialBatches(
                batchSize: batchSize)
            if maxBatches > 0 { batches = Array(batches.prefix(maxBatches)) }
            // The generator that `kalam pretrain` writes beside it, when there, for the measure on its samples.
            var objective: ReplacedTokenDetectionObjective? = nil
            let generatorFolder = directory.appendingPathComponent("generator", isDirectory: true)
            if FileManager.default.fileExists(atPath: generatorFolder.appendingPathComponent("config.json").path) {
                let pair = try ElectraPretrainingModel(
                    generator: ElectraForMaskedLM.load(from: generatorFolder), discriminator: discriminator)
                objective = try ReplacedTokenDetectionObjective(
                    model: pair, masker: masking.masker(annotator: annotator),
                    specialTokenIds: annotator.specialTokenIds)
            }
            var summary: [String: String] = [:]
            let lines = try Self.electraMeasures(
                discriminator: discriminator, objective: objective, validation: batches,
                specialTokenIds: annotator.specialTokenIds, seed: seed, into: &summary)
            return report(lines: lines, summary: summary, directory: directory, print: print)
        } else {
            throw TrainingError.unknownArchitecture(
                name: architecture,
                known: ["GPT2LMHeadModel", "BertForMaskedLM", "T5ForConditionalGeneration", "ElectraForPreTraining"])
        }
        let data = try AnnotatedData(
            documents: documents, annotator: annotator, contextLength: context, padId: padId,
            validationFraction: validationFraction, addSpecialTokens: !isT5, pack: !masking.documentPerSequence)
        var batches = try (split == .validation ? data.validation : data.train).sequentialBatches(batchSize: batchSize)
        if maxBatches > 0 { batches = Array(batches.prefix(maxBatches)) }
        var summary: [String: String] = [:]
        let lines = try Self.encoderMeasures(
            objective: objective, validation: batches, train: data.train, seed: seed, into: &summary)
        report(lines: lines, summary: summary, directory: directory, print: print)
    }

    /// Prints the measures as text lines, or with `--json` as one object.
    func report(lines: [String], summary: [String: String], directory: URL, print: (String) -> Void) {
        if json {
            var fields = ["\"model\": \(Self.quoted(directory.path))", "\"corpus\": \(Self.quoted(corpus ?? ""))"]
            fields += summary.keys.sorted().map { key in
                let value = summary[key]!
                return
                    "\"\(key)\": \(Int(value).map { "\($0)" } ?? Double(value).map { "\($0)" } ?? Self.quoted(value))"
            }
            print("{" + fields.joined(separator: ", ") + "}")
        } else {
            lines.forEach(print)
        }
    }
}
