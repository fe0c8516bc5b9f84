/// One recorded operation: the tensors it read and how to turn the gradient of its output into
/// gradients of those inputs.
///
/// `backward` receives the output gradient as a contiguous tensor of the output's shape and returns one
/// gradient per input (contiguous, of that input's shape), or `nil` for an input that needs none. The
/// closure must not capture the output tensor itself (that would be a reference cycle); capture a
/// `detached()` view of it instead.
final class GradNode {
    let op: String
    let inputs: [Tensor]
    let backward: (Tensor) -> [Tensor?]

    init(op: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations are recorded for `backward()`.
///
/// Recording is on by default; `Tensor.withoutGrad { … }` turns it off for evaluation and generation,
/// where no gradient is needed, so no graph is kept alive.
public enum GradMode {
    /// Task-local (and, outside tasks, thread-local), so concurrent work does not see another's scope.
    @TaskLocal static var disabled = false

    /// Whether operations on tensors that require gradients are recorded now.
    public static var isEnabled: Bool { !disabled }
}

extension Tensor {
    /// Runs `body` without recording operations for `backward()`.
    public static func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
        try GradMode.$disabled.withValue(true) { try body() }
    }

    /// Whether an operation on `inputs` must be recorded.
    static func needsGrad(_ inputs: [Tensor]) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    }

    /// Attaches a recorded operation to `self` (a fresh result) when any input requires gradients.
    @discardableResult
    func recording(_ op: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if Tensor.needsGrad(inputs) {
            requiresGrad = true
            node = GradNode(op: op, inputs: inputs, backward: backward)
        }
        return self
    }

    /// Computes the gradient of this tensor with respect to every leaf that requires gradients and adds it
    /// to that leaf's `grad`.
    ///
    /// The graph is released afterwards (intermediate tensors keep no reference to their inputs).
    /// - Parameter seed: the gradient of some scalar with respect to `self`; defaults to 1 for a scalar.
    /// - Throws: `TensorError.backwardOnNonScalar` without a seed on a non-scalar tensor,
    ///   `TensorError.shapeMismatch` for a seed of another shape, `TensorError.noGradient` when nothing
    ///   requires gradients.
    public func backward(seed: Tensor? = nil) throws {
        guard requiresGrad else { throw TensorError.noGradient }
        let start: Tensor
        if let seed {
            guard seed.shape == shape else {
                throw TensorError.shapeMismatch(op: "backward", lhs: shape, rhs: seed.shape)
            }
            start = seed.contiguous()
        } else {
            guard count == 1 else { throw TensorError.backwardOnNonScalar(shape: shape) }
            start = Tensor.full(shape, 1)
        }

        // Topological order of the recorded graph (iterative depth-first search).
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (tensor, next) = stack.popLast() {
            let inputs = tensor.node?.inputs ?? []
            if next < inputs.count {
                stack.append((tensor, next + 1))
                let input = inputs[next]
                if input.requiresGrad, visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(tensor)
            }
        }

        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): start]
        for tensor in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
            guard let node = tensor.node else {
                tensor.accumulateGrad(g)
                continue
            }
            let inputGrads = node.backward(g)
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard input.requiresGrad, let inputGrad else { continue }
                let key = ObjectIdentifier(input)
                if let existing = grads[key] {
                    grads[key] = Kernels.addDense(existing, inputGrad)
                } else {
                    grads[key] = inputGrad
                }
            }
            tensor.node = nil
        }
    }

    /// Adds `g` (contiguous, same shape) to `grad`, taking a private copy the first time.
    func accumulateGrad(_ g: Tensor) {
        if let existing = grad, existing.isContiguous, existing.storage !== g.storage {
            Kernels.addInPlace(existing.data, g.data, count: g.count)
        } else if let existing = grad {
            grad = Kernels.addDense(existing.contiguous(), g)
        } else {
            grad = g.copy()
        }
    }

    /// Sets `grad` to nil.
    public func zeroGrad() { grad = nil }
}
