import ArgumentParser
import KalamText
import KalamTraining

/// The masking flags `kalam mask` and `kalam pretrain` share: the strategy and its rate, the
/// replacement split, the POS weights and the tagger's language, and T5's span corruption.
public struct MaskingOptions: ParsableArguments {
    /// `random`, `whole-word`, `span`, `pos` (and, for `kalam mask`, `t5-span`).
    @Option(help: "Masking strategy: random, whole-word, span, pos (kalam mask also: t5-span).")
    public var masking: String = "random"

    /// The share of eligible tokens chosen, in (0, 1).
    @Option(name: .customLong("mask-rate"), help: "Share of (non-special) tokens chosen as targets, in (0, 1).")
    public var maskRate: Double = 0.15

    /// `random` with an exact count per sequence instead of independent draws.
    @Flag(name: .customLong("exact-count"), help: "random: an exact count per sequence (BERT's data script).")
    public var exactCount = false

    /// Keep one document per sequence instead of packing consecutive documents up to the context.
    @Flag(
        name: .customLong("document-per-sequence"),
        help:
            "bert, t5, electra: one document (verse, paragraph) per sequence instead of packing consecutive documents up to the context length."
    )
    public var documentPerSequence = false

    /// What a target becomes, `MASK/RANDOM/KEEP`.
    @Option(help: "Replacement split of the targets: [MASK]/random/unchanged, in percent.")
    public var split: String = "80/10/10"

    /// POS weights, `NOUN=3,VERB=2,ADP=0.25` (unlisted tags 1).
    @Option(
        name: .customLong("pos-weights"),
        help: "pos: UPOS weights, e.g. NOUN=3,VERB=2,ADP=0.25 (unlisted tags 1; default favours content words).")
    public var posWeights: String?

    /// The language of the text, for the tagger.
    @Option(help: "Language of the text (the POS tagger): en or fa.")
    public var lang: String = "en"

    /// T5: the share of tokens corrupted.
    @Option(name: .customLong("noise-density"), help: "t5-span: share of tokens corrupted, in (0, 1).")
    public var noiseDensity: Double = 0.15

    /// T5: the mean span length.
    @Option(name: .customLong("mean-span"), help: "t5-span: mean span length in tokens (>= 1).")
    public var meanSpan: Double = 3

    /// Makes the options with their defaults.
    public init() {}

    /// Whether `--masking` asks for T5's span corruption.
    public var isSpanCorruption: Bool { masking == "t5-span" }

    /// The strategy `--masking` names.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for an unknown strategy or bad weights.
    public func strategy() throws -> MaskingStrategy {
        let weights = try posWeights.map(MaskingStrategy.parseWeights) ?? MaskingStrategy.defaultPOSWeights
        return try MaskingStrategy.named(masking, exactCount: exactCount, posWeights: weights)
    }

    /// The tagger of `--lang`, or `nil` when tags are not required and the language has none (or its
    /// data is not installed).
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` when `required` and the language
    ///   has no tagger; a `TaggerError` when `required` and the tagger's data is not installed.
    public func tagger(required: Bool) throws -> (any PartOfSpeechTagger)? {
        switch lang {
        case "en": return required ? try EnglishTagger.pretrained() : try? EnglishTagger.pretrained()
        case "fa": return required ? try PersianLexiconTagger.hazm() : try? PersianLexiconTagger.hazm()
        default:
            guard !required else {
                throw TrainingError.invalidOption(
                    name: "lang", value: lang, reason: "no part-of-speech tagger for it (pos masking needs en or fa)")
            }
            return nil
        }
    }

    /// The masker for `tokenizer`.
    /// - Throws: ``TrainingError/missingSpecialToken(token:purpose:)`` without `[MASK]`; bad options.
    public func masker(annotator: MaskingAnnotator) throws -> TokenMasker {
        try TokenMasker(
            strategy: strategy(), rate: maskRate, split: ReplacementSplit.parse(split),
            maskTokenId: annotator.requireId(of: "[MASK]", for: "masked language modelling"),
            vocabularySize: annotator.tokenizer.vocabularySize, specialTokenIds: annotator.specialTokenIds)
    }

    /// T5's span corruption for `annotator`'s tokenizer.
    /// - Throws: ``TrainingError/missingSpecialToken(token:purpose:)`` without sentinels or `</s>`.
    public func spanCorruption(annotator: MaskingAnnotator) throws -> SpanCorruption {
        try SpanCorruption(
            noiseDensity: noiseDensity, meanSpanLength: meanSpan, sentinelIds: annotator.sentinelIds(),
            endOfSequenceId: annotator.requireId(of: "</s>", for: "the end of T5 inputs and targets"))
    }
}
