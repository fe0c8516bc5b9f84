/// A claim of Kalam's brief (`CLAIMS.md`), the experiment that tests it and the direction published
/// work expects.
public struct LabClaim: Sendable, Equatable {
    public var id: String
    public var text: String
    public var experiment: String
    public var literature: String
}

/// The brief's 29 claims, in CLAIMS.md's order.
public enum LabClaims {
    public static let all: [LabClaim] = [
        .init(
            id: "C1.1", text: "Pretrained initial weights converge faster than random ones", experiment: "E1",
            literature: "holds (Erhan 2010; Devlin 2019)"),
        .init(
            id: "C1.2", text: "Pretrained weights need less task data", experiment: "E1",
            literature: "holds, gap largest at small data"),
        .init(
            id: "C1.3", text: "Pretrained weights do well on tasks like those seen in pretraining", experiment: "E1",
            literature: "gain larger near the pretraining domain"),
        .init(
            id: "C1.4",
            text: "Pretrained weights are less flexible: they resist adapting to new data or a different task",
            experiment: "E1", literature: "mixed; negative transfer is possible"),
        .init(
            id: "C1.5", text: "Overfitting in pretraining can carry over to the new task", experiment: "E1",
            literature: "plausible, rarely measured"),
        .init(
            id: "C1.6", text: "Random initialisation is more flexible but needs more time and data",
            experiment: "E1", literature: "holds for time and data"),
        .init(
            id: "C2.1", text: "Training tasks one after another overwrites what the earlier tasks learned",
            experiment: "E2", literature: "holds (McCloskey 1989; Kirkpatrick 2017)"),
        .init(
            id: "C2.2", text: "Regularisation that limits weight change mitigates forgetting", experiment: "E2",
            literature: "partial mitigation (de Masson d'Autume 2019)"),
        .init(
            id: "C2.3", text: "Dynamic architectures (a network part per task) mitigate forgetting",
            experiment: "E2", literature: "no forgetting by isolation, parameters grow"),
        .init(
            id: "C2.4", text: "Rehearsal mitigates forgetting", experiment: "E2",
            literature: "strong mitigation (Chaudhry 2019)"),
        .init(
            id: "C2.5", text: "A separate memory for earlier weights (dual memory) mitigates forgetting",
            experiment: "E2", literature: "mitigates (Arani 2022)"),
        .init(
            id: "C2.6", text: "Training all tasks at once (multi-task) avoids forgetting", experiment: "E2",
            literature: "holds"),
        .init(
            id: "C2.7", text: "Optimisation-based methods mitigate forgetting", experiment: "E2",
            literature: "mitigates (Chaudhry 2019)"),
        .init(
            id: "C3.1", text: "Transfer learning (frozen backbone + head) suits small data and related tasks",
            experiment: "E3", literature: "frozen competitive at tiny data"),
        .init(
            id: "C3.2", text: "Transfer learning costs less computation and time than fine-tuning",
            experiment: "E3", literature: "holds"),
        .init(
            id: "C3.3",
            text: "Fine-tuning suits large data and can serve tasks unlike the pretraining task", experiment: "E3",
            literature: "full FT best at large data and under shift"),
        .init(
            id: "C3.4", text: "Fine-tuning needs a large dataset (transfer learning a smaller one)",
            experiment: "E3",
            literature: "often wrong for modern encoders: full FT is strong even at small data (Howard & Ruder 2018)"),
        .init(
            id: "C4.1", text: "Random masking is simpler and faster than POS-based masking", experiment: "E4",
            literature: "holds"),
        .init(
            id: "C4.2", text: "POS-based masking (nouns more than prepositions) gives a better model",
            experiment: "E4", literature: "mixed; whole-word and span masking often help (Cui 2019; Joshi 2020)"),
        .init(
            id: "C4.3", text: "Too few masked tokens under-challenge the model; too many confuse it",
            experiment: "E4", literature: "inverted U; the optimum may exceed 15% (Wettig 2023: 40%)"),
        .init(
            id: "C4.4", text: "Random masking suits little data; POS masking pays off with more compute",
            experiment: "E4", literature: "inconclusive in the literature"),
        .init(
            id: "C5.1", text: "Seq2seq (encoder-decoder) is flexible: one model for many tasks", experiment: "E5",
            literature: "holds (Raffel 2020)"),
        .init(
            id: "C5.2", text: "Seq2seq is more complex and costly to train than a single network",
            experiment: "E5", literature: "holds"),
        .init(
            id: "C5.3", text: "MLM understands context in both directions, so it suits understanding tasks",
            experiment: "E5", literature: "MLM ahead on classification"),
        .init(id: "C5.4", text: "CLM generates fluent, natural text", experiment: "E5", literature: "holds"),
        .init(
            id: "C5.5",
            text: "\"CLM shows the model two versions of a sentence and asks which is more correct\"",
            experiment: "E5",
            literature: "the brief is wrong here; ELECTRA is more sample-efficient than MLM (Clark 2020)"),
        .init(
            id: "C6.1",
            text: "Decoding by highest probability gives the sequence made of the most likely tokens",
            experiment: "E6", literature: "beam > greedy in likelihood"),
        .init(
            id: "C6.2", text: "Sampling at random gives varied text", experiment: "E6",
            literature: "holds; most-likely decoding degenerates into repetition (Holtzman 2020)"),
        .init(
            id: "C6.3",
            text:
                "The brief's first method (keep a set of best next tokens and extend each) is beam search, not greedy",
            experiment: "E6", literature: "—"),
    ]

    /// The claim with `id` (a programming error when absent).
    static func claim(_ id: String) -> LabClaim {
        guard let claim = all.first(where: { $0.id == id }) else { preconditionFailure("no claim \(id)") }
        return claim
    }
}
