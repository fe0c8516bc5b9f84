/// What a logit processor may look at besides the logits: the ids a row has seen so far.
///
/// `inputIds` holds the decoder prompt (left padding included, as in transformers' `input_ids`) followed
/// by the tokens generated so far. For an encoder-decoder model the decoder prompt is the decoder start
/// token. `promptLength` is the length of that prompt (padding included); `paddingCount` is how many
/// leading ids are padding.
public struct LogitContext: Sendable {
    /// Prompt ids followed by the generated ids of this row.
    public var inputIds: [Int32]
    /// Number of leading ids that are the prompt (padding included).
    public var promptLength: Int
    /// Number of leading ids that are left padding.
    public var paddingCount: Int

    /// Makes a context for one row.
    public init(inputIds: [Int32], promptLength: Int, paddingCount: Int = 0) {
        self.inputIds = inputIds
        self.promptLength = promptLength
        self.paddingCount = paddingCount
    }

    /// Number of ids generated so far.
    public var generatedCount: Int { inputIds.count - promptLength }
}

/// Turns one row of next-token scores into new scores, in place, like a transformers `LogitsProcessor`
/// applied to one row of its batch. Removed tokens get `-Float.infinity`.
public protocol LogitProcessor: Sendable {
    /// Modifies `logits` (one row, the vocabulary wide) given what the row has seen.
    func process(_ logits: inout [Float], context: LogitContext)
}

/// An ordered list of processors applied one after another, as transformers' `LogitsProcessorList`.
public struct LogitProcessorList: LogitProcessor {
    /// The processors, in application order.
    public var processors: [any LogitProcessor]

    /// Makes a list from processors applied in the given order.
    public init(_ processors: [any LogitProcessor] = []) {
        self.processors = processors
    }

    /// Whether the list does nothing.
    public var isEmpty: Bool { processors.isEmpty }

    /// Applies every processor in order.
    public func process(_ logits: inout [Float], context: LogitContext) {
        for processor in processors {
            processor.process(&logits, context: context)
        }
    }
}
