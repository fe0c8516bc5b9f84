import KalamCore

/// The LoRA settings PEFT's `LoraConfig` names: rank `r`, `lora_alpha`, `lora_dropout`,
/// `target_modules` and `use_rslora`.
public struct LoRASettings: Sendable, Equatable, Codable {
    /// The rank `r`.
    public var rank: Int
    /// `α` (the update is scaled by `α / r`).
    public var alpha: Float
    /// Dropout on the LoRA path's input.
    public var dropout: Float
    /// Module names wrapped: a layer matches when its key equals a name or ends with `.` + name
    /// (PEFT's rule for a list of `target_modules`).
    public var targets: [String]
    /// Scale by `α / √r` (PEFT's `use_rslora`).
    public var rankStabilized: Bool

    /// PEFT's defaults for BERT-style sequence classification: rank 8, α 16, dropout 0.1, on `query`
    /// and `value`.
    public init(
        rank: Int = 8, alpha: Float = 16, dropout: Float = 0.1, targets: [String] = ["query", "value"],
        rankStabilized: Bool = false
    ) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
        self.rankStabilized = rankStabilized
    }

    /// Whether the module key `key` is a target.
    public func matches(_ key: String) -> Bool {
        targets.contains { key == $0 || key.hasSuffix("." + $0) }
    }
}

extension Module {
    /// Puts a ``LoRALinear`` in place of every `Linear` (a ``LoRAConv1D`` for every `Conv1D`) whose key matches `settings` (outside the keys
    /// starting with a prefix in `excluding`, e.g. a new head), drawing the `A` matrices from `rng` in
    /// key order.
    /// - Returns: the keys of the wrapped layers, in order.
    /// - Throws: ``ModuleError/invalidSetting(name:reason:)`` for a rank below 1, a non-finite α or a
    ///   dropout outside [0, 1); ``ModuleError/noMatchingModule(_:)`` when no layer matches.
    @discardableResult
    public func injectLoRA(
        _ settings: LoRASettings, excluding: [String] = [], source: RandomSource, rng: inout KalamRandom
    ) throws -> [String] {
        guard settings.rank >= 1 else {
            throw ModuleError.invalidSetting(name: "LoRA rank", reason: "\(settings.rank) must be at least 1")
        }
        guard settings.alpha.isFinite, settings.alpha > 0 else {
            throw ModuleError.invalidSetting(name: "LoRA alpha", reason: "\(settings.alpha) must be positive")
        }
        guard settings.dropout >= 0, settings.dropout < 1 else {
            throw ModuleError.invalidSetting(name: "LoRA dropout", reason: "\(settings.dropout) must be in [0, 1)")
        }
        let targets = namedModules().filter { key, module in
            !key.isEmpty && (module is Linear || module is Conv1D) && !(module is LoRALayer) && settings.matches(key)
                && !excluding.contains { key.hasPrefix($0) }
        }
        guard !targets.isEmpty else { throw ModuleError.noMatchingModule(settings.targets.joined(separator: ", ")) }
        for (key, module) in targets {
            let shape = (module as? Linear)?.weight.shape ?? (module as? Conv1D)?.weight.shape ?? []
            guard settings.rank <= shape.min() ?? 0 else {
                throw ModuleError.invalidSetting(
                    name: "LoRA rank", reason: "\(settings.rank) exceeds the size of \(key) \(shape)")
            }
            if let base = module as? Linear {
                try replace(
                    key,
                    with: LoRALinear(
                        wrapping: base, rank: settings.rank, alpha: settings.alpha, dropout: settings.dropout,
                        rankStabilized: settings.rankStabilized, source: source, rng: &rng))
            } else if let base = module as? Conv1D {
                try replace(
                    key,
                    with: LoRAConv1D(
                        wrapping: base, rank: settings.rank, alpha: settings.alpha, dropout: settings.dropout,
                        rankStabilized: settings.rankStabilized, source: source, rng: &rng))
            }
        }
        return targets.map(\.key)
    }

    /// Puts an ``AdaptedLinear`` (a bottleneck adapter of width `size` after the layer) in place of
    /// each `Linear` at `keys`, drawing the adapters from `rng` in order.
    /// - Throws: ``ModuleError/invalidSetting(name:reason:)`` for a size below 1,
    ///   ``ModuleError/noSuchModule(_:)`` for a key that is not a linear layer.
    public func injectAdapters(at keys: [String], size: Int, rng: inout KalamRandom) throws {
        guard size >= 1 else {
            throw ModuleError.invalidSetting(name: "adapter size", reason: "\(size) must be at least 1")
        }
        for key in keys {
            guard let base = module(at: key) as? Linear, !(base is AdaptedLinear) else {
                throw ModuleError.noSuchModule(key)
            }
            try replace(key, with: AdaptedLinear(wrapping: base, size: size, rng: &rng))
        }
    }

    /// Adds every LoRA update into its base weight (``LoRALinear/merge()``).
    /// - Returns: the number of layers merged.
    @discardableResult
    public func mergeLoRA() throws -> Int {
        var merged = 0
        for case let (_, layer as LoRALayer) in namedModules() where !layer.isMerged {
            try layer.merge()
            merged += 1
        }
        return merged
    }

    /// Merges every LoRA update into its base weight and puts a plain `Linear` (the same tensors) back in
    /// each wrapper's place, so the module has its original keys again (PEFT's `merge_and_unload`).
    /// - Returns: the number of layers unloaded.
    @discardableResult
    public func mergeAndUnloadLoRA() throws -> Int {
        let layers = namedModules().compactMap { key, module in (module as? LoRALayer).map { (key, $0) } }
        for (key, layer) in layers {
            try layer.merge()
            try replace(key, with: layer.unloaded())
        }
        return layers.count
    }
}
