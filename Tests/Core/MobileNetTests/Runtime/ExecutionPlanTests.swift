import XCTest
@testable import MobileNet
import MobileNetKernelInterface

final class ExecutionPlanTests: XCTestCase {
    func testTilesHoldWholeGEMMRowBlocks() {
        let blocks = testedTiers.map { KernelSelection.kernels($0).gemmRowBlock }
            + testedTiers.map { KernelSelection.qs8Kernels($0).qgemmRowBlock }
        for rowBlock in Set(blocks) {
            for width in 1...120 {
                for height in [1, 2, 5, 7, 14, 112] {
                    let rows = FusedDepthwisePointwise.tileRows(width: width, height: height, rowBlock: rowBlock)
                    XCTAssertTrue((1...height).contains(rows), "\(width)x\(height)")
                    if rows < height {
                        // Every tile but the last starts on a row block of the GEMM.
                        XCTAssertEqual(rows * width % rowBlock, 0, "\(width)x\(height), block \(rowBlock)")
                        XCTAssertGreaterThanOrEqual(rows * width, 36, "\(width)x\(height)")
                    }
                }
            }
        }
    }

    func testOnlyTheEarlyBlocksOfTheBundledShapeFuse() throws {
        // α = 1.0 at 224: blocks 1-5 (weights up to 256 x 256) fuse; from the
        // 14x14 blocks on, the weights outweigh the activations.
        let model = try Model.from(TestModelFile(alpha: 1.0, classes: 10).bytes())
        let arena = try model.network.makeArena(height: 224, width: 224)
        let fused = arena.plan(fused: true).passes.compactMap { pass -> String? in
            if case let .fused(pair) = pass { return pair.depthwise.spec.name + "+" + pair.pointwise.spec.name }
            return nil
        }
        XCTAssertEqual(fused, (1...5).map { "Conv2d_\($0)_depthwise+Conv2d_\($0)_pointwise" })
        XCTAssertEqual(arena.plan(fused: false).passes.count, model.network.layers.count)
    }

    func testFusedAndSingleLayerPassesGiveTheSameBits() throws {
        // Sizes whose widths give tiles of 1 to several rows and a short last tile.
        let bytes = TestModelFile(alpha: 0.5, classes: 16, seed: 5).bytes()
        for tier in testedTiers {
            for threads in [1, 2, 3] {
                let model = try Model.from(bytes, options: LoadOptions(numThreads: threads, maxTier: tier))
                for (h, w) in [(224, 224), (61, 47), (35, 96), (9, 13)] {
                    var state: UInt64 = UInt64(h * w)
                    let x: [Float] = (0..<(h * w * 3)).map { _ in
                        state = state &* 6364136223846793005 &+ 1442695040888963407
                        return Float(Double(state >> 40) / Double(1 << 24)) * 2 - 1
                    }
                    let arena = try model.network.makeArena(height: h, width: w)
                    var fused = [Float](repeating: .nan, count: 16), single = fused
                    model.network.forward(x, arena: arena, output: &fused, fused: true)
                    model.network.forward(x, arena: arena, output: &single, fused: false)
                    XCTAssertEqual(fused, single, "\(tier.name) \(h)x\(w), \(threads) threads")
                    XCTAssertTrue(fused.allSatisfy { $0.isFinite })
                }
            }
        }
    }

    /// The 8-bit layers fuse the same blocks, and the exact integers make
    /// fused and single-layer passes agree bit for bit at any tile size.
    func testQuantizedModelsFuseTheEarlyBlocksWithTheSameBits() throws {
        let path = Array((Fixtures.root + "/tests/fixtures/tflite/mobilenet_v1_1.0_224_int8.tflite").utf8CString)
        // Under the sanitizers (28 s under ThreadSanitizer in full): 2 threads, two sizes.
        let quick = TrainerGradientTests.quick
        for tier in testedTiers {
            for threads in quick ? [2] : [1, 2, 3] {
                let model = try Model(pathBytes: path, options: LoadOptions(numThreads: threads, maxTier: tier))
                let fusedNames = try model.network.makeArena(height: 224, width: 224).plan(fused: true).passes
                    .compactMap { pass -> String? in
                        if case let .fused(pair) = pass { return pair.depthwise.spec.name }
                        return nil
                    }
                XCTAssertEqual(fusedNames, (1...5).map { "Conv2d_\($0)_depthwise" }, tier.name)
                for (h, w) in quick ? [(61, 47), (35, 96)] : [(224, 224), (61, 47), (35, 96), (9, 13)] {
                    let arena = try model.network.makeArena(height: h, width: w)
                    var state: UInt64 = UInt64(h * w)
                    let x: [Float] = (0..<(h * w * 3)).map { _ in
                        state = state &* 6364136223846793005 &+ 1442695040888963407
                        return Float(Double(state >> 40) / Double(1 << 24)) * 2 - 1
                    }
                    var fused = [Float](repeating: .nan, count: 1001), single = fused
                    model.network.forward(x, arena: arena, output: &fused, fused: true)
                    model.network.forward(x, arena: arena, output: &single, fused: false)
                    XCTAssertEqual(fused, single, "\(tier.name) \(h)x\(w), \(threads) threads")
                    XCTAssertTrue(fused.allSatisfy { $0.isFinite })
                }
            }
        }
    }

    func testPassOutputsDoNotOverlapWhileAlive() throws {
        let model = try Model.from(TestModelFile(alpha: 0.75, classes: 10).bytes())
        for fused in [false, true] {
            for (h, w) in [(224, 224), (33, 17), (1, 1)] {
                let plan = ExecutionPlan(layers: model.network.layers, height: h, width: w, fuse: fused)
                var extents: [Range<Int>] = []
                for (p, pass) in plan.passes.enumerated() {
                    let out = plan.steps[plan.layers(of: pass).last!].output
                    let offset = plan.outputOffsets[p]
                    extents.append(offset..<(offset + out.height * out.width * out.pixelStride))
                    XCTAssertLessThanOrEqual(extents[p].upperBound, plan.slabFloats)
                    XCTAssertEqual(offset % BufferPlanner.alignment, 0)
                }
                // A pass reads the previous pass's output while writing its own.
                for p in 1..<extents.count {
                    XCTAssertFalse(extents[p].overlaps(extents[p - 1]), "\(h)x\(w) fused \(fused): pass \(p)")
                }
            }
        }
    }

    func testBufferPlannerReusesMemoryOfDeadTensors() {
        // A chain a -> b -> c -> d: a and c (and b and d) may share; sizes 10, 40, 20, 30 floats.
        let tensors = [10, 40, 20, 30].enumerated().map { BufferPlanner.Tensor(floats: $1, firstUse: $0, lastUse: $0 + 1) }
        let (offsets, total) = BufferPlanner.plan(tensors)
        let sizes = [16, 48, 32, 32]  // rounded up to 16 floats
        for i in 0..<4 {
            for j in (i + 1)..<4 where tensors[i].lastUse >= tensors[j].firstUse {
                let a = offsets[i]..<(offsets[i] + sizes[i]), b = offsets[j]..<(offsets[j] + sizes[j])
                XCTAssertFalse(a.overlaps(b), "tensors \(i) and \(j) are alive together")
            }
        }
        XCTAssertEqual(total, 48 + 32, "the two largest neighbours bound the slab")
        XCTAssertEqual(BufferPlanner.plan([]).totalFloats, 0)
    }

    func testCompilingFromMemoryGivesTheBitsOfLoadingTheFile() throws {
        // Canonical parameters held in memory (as a trainer keeps them) and the
        // file take the same compile path.
        let bytes = TestModelFile(alpha: 0.5, classes: 12, seed: 3).bytes()
        let loaded = try Model.from(bytes, options: LoadOptions(numThreads: 1))
        let canonical = try bytes.withUnsafeBytes { raw -> CanonicalParameters in
            let source = MemoryByteSource(bytes: raw)
            let header = try SafeTensorsHeader.read(from: source)
            return try CanonicalParameters(architecture: loaded.architecture,
                                           from: SafeTensorsParameters(source: source, header: header))
        }
        let compiled = try Model(architecture: loaded.architecture, metadata: loaded.metadata, parameters: canonical,
                                 tier: loaded.kernelTier, options: LoadOptions(numThreads: 1))
        let x = [Float](repeating: 0.3, count: 64 * 48 * 3)
        var a = [Float](repeating: 0, count: 12), b = a
        try loaded.run(input: x, batch: 1, height: 64, width: 48, logits: &a, capacity: 12)
        try compiled.run(input: x, batch: 1, height: 64, width: 48, logits: &b, capacity: 12)
        XCTAssertEqual(a, b)
        // A changed canonical tensor changes the compiled model.
        let name = "MobilenetV1/Logits/Conv2d_1c_1x1/biases"
        var biases = canonical.tensors[name]!.values
        biases[0] += 1
        canonical.set(name, shape: canonical.tensors[name]!.shape, values: biases)
        let changed = try Model(architecture: loaded.architecture, metadata: loaded.metadata, parameters: canonical,
                                tier: loaded.kernelTier, options: LoadOptions(numThreads: 1))
        try changed.run(input: x, batch: 1, height: 64, width: 48, logits: &b, capacity: 12)
        XCTAssertEqual(b[0], a[0] + 1, accuracy: 1e-6)
        XCTAssertEqual(Array(b[1...]), Array(a[1...]))
    }
}

/// Every tier this machine runs.
let testedTiers = KernelSelection.supportedTiers
