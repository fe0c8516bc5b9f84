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

    /// Keys a checkpoint may hold that name a parameter already loaded under another key (tied weights,
    /// e.g. `lm_head.weight` → `transformer.wte.weight`). Such tensors are checked for shape and skipped.
    open var tiedKeyAliases: [String: String] { [:] }

    /// Clears the gradients of every parameter.
    public func zeroGrad() {
        for (_, tensor) in namedParameters() { tensor.grad = nil }
    }
}
