import KalamCore

/// A parameter of a `Module`, found by reflection and addressed by `key` (the Hugging Face checkpoint
/// name, e.g. `weight`); without a key the property's name is used.
///
/// ```swift
/// final class Block: Module {
///     @Child(key: "ln_1") var norm1: LayerNorm
///     @Parameter var weight: Tensor
///     init(rng: inout KalamRandom) {
///         weight = Tensor.zeros([4])              // unkeyed: plain assignment
///         super.init()
///         _norm1.wrappedValue = LayerNorm(4)      // keyed: set through the wrapper
///     }
/// }
/// ```
@propertyWrapper
public final class Parameter<Value> {
    /// The checkpoint key of this parameter inside its module (nil: the property name).
    public let key: String?
    /// The tensor (or an optional tensor, for parameters a configuration may leave out).
    /// Optimizers and loaders update its values in place.
    public var wrappedValue: Value {
        get { value! }
        set {
            value = newValue
            (newValue as? Tensor)?.requiringGrad()
        }
    }
    private var value: Value?

    /// Wraps a parameter tensor (`Tensor` or `Tensor?`); it is marked as requiring gradients.
    public init(wrappedValue: Value, key: String? = nil) {
        self.key = key
        self.value = wrappedValue
        (wrappedValue as? Tensor)?.requiringGrad()
    }

    /// A keyed parameter set later in the module's initialiser: `_weight.wrappedValue = tensor`.
    public init(key: String) {
        self.key = key
        self.value = nil
    }
}

/// A sub-module (a `Module`, an array of modules keyed `0`, `1`, …, or an optional module) of a `Module`,
/// addressed by `key`; without a key the property's name is used.
@propertyWrapper
public final class Child<Value> {
    /// The checkpoint key of this child inside its module (nil: the property name).
    public let key: String?
    /// The child module(s).
    public var wrappedValue: Value {
        get { value! }
        set { value = newValue }
    }
    private var value: Value?

    /// Wraps a child module, an array of modules or an optional module.
    public init(wrappedValue: Value, key: String? = nil) {
        self.key = key
        self.value = wrappedValue
    }

    /// A keyed child set later in the module's initialiser: `_attention.wrappedValue = module`.
    public init(key: String) {
        self.key = key
        self.value = nil
    }
}

protocol ParameterSlot {
    var slotKey: String? { get }
    var tensor: Tensor? { get }
}
protocol ChildSlot {
    var slotKey: String? { get }
    var modules: [(String?, Module)] { get }
    /// Puts `module` in place of the child (or of element `index` of an array child); false when the
    /// module's type does not fit the slot or the index is outside the array.
    func replace(index: Int?, with module: Module) -> Bool
}

extension Parameter: ParameterSlot {
    var slotKey: String? { key }
    var tensor: Tensor? { value.flatMap { $0 as? Tensor } }
}

extension Child: ChildSlot {
    var slotKey: String? { key }
    var modules: [(String?, Module)] {
        guard let value else { return [] }
        if let module = value as? Module { return [(nil, module)] }
        if let list = value as? [Module] { return list.enumerated().map { ("\($0.offset)", $0.element) } }
        return []
    }

    func replace(index: Int?, with module: Module) -> Bool {
        if let index {
            guard var list = value as? [Module], list.indices.contains(index) else { return false }
            list[index] = module
            guard let typed = list as? Value else { return false }
            value = typed
            return true
        }
        guard let typed = module as? Value else { return false }
        value = typed
        return true
    }
}

/// The base of every layer and model: it finds its parameters and sub-modules by reflection, names them
/// with Hugging Face's dotted key paths, switches between training and evaluation, and freezes by prefix.
///
/// Subclasses declare parameters with `@Parameter` and sub-modules with `@Child`. Keys are exactly the
/// checkpoint keys (`transformer.h.0.attn.c_attn.weight`), so loading a checkpoint is a key-for-key
/// copy (see `Module+StateDict.swift`).
open class Module {
    /// Whether the module is in training mode (dropout active).
    public private(set) var isTraining = true

    /// Creates a module in training mode.
    public init() {}

    /// The direct parameters and children, in declaration order (superclass properties first).
    private func slots() -> (parameters: [(String, Tensor)], children: [(String, Module)]) {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror {
            mirrors.insert(m, at: 0)
            mirror = m.superclassMirror
        }
        var parameters: [(String, Tensor)] = [], children: [(String, Module)] = []
        for m in mirrors {
            for child in m.children {
                let name = child.label.map { $0.hasPrefix("_") ? String($0.dropFirst()) : $0 } ?? ""
                if let slot = child.value as? ParameterSlot {
                    if let tensor = slot.tensor { parameters.append((slot.slotKey ?? name, tensor)) }
                } else if let slot = child.value as? ChildSlot {
                    let key = slot.slotKey ?? name
                    for (sub, module) in slot.modules {
                        children.append((sub.map { "\(key).\($0)" } ?? key, module))
                    }
                }
            }
        }
        return (parameters, children)
    }

    /// The direct sub-modules with their keys.
    public func namedChildren() -> [(key: String, module: Module)] { slots().children.map { ($0.0, $0.1) } }

    /// This module and every module below it, with dotted keys (`""` for this one).
    public func namedModules() -> [(key: String, module: Module)] {
        var result: [(key: String, module: Module)] = [("", self)]
        for (key, child) in namedChildren() {
            for (sub, module) in child.namedModules() { result.append((sub.isEmpty ? key : "\(key).\(sub)", module)) }
        }
        return result
    }

    /// Every parameter with its dotted key, depth first in declaration order. A tensor shared by two
    /// modules (tied weights) is listed once, under its first key.
    public func namedParameters() -> [(key: String, tensor: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(key: String, tensor: Tensor)] = []
        func visit(_ module: Module, _ prefix: String) {
            let (parameters, children) = module.slots()
            for (key, tensor) in parameters where seen.insert(ObjectIdentifier(tensor)).inserted {
                result.append((prefix + key, tensor))
            }
            for (key, child) in children { visit(child, prefix + key + ".") }
        }
        visit(self, "")
        return result
    }

    /// The parameters that receive gradients (not frozen).
    public func trainableParameters() -> [(key: String, tensor: Tensor)] {
        namedParameters().filter { $0.tensor.requiresGrad }
    }

    /// The number of parameter values.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.tensor.count } }

    /// The number of parameter values that receive gradients.
    public var trainableParameterCount: Int { trainableParameters().reduce(0) { $0 + $1.tensor.count } }

    /// Switches this module and all below it to training (`true`) or evaluation (`false`) mode.
    public func train(_ on: Bool = true) {
        for (_, module) in namedModules() { module.isTraining = on }
    }

    /// Switches to evaluation mode (dropout off).
    public func eval() { train(false) }

    /// Stops gradients for every parameter whose key starts with `prefix` (all when empty).
    /// - Returns: the number of parameters frozen.
    @discardableResult
    public func freeze(prefix: String = "") -> Int { setTrainable(false, prefix: prefix) }

    /// Lets gradients flow again to every parameter whose key starts with `prefix` (all when empty).
    /// - Returns: the number of parameters unfrozen.
    @discardableResult
    public func unfreeze(prefix: String = "") -> Int { setTrainable(true, prefix: prefix) }

    private func setTrainable(_ on: Bool, prefix: String) -> Int {
        var changed = 0
        let scope = prefix.isEmpty || prefix.hasSuffix(".") ? prefix : prefix + "."
        for (key, tensor) in namedParameters() where key == prefix || key.hasPrefix(scope) {
            tensor.requiringGrad(on)
            changed += 1
        }
        return changed
    }

    /// The module at a dotted key path (`encoder.layer.3.attention.self.query`; `""` is this module), or nil.
    public func module(at key: String) -> Module? {
        namedModules().first { $0.key == key }?.module
    }

    /// Puts `replacement` where the module at `key` is (a LoRA or adapter wrapper in place of a layer).
    ///
    /// The slot keeps its declared type, so the replacement must be of that type or a subclass of it
    /// (a `LoRALinear` where a `Linear` was). Parameter keys below the slot become the replacement's.
    /// - Throws: ``ModuleError/noSuchModule(_:)`` when no child has that key,
    ///   ``ModuleError/incompatibleReplacement(key:expected:found:)`` when the type does not fit.
    public func replace(_ key: String, with replacement: Module) throws {
        for (prefix, parent) in namedModules() {
            let rest: Substring
            if prefix.isEmpty {
                rest = Substring(key)
            } else if key.hasPrefix(prefix + ".") {
                rest = key.dropFirst(prefix.count + 1)
            } else {
                continue
            }
            for (name, slot) in parent.childSlots() {
                var index: Int? = nil
                if rest == name {
                    index = nil
                } else if rest.hasPrefix(name + "."), let i = Int(rest.dropFirst(name.count + 1)) {
                    index = i
                } else {
                    continue
                }
                let current = slot.modules.first { index == nil ? $0.0 == nil : $0.0 == "\(index!)" }?.1
                guard let current else { continue }
                guard slot.replace(index: index, with: replacement) else {
                    throw ModuleError.incompatibleReplacement(
                        key: key, expected: String(describing: type(of: current)),
                        found: String(describing: type(of: replacement)))
                }
                return
            }
        }
        throw ModuleError.noSuchModule(key)
    }

    /// The child slots of this module with their keys (without array indices).
    private func childSlots() -> [(String, ChildSlot)] {
        var result: [(String, ChildSlot)] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror {
            for child in m.children {
                guard let slot = child.value as? ChildSlot else { continue }
                let name = child.label.map { $0.hasPrefix("_") ? String($0.dropFirst()) : $0 } ?? ""
                result.append((slot.slotKey ?? name, slot))
            }
            mirror = m.superclassMirror
        }
        return result
    }

    /// The parameters split into groups: each parameter goes to the first group that matches it, the
    /// rest to `"decay"` or `"no_decay"` by ``ParameterGroup/defaultDecays(key:shape:)``. Groups that
    /// receive no parameter are left out; the order is that of `groups`, then decay, then no decay.
    public func parameterGroups(_ groups: [ParameterGroup] = []) -> [(name: String, parameters: NamedParameters)] {
        var buckets = [NamedParameters](repeating: [], count: groups.count + 2)
        for (key, tensor) in namedParameters() {
            if let g = groups.firstIndex(where: { $0.matches(key, tensor.shape) }) {
                buckets[g].append((key, tensor))
            } else {
                let decays = ParameterGroup.defaultDecays(key: key, shape: tensor.shape)
                buckets[groups.count + (decays ? 0 : 1)].append((key, tensor))
            }
        }
        let names = groups.map(\.name) + ["decay", "no_decay"]
        return zip(names, buckets).filter { !$0.1.isEmpty }.map { ($0.0, $0.1) }
    }

    /// The layer a parameter key belongs to: the number after a `layer`, `h` or `block` component
    /// (`bert.encoder.layer.3.…` → 3, `transformer.h.0.…` → 0, `decoder.block.2.…` → 2), or nil for
    /// embeddings, heads and final norms. Layer-wise learning rates and gradual unfreezing use it.
    public static func layerIndex(of key: String) -> Int? {
        let parts = key.split(separator: ".")
        for (i, part) in parts.enumerated().dropLast() where part == "layer" || part == "h" || part == "block" {
            if let n = Int(parts[i + 1]) { return n }
        }
        return nil
    }

    /// Keys a checkpoint may hold that name a parameter already loaded under another key (tied weights,
    /// e.g. `lm_head.weight` → `transformer.wte.weight`). Such tensors are checked for shape and skipped.
    open var tiedKeyAliases: [String: String] { [:] }

    /// Stores every weight matrix (each rank-2 parameter: projections, embedding tables, tied heads)
    /// as bfloat16 for decoding: the values are rounded in place and one-row products stream a 16-bit
    /// copy, half the bytes per generated token; the arithmetic stays float32, and biases and
    /// normalisation weights stay float32. For inference: an optimizer step drops a tensor's copy.
    /// - Returns: the number of values stored as bfloat16.
    @discardableResult
    public func storeWeightsAsBFloat16() throws -> Int {
        var stored = 0
        for (_, tensor) in namedParameters() where tensor.rank == 2 {
            try tensor.storeAsBFloat16()
            stored += tensor.count
        }
        return stored
    }

    /// Clears the gradients of every parameter.
    public func zeroGrad() {
        for (_, tensor) in namedParameters() { tensor.grad = nil }
    }
}
