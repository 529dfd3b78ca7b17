import MobileNetKernelInterface

/// A layer's shapes at one input size, and TensorFlow's 'SAME' padding before
/// the first row and column.
public struct LayerGeometry: Equatable, Sendable {
    public let inputHeight: Int, inputWidth: Int
    public let outputHeight: Int, outputWidth: Int
    public let padTop: Int, padLeft: Int
}

/// Everything one kind of layer knows, in one type per kind (Layers/): its
/// tensors in a model file, its shape inference (the only one: describe,
/// info and the execution plan all ask it), its cost, how its canonical
/// parameters compile into an operator, and (as the operator) its scratch
/// needs and forward pass. The rest of the engine handles layers through
/// this protocol and `Operator`; `LayerType.kind` maps the public tag to it.
protocol LayerKind {
    /// The paper's name (Table 2).
    static var displayName: String { get }
    /// The tensors this layer reads from a model file (TF-Slim's names) and their shapes.
    static func tensors(_ spec: LayerSpec) -> [(name: String, shape: [Int])]
    /// Weights as the paper counts parameters (no biases, no BatchNorm).
    static func weightCount(_ spec: LayerSpec) -> Int
    static func geometry(_ spec: LayerSpec, inputHeight: Int, inputWidth: Int) -> LayerGeometry
    /// Multiply-adds for one image (the paper's accounting).
    static func multAdds(_ spec: LayerSpec, _ geometry: LayerGeometry) -> Int
    /// Builds the operator for one ISA tier from canonical parameters.
    static func compile(_ spec: LayerSpec, _ context: CompileContext) throws -> any Operator
}

extension LayerKind {
    /// A 3x3 window's geometry: output = ceil(input / stride), SAME padding.
    static func windowGeometry(_ spec: LayerSpec, inputHeight: Int, inputWidth: Int) -> LayerGeometry {
        let rows = SamePadding(input: inputHeight, stride: spec.stride)
        let cols = SamePadding(input: inputWidth, stride: spec.stride)
        return LayerGeometry(inputHeight: inputHeight, inputWidth: inputWidth, outputHeight: rows.output,
                             outputWidth: cols.output, padTop: rows.before, padLeft: cols.before)
    }

    /// A per-pixel layer's geometry: the output has the input's size.
    static func pixelGeometry(inputHeight: Int, inputWidth: Int, outputSide: Int? = nil) -> LayerGeometry {
        LayerGeometry(inputHeight: inputHeight, inputWidth: inputWidth, outputHeight: outputSide ?? inputHeight,
                      outputWidth: outputSide ?? inputWidth, padTop: 0, padLeft: 0)
    }

    static var tensorPrefix: String { "MobilenetV1/" }
}

/// One layer's shapes as one execution plan runs it: the geometry and the
/// memory layouts of its input and output.
struct Step {
    let geometry: LayerGeometry
    let input: ActivationLayout
    let output: ActivationLayout
}

/// Buffers a layer's forward pass may use besides its input and output.
struct Scratch {
    /// `perSlot` floats for each pool slot (thread), at base + slot * perSlot.
    let base: UnsafeMutablePointer<Float>
    let perSlot: Int
}

/// A compiled layer: weights folded and packed for one tier's kernels. Immutable.
protocol Operator: AnyObject {
    var spec: LayerSpec { get }
    /// Floats from one output pixel to the next in the arena.
    var outputPixelStride: Int { get }
    /// Per-thread scratch floats this layer needs at `step`.
    func scratchFloats(_ step: Step) -> Int
    /// Runs the layer on one image, its work split into parts over `pool`.
    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool)
}

extension Operator {
    func scratchFloats(_ step: Step) -> Int { 0 }
}

/// How many parts a layer of `units` units of work is split into: several
/// per thread, so a slowed core can be balanced by the others; one with one
/// thread, where splitting only re-streams each part's share of the other
/// operand (a whole inference 1.7% faster, Zen 4). Each part always covers
/// the same outputs, and no output's sum is split, so the bits never depend
/// on the thread count.
func parts(_ units: Int, pool: ThreadPool) -> Int {
    pool.threadCount == 1 ? 1 : max(min(units, pool.threadCount * 6), 1)
}

/// Whether a 1x1 layer splits its work by column panels (each thread a
/// share of the weights, all of A) instead of by rows (each thread its rows
/// of A and all the weights): only when a thread would get fewer than 8 row
/// blocks (7x7 at 2 threads). Split by panels, every thread reads the whole
/// input, written by all of them; here the cores' caches trade lines, and on
/// this VM that cost comes and goes. 14x14 layers by rows at 2 threads,
/// alternated in one process (Zen 4): int8 0.91-0.97x the time of an
/// inference, float32 0.96x; batch 8 int8 0.97x. 7x7 layers by rows were
/// slower (int8 1.02x of this rule, float32 1.05x).
func splitsByPanels(pixels: Int, outputChannels: Int, rowBlock: Int, pool: ThreadPool) -> Bool {
    outputChannels > pixels && pixels < 8 * rowBlock * pool.threadCount
}

/// Part `part` of `parts` of 0..<count, in whole multiples of `granule`
/// (the last part takes the remainder).
@inline(__always)
func partition(_ count: Int, part: Int, parts: Int, granule: Int = 1) -> Range<Int> {
    let blocks = (count + granule - 1) / granule
    let lower = min(blocks * part / parts * granule, count)
    let upper = min(blocks * (part + 1) / parts * granule, count)
    return lower..<upper
}

/// The pixel stride of depthwise and pointwise outputs: with 256 channels or
/// more, 16 floats more than the channels. A pixel stride of 1, 2 or 4 KiB
/// puts the neighbouring pixels a depthwise tile reads into the same few L1
/// sets; the gap spreads them (measured on 14x14x512: 100 -> 68 us a layer;
/// 7x7x1024: 88 -> 50 us). Smaller layers are faster unpadded.
func gappedPixelStride(channels: Int) -> Int { channels >= 256 ? channels + 16 : channels }
