import MobileNetKernels

/// The network as the kernels run it: BatchNorm folded into each convolution's
/// weights and bias, weights packed in the kernels' layouts, channel counts
/// padded to multiples of 8 (the padding weights and biases are zero, so
/// padded channels stay zero through ReLU6).
/// Indirect so each payload sits in its own box: with the payloads inline,
/// the case tag lives in spare pointer bits and leak checkers (LeakSanitizer,
/// valgrind) do not recognise the weights a live model still points to.
indirect enum Stage {
    /// A full 3x3 convolution (the first layer; the full_conv variant's blocks),
    /// run as im2col rows times packed weights.
    case conv(ConvStage)
    case depthwise(DepthwiseStage)
    case pointwise(PointwiseStage)

    var spec: LayerSpec {
        switch self {
        case let .conv(s): return s.spec
        case let .depthwise(s): return s.spec
        case let .pointwise(s): return s.spec
        }
    }

    /// Floats per output pixel.
    var outputPixelStride: Int {
        switch self {
        case let .conv(s): return s.outputChannels
        case let .depthwise(s): return Stage.pixelStride(channels: s.channels)
        case let .pointwise(s): return Stage.pixelStride(channels: s.outputChannels)
        }
    }

    /// The pixel stride of depthwise and pointwise outputs: with 256 channels
    /// or more, 16 floats more than the channels. A pixel stride of 1, 2 or
    /// 4 KiB puts the neighbouring pixels a depthwise tile reads into the same
    /// few L1 sets; the gap spreads them (measured on 14x14x512: 100 -> 68 us
    /// a layer; 7x7x1024: 88 -> 50 us). Smaller layers are faster unpadded.
    static func pixelStride(channels: Int) -> Int { channels >= 256 ? channels + 16 : channels }
}

struct ConvStage {
    let spec: LayerSpec
    /// Channels gathered per tap by im2col (the input's pixel stride).
    let inputChannels: Int
    /// Padded output channels.
    let outputChannels: Int
    /// Few input channels (the RGB input): DirectConv3x3 with dense weights;
    /// otherwise im2col rows times weights packed for PointwiseGEMM.
    var isDirect: Bool { inputChannels <= DirectConv3x3.maxInputChannels }
    /// (9 * inputChannels) x outputChannels, dense or packed (see isDirect).
    let weights: AlignedBuffer
    let bias: AlignedBuffer
}

struct DepthwiseStage {
    let spec: LayerSpec
    /// Padded channels.
    let channels: Int
    /// 9 taps x channels.
    let weights: AlignedBuffer
    let bias: AlignedBuffer
}

struct PointwiseStage {
    let spec: LayerSpec
    let inputChannels: Int
    let outputChannels: Int
    /// inputChannels x outputChannels, packed for PointwiseGEMM.
    let weights: AlignedBuffer
    let bias: AlignedBuffer
}

struct LogitsStage {
    let inputChannels: Int
    let numClasses: Int
    let paddedClasses: Int
    let weights: AlignedBuffer
    let bias: AlignedBuffer
}
