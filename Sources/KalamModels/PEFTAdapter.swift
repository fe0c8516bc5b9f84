import Foundation
import KalamCore
import KalamJSON
import KalamNN

/// An error reading or applying an adapter folder, naming the problem.
public enum AdapterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `adapter_config.json` is missing, not JSON, or lacks a field.
    case malformedConfig(path: String, reason: String)
    /// A PEFT option Kalam does not implement (DoRA, per-layer ranks, `fan_in_fan_out`, bias training…).
    case unsupported(field: String, value: String)
    /// The adapter was made for another base model: its tensors or targets do not fit this one.
    case baseMismatch(reason: String)

    public var description: String {
        switch self {
        case let .malformedConfig(path, reason): return "\(path): \(reason)"
        case let .unsupported(field, value): return "unsupported adapter setting \(field) = \(value)"
        case let .baseMismatch(reason): return "the adapter does not fit this base model: \(reason)"
        }
    }
}

/// What an adapter folder's `adapter_config.json` says: PEFT's LoRA fields as PEFT writes them, or a
/// Kalam bottleneck adapter (`peft_type` `KALAM_BOTTLENECK`, which PEFT does not read).
public struct AdapterConfig: Sendable, Equatable {
    /// PEFT's type name for LoRA.
    public static let loraType = "LORA"
    /// The type name of Kalam's Houlsby adapters.
    public static let bottleneckType = "KALAM_BOTTLENECK"

    /// `peft_type`.
    public var peftType: String
    /// LoRA's settings (rank, α, dropout, targets, rank-stabilised scaling).
    public var lora: LoRASettings
    /// The bottleneck width (Kalam adapters only).
    public var adapterSize: Int?
    /// The linear layers the bottleneck adapters follow (Kalam adapters only).
    public var adapterSites: [String]
    /// `modules_to_save`: modules saved whole beside the adapter (the new head).
    public var modulesToSave: [String]
    /// `base_model_name_or_path`: the base folder as it was given.
    public var baseModelNameOrPath: String?
    /// `task_type` (`SEQ_CLS`, `TOKEN_CLS`, `SEQ_2_SEQ_LM`).
    public var taskType: String?
    /// `fan_in_fan_out`: the wrapped layers store their weight `[in, out]` (GPT-2's `Conv1D`). Kalam reads
    /// the layout from the layer itself, as PEFT corrects the flag by layer type; it is written true when
    /// a wrapped layer is a `Conv1D`.
    public var fanInFanOut = false

    /// A LoRA adapter configuration.
    public init(
        lora: LoRASettings, modulesToSave: [String], baseModelNameOrPath: String?, taskType: String? = "SEQ_CLS"
    ) {
        peftType = Self.loraType
        self.lora = lora
        adapterSize = nil
        adapterSites = []
        self.modulesToSave = modulesToSave
        self.baseModelNameOrPath = baseModelNameOrPath
        self.taskType = taskType
    }

    /// A bottleneck adapter configuration.
    public init(adapterSize: Int, sites: [String], modulesToSave: [String], baseModelNameOrPath: String?) {
        peftType = Self.bottleneckType
        lora = LoRASettings()
        self.adapterSize = adapterSize
        adapterSites = sites
        self.modulesToSave = modulesToSave
        self.baseModelNameOrPath = baseModelNameOrPath
        taskType = "SEQ_CLS"
    }

    /// Reads `adapter_config.json` of a folder (or the file itself), strictly.
    /// - Throws: ``AdapterError/malformedConfig(path:reason:)`` for a missing file, bad JSON or a
    ///   missing or mistyped field; ``AdapterError/unsupported(field:value:)`` for a PEFT option Kalam
    ///   does not implement.
    public static func load(from url: URL) throws -> AdapterConfig {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let file = isDirectory.boolValue ? url.appendingPathComponent("adapter_config.json") : url
        guard exists, let data = FileManager.default.contents(atPath: file.path) else {
            throw AdapterError.malformedConfig(path: file.path, reason: "no adapter_config.json")
        }
        return try decode(data, path: file.path)
    }

    /// Decodes `adapter_config.json` bytes.
    public static func decode(_ data: Data, path: String = "adapter_config.json") throws -> AdapterConfig {
        func fail(_ reason: String) -> AdapterError { .malformedConfig(path: path, reason: reason) }
        let root: JSONValue
        do {
            root = try JSONValue.parse([UInt8](data))
        } catch let error as JSONError {
            throw fail(error.description)
        }
        guard case .object(let fields) = root else { throw fail("the top level is not a JSON object") }
        var values: [String: JSONValue] = [:]
        for (key, value) in fields { values[key] = value }
        func string(_ key: String) throws -> String? {
            switch values[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw fail("\"\(key)\" is not a string")
            }
        }
        func strings(_ key: String) throws -> [String]? {
            switch values[key] {
            case nil, .null?: return nil
            case .string(let s)?: return [s]
            case .array(let items)?:
                return try items.map {
                    guard case .string(let s) = $0 else { throw fail("\"\(key)\" holds a value that is not a string") }
                    return s
                }
            default: throw fail("\"\(key)\" is not a list of strings")
            }
        }
        func number(_ key: String) throws -> Double? {
            switch values[key] {
            case nil, .null?: return nil
            case .int(let n)?: return Double(n)
            case .double(let d)?: return d
            default: throw fail("\"\(key)\" is not a number")
            }
        }
        func integer(_ key: String) throws -> Int? {
            switch values[key] {
            case nil, .null?: return nil
            case .int(let n)?: return n
            default: throw fail("\"\(key)\" is not a whole number that fits")
            }
        }
        func flag(_ key: String) throws -> Bool {
            switch values[key] {
            case nil, .null?: return false
            case .bool(let b)?: return b
            default: throw fail("\"\(key)\" is not true or false")
            }
        }
        func requireEmpty(_ key: String) throws {
            switch values[key] {
            case nil, .null?: return
            case .object(let o)? where o.isEmpty: return
            case .array(let a)? where a.isEmpty: return
            default: throw AdapterError.unsupported(field: key, value: "a non-empty value")
            }
        }
        guard let type = try string("peft_type") else { throw fail("no \"peft_type\"") }
        var config: AdapterConfig
        let modules = try strings("modules_to_save") ?? []
        let base = try string("base_model_name_or_path")
        switch type {
        case loraType:
            guard let r = try integer("r") else { throw fail("no \"r\"") }
            guard (1...65_536).contains(r) else { throw fail("\"r\" \(r) is out of range") }
            let alpha = try number("lora_alpha") ?? 8
            let dropout = try number("lora_dropout") ?? 0
            guard alpha.isFinite, alpha > 0 else { throw fail("\"lora_alpha\" \(alpha) must be positive") }
            guard dropout >= 0, dropout < 1 else { throw fail("\"lora_dropout\" \(dropout) must be in [0, 1)") }
            guard let targets = try strings("target_modules"), !targets.isEmpty else {
                throw fail("no \"target_modules\"")
            }
            if case .string? = values["target_modules"] {
                throw AdapterError.unsupported(field: "target_modules", value: "a regular expression")
            }
            if try flag("use_dora") { throw AdapterError.unsupported(field: "use_dora", value: "true") }
            if let bias = try string("bias"), bias != "none" {
                throw AdapterError.unsupported(field: "bias", value: bias)
            }
            for key in ["rank_pattern", "alpha_pattern", "layers_to_transform"] { try requireEmpty(key) }
            let settings = LoRASettings(
                rank: r, alpha: Float(alpha), dropout: Float(dropout), targets: targets,
                rankStabilized: try flag("use_rslora"))
            config = AdapterConfig(
                lora: settings, modulesToSave: modules, baseModelNameOrPath: base, taskType: try string("task_type"))
            config.fanInFanOut = try flag("fan_in_fan_out")
        case bottleneckType:
            guard let size = try integer("adapter_size"), (1...65_536).contains(size) else {
                throw fail("\"adapter_size\" is missing or out of range")
            }
            guard let sites = try strings("adapter_sites"), !sites.isEmpty else { throw fail("no \"adapter_sites\"") }
            config = AdapterConfig(adapterSize: size, sites: sites, modulesToSave: modules, baseModelNameOrPath: base)
        default:
            throw AdapterError.unsupported(field: "peft_type", value: type)
        }
        return config
    }

    /// The file as PEFT writes it (its field names and defaults), pretty-printed with sorted keys.
    public func jsonData() throws -> Data {
        var object: [String: Any] = [
            "peft_type": peftType,
            "base_model_name_or_path": baseModelNameOrPath ?? NSNull(),
            "modules_to_save": modulesToSave.isEmpty ? NSNull() : modulesToSave,
            "task_type": taskType ?? NSNull(),
            "inference_mode": true,
            "revision": NSNull(),
        ]
        if peftType == Self.loraType {
            object["r"] = lora.rank
            object["lora_alpha"] = Double(lora.alpha)
            object["lora_dropout"] = Double(lora.dropout)
            object["target_modules"] = lora.targets.sorted()
            object["bias"] = "none"
            object["fan_in_fan_out"] = fanInFanOut
            object["init_lora_weights"] = true
            object["use_rslora"] = lora.rankStabilized
            object["use_dora"] = false
            object["layers_to_transform"] = NSNull()
            object["layers_pattern"] = NSNull()
            object["rank_pattern"] = [String: Any]()
            object["alpha_pattern"] = [String: Any]()
        } else {
            object["adapter_size"] = adapterSize ?? 0
            object["adapter_sites"] = adapterSites
        }
        return try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}

/// Adapter folders in and out: `adapter_config.json` + `adapter_model.safetensors`, with PEFT's key
/// layout (`base_model.model.<module key>.lora_A.weight`, and the `modules_to_save` tensors under their
/// own keys), so `PeftModel.from_pretrained` reads what Kalam writes and Kalam reads what PEFT writes.
public enum AdapterFolder {
    /// The prefix PEFT puts before every key.
    public static let keyPrefix = "base_model.model."

    /// Whether a parameter key belongs to the adapter (LoRA matrices or bottleneck adapters).
    public static func isAdapterKey(_ key: String) -> Bool {
        key.contains(".lora_A.") || key.contains(".lora_B.") || key.contains(".adapter.down.")
            || key.contains(".adapter.up.")
    }

    /// The keys saved for `model` under `config`: the adapter's and those of `modules_to_save`.
    static func savedKeys(_ model: Module, _ config: AdapterConfig) -> [String] {
        model.namedParameters().map(\.key).filter { key in
            isAdapterKey(key) || config.modulesToSave.contains { key == $0 || key.hasPrefix($0 + ".") }
        }
    }

    /// Writes `adapter_config.json` and `adapter_model.safetensors` into `directory` (each atomically).
    public static func save(_ model: Module, config: AdapterConfig, to directory: URL) throws {
        try createFolder(directory)
        var config = config
        if config.peftType == AdapterConfig.loraType {
            config.fanInFanOut = model.namedModules().contains { $0.module is LoRAConv1D }
        }
        let keys = Set(savedKeys(model, config))
        let tensors = model.namedParameters().filter { keys.contains($0.key) }.map {
            SafeTensors.TensorData.float32(name: keyPrefix + $0.key, shape: $0.tensor.shape, values: $0.tensor.scalars)
        }
        try SafeTensors.write(
            tensors: tensors, metadata: ["format": "pt"],
            to: directory.appendingPathComponent("adapter_model.safetensors"))
        try writeFile(
            try config.jsonData() + Data("\n".utf8), to: directory.appendingPathComponent("adapter_config.json"))
    }

    /// Puts the adapter of `directory` onto `model` (a base model with its head, already loaded):
    /// LoRA layers or bottleneck adapters are inserted as the configuration says, then every adapter
    /// tensor and every `modules_to_save` tensor is loaded, all or nothing.
    /// - Throws: ``AdapterError/baseMismatch(reason:)`` when a target matches no layer, a tensor has
    ///   another shape, or the file holds a key this model lacks; ``AdapterError`` for the configuration.
    @discardableResult
    public static func apply(
        _ directory: URL, to model: Module, source: RandomSource, seed: UInt64 = 0
    ) throws -> AdapterConfig {
        let config = try AdapterConfig.load(from: directory)
        let weights = directory.appendingPathComponent("adapter_model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw ModelError.fileNotFound(path: weights.path)
        }
        let file = try SafeTensorsFile(contentsOf: weights)
        var rng = KalamRandom(seed: seed)
        let head = config.modulesToSave.map { $0 + "." }
        do {
            if config.peftType == AdapterConfig.loraType {
                try model.injectLoRA(config.lora, excluding: head, source: source, rng: &rng)
            } else {
                try model.injectAdapters(at: config.adapterSites, size: config.adapterSize ?? 1, rng: &rng)
            }
        } catch let error as ModuleError {
            throw AdapterError.baseMismatch(reason: error.description)
        }
        let saved = Set(savedKeys(model, config))
        let others = Set(model.namedParameters().map(\.key)).subtracting(saved)
        do {
            try model.load(
                from: file, mapping: CheckpointMapping(checkpointKey: { keyPrefix + $0 }, optionalKeys: others))
        } catch let error as ModuleError {
            switch error {
            case .missingKey, .unexpectedKey, .shapeMismatch: throw AdapterError.baseMismatch(reason: error.description)
            default: throw error
            }
        }
        return config
    }
}
