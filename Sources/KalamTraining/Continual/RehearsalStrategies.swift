import Foundation
import KalamCore
import KalamNN

/// Experience replay: a reservoir buffer of at most `memory` training examples of earlier tasks
/// (``ReservoirBuffer``), `replayRows` of them drawn into every batch after the first task.
public final class ReplayStrategy: ContinualStrategy {
    public let name = "replay"
    /// The buffer.
    public let buffer: ReservoirBuffer
    /// Buffer examples appended to each batch.
    public let replayRows: Int

    /// Replay with a buffer of `memory` examples.
    /// - Throws: ``ContinualError/invalidSetting(strategy:name:value:reason:)`` for a memory below 1.
    public init(memory: Int, replayRows: Int, seed: UInt64) throws {
        buffer = try ReservoirBuffer(capacity: memory, seed: seed)
        self.replayRows = replayRows
    }

    public var memoryExamples: Int { buffer.examples.count }

    public func batchSource(
        task: Int, examples: [ContinualExample], scenario: ContinualScenario, seed: UInt64
    ) throws -> any BatchSource {
        try ContinualBatches(
            examples: examples, batchSize: scenario.settings.batchSize, seed: seed, scenario: scenario, replay: buffer,
            replayRows: replayRows)
    }

    public func afterTask(_ task: Int, scenario: ContinualScenario) throws {
        buffer.offer(scenario.tasks[task].train)
    }

    public func stateTensors() -> [String: Tensor] { buffer.stateTensors(prefix: "buffer.") }
    public func restore(stateTensors: [String: Tensor]) throws { try buffer.restore(stateTensors, prefix: "buffer.") }
}

/// Averaged gradient episodic memory (Chaudhry et al. 2019): after backward, a reference gradient
/// `g_ref` is computed on `referenceRows` examples drawn from a reservoir buffer of earlier tasks; when
/// the step's gradient `g` has `g · g_ref < 0` it is replaced by `g − (g · g_ref / g_ref · g_ref) g_ref`
/// (``project(_:reference:)``), so the step does not increase the loss on the memory to first order.
public final class AGEMStrategy: ContinualStrategy {
    public let name = "agem"
    /// The episodic memory.
    public let buffer: ReservoirBuffer
    /// Buffer examples in each reference gradient.
    public let referenceRows: Int
    /// Steps whose gradient was projected, and steps with a reference, in the current task.
    public private(set) var projections = (projected: 0, total: 0)
    weak var scenario: ContinualScenario?
    var task = 0
    let seed: UInt64

    /// A-GEM with a memory of `memory` examples.
    public init(memory: Int, referenceRows: Int, seed: UInt64) throws {
        buffer = try ReservoirBuffer(capacity: memory, seed: seed)
        self.referenceRows = referenceRows
        self.seed = seed
    }

    public var memoryExamples: Int { buffer.examples.count }

    public func beforeTask(_ task: Int, scenario: ContinualScenario) throws {
        self.scenario = scenario
        self.task = task
        projections = (0, 0)
    }

    public func afterTask(_ task: Int, scenario: ContinualScenario) throws {
        buffer.offer(scenario.tasks[task].train)
    }

    /// `g` projected so that it has no negative dot product with `reference`: `g` itself when
    /// `g · reference ≥ 0` (or the reference is zero), else `g − (g · r / r · r) r`.
    public static func project(_ g: [Float], reference r: [Float]) -> [Float] {
        var dot = 0.0, norm = 0.0
        for k in g.indices {
            dot += Double(g[k]) * Double(r[k])
            norm += Double(r[k]) * Double(r[k])
        }
        guard dot < 0, norm > 0 else { return g }
        let scale = dot / norm
        return g.indices.map { Float(Double(g[$0]) - scale * Double(r[$0])) }
    }

    public func transformGradients(_ parameters: NamedParameters, step: Int) throws {
        guard let scenario, !buffer.examples.isEmpty else { return }
        var rng = KalamRandom(seed: seed).fork(stream: UInt64(task) << 32 + UInt64(step))
        let reference = scenario.batch(buffer.sample(referenceRows, rng: &rng))
        let own = parameters.map { $0.tensor.grad!.contiguous() }
        let all = scenario.model.trainableParameters()
        zeroGrad(all)
        try scenario.loss(reference).backward()
        let ref = parameters.map { $0.tensor.grad?.contiguous() }
        var dot = 0.0, norm = 0.0
        for (g, r) in zip(own, ref) {
            guard let r else { continue }
            let (gs, rs) = (g.data, r.data)
            for k in 0..<g.count {
                dot += Double(gs[k]) * Double(rs[k])
                norm += Double(rs[k]) * Double(rs[k])
            }
        }
        projections.total += 1
        if dot < 0, norm > 0 {
            // g − (g · r / r · r) r, parameter by parameter (``project(_:reference:)`` on the whole vector).
            projections.projected += 1
            let scale = Float(dot / norm)
            for (g, r) in zip(own, ref) {
                guard let r else { continue }
                let (gs, rs) = (g.data, r.data)
                for k in 0..<g.count { gs[k] -= scale * rs[k] }
            }
        }
        zeroGrad(all)
        for (p, g) in zip(parameters, own) { p.tensor.grad = g }
    }

    public func stateTensors() -> [String: Tensor] { buffer.stateTensors(prefix: "buffer.") }
    public func restore(stateTensors: [String: Tensor]) throws { try buffer.restore(stateTensors, prefix: "buffer.") }
}

/// Learning without forgetting (Li & Hoiem 2016): while task `t` is learnt, the outputs of the model as
/// it was before the task (the teacher) on the current batch are kept by distillation,
/// `λ · T² · KL(softmax(teacher / T) ‖ softmax(student / T))` with temperature `T` = 2, over each
/// earlier task's head (``ContinualScenario/distillationGroups(before:)``).
public final class LwFStrategy: ContinualStrategy {
    public let name = "lwf"
    /// The weight λ of the distillation term.
    public let strength: Float
    /// The temperature.
    public let temperature: Float
    var teacher: ParameterSnapshot?
    var groups: [Range<Int>] = []
    weak var scenario: ContinualScenario?

    /// LwF with weight `lambda` and temperature `temperature`.
    public init(lambda: Float, temperature: Float = 2) throws {
        try checkStrength(lambda, strategy: "lwf")
        strength = lambda
        self.temperature = temperature
    }

    public func beforeTask(_ task: Int, scenario: ContinualScenario) throws {
        self.scenario = scenario
        groups = scenario.distillationGroups(before: task)
        teacher = task == 0 ? nil : ParameterSnapshot(scenario.model.namedParameters())
    }

    public func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor? {
        guard let teacher, let scenario, !groups.isEmpty, strength > 0 else { return nil }
        let old = try Tensor.withoutGrad {
            try teacher.withAssigned(to: model) {
                model.eval()
                defer { model.train() }
                return try scenario.logits(batch)
            }
        }
        let new = try scenario.logits(batch)
        return try Self.distillation(student: new, teacher: old, groups: groups, temperature: temperature) * strength
    }

    /// `T² · mean over rows of Σ_groups KL(softmax(teacher/T) ‖ softmax(student/T))` over the last axis.
    public static func distillation(
        student: Tensor, teacher: Tensor, groups: [Range<Int>], temperature: Float
    ) throws -> Tensor {
        let axis = student.rank - 1
        let rows = Float(student.count / student.shape[axis])
        var total: Tensor?
        for group in groups {
            let p = try (try teacher.slice(axis: axis, group) / temperature).softmax(axis: -1)
            let logP = try (try teacher.slice(axis: axis, group) / temperature).logSoftmax(axis: -1)
            let logQ = try (try student.slice(axis: axis, group) / temperature).logSoftmax(axis: -1)
            let term = try (p * (logP - logQ)).sum()
            total = try total.map { try $0 + term } ?? term
        }
        return (total ?? Tensor(scalar: 0)) * (temperature * temperature / rows)
    }

    public func stateTensors() -> [String: Tensor] { teacher?.stateTensors(prefix: "teacher.") ?? [:] }
    public func restore(stateTensors: [String: Tensor]) throws {
        teacher = ParameterSnapshot.restore(stateTensors, prefix: "teacher.")
    }
}

/// A dual-memory strategy in the manner of CLS-ER (Arani et al. 2022): the working (fast) model learns
/// each task with replay from a reservoir buffer; a slow model, the exponential moving average
/// `θ_s ← α θ_s + (1 − α) θ` taken after every step, consolidates; a consistency term
/// `λ · mean((f_θ(x) − f_s(x))²)` on `replayRows` buffer examples per step keeps the working model's
/// outputs near the slow model's; tasks are scored with the slow model.
public final class DualMemoryStrategy: ContinualStrategy {
    public let name = "dual-memory"
    /// The episodic memory.
    public let buffer: ReservoirBuffer
    /// Buffer examples in each batch and in each consistency term.
    public let replayRows: Int
    /// The weight of the consistency term.
    public let strength: Float
    /// The EMA decay α of the slow model.
    public let decay: Float
    /// The slow model's values (trainable parameters).
    public private(set) var slow: ParameterSnapshot?
    weak var scenario: ContinualScenario?
    var steps = 0
    let seed: UInt64

    /// A dual memory of `memory` examples.
    public init(memory: Int, replayRows: Int, lambda: Float, decay: Float, seed: UInt64) throws {
        try checkStrength(lambda, strategy: "dual-memory")
        guard decay >= 0, decay < 1 else {
            throw ContinualError.invalidSetting(
                strategy: "dual-memory", name: "decay", value: "\(decay)", reason: "must be in [0, 1)")
        }
        buffer = try ReservoirBuffer(capacity: memory, seed: seed)
        self.replayRows = replayRows
        strength = lambda
        self.decay = decay
        self.seed = seed
    }

    public var memoryExamples: Int { buffer.examples.count }

    public func prepare(_ scenario: ContinualScenario) throws {
        self.scenario = scenario
        slow = ParameterSnapshot(scenario.model.trainableParameters())
    }

    public func batchSource(
        task: Int, examples: [ContinualExample], scenario: ContinualScenario, seed: UInt64
    ) throws -> any BatchSource {
        try ContinualBatches(
            examples: examples, batchSize: scenario.settings.batchSize, seed: seed, scenario: scenario, replay: buffer,
            replayRows: replayRows)
    }

    public func beforeTask(_ task: Int, scenario: ContinualScenario) throws { self.scenario = scenario }

    public func afterTask(_ task: Int, scenario: ContinualScenario) throws {
        buffer.offer(scenario.tasks[task].train)
    }

    public func extraLoss(model: TrainableModel, batch: Batch) throws -> Tensor? {
        guard let scenario, let slow, strength > 0, !buffer.examples.isEmpty else { return nil }
        var rng = KalamRandom(seed: seed).fork(stream: 1 << 40 + UInt64(steps))
        let memory = scenario.batch(buffer.sample(replayRows, rng: &rng))
        let target = try Tensor.withoutGrad {
            try slow.withAssigned(to: model) {
                model.eval()
                defer { model.train() }
                return try scenario.logits(memory)
            }
        }
        let working = try scenario.logits(memory)
        return try (working - target).square().mean() * strength
    }

    public func afterStep(model: TrainableModel, step: Int) throws {
        steps += 1
        guard let slow else { return }
        for (key, theta) in model.trainableParameters() {
            guard let s = slow.values[key]?.data else { continue }
            let now = theta.contiguous().data
            for k in 0..<theta.count { s[k] = decay * s[k] + (1 - decay) * now[k] }
        }
    }

    public func score(task: Int, scenario: ContinualScenario) throws -> Double {
        guard let slow else { return try scenario.score(task: task) }
        return try slow.withAssigned(to: scenario.model) { try scenario.score(task: task) }
    }

    public func stateTensors() -> [String: Tensor] {
        var state = buffer.stateTensors(prefix: "buffer.")
        state.merge(slow?.stateTensors(prefix: "slow.") ?? [:]) { a, _ in a }
        state["steps"] = Tensor(scalar: Float(steps))
        return state
    }

    public func restore(stateTensors state: [String: Tensor]) throws {
        try buffer.restore(state, prefix: "buffer.")
        if let saved = ParameterSnapshot.restore(state, prefix: "slow.") { slow = saved }
        steps = Int(try state["steps"]?.item() ?? 0)
    }
}

/// Dynamic architecture: LoRA (rank 8 on the family's default targets: BERT's query and value, GPT-2's
/// c_attn) per task, with the task heads, chosen by task
/// id at test time. Before each task the LoRA weights and head start fresh (the values after
/// injection); after it they are kept as the task's module; task `j` is scored with module `j` (or the
/// fresh one before it is learnt). The shared base is frozen, so no task can forget.
public final class TaskAdaptersStrategy: ContinualStrategy {
    public let name = "adapters"
    /// The LoRA rank.
    public let rank: Int
    var initial: ParameterSnapshot?
    var modules: [Int: ParameterSnapshot] = [:]
    let seed: UInt64

    /// Adapters of rank `rank`.
    public init(rank: Int = 8, seed: UInt64) {
        self.rank = rank
        self.seed = seed
    }

    public func prepare(_ scenario: ContinualScenario) throws {
        guard let model = scenario.model as? AdaptableModel else {
            throw ContinualError.unsupported(
                strategy: name, scenario: scenario.name,
                reason: "the model takes no LoRA (a sequence classifier is needed)")
        }
        try Adaptation.apply(
            .lora(rank: rank), to: model, lora: LoRASettings(targets: model.defaultLoRATargets), seed: seed)
        initial = ParameterSnapshot(model.trainableParameters())
    }

    public func beforeTask(_ task: Int, scenario: ContinualScenario) throws {
        try initial?.assign(to: scenario.model)
    }

    public func afterTask(_ task: Int, scenario: ContinualScenario) throws {
        modules[task] = ParameterSnapshot(scenario.model.trainableParameters())
    }

    public func score(task: Int, scenario: ContinualScenario) throws -> Double {
        guard let module = modules[task] ?? initial else { return try scenario.score(task: task) }
        return try module.withAssigned(to: scenario.model) { try scenario.score(task: task) }
    }

    public func stateTensors() -> [String: Tensor] {
        var state = initial?.stateTensors(prefix: "initial.") ?? [:]
        for (task, module) in modules { state.merge(module.stateTensors(prefix: "task\(task).")) { a, _ in a } }
        return state
    }

    public func restore(stateTensors state: [String: Tensor]) throws {
        if let saved = ParameterSnapshot.restore(state, prefix: "initial.") { initial = saved }
        modules = [:]
        var task = 0
        while let module = ParameterSnapshot.restore(state, prefix: "task\(task).") {
            modules[task] = module
            task += 1
        }
    }
}
