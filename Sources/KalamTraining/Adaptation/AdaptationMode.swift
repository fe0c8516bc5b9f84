import Foundation
import KalamCore
import KalamNN

/// How much of a pretrained network a fine-tuning run changes.
public enum AdaptationMode: Equatable, Sendable, CustomStringConvertible {
    /// The encoder frozen, the head trained (feature extraction).
    case frozen
    /// The top `layers` layers and the head trained.
    case partial(layers: Int)
    /// Everything trained.
    case full
    /// LoRA on the target projections (``LoRASettings``), the base frozen, the head trained.
    case lora(rank: Int)
    /// Houlsby bottleneck adapters of width `size` after attention and feed-forward, the base frozen,
    /// the head trained.
    case adapter(size: Int)

    /// Parses `frozen`, `partial:N`, `full`, `lora`, `lora:R`, `adapter`, `adapter:SIZE`.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` naming the mode.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        func number(_ what: String) throws -> Int {
            guard parts.count == 2, let n = Int(parts[1]), n >= 1 else {
                throw TrainingError.invalidOption(
                    name: "mode", value: text, reason: "\(what) must be a whole number of at least 1")
            }
            return n
        }
        switch parts[0] {
        case "frozen" where parts.count == 1: self = .frozen
        case "full" where parts.count == 1: self = .full
        case "partial": self = .partial(layers: try number("the number of layers"))
        case "lora": self = .lora(rank: parts.count == 1 ? 8 : try number("the LoRA rank"))
        case "adapter": self = .adapter(size: parts.count == 1 ? 64 : try number("the adapter size"))
        default:
            throw TrainingError.invalidOption(
                name: "mode", value: text,
                reason: "expected frozen, partial:N, full, lora[:rank] or adapter[:size]")
        }
    }

    /// The mode as written on the command line.
    public var description: String {
        switch self {
        case .frozen: return "frozen"
        case .partial(let n): return "partial:\(n)"
        case .full: return "full"
        case .lora(let r): return "lora:\(r)"
        case .adapter(let size): return "adapter:\(size)"
        }
    }

    /// The mode's name without its number (`lora`).
    public var name: String { String(description.prefix { $0 != ":" }) }

    /// Whether the pretrained weights stay as they are (only new parameters and the head train).
    public var freezesBase: Bool {
        switch self {
        case .frozen, .lora, .adapter: return true
        case .partial, .full: return false
        }
    }
}

/// What ``Adaptation/apply(_:to:lora:seed:)`` did to a model.
public struct AdaptationReport: Sendable, Equatable {
    /// The mode.
    public var mode: AdaptationMode
    /// Keys of the layers given LoRA or an adapter.
    public var wrappedModules: [String]
    /// Parameter values that receive gradients.
    public var trainableParameters: Int
    /// All parameter values.
    public var totalParameters: Int
}

/// Applies adaptation modes to an ``AdaptableModel``: freezing plans, LoRA and adapter injection,
/// layer-wise learning-rate decay and gradual unfreezing.
public enum Adaptation {
    /// Freezes and wraps `model` for `mode`. LoRA's `A` matrices and the adapters are drawn from `seed`.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for `partial:N` above the layer
    ///   count; `ModuleError` when a LoRA target matches no layer or a setting is out of range.
    @discardableResult
    public static func apply(
        _ mode: AdaptationMode, to model: AdaptableModel, lora: LoRASettings = LoRASettings(), seed: UInt64
    ) throws -> AdaptationReport {
        var rng = KalamRandom(seed: seed).fork(stream: 23)
        var wrapped: [String] = []
        switch mode {
        case .full:
            model.unfreeze()
        case .frozen:
            model.freeze()
            for prefix in model.headPrefixes { model.unfreeze(prefix: prefix) }
        case .partial(let n):
            guard n <= model.layerCount else {
                throw TrainingError.invalidOption(
                    name: "mode", value: mode.description,
                    reason: "the model has \(model.layerCount) layers")
            }
            model.freeze()
            for i in (model.layerCount - n)..<model.layerCount { model.unfreeze(prefix: model.layerPrefix(i)) }
            for prefix in model.headPrefixes { model.unfreeze(prefix: prefix) }
        case .lora(let rank):
            var settings = lora
            settings.rank = rank
            model.freeze()
            let head = model.peftModulesToSave.map { $0 + "." }
            wrapped = try model.injectLoRA(settings, excluding: head, source: model.randomSource, rng: &rng)
            for prefix in head { model.unfreeze(prefix: prefix) }
        case .adapter(let size):
            guard !model.adapterSites.isEmpty else {
                throw TrainingError.invalidOption(
                    name: "mode", value: mode.description, reason: "this model has no linear layers adapters can follow"
                )
            }
            model.freeze()
            try model.injectAdapters(at: model.adapterSites, size: size, rng: &rng)
            wrapped = model.adapterSites
            for prefix in model.headPrefixes { model.unfreeze(prefix: prefix) }
        }
        return AdaptationReport(
            mode: mode, wrappedModules: wrapped, trainableParameters: model.trainableParameterCount,
            totalParameters: model.parameterCount)
    }

    /// Layer-wise learning-rate decay (Howard & Ruder 2018; Clark et al. 2020): the head at the full
    /// rate, layer `i` of `L` at `decay^(L − i)`, the embeddings at `decay^(L + 1)`.
    /// - Throws: ``TrainingError/invalidOption(name:value:reason:)`` for a decay outside (0, 1].
    public static func layerwiseDecayGroups(_ model: AdaptableModel, decay: Float) throws -> [ParameterGroup] {
        guard decay > 0, decay <= 1 else {
            throw TrainingError.invalidOption(name: "llrd", value: "\(decay)", reason: "must be in (0, 1]")
        }
        let layers = model.layerCount
        let head = model.headPrefixes
        var groups: [ParameterGroup] = []
        for i in 0..<layers {
            let prefix = model.layerPrefix(i)
            let scale = Float(Foundation.pow(Double(decay), Double(layers - i)))
            groups.append(
                ParameterGroup(name: "layer\(i)_decay", learningRateScale: scale) { key, shape in
                    key.hasPrefix(prefix) && ParameterGroup.defaultDecays(key: key, shape: shape)
                })
            groups.append(
                ParameterGroup(name: "layer\(i)_no_decay", weightDecay: 0, learningRateScale: scale) {
                    key, _ in key.hasPrefix(prefix)
                })
        }
        let embeddingScale = Float(Foundation.pow(Double(decay), Double(layers + 1)))
        groups.append(
            ParameterGroup(name: "embeddings", weightDecay: 0, learningRateScale: embeddingScale) { key, _ in
                Module.layerIndex(of: key) == nil && !head.contains { key.hasPrefix($0) }
            })
        return groups
    }
}

/// Gradual unfreezing (ULMFiT): training starts with only the head trainable; at the start of each
/// later epoch one more layer is unfrozen, from the top; once every layer is, the embeddings follow.
/// The number unfrozen is a function of the step, so a resumed run unfreezes exactly as the
/// uninterrupted run did.
public final class GradualUnfreezing: TrainerPlugin {
    public let name = "gradual_unfreezing"
    let model: AdaptableModel
    let stepsPerEpoch: Int
    private var applied = -1

    /// A plug-in for `model`, whose epochs are `stepsPerEpoch` steps long; it freezes everything but
    /// the head at once.
    public init(model: AdaptableModel, stepsPerEpoch: Int) {
        self.model = model
        self.stepsPerEpoch = max(1, stepsPerEpoch)
        apply(epoch: 0)
    }

    /// Layers unfrozen during epoch `epoch` (0-based): `epoch` of them, from the top.
    func apply(epoch: Int) {
        guard epoch != applied else { return }
        applied = epoch
        model.freeze()
        for prefix in model.headPrefixes { model.unfreeze(prefix: prefix) }
        let count = min(epoch, model.layerCount)
        for i in (model.layerCount - count)..<model.layerCount { model.unfreeze(prefix: model.layerPrefix(i)) }
        if epoch > model.layerCount {
            for (key, tensor) in model.namedParameters() where Module.layerIndex(of: key) == nil {
                tensor.requiringGrad(true)
            }
        }
    }

    public func afterStep(model _: TrainableModel, step: Int) throws { apply(epoch: step / stepsPerEpoch) }

    public func stateTensors() -> [String: Tensor] { ["epoch": Tensor(scalar: Float(max(applied, 0)))] }

    public func restore(stateTensors: [String: Tensor]) throws {
        guard let epoch = try stateTensors["epoch"]?.item() else { return }
        guard epoch.isFinite, epoch >= 0, epoch < 1e9 else {
            throw TrainingError.invalidOption(
                name: "gradual unfreezing epoch", value: "\(epoch)", reason: "is out of range")
        }
        apply(epoch: Int(epoch))
    }
}
