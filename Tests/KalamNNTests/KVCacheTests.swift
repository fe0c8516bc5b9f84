import KalamCore
import Testing

@testable import KalamNN

/// `KVCache.reorder` against selecting the rows of a copy: swaps, duplicates, identity, a change of
/// row count, and a bad index; the buffer keeps appending afterwards.
@Suite struct KVCacheTests {
    /// A cache of `rows` rows, 2 heads, head size 3, with `length` positions of distinct values.
    static func filled(rows: Int, length: Int) throws -> (KVCache, Tensor, Tensor) {
        let shape = [rows, 2, length, 3]
        let count = shape.reduce(1, *)
        let keys = try Tensor((0..<count).map { Float($0) }, shape: shape)
        let values = try Tensor((0..<count).map { Float(-$0) }, shape: shape)
        let cache = KVCache(layerCount: 1)
        _ = try cache.append(layer: 0, keys: keys, values: values)
        return (cache, keys, values)
    }

    @Test(arguments: [[2, 0, 1], [1, 1, 1], [0, 1, 2], [0, 0, 2], [2, 1, 0]])
    func reorderingKeepsTheChosenRowsAndTheCacheGrowsOn(indices: [Int]) throws {
        let (cache, keys, values) = try Self.filled(rows: 3, length: 5)
        try cache.reorder(indices)
        let next = try Tensor((0..<18).map { Float(1000 + $0) }, shape: [3, 2, 1, 3])
        let (k, v) = try cache.append(layer: 0, keys: next, values: next)
        let wantK = try concat([try keys.selectingRows(indices), next], axis: 2)
        let wantV = try concat([try values.selectingRows(indices), next], axis: 2)
        #expect(k.shape == [3, 2, 6, 3])
        #expect(k.contiguous().scalars == wantK.scalars)
        #expect(v.contiguous().scalars == wantV.scalars)
    }

    @Test func reorderingToAnotherRowCountAndABadIndex() throws {
        let (cache, keys, _) = try Self.filled(rows: 2, length: 4)
        try cache.reorder([1, 1, 0, 0])
        #expect(cache.rows == 4)
        let next = Tensor.zeros([4, 2, 1, 3])
        let (k, _) = try cache.append(layer: 0, keys: next, values: next)
        let want = try concat([try keys.selectingRows([1, 1, 0, 0]), next], axis: 2)
        #expect(k.contiguous().scalars == want.scalars)
        #expect(throws: TensorError.indexOutOfRange(op: "selectingRows", index: 4, bound: 4)) {
            try cache.reorder([0, 4, 1, 2])
        }
    }
}
