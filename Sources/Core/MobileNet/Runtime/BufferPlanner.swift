/// Places tensors in one slab from their lifetimes (first and last use in
/// execution order): largest first, each at the lowest offset that overlaps
/// no tensor alive at the same time (the greedy-by-size plan of TFLite's
/// arena planner). For MobileNet v1's chain it reproduces ping-pong, in less
/// memory than two buffers of the largest size (1.0/224: 4.8 MB, not 6.4);
/// training's saved activations and residual blocks come out of the same
/// planner.
enum BufferPlanner {
    /// Offsets are multiples of 16 floats (64 bytes: a cache line, a zmm load).
    static let alignment = 16

    struct Tensor {
        let floats: Int
        let firstUse: Int
        let lastUse: Int
    }

    /// Each tensor's offset, and the slab's size in floats.
    static func plan(_ tensors: [Tensor]) -> (offsets: [Int], totalFloats: Int) {
        let order = tensors.indices.sorted { (tensors[$1].floats, $0) < (tensors[$0].floats, $1) }
        var offsets = [Int](repeating: 0, count: tensors.count)
        var placed: [Int] = []  // indices, in placement order
        var total = 0
        for index in order {
            let t = tensors[index]
            let size = (t.floats + alignment - 1) / alignment * alignment
            let live = placed.filter { tensors[$0].firstUse <= t.lastUse && t.firstUse <= tensors[$0].lastUse }
                .sorted { offsets[$0] < offsets[$1] }
            var offset = 0
            for other in live {
                let otherSize = (tensors[other].floats + alignment - 1) / alignment * alignment
                if offset + size <= offsets[other] { break }
                offset = max(offset, offsets[other] + otherSize)
            }
            offsets[index] = offset
            placed.append(index)
            total = max(total, offset + size)
        }
        return (offsets, total)
    }
}
