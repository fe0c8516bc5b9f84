import KalamCore
import Testing

@Suite struct TensorErrorTests {
    @Test func badAxesAndPermutationsNameTheOperation() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(throws: TensorError.invalidAxis(op: "permute", axis: 5, rank: 2)) { try t.permuted([0, 5]) }
        #expect(throws: TensorError.invalidAxis(op: "permute", axis: -3, rank: 2)) { try t.permuted([-3, 0]) }
        #expect(
            throws: TensorError.invalidArgument(
                op: "permute", reason: "[0, 0] is not a permutation of the 2 axes of [2, 3]")
        ) { try t.permuted([0, 0]) }
        #expect(
            TensorError.invalidAxis(op: "permute", axis: 5, rank: 2).description
                == "permute: axis 5 is out of range for a tensor of rank 2")
    }

    @Test func backwardThroughNothingThatNeedsGradients() {
        let constant = Tensor(scalar: 3)
        #expect(throws: TensorError.noGradient) { try constant.backward() }
        #expect(
            TensorError.noGradient.description
                == "backward: the tensor does not depend on any tensor that requires gradients")
    }
}
